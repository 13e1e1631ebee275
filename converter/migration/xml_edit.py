"""Editing a parsed domain in place and writing it back the way KubeVirt's Go encoder does.

`serialize` re-indents like Go's `xml.MarshalIndent` (two spaces, explicit end tags, no XML
declaration) so that unchanged documents come out as KubeVirt's own output, while `<metadata>` is
left byte for byte.
"""

from __future__ import annotations

from collections.abc import Sequence

from lxml import etree

_INDENT = "  "


def serialize(root: etree._Element) -> str:
    """The document as Go's libvirtxml Marshal lays it out; `<metadata>` content untouched."""
    _reindent(root, 0)
    root.tail = None
    return etree.tostring(root, encoding="unicode")


def _is_blank(value: str | None) -> bool:
    return value is None or not value.strip()


def _reindent(root: etree._Element, depth: int) -> None:
    """Go's layout, iteratively (a libxml2 built with a larger depth limit must not exhaust the stack)."""
    pending = [(root, depth)]
    while pending:
        element, level = pending.pop()
        if level == 1 and element.tag == "metadata":
            continue  # libvirtxml keeps the metadata's inner XML verbatim
        kids = list(element)
        if not kids:
            if element.text is None and isinstance(element.tag, str):
                element.text = ""  # Go writes <x></x>, never <x/>
            continue
        inner = "\n" + _INDENT * (level + 1)
        if _is_blank(element.text):
            element.text = inner
        for kid in kids:
            if _is_blank(kid.tail):
                kid.tail = inner
            if isinstance(kid.tag, str):
                pending.append((kid, level + 1))
        if _is_blank(kids[-1].tail):
            kids[-1].tail = "\n" + _INDENT * level


def insert_ordered(parent: etree._Element, tag: str, order: Sequence[str],
                   attrs: dict[str, str] | None = None) -> etree._Element:
    """A new `<tag>` child placed before the first sibling that libvirtxml writes after it."""
    new = etree.Element(tag, attrs or {})
    rank = order.index(tag)
    for index, kid in enumerate(parent):
        if isinstance(kid.tag, str) and kid.tag in order and order.index(kid.tag) > rank:
            parent.insert(index, new)
            return new
    parent.append(new)
    return new


def ensure_child(parent: etree._Element, tag: str, order: Sequence[str]) -> etree._Element:
    """The first `<tag>` child of `parent`, created in libvirtxml's order when missing."""
    found = parent.find(tag)
    return found if found is not None else insert_ordered(parent, tag, order)


def set_attributes_first(element: etree._Element, first: dict[str, str], drop: Sequence[str] = ()) -> None:
    """Put `first` ahead of the remaining attributes (Go writes a source's path attribute first)."""
    rest = [(key, value) for key, value in element.attrib.items() if key not in first and key not in drop]
    element.attrib.clear()
    for key, value in [*first.items(), *rest]:
        element.set(key, value)
