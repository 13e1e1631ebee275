"""The XML model's public face: emit (`to_xml`), parse (`from_element`), walk children.

The declarations live in `vmi_converter.converter.domain.declare` (how a class maps to XML)
and `vmi_converter.converter.domain.model` (the classes); emission runs the straight-line
functions generated ahead of time into `vmi_converter.converter.domain.emitters`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from lxml import etree

from vmi_converter.converter.domain.declare import (
    ATTR,
    CHILD,
    CHILDREN,
    FLAG,
    TEXT,
    TEXT_CHILD,
    E,
    Element,
    FieldSpec,
    Origin,
    Value,
)
from vmi_converter.converter.domain.emitters import EMITTERS
from vmi_converter.converter.domain.escape import XMLValueError

__all__ = [
    "ATTR",
    "CHILD",
    "CHILDREN",
    "FLAG",
    "TEXT",
    "TEXT_CHILD",
    "E",
    "Element",
    "FieldSpec",
    "Origin",
    "Value",
    "XMLValueError",
    "from_element",
    "iter_child_elements",
    "iter_children",
    "to_xml",
]


def to_xml(el: Element, tag: str | None = None) -> str:
    """Serialise an element (pretty-printed, two-space indent)."""
    emit = EMITTERS.get(type(el))
    if emit is None:
        raise TypeError(f"{type(el).__name__} is not a class of vmi_converter.converter.domain.model")
    out: list[str] = []
    emit(el, tag or el.TAG, out, "")
    return "".join(out)


# ---------------------------------------------------------------- parsing


def _local(tag: object) -> str:
    name = str(tag)
    return name.rsplit("}", 1)[-1]


def _qualified(name: str, nsmap: dict[str, str]) -> str:
    if ":" in name:
        prefix, local = name.split(":", 1)
        uri = nsmap.get(prefix)
        if uri:
            return f"{{{uri}}}{local}"
    return name


def from_element(cls: type[E], node: etree._Element) -> E:
    """Build `cls` from a parsed lxml element; unknown content is ignored."""
    values: dict[str, Any] = {}
    nsmap = {k: v for k, v in node.nsmap.items() if k}
    by_tag: dict[str, list[etree._Element]] = {}
    for sub in node:
        if isinstance(sub.tag, str):
            by_tag.setdefault(sub.tag, []).append(sub)
            if "}" in sub.tag:
                by_tag.setdefault(_local(sub.tag), []).append(sub)
    for spec in cls.SPEC:
        kind = spec.kind
        if kind == ATTR:
            raw = node.get(spec.name)
            if raw is not None:
                values[spec.attr] = raw
        elif kind == TEXT:
            if node.text is not None and node.text.strip():
                values[spec.attr] = node.text.strip()
        else:
            found = by_tag.get(_qualified(spec.name, nsmap)) or by_tag.get(spec.name, [])
            if kind == CHILD and found:
                assert spec.cls is not None
                values[spec.attr] = from_element(spec.cls, found[0])
            elif kind == CHILDREN:
                assert spec.cls is not None
                values[spec.attr] = [from_element(spec.cls, n) for n in found]
            elif kind == FLAG and found:
                values[spec.attr] = True
            elif kind == TEXT_CHILD and found:
                values[spec.attr] = (found[0].text or "").strip()
    return cls(**values)


def iter_children(el: Element) -> Iterator[tuple[str, Element]]:
    """Yield (xml name, element) for every child element, in emission order."""
    for spec in el.SPEC:
        if spec.kind == CHILD:
            value = getattr(el, spec.attr)
            if value is not None:
                yield spec.name, value
        elif spec.kind == CHILDREN:
            for item in getattr(el, spec.attr):
                yield spec.name, item


def iter_child_elements(el: Element) -> Iterator[tuple[str, Element | None]]:
    """Every child element in emission order: model elements, and None for
    the plain ones (flags like `<readonly/>`, text children like `<serial>`)."""
    for spec in el.SPEC:
        value = getattr(el, spec.attr)
        if spec.kind == CHILD and value is not None:
            yield spec.name, value
        elif spec.kind == CHILDREN:
            for item in value:
                yield spec.name, item
        elif (spec.kind == FLAG and value) or (spec.kind == TEXT_CHILD and value is not None):
            yield spec.name, None
