"""Characters XML 1.0 cannot carry (C0 controls but tab/newline/return, lone surrogates, U+FFFE/U+FFFF).

A request's strings end up in the domain XML, so such a character is refused where it arrives, naming
its field, rather than when the emitter meets it (which knows no field).
"""

from __future__ import annotations

import json
import re
from typing import Any

from vmi_converter.converter.common.errors import ConversionError, member_path

INVALID_XML_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# The same characters as json.dumps escapes them: \b and \f for two of them, \uXXXX for the others.
# An escaped backslash before such letters looks alike; that only costs the slow walk below.
_ESCAPED_INVALID = re.compile(r"\\(?:[bf]|u(?:000[0-8]|000[bcef]|001[0-9a-f]|d[89a-f][0-9a-f]{2}|fff[ef]))")


def refuse_unencodable(document: Any, root: str) -> None:
    """Refuse a key or string XML cannot carry anywhere in a JSON document, naming its path.

    One C-speed `json.dumps` finds whether there is any; only then is the document walked for the path.
    """
    if not _ESCAPED_INVALID.search(json.dumps(document, default=str)):
        return
    pending: list[tuple[Any, str]] = [(document, root)]
    while pending:
        value, path = pending.pop()
        if isinstance(value, str) and INVALID_XML_CHARS.search(value):
            raise ConversionError(path, f"value {value!r} contains characters XML cannot carry")
        if isinstance(value, dict):
            for key, child in value.items():
                child_path = member_path(path, str(key))
                if INVALID_XML_CHARS.search(str(key)):
                    raise ConversionError(child_path, f"key {key!r} contains characters XML cannot carry")
                pending.append((child, child_path))
        elif isinstance(value, list):
            pending.extend((child, f"{path}[{index}]") for index, child in enumerate(value))
