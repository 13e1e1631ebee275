"""A small declarative XML model: one dataclass per libvirt element.

Each field says how it maps to XML (attribute, child element, list of children,
empty flag element, text child, or the element's own text). The declaration
order of child fields is the order of the emitted children, so element names
and order live in one place and the same declaration both emits and parses.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar, dataclass_transform

from lxml import etree

from vmi_converter.converter.common.errors import ConversionError

ATTR, CHILD, CHILDREN, FLAG, TEXT_CHILD, TEXT = range(6)

_INVALID_XML_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


class XMLValueError(ConversionError):
    """A value from the request cannot be represented in XML (control characters).

    Emission does not know which request field a value came from; the message quotes the value."""

    def __init__(self, value: str) -> None:
        super().__init__("", f"value {value!r} contains characters XML cannot carry")


@dataclass(frozen=True, slots=True)
class Origin:
    """Why an element exists: the rule that made it and the inputs it read."""

    rule: str = ""
    fields: tuple[str, ...] = ()
    facts: tuple[str, ...] = ()
    note: str = ""


@dataclass(slots=True)
class Element:
    """Base of every model class; `origin` feeds Explain and is never emitted."""

    SPEC: ClassVar[tuple[_FieldSpec, ...]] = ()
    TAG: ClassVar[str] = ""
    NS: ClassVar[str | None] = None
    _EMIT: ClassVar[Callable[[Element, str, list[str], str], None]]

    origin: Origin | None = field(default=None, kw_only=True, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class _FieldSpec:
    kind: int
    attr: str  # python attribute
    name: str  # XML name
    cls: type[Element] | None = None
    ns: str | None = None


E = TypeVar("E", bound=Element)

# Attribute and text values: emitted with str(); parsed back as str.
Value = str | int | None


def attr(name: str | None = None) -> Any:
    return field(default=None, metadata={"xml": (ATTR, name, None)})


def child(cls: type[Element], name: str | None = None) -> Any:
    return field(default=None, metadata={"xml": (CHILD, name, cls)})


def children(cls: type[Element], name: str | None = None) -> Any:
    return field(default_factory=list, metadata={"xml": (CHILDREN, name, cls)})


def flag(name: str | None = None) -> Any:
    """An empty element present when the field is True, e.g. `<readonly/>`."""
    return field(default=False, metadata={"xml": (FLAG, name, None)})


def text_child(name: str | None = None) -> Any:
    """A child holding only text, e.g. `<serial>ABC</serial>`."""
    return field(default=None, metadata={"xml": (TEXT_CHILD, name, None)})


def text() -> Any:
    """The element's own character data, e.g. the `1` of `<vcpu>1</vcpu>`."""
    return field(default=None, metadata={"xml": (TEXT, "", None)})


@dataclass_transform(kw_only_default=True, field_specifiers=(field,))
def element(tag: str = "", ns: str | None = None) -> Callable[[type[E]], type[E]]:
    """Class decorator: make `cls` a keyword-only slotted dataclass and compile its spec."""

    def wrap(cls: type[E]) -> type[E]:
        made = dataclass(slots=True, kw_only=True)(cls)
        specs = []
        for f in dataclasses.fields(made):
            meta = f.metadata.get("xml")
            if meta is None:
                continue
            kind, name, sub = meta
            xml_name = name if name is not None else f.name
            specs.append(_FieldSpec(kind, f.name, xml_name, sub))
        made.SPEC = tuple(specs)
        made.TAG = tag
        made.NS = ns
        made._EMIT = staticmethod(_compile_emitter(made))
        return made

    return wrap


# ---------------------------------------------------------------- emitting


def _escape(value: object, attribute: bool) -> str:
    """Escape markup; in an attribute also quotes and the whitespace a parser would normalise."""
    s = value if isinstance(value, str) else str(value)
    if _INVALID_XML_CHARS.search(s):
        raise XMLValueError(s)
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if attribute:
        s = s.replace('"', "&quot;").replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;")
    return s


def _escape_attr(value: object) -> str:
    return _escape(value, attribute=True)


def _escape_text(value: object) -> str:
    return _escape(value, attribute=False)


_NEEDS_ATTR_ESCAPE = re.compile('[&<>"\n\r\t\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]')
_NEEDS_TEXT_ESCAPE = re.compile("[&<>\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


# Strings already checked and found to need no escaping anywhere (attribute or
# text). Most values recur in every domain (bus names, paths, "qemu"); a set
# lookup is several times cheaper than the regex search over a long path.
# Bounded, so a stream of unique values cannot grow it without limit.
_CLEAN: set[str] = set()
_CLEAN_MAX = 8192


def _attr_value(value: object) -> str:
    if type(value) is int:  # digits and a sign never need escaping
        return str(value)
    s = value if type(value) is str else str(value)
    if _NEEDS_ATTR_ESCAPE.search(s) is not None:
        return _escape_attr(s)
    if type(value) is str and len(_CLEAN) < _CLEAN_MAX:
        _CLEAN.add(s)
    return s


def _text_value(value: object) -> str:
    if type(value) is int:
        return str(value)
    s = value if type(value) is str else str(value)
    return s if _NEEDS_TEXT_ESCAPE.search(s) is None else _escape_text(s)


Emitter = Callable[[Element, str, list[str], str], None]


def _compile_emitter(cls: type[Element]) -> Emitter:
    """Generate a straight-line emitter for `cls` from its spec.

    The spec is data; turning it into one function per class once avoids
    walking the spec and dispatching on field kinds for every element of every
    conversion (the emission dominates conversion time otherwise). Element and
    attribute names come from the declarations only; values are escaped.

    Cheap by construction: a string found clean before skips the escaping
    check (`clean`, a set lookup instead of a regex search); markup is built
    with f-strings (one allocation where a `+` chain makes one per operand);
    an element that cannot have child elements (most of them) is written with
    one append, without the placeholder a parent needs for its start tag.
    """
    ns = f' xmlns="{cls.NS}"' if cls.NS else ""
    leaf = all(spec.kind in (ATTR, TEXT) for spec in cls.SPEC)
    has_text = any(spec.kind == TEXT for spec in cls.SPEC)
    attr_v = "(v if type(v) is str and v in clean else attr_value(v))"
    text_v = "(v if type(v) is str and v in clean else text_value(v))"
    code = ["def emit(el, tag, out, indent):", f"    head = f'{{indent}}<{{tag}}{ns}'"]
    if not leaf:
        code += ["    start = len(out)", "    out.append('')", "    inner = f'{indent}  '"]
    for spec in cls.SPEC:
        value, name = f"el.{spec.attr}", spec.name
        if spec.kind == ATTR:
            code += [f"    v = {value}", "    if v is not None:", f"        head = f'{{head}} {name}=\"{{{attr_v}}}\"'"]
        elif spec.kind == CHILD:
            code += [f"    v = {value}", "    if v is not None:", f"        v._EMIT(v, {name!r}, out, inner)"]
        elif spec.kind == CHILDREN:
            code += [f"    for v in {value}:", f"        v._EMIT(v, {name!r}, out, inner)"]
        elif spec.kind == FLAG:
            code += [f"    if {value}:", f"        out.append(f'{{inner}}<{name}/>\\n')"]
        elif spec.kind == TEXT_CHILD:
            line = f"out.append(f'{{inner}}<{name}>{{{text_v}}}</{name}>\\n')"
            code += [f"    v = {value}", "    if v is not None:", f"        {line}"]
        else:
            code += [f"    text = {value}"]
    # Where the element's own line goes: appended (leaf) or into the placeholder.
    put = "out.append({})" if leaf else "out[start] = {}"
    ending = [put.format("f'{head}/>\\n'")]
    if has_text:
        with_text = put.format(f"f'{{head}}>{{{text_v}}}</{{tag}}>\\n'")
        ending = ["if text is not None:", "    v = text", f"    {with_text}", "else:", f"    {ending[0]}"]
    if not leaf:
        with_children = [
            "if len(out) > start + 1:",
            "    out[start] = f'{head}>\\n'",
            "    out.append(f'{indent}</{tag}>\\n')",
        ]
        ending = [*with_children, "else:", *("    " + line for line in ending)]
    code += ["    " + line for line in ending]
    namespace: dict[str, Any] = {"attr_value": _attr_value, "text_value": _text_value, "clean": _CLEAN}
    # The source is built above from our own declarations, never from input.
    exec("\n".join(code), namespace)
    emitter: Emitter = namespace["emit"]
    return emitter


def to_xml(el: Element, tag: str | None = None) -> str:
    """Serialise an element (pretty-printed, two-space indent)."""
    out: list[str] = []
    type(el)._EMIT(el, tag or el.TAG, out, "")
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
