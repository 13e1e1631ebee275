"""A JSON VMI checked against the contract: wrong types are refused, unknown fields reported.

A VMI sent as `vmiJson` (or read from a file by the CLI) bypasses protobuf's
parser. Walking it against the proto descriptors gives the same guarantees
the typed path has: every field has the type the converter expects (so no
configurator meets a list where it reads a string), and a misspelt field
(`dedicatedIoThread`) is named in a warning instead of being silently
ignored. The descriptors are compiled once into a tree of known JSON names.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from google.protobuf.descriptor import Descriptor, FieldDescriptor

from vmi_converter.api import vmi_pb2
from vmi_converter.converter.common.errors import ConversionError

# Free-form parts of the contract: anything goes below them.
_OPAQUE = {"google.protobuf.Struct", "google.protobuf.Value", "google.protobuf.ListValue"}

# Kubernetes quantities are strings in the contract, but a hand-written YAML VMI may say `memory: 1024`.
_QUANTITY_FIELDS = {"guest", "maxGuest", "pageSize", "capacity", "requests", "limits", "overcommitGuestOverhead"}

F = FieldDescriptor
_STRING, _BOOL = "a string", "a boolean"
_INTEGERS = {F.TYPE_INT32, F.TYPE_INT64, F.TYPE_UINT32, F.TYPE_UINT64, F.TYPE_SINT32, F.TYPE_SINT64,
             F.TYPE_FIXED32, F.TYPE_FIXED64, F.TYPE_SFIXED32, F.TYPE_SFIXED64}


@dataclass(frozen=True, slots=True)
class _Field:
    message: Descriptor | None  # the value's message type, None for scalars
    scalar: int  # protobuf field type for scalars
    repeated: bool
    map_value: _Field | None  # for maps: how each value is typed
    quantity: bool


@functools.cache
def _fields(descriptor: Descriptor) -> dict[str, _Field]:
    """JSON name (and proto name) → how its value is typed."""
    known: dict[str, _Field] = {}
    for field in descriptor.fields:
        quantity = field.json_name in _QUANTITY_FIELDS
        target = field.message_type
        if target is not None and target.GetOptions().map_entry:
            value = target.fields_by_name["value"]
            entry = _Field(value.message_type, value.type, False, None, quantity)
            spec = _Field(None, 0, False, entry, quantity)
        else:
            repeated = bool(field.is_repeated)
            spec = _Field(target, field.type, repeated, None, quantity)
        known[field.json_name] = known[field.name] = spec
    return known


def check_json_vmi(vmi: dict[str, Any]) -> list[str]:
    """Raise ConversionError at the first field of the wrong type; return warnings for unknown fields."""
    unknown: list[str] = []
    _check_message(vmi, vmi_pb2.VirtualMachineInstance.DESCRIPTOR, "", unknown)
    return [f"{path}: unknown field, ignored" for path in unknown]


def _check_message(value: Any, descriptor: Descriptor, path: str, unknown: list[str]) -> None:
    if descriptor.full_name in _OPAQUE:
        return
    if not isinstance(value, dict):
        raise ConversionError(path, f"expected an object, got {_kind(value)}")
    known = _fields(descriptor)
    for key, sub in value.items():
        sub_path = f"{path}.{key}" if path else str(key)
        spec = known.get(key)
        if spec is None:
            unknown.append(sub_path)
        elif sub is not None:  # JSON null means unset, as protobuf's parser reads it
            _check_field(sub, spec, sub_path, unknown)


def _check_field(value: Any, spec: _Field, path: str, unknown: list[str]) -> None:
    if spec.map_value is not None:
        if not isinstance(value, dict):
            raise ConversionError(path, f"expected an object, got {_kind(value)}")
        for key, item in value.items():
            if item is not None:
                _check_single(item, spec.map_value, f'{path}["{key}"]', unknown)
    elif spec.repeated:
        if not isinstance(value, list):
            raise ConversionError(path, f"expected a list, got {_kind(value)}")
        for index, item in enumerate(value):
            _check_single(item, spec, f"{path}[{index}]", unknown)
    else:
        _check_single(value, spec, path, unknown)


def _check_single(value: Any, spec: _Field, path: str, unknown: list[str]) -> None:
    if spec.message is not None:
        _check_message(value, spec.message, path, unknown)
        return
    expected = _scalar_problem(value, spec)
    if expected is not None:
        raise ConversionError(path, f"expected {expected}, got {_kind(value)}")


def _scalar_problem(value: Any, spec: _Field) -> str | None:
    """What was expected, when `value` does not fit the scalar type; None when it fits."""
    kind = spec.scalar
    if kind in (F.TYPE_STRING, F.TYPE_BYTES, F.TYPE_ENUM):
        fits = isinstance(value, str) or (spec.quantity and _is_number(value))
        return None if fits else _STRING
    if kind == F.TYPE_BOOL:
        return None if isinstance(value, bool) else _BOOL
    if kind in _INTEGERS:
        # protobuf's JSON form writes 64-bit integers as strings.
        fits = (isinstance(value, int) and not isinstance(value, bool)) or (
            isinstance(value, str) and value.lstrip("-").isdigit()
        )
        return None if fits else "an integer"
    return None if _is_number(value) else "a number"


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    if _is_number(value):
        return "a number"
    return "null"
