"""Virtio RNG (KubeVirt compute/rng.go): entropy from the host's /dev/urandom."""

from __future__ import annotations

from vmi_converter.converter.common.build import BuildState
from vmi_converter.converter.common.context import Context
from vmi_converter.converter.common.devices import devices_of, launch_security_iommu
from vmi_converter.converter.common.virtio import virtio_model
from vmi_converter.converter.common.vmi import JSON, devices
from vmi_converter.converter.domain.model import Domain, Rng, RngBackend, RngDriver


def configure(vmi: JSON, domain: Domain, ctx: Context, state: BuildState) -> None:
    if not isinstance(devices(vmi).get("rng"), dict):
        return
    iommu = launch_security_iommu(ctx)
    devices_of(domain).rng = Rng(
        model=virtio_model(vmi, ctx),
        backend=RngBackend(model="random", source="/dev/urandom"),
        driver=RngDriver(iommu=iommu) if iommu else None,
    )
