"""IOMMUFD (KubeVirt compute/iommufd.go): hand libvirt the launcher's /dev/iommu descriptor."""

from __future__ import annotations

from converter.context import Context
from converter.domain.model import IOMMUFD, Domain
from converter.vmi import JSON


def configure(vmi: JSON, domain: Domain, ctx: Context) -> None:
    if ctx.iommufd_enabled:
        domain.iommufd = IOMMUFD(enabled="yes", fd_group="iommu")
