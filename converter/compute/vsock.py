"""VSOCK device (KubeVirt compute/vsock.go): the CID virt-controller allocated."""

from __future__ import annotations

from vmi_converter.converter.common.build import BuildState
from vmi_converter.converter.common.context import Context
from vmi_converter.converter.common.devices import devices_of
from vmi_converter.converter.common.errors import ConversionError
from vmi_converter.converter.common.vmi import JSON, status
from vmi_converter.converter.domain.model import CID, VSOCK, Domain

# In a "local" vsock network namespace every guest can use the same well-known CID.
LOCAL_CID = 3


def configure(vmi: JSON, domain: Domain, ctx: Context, state: BuildState) -> None:
    allocated = status(vmi).get("VSOCKCID")
    if allocated is None:
        return
    if isinstance(allocated, bool) or not isinstance(allocated, int) or not 0 <= allocated < 2**32:
        raise ConversionError(
            "status.VSOCKCID", f"invalid VSOCK CID {allocated!r}: expected an unsigned 32-bit integer"
        )
    cid = LOCAL_CID if ctx.vsock_namespace_mode == "local" else allocated
    # vhost-vsock-pci only works with virtio 1.0, hence always non-transitional.
    devices_of(domain).vsock = VSOCK(
        model="virtio-non-transitional",
        cid=CID(auto="no", address=cid or None),
    )
