"""How a model class declares its XML: one dataclass per libvirt element.

Each field says how it maps to XML (attribute, child element, list of children,
empty flag element, text child, or the element's own text). The declaration
order of a class's fields is the order of the emitted children, so element
names and order live in one place and the same declaration both emits and parses.

The class of a child element is read from the field's annotation
(`source: DiskSource | None = child()`), resolved by `resolve_specs` once every
model module is loaded: classes can be declared in any order and any module.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar, dataclass_transform

ATTR, CHILD, CHILDREN, FLAG, TEXT_CHILD, TEXT = range(6)


@dataclass(frozen=True, slots=True)
class Origin:
    """Why an element exists: the rule that made it and the inputs it read."""

    rule: str = ""
    fields: tuple[str, ...] = ()
    facts: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """How one field of a model class maps to XML."""

    kind: int
    attr: str  # python attribute
    name: str  # XML name
    cls: type[Element] | None = None  # the element class of CHILD and CHILDREN fields


@dataclass(slots=True)
class Element:
    """Base of every model class; `origin` feeds Explain and is never emitted."""

    SPEC: ClassVar[tuple[FieldSpec, ...]] = ()
    TAG: ClassVar[str] = ""
    NS: ClassVar[str | None] = None

    origin: Origin | None = field(default=None, kw_only=True, compare=False, repr=False)


E = TypeVar("E", bound=Element)

# Attribute and text values: emitted with str(); parsed back as str.
Value = str | int | None


def attr(name: str | None = None) -> Any:
    return field(default=None, metadata={"xml": (ATTR, name)})


def child(name: str | None = None) -> Any:
    """One child element of the class the field is annotated with (`X | None`)."""
    return field(default=None, metadata={"xml": (CHILD, name)})


def children(name: str | None = None) -> Any:
    """Child elements of the class the field is annotated with (`list[X]`)."""
    return field(default_factory=list, metadata={"xml": (CHILDREN, name)})


def flag(name: str | None = None) -> Any:
    """An empty element present when the field is True, e.g. `<readonly/>`."""
    return field(default=False, metadata={"xml": (FLAG, name)})


def text_child(name: str | None = None) -> Any:
    """A child holding only text, e.g. `<serial>ABC</serial>`."""
    return field(default=None, metadata={"xml": (TEXT_CHILD, name)})


def text() -> Any:
    """The element's own character data, e.g. the `1` of `<vcpu>1</vcpu>`."""
    return field(default=None, metadata={"xml": (TEXT, "")})


@dataclass_transform(kw_only_default=True, field_specifiers=(field,))
def element(tag: str = "", ns: str | None = None) -> Callable[[type[E]], type[E]]:
    """Class decorator: make `cls` a keyword-only slotted dataclass; its spec comes from `resolve_specs`."""

    def wrap(cls: type[E]) -> type[E]:
        made = dataclass(slots=True, kw_only=True)(cls)
        made.TAG = tag
        made.NS = ns
        return made

    return wrap


# `X | None` or `list[X]`, as `from __future__ import annotations` keeps them.
_ELEMENT_ANNOTATION = re.compile(r"(?:(\w+) \| None|list\[(\w+)\])")


def resolve_specs(namespace: Mapping[str, object]) -> None:
    """Compute the SPEC of every model class in `namespace` (a module's globals).

    The class of a child element is the one its annotation names, looked up in `namespace`."""
    by_name = {
        name: value
        for name, value in namespace.items()
        if isinstance(value, type) and issubclass(value, Element) and value is not Element
    }
    for cls in by_name.values():
        cls.SPEC = tuple(_field_spec(cls, f, by_name) for f in dataclasses.fields(cls) if "xml" in f.metadata)


def _field_spec(cls: type, f: dataclasses.Field[Any], by_name: dict[str, type[Element]]) -> FieldSpec:
    kind, name = f.metadata["xml"]
    xml_name = name if name is not None else f.name
    if kind not in (CHILD, CHILDREN):
        return FieldSpec(kind, f.name, xml_name)
    match = _ELEMENT_ANNOTATION.fullmatch(str(f.type))
    sub = by_name.get(match.group(1) or match.group(2)) if match else None
    if sub is None:
        raise TypeError(f"{cls.__name__}.{f.name}: {f.type!r} names no model class (want `X | None` or `list[X]`)")
    return FieldSpec(kind, f.name, xml_name, sub)
