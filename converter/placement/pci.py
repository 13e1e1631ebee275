"""The PCI placement stage: KubeVirt's placements after its domain builder, in its order.

The Grace preflight and Grace placement (placement/grace.py) when requested, else NUMA-aligned PCIe
placement for VMIs with dedicated CPUs (placement/numa_expander.py), then root-complex placement when
annotated (placement/root_complex.py). Ported from KubeVirt's converter/pci-placement.go.
"""

from __future__ import annotations

from typing import Any

from vmi_converter.converter.common.build import BuildState
from vmi_converter.converter.common.context import Context
from vmi_converter.converter.common.errors import ConversionError
from vmi_converter.converter.common.pci import PCIPlacementError
from vmi_converter.converter.common.vmi import JSON, domain_spec, metadata, obj
from vmi_converter.converter.domain.model import Domain
from vmi_converter.converter.placement import grace
from vmi_converter.converter.placement.numa_expander import place_pci_devices_with_numa_alignment
from vmi_converter.converter.placement.root_complex import place_pci_devices_on_root_complex

PLACE_ON_ROOT_COMPLEX_ANNOTATION = "kubevirt.io/placePCIDevicesOnRootComplex"
_ROOT_COMPLEX_FIELD = f'metadata.annotations["{PLACE_ON_ROOT_COMPLEX_ANNOTATION}"]'
GRACE_FIELD = "context.graceHostDeviceAliases"


def configure(vmi: JSON, domain: Domain, ctx: Context, state: BuildState) -> None:
    state.warnings.extend(place_pci_devices(vmi, domain, ctx))


def place_pci_devices(vmi: JSON, domain: Domain, ctx: Context) -> list[str]:
    """KubeVirt's post-build placements; returns warnings (a relaxed NUMA placement that failed)."""
    warnings: list[str] = []
    cpu = domain_spec(vmi).get("cpu")
    dedicated = isinstance(cpu, dict) and cpu.get("dedicatedCpuPlacement") is True
    try:
        # The launcher's preflight runs on every conversion here: the context comes from the caller.
        grace.validate_conversion(vmi, ctx)
        if dedicated and grace.requested(ctx):
            grace.configure_for(domain, ctx)
            return warnings  # KubeVirt's Grace path skips the other placements
    except grace.GraceError as err:
        raise ConversionError(GRACE_FIELD, str(err)) from None
    if dedicated and ctx.pci_numa_aware_topology_enabled and ctx.arch.pcie_placement:
        _place_numa_aligned(domain, ctx, obj(obj(cpu).get("numa")).get("guestMappingPassthrough"), warnings)
    on_root_complex = obj(metadata(vmi).get("annotations")).get(PLACE_ON_ROOT_COMPLEX_ANNOTATION) == "true"
    if on_root_complex and ctx.arch.pcie_placement:
        try:
            place_pci_devices_on_root_complex(domain)
        except PCIPlacementError as placement_err:  # one name per exception type: mypyc types it once
            raise ConversionError(_ROOT_COMPLEX_FIELD, str(placement_err)) from None
    return warnings


def _place_numa_aligned(domain: Domain, ctx: Context, passthrough: Any, warnings: list[str]) -> None:
    # Strictness follows the VMI's request for a NUMA passthrough, not the domain's shape.
    strict = passthrough is not None
    try:
        place_pci_devices_with_numa_alignment(domain, ctx, strict=strict)
    except PCIPlacementError as err:
        if strict:
            raise ConversionError(
                "spec.domain.cpu.numa.guestMappingPassthrough",
                f"failed to process strict PCIe NUMA-aware topology: {err}",
            ) from None
        warnings.append(
            f"Failed to process PCIe NUMA-aware topology, falling back to default placement: {err}")

