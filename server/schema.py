"""Which fields of a JSON VMI the contract does not know (reported as warnings).

A VMI sent as `vmiJson` bypasses protobuf's parser, so a misspelt field
(`dedicatedIoThread`) would be silently ignored. The proto descriptors are
compiled once into a tree of known JSON names and every request is walked
against it.
"""

from __future__ import annotations

import functools
from typing import Any

from google.protobuf.descriptor import Descriptor, FieldDescriptor

from kubevirt.converter.v1 import vmi_pb2

# Free-form parts of the contract: anything goes below them.
_OPAQUE = {"google.protobuf.Struct", "google.protobuf.Value", "google.protobuf.ListValue"}


@functools.cache
def _known(descriptor: Descriptor) -> dict[str, Descriptor | None]:
    """JSON name (and proto name) → message descriptor of the value, None for scalars."""
    known: dict[str, Descriptor | None] = {}
    for field in descriptor.fields:
        target = field.message_type
        if target is not None and target.GetOptions().map_entry:
            value = target.fields_by_name["value"]
            target = value.message_type if value.type == FieldDescriptor.TYPE_MESSAGE else None
            known[field.json_name] = known[field.name] = _MapOf(target) if target else None  # type: ignore[assignment]
            continue
        known[field.json_name] = known[field.name] = target
    return known


class _MapOf:
    """Marker: a map whose values are messages of `descriptor`."""

    def __init__(self, descriptor: Descriptor) -> None:
        self.descriptor = descriptor


def unknown_vmi_fields(vmi: dict[str, Any]) -> list[str]:
    """Paths of the VMI's fields that the VirtualMachineInstance message does not define."""
    found: list[str] = []
    _walk(vmi, vmi_pb2.VirtualMachineInstance.DESCRIPTOR, "", found)
    return found


def _walk(value: Any, descriptor: Descriptor, path: str, found: list[str]) -> None:
    if descriptor.full_name in _OPAQUE or not isinstance(value, dict):
        return
    known = _known(descriptor)
    for key, sub in value.items():
        sub_path = f"{path}.{key}" if path else key
        if key not in known:
            found.append(sub_path)
            continue
        target: Any = known[key]
        if isinstance(target, _MapOf):
            if isinstance(sub, dict):
                for map_key, item in sub.items():
                    _walk(item, target.descriptor, f"{sub_path}[{map_key!r}]", found)
        elif target is not None:
            if isinstance(sub, list):
                for index, item in enumerate(sub):
                    _walk(item, target, f"{sub_path}[{index}]", found)
            else:
                _walk(sub, target, sub_path, found)
