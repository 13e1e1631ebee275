"""JSON documents checked against the contract: wrong types are refused, unknown fields reported.

A VMI sent as `vmiJson` (or read from a file by the CLI) bypasses protobuf's
parser. Walking it against the proto descriptors gives the same guarantees
the typed path has: every field has the type the converter expects (so no
configurator meets a list where it reads a string), and a misspelt field
(`dedicatedIoThread`) is named in a warning instead of being silently
ignored. The descriptors are compiled once into a tree of known JSON names.
The context and the flow requests are walked the same way; integers are also
held to their protobuf range and the few facts that cannot be negative (sizes,
CPU ids) to zero and up, so the CLI refuses what protobuf's parser refuses and
no out-of-range number reaches the domain XML.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from typing import Any

from google.protobuf import timestamp_pb2
from google.protobuf.descriptor import Descriptor, FieldDescriptor

from vmi_converter.api import context_pb2, vmi_pb2
from vmi_converter.converter.common.errors import ConversionError, member_path

# Free-form parts of the contract: anything goes below them.
_OPAQUE = {"google.protobuf.Struct", "google.protobuf.Value", "google.protobuf.ListValue"}

# Kubernetes quantities are strings in the contract, but a hand-written YAML VMI may say `memory: 1024`.
_QUANTITY_FIELDS = {"guest", "maxGuest", "pageSize", "capacity", "requests", "limits", "overcommitGuestOverhead"}

F = FieldDescriptor
_STRING, _BOOL = "a string", "a boolean"
_INTEGER_TEXT = re.compile(r"-?[0-9]{1,30}")
# Each integer type's range, as protobuf's parsers enforce it.
_INTEGER_RANGES = {
    **dict.fromkeys((F.TYPE_INT32, F.TYPE_SINT32, F.TYPE_SFIXED32), (-(2**31), 2**31 - 1)),
    **dict.fromkeys((F.TYPE_UINT32, F.TYPE_FIXED32), (0, 2**32 - 1)),
    **dict.fromkeys((F.TYPE_INT64, F.TYPE_SINT64, F.TYPE_SFIXED64), (-(2**63), 2**63 - 1)),
    **dict.fromkeys((F.TYPE_UINT64, F.TYPE_FIXED64), (0, 2**64 - 1)),
}
# Signed in the contract (as in KubeVirt's Go types) but meaningless below zero: sizes and CPU ids.
_NON_NEGATIVE = {
    "kubevirt.converter.v1.DiskInfo.actual_size",
    "kubevirt.converter.v1.DiskInfo.virtual_size",
    "kubevirt.converter.v1.ConverterContext.cpu_set",
    "kubevirt.converter.v1.CpuList.cpus",
    "kubevirt.converter.v1.MigrationVolumeFacts.virtual_size",
    "kubevirt.converter.v1.MigrationTargetFacts.cpu_set",
}
_TIMESTAMP = "google.protobuf.Timestamp"


@dataclass(frozen=True, slots=True)
class _Field:
    message: Descriptor | None  # the value's message type, None for scalars
    scalar: int  # protobuf field type for scalars
    repeated: bool
    map_value: _Field | None  # for maps: how each value is typed
    quantity: bool
    integer_range: tuple[int, int] | None = None  # for integers: the values allowed


@functools.cache
def _fields(descriptor: Descriptor) -> dict[str, _Field]:
    """JSON name (and proto name) → how its value is typed."""
    known: dict[str, _Field] = {}
    for field in descriptor.fields:
        quantity = field.json_name in _QUANTITY_FIELDS
        target = field.message_type
        if target is not None and target.GetOptions().map_entry:
            value = target.fields_by_name["value"]
            entry = _Field(value.message_type, value.type, False, None, quantity, _integer_range(value))
            spec = _Field(None, 0, False, entry, quantity)
        else:
            repeated = bool(field.is_repeated)
            spec = _Field(target, field.type, repeated, None, quantity, _integer_range(field))
        known[field.json_name] = known[field.name] = spec
    return known


def _integer_range(field: FieldDescriptor) -> tuple[int, int] | None:
    bounds = _INTEGER_RANGES.get(field.type)
    if bounds is not None and field.full_name in _NON_NEGATIVE:
        return 0, bounds[1]
    return bounds


def check_json_vmi(vmi: dict[str, Any]) -> list[str]:
    """Raise ConversionError at the first field of the wrong type; return warnings for unknown fields."""
    return check_json_message(vmi, vmi_pb2.VirtualMachineInstance.DESCRIPTOR, "")


def check_json_context(context: dict[str, Any], path: str = "context") -> list[str]:
    """The same for a ConverterContext: types, integer ranges; warnings name unknown keys."""
    return check_json_message(context, context_pb2.ConverterContext.DESCRIPTOR, path)


def check_json_message(value: Any, descriptor: Descriptor, path: str) -> list[str]:
    """`value` as JSON for the message `descriptor`: raise at the first bad field, return unknown-field warnings.

    The walk recurses once per message level of the contract, which is bounded (only the opaque
    Struct/Value types nest freely, and they are not walked); documents are depth-checked before.
    """
    unknown: list[str] = []
    _check_message(value, descriptor, path, unknown)
    return [f"{field}: unknown field, ignored" for field in unknown]


def _check_message(value: Any, descriptor: Descriptor, path: str, unknown: list[str]) -> None:
    if descriptor.full_name in _OPAQUE:
        return
    if descriptor.full_name == _TIMESTAMP:
        _check_timestamp(value, path)
        return
    if not isinstance(value, dict):
        raise ConversionError(path, f"expected an object, got {_kind(value)}")
    known = _fields(descriptor)
    for key, sub in value.items():
        sub_path = member_path(path, str(key))
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
                _check_single(item, spec.map_value, f"{path}[{json.dumps(str(key))}]", unknown)
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




def _check_timestamp(value: Any, path: str) -> None:
    """An RFC 3339 string, as protobuf's JSON mapping (and Kubernetes) writes a Timestamp."""
    if not isinstance(value, str):
        raise ConversionError(path, f"expected an RFC 3339 timestamp string, got {_kind(value)}")
    try:
        timestamp_pb2.Timestamp().FromJsonString(value)
    except ValueError:
        example = "2024-05-01T10:00:00Z"
        raise ConversionError(path, f"expected an RFC 3339 timestamp such as {example}, got {value!r}") from None


def _scalar_problem(value: Any, spec: _Field) -> str | None:
    """What was expected, when `value` does not fit the scalar type; None when it fits."""
    kind = spec.scalar
    if kind in (F.TYPE_STRING, F.TYPE_BYTES, F.TYPE_ENUM):
        fits = isinstance(value, str) or (spec.quantity and _is_number(value))
        return None if fits else _STRING
    if kind == F.TYPE_BOOL:
        return None if isinstance(value, bool) else _BOOL
    if spec.integer_range is not None:
        return _integer_problem(value, spec.integer_range)
    return None if _is_number(value) else "a number"


def _integer_problem(value: Any, bounds: tuple[int, int]) -> str | None:
    # protobuf's JSON form writes 64-bit integers as strings.
    if isinstance(value, str) and _INTEGER_TEXT.fullmatch(value):
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        return "an integer"
    low, high = bounds
    return None if low <= value <= high else f"an integer from {low} to {high}"


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
        return f"{value!r}" if abs(value) < 2**80 else "a number"
    return "null"
