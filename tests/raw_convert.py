"""convert() the way KubeVirt's converter_test.go calls its converter.

Those tests apply only the generated API defaulters
(`v1.SetObjectDefaults_VirtualMachineInstance`) before converting, never the
admission webhook's defaults (CPU topology, guest memory, CPU model...). Tests
ported from there use this so their inputs mean what they meant in KubeVirt.
"""

from __future__ import annotations

from typing import Any

from vmi_converter.converter import pipeline
from vmi_converter.converter.domain.model import Domain


def with_minimal_memory(vmi: dict[str, Any]) -> dict[str, Any]:
    """KubeVirt's tests build on NewMinimalVMI, which requests 8192Ki of memory; do the same
    when a ported VMI says nothing about memory (a domain without memory is refused)."""
    domain = vmi.setdefault("spec", {}).setdefault("domain", {})
    resources = domain.setdefault("resources", {})
    has_memory = any(
        "memory" in (resources.get(kind) or {}) for kind in ("requests", "limits")
    ) or (domain.get("memory") or {}).get("guest") is not None
    if not has_memory:
        resources.setdefault("requests", {})["memory"] = "8192Ki"
    return vmi


def raw_convert(vmi: dict[str, Any], context: dict[str, Any] | None = None) -> Domain:
    vmi = with_minimal_memory(vmi)
    return pipeline.convert(vmi, context or {}, admission_defaults=False).domain
