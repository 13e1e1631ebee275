"""Strings XML cannot carry are refused where the request brings them, naming the field."""

from __future__ import annotations

from typing import Any

import pytest

from vmi_converter.converter.common.errors import ConversionError
from vmi_converter.converter.common.xml_chars import refuse_unencodable


@pytest.mark.parametrize(
    ("document", "field", "message"),
    [
        ({"a": {"b": ["ok", "x\x1f"]}}, "a.b[1]", "value 'x\\x1f' contains characters XML cannot carry"),
        ({"a": "lone \ud800"}, "a", "value 'lone \\ud800' contains characters XML cannot carry"),
        ({"a": "\ufffe"}, "a", "value '\\ufffe' contains characters XML cannot carry"),
        ({"bad\x00key": 1}, '["bad\\u0000key"]', "key 'bad\\x00key' contains characters XML cannot carry"),
        ({"": "\x1f"}, '[""]', "value '\\x1f' contains characters XML cannot carry"),
    ],
)
def test_refused_naming_the_path(document: dict[str, Any], field: str, message: str) -> None:
    with pytest.raises(ConversionError) as err:
        refuse_unencodable(document, "")
    assert (err.value.field, err.value.message) == (field, message)


@pytest.mark.parametrize(
    "document",
    [
        {"tab\tnewline\nreturn\r": "all three are XML", "path": "C:\\u001f is a backslash, not a control"},
        {"unicode": "é ✓ \U0001f600", "numbers": [1, 2.5, None, True]},
    ],
)
def test_what_xml_carries_passes(document: dict[str, Any]) -> None:
    refuse_unencodable(document, "context")


@pytest.mark.parametrize("char", [chr(c) for c in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20))])
def test_every_c0_control_xml_refuses_is_found(char: str) -> None:
    with pytest.raises(ConversionError) as err:
        refuse_unencodable({"a": ["x", {"b": f"v{char}"}]}, "")
    assert err.value.field == "a[1].b"
