"""Escaping attribute values and text for the emitted XML.

The patterns are raw strings: the regex engine reads the `\\uXXXX` escapes, so
no lone surrogate appears as a string literal (a C compiler of this module
could not carry one).
"""

from __future__ import annotations

import re

from vmi_converter.converter.common.errors import ConversionError
from vmi_converter.converter.common.xml_chars import INVALID_XML_CHARS as _INVALID_XML_CHARS

_NEEDS_ATTR_ESCAPE = re.compile(r'[&<>"\n\r\t\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]')
_NEEDS_TEXT_ESCAPE = re.compile(r"[&<>\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


class XMLValueError(ConversionError):
    """A value cannot be represented in XML (control characters).

    The request's VMI and context are checked where they arrive (common/xml_chars.py, naming the field);
    this is the last line for values the converter derived. Emission knows no field: the message quotes
    the value."""

    def __init__(self, value: str) -> None:
        super().__init__("", f"value {value!r} contains characters XML cannot carry")


def _escape(value: str, attribute: bool) -> str:
    """Escape markup; in an attribute also quotes and the whitespace a parser would normalise."""
    if _INVALID_XML_CHARS.search(value):
        raise XMLValueError(value)
    s = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if attribute:
        s = s.replace('"', "&quot;").replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;")
    return s


# Strings already checked and found to need no escaping anywhere (attribute or
# text). Most values recur in every domain (bus names, paths, "qemu"); a set
# lookup is several times cheaper than the regex search over a long path.
# Bounded, so a stream of unique values cannot grow it without limit.
CLEAN: set[str] = set()
_CLEAN_MAX = 8192


def attr_value(value: object) -> str:
    """`value` as it goes between the quotes of an attribute."""
    if type(value) is int:  # digits and a sign never need escaping
        return str(value)
    s = value if type(value) is str else str(value)
    if _NEEDS_ATTR_ESCAPE.search(s) is not None:
        return _escape(s, attribute=True)
    if type(value) is str and len(CLEAN) < _CLEAN_MAX:
        CLEAN.add(s)
    return s


def text_value(value: object) -> str:
    """`value` as it goes between a start and an end tag."""
    if type(value) is int:
        return str(value)
    s = value if type(value) is str else str(value)
    return s if _NEEDS_TEXT_ESCAPE.search(s) is None else _escape(s, attribute=False)
