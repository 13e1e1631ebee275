"""Protobuf message → Kubernetes-JSON dict, keeping presence and numbers.

`json_format.MessageToDict` renders 64-bit integers as strings and walks
descriptors on every call; the converter wants the same dict a `kubectl get
-o json` document gives (numbers as numbers, only the fields that were set),
so we walk the set fields ourselves.
"""

from __future__ import annotations

from typing import Any

from google.protobuf import json_format
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

_WELL_KNOWN_JSON = {
    "google.protobuf.Struct",
    "google.protobuf.Value",
    "google.protobuf.ListValue",
    "google.protobuf.Timestamp",
    "google.protobuf.Duration",
    "google.protobuf.Any",
}
# Typed `Any`: protobuf's stubs say MessageToDict returns a dict, and compiled code (mypyc) checks
# that at run time, but a Timestamp or a Value renders as a string, a number or a list.
_well_known_to_json: Any = json_format.MessageToDict
_MESSAGE = FieldDescriptor.TYPE_MESSAGE
_BYTES = FieldDescriptor.TYPE_BYTES
_ENUM = FieldDescriptor.TYPE_ENUM


def message_to_dict(message: Message) -> dict[str, Any]:
    result = _convert(message)
    assert isinstance(result, dict)
    return result


def _convert(message: Message) -> Any:
    if message.DESCRIPTOR.full_name in _WELL_KNOWN_JSON:
        return _well_known_to_json(message)
    out: dict[str, Any] = {}
    for field, value in message.ListFields():
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            value_field = field.message_type.fields_by_name["value"]
            out[field.json_name] = {k: _scalar(value_field, v) for k, v in value.items()}
        elif _is_repeated(field):
            out[field.json_name] = [_scalar(field, v) for v in value]
        else:
            out[field.json_name] = _scalar(field, value)
    return out


def _is_repeated(field: FieldDescriptor) -> bool:
    # protobuf 6+ has `is_repeated`; `label` is gone from upb descriptors in 7.
    flag = getattr(field, "is_repeated", None)
    if flag is not None:
        return bool(flag)
    return bool(field.label == FieldDescriptor.LABEL_REPEATED)  # type: ignore[attr-defined]


def _scalar(field: FieldDescriptor, value: Any) -> Any:
    if field.type == _MESSAGE:
        return _convert(value)
    if field.type == _BYTES:
        return value.decode("utf-8", "replace")
    if field.type == _ENUM:
        assert field.enum_type is not None
        enum_value = field.enum_type.values_by_number.get(value)
        return enum_value.name if enum_value is not None else value
    return value
