"""Turning what callers send (RPC messages, JSON/YAML documents) into converter input."""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

from vmi_converter.converter.common.errors import ConversionError
from vmi_converter.server.carriers import vmis_in
from vmi_converter.server.subject import note_vmi

MAX_DOCUMENT_BYTES = 16 * 1024 * 1024
# Kubernetes objects are shallow (a VMI with managedFields is some 15 levels deep); deeper is hostile.
MAX_DEPTH = 64


def depth_error(field: str) -> ConversionError:
    return ConversionError(field, f"document nested deeper than {MAX_DEPTH} levels")


def check_depth(document: Any, field: str) -> None:
    """Refuse a document nested deeper than MAX_DEPTH, without recursing (so no RecursionError)."""
    pending: list[tuple[Any, int]] = [(document, 0)]
    while pending:
        value, depth = pending.pop()
        if not isinstance(value, dict | list):
            continue
        children = value.values() if isinstance(value, dict) else value
        if depth >= MAX_DEPTH:
            raise depth_error(field)
        pending.extend((child, depth + 1) for child in children if isinstance(child, dict | list))


class _PlainYAMLLoader(yaml.SafeLoader):
    """Safe YAML without anchors/aliases: no Kubernetes object needs them, and
    alias chains are how "billion laughs" documents blow up memory. Nesting stops at MAX_DEPTH while
    composing, before a deep document costs more than its first levels."""

    depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(None, None, "YAML aliases are not accepted", event.start_mark)
        # Scalars are levels too here; check_depth counts containers only, hence the + 1.
        if self.depth > MAX_DEPTH + 1:
            raise _TooDeep()
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


class _TooDeep(Exception):
    pass


def load_document(data: bytes | str, field: str) -> Any:
    """Parse one JSON or YAML document (JSON first: it is what Go launchers send)."""
    if len(data) > MAX_DOCUMENT_BYTES:
        raise ConversionError(field, f"document larger than {MAX_DOCUMENT_BYTES} bytes")
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
    except UnicodeDecodeError as err:
        raise ConversionError(field, f"not UTF-8: {err}") from None
    document = _parse(text, field)
    check_depth(document, field)
    if _SURROGATE_ESCAPE.search(text):
        _refuse_lone_surrogates(document, field)
    return document


def _parse(text: str, field: str) -> Any:
    # Both parsers recurse once per level: a document thousands of levels deep exhausts the stack
    # before check_depth could refuse it, and that is the same refusal.
    try:
        return json.loads(text)
    except RecursionError:
        raise depth_error(field) from None
    except ValueError:
        pass
    try:
        return yaml.load(text, Loader=_PlainYAMLLoader)
    except (RecursionError, _TooDeep):
        raise depth_error(field) from None
    except yaml.YAMLError as err:
        raise ConversionError(field, f"neither JSON nor YAML: {err}") from None


def load_documents(data: bytes, field: str) -> list[Any]:
    """The documents of a JSON file, or of a YAML file with one or more `---` documents."""
    try:
        return [load_document(data, field)]
    except ConversionError as err:
        if "expected a single document" not in err.message:
            raise
    try:
        documents = [d for d in yaml.load_all(data.decode("utf-8"), Loader=_PlainYAMLLoader) if d is not None]
    except (RecursionError, _TooDeep):
        raise depth_error(field) from None
    except yaml.YAMLError as err:
        raise ConversionError(field, f"neither JSON nor YAML: {err}") from None
    for document in documents:
        check_depth(document, field)
    return documents


# JSON may escape UTF-16 halves ("\ud800"); alone they have no UTF-8 form and no answer could carry them.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _refuse_lone_surrogates(document: Any, field: str) -> None:
    try:
        json.dumps(document, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise ConversionError(field, "contains an unpaired UTF-16 surrogate (\\ud800-\\udfff)") from None


def split_request(document: Any, field: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A document is either a VMI or a whole ConvertRequest `{"vmi": ..., "context": ...}`."""
    if not isinstance(document, dict):
        raise ConversionError(field, "expected a JSON/YAML object (a VMI or a ConvertRequest)")
    prefix = f"{field}." if field else ""
    if "vmi" in document or "vmiJson" in document:
        vmi = document.get("vmi")
        if vmi is None:
            vmi = load_document(document["vmiJson"], f"{prefix}vmiJson")
        return check_vmi(vmi, f"{prefix}vmi"), check_context(document.get("context") or {}, f"{prefix}context")
    return check_vmi(document, field), {}


def check_vmi(document: Any, field: str) -> dict[str, Any]:
    """The one VMI a request carries: a VMI, or a VirtualMachine, pool or replica set (its VMI)."""
    found = vmis_in(document, field)
    if len(found) != 1:
        raise ConversionError(field or "vmi", f"expected one VirtualMachineInstance, the List carries {len(found)}")
    vmi = found[0]
    if not isinstance(vmi.get("metadata", {}), dict) or not isinstance(vmi.get("spec", {}), dict):
        raise ConversionError(field or "vmi", "metadata and spec must be objects")
    note_vmi(vmi)
    return vmi


def check_context(context: Any, field: str) -> dict[str, Any]:
    if not isinstance(context, dict):
        raise ConversionError(field, "expected a ConverterContext object")
    return context


def json_vmi_warnings(vmi: dict[str, Any]) -> list[str]:
    """Check a JSON VMI against the contract (a wrong type raises); warnings name unknown fields."""
    from vmi_converter.server.schema import check_json_vmi

    return check_json_vmi(vmi)
