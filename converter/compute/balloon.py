"""Memory balloon (KubeVirt compute/balloon.go)."""

from __future__ import annotations

from vmi_converter.converter.common.build import BuildState
from vmi_converter.converter.common.context import Context
from vmi_converter.converter.common.devices import devices_of, launch_security_iommu, on_off
from vmi_converter.converter.common.virtio import virtio_model
from vmi_converter.converter.common.vmi import JSON, devices
from vmi_converter.converter.domain.model import Domain, MemBalloon, MemBalloonDriver, Stats


def configure(vmi: JSON, domain: Domain, ctx: Context, state: BuildState) -> None:
    if devices(vmi).get("autoattachMemBalloon") is False:
        # libvirt adds a balloon by default; model "none" is the only way to have none.
        devices_of(domain).memballoon = MemBalloon(model="none")
        return
    iommu = launch_security_iommu(ctx)
    period = ctx.mem_balloon_stats_period
    devices_of(domain).memballoon = MemBalloon(
        model=virtio_model(vmi, ctx),
        free_page_reporting=on_off(ctx.free_page_reporting),
        stats=Stats(period=period) if period else None,
        driver=MemBalloonDriver(iommu=iommu) if iommu else None,
    )
