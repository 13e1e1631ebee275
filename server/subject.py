"""Which VMI the current RPC (or stream item) is about, for its log line.

Decoding reports the VMI here (`note_vmi`); outside an RPC nothing is current and it does nothing.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any


@dataclass
class Subject:
    """The VMI one conversion is about (a Convert call or one ConvertStream item)."""

    id: str = ""
    arch: str = ""
    namespace: str = ""
    name: str = ""


current: ContextVar[Subject | None] = ContextVar("vmi_converter_subject", default=None)


def note_vmi(vmi: dict[str, Any]) -> None:
    subject = current.get()
    if subject is None:
        return
    meta = vmi.get("metadata")
    if isinstance(meta, dict):
        subject.namespace = str(meta.get("namespace") or "")
        subject.name = str(meta.get("name") or "")
