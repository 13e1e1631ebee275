"""IOMMUFD (KubeVirt compute/iommufd.go): hand libvirt the launcher's /dev/iommu descriptor."""

from __future__ import annotations

from vmi_converter.converter.context import Context
from vmi_converter.converter.domain.model import IOMMUFD, Domain
from vmi_converter.converter.vmi import JSON


def configure(vmi: JSON, domain: Domain, ctx: Context) -> None:
    if ctx.iommufd_enabled:
        domain.iommufd = IOMMUFD(enabled="yes", fd_group="iommu")
