"""IOMMUFD (KubeVirt compute/iommufd.go): hand libvirt the launcher's /dev/iommu descriptor."""

from __future__ import annotations

from vmi_converter.converter.common.build import BuildState
from vmi_converter.converter.common.context import Context
from vmi_converter.converter.common.vmi import JSON
from vmi_converter.converter.domain.model import IOMMUFD, Domain


def configure(vmi: JSON, domain: Domain, ctx: Context, state: BuildState) -> None:
    if ctx.iommufd_enabled:
        domain.iommufd = IOMMUFD(enabled="yes", fd_group="iommu")
