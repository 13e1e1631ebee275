"""One decoder for every door: the CLI, `vmi`/`vmiJson`, typed messages and the flow requests.

Whatever way a VMI and a context arrive (a typed message mapped to JSON by
`server.protodict`, `vmiJson` bytes, a file read by the CLI), they pass the
same checks before the converter sees them: nesting depth, the contract's
types and integer ranges (`server.schema`), and unknown fields, which become
warnings naming their path. So the CLI and the server refuse the same
documents with the same messages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

from google.protobuf import json_format
from google.protobuf.descriptor import Descriptor
from google.protobuf.message import Message

from vmi_converter.api import context_pb2
from vmi_converter.converter.common.errors import ConversionError
from vmi_converter.server.protodict import message_to_dict
from vmi_converter.server.requests import check_depth, check_vmi, load_document
from vmi_converter.server.schema import check_json_context, check_json_message, check_json_vmi

JSON = dict[str, Any]


@dataclass
class Decoded:
    vmi: JSON
    context: JSON
    warnings: list[str] = field(default_factory=list)


def decode_vmi(vmi: Any, field: str = "vmi", typed: bool = False) -> tuple[JSON, list[str]]:
    """A VMI as JSON, checked against the contract; the warnings name unknown fields.

    `typed`: it came as a message, which protobuf's parser already held to the same contract (types,
    ranges, timestamps, no unknown fields, and at most 100 nested messages, some 48 JSON levels), so
    the walks would find nothing; skipping them keeps typed requests as cheap as before.
    """
    if typed:
        return check_vmi(vmi, field), []
    check_depth(vmi, field)
    checked = check_vmi(vmi, field)
    return checked, check_json_vmi(checked)


def decode_context(context: Any, field: str = "context", typed: bool = False) -> tuple[JSON, list[str]]:
    """A ConverterContext as JSON (None: no context), checked against the contract.

    A context written as JSON (a file, a request document) is then read the way a typed one is: through
    protobuf and back, so `"5"` and `5`, an empty map and a missing one, an unknown key and none at all
    mean the same to the converter whichever door the context came in by. `typed`: it came as a message.
    """
    if context is None:
        return {}, []
    check_depth(context, field)
    if not isinstance(context, dict):
        raise ConversionError(field, "expected a ConverterContext object")
    warnings = check_json_context(context, field)
    return (context if typed else _through_protobuf(context, context_pb2.ConverterContext(), field)), warnings


def _through_protobuf(document: JSON, message: Message, field: str) -> JSON:
    try:
        json_format.ParseDict(document, message, ignore_unknown_fields=True)
    except json_format.ParseError as err:  # anything the contract check let through but protobuf does not take
        raise ConversionError(field, str(err)) from None
    return message_to_dict(message)


def decode_parts(vmi: Any, context: Any, typed_vmi: bool = False, typed_context: bool = False) -> Decoded:
    checked_vmi, vmi_warnings = decode_vmi(vmi, typed=typed_vmi)
    checked_context, context_warnings = decode_context(context, typed=typed_context)
    return Decoded(checked_vmi, checked_context, vmi_warnings + context_warnings)


def decode_flow_document(document: Any, request_type: type[Message], typed: bool = False) -> tuple[JSON, list[str]]:
    """A MigratableXML/HotplugDisk request in its JSON form (from a message, `typed`, or a file).

    `vmiJson` is decoded in place of `vmi`; the VMI is checked as Convert checks it (paths from the
    VMI's root), everything else against the request's own message type and, when written as JSON,
    read through protobuf as a typed request is (see decode_context).
    """
    check_depth(document, "")
    if not isinstance(document, dict):
        raise ConversionError("", "expected the request as a JSON/YAML object")
    rest = dict(document)
    vmi, vmi_json = rest.pop("vmi", None), rest.pop("vmiJson", None)
    from_json = vmi is None and vmi_json is not None
    if from_json:
        if not isinstance(vmi_json, str | bytes):
            raise ConversionError("vmiJson", "expected the VMI as JSON/YAML text")
        vmi = load_document(vmi_json, "vmiJson")
    if vmi is None:
        raise ConversionError("vmi", "a VirtualMachineInstance is required (set vmi or vmiJson)")
    descriptor = cast(Descriptor, request_type.DESCRIPTOR)  # upb's Descriptor, same interface
    warnings = check_json_message(rest, descriptor, "")
    if not typed:
        rest = _through_protobuf(rest, request_type(), "")
    checked_vmi, vmi_warnings = decode_vmi(vmi, typed=typed and not from_json)
    return {**rest, "vmi": checked_vmi}, vmi_warnings + warnings
