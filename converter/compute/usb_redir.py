"""USB redirection (KubeVirt compute/usb_redir.go): client passthrough over unix sockets."""

from __future__ import annotations

from vmi_converter.converter.common.build import BuildState
from vmi_converter.converter.common.context import Context
from vmi_converter.converter.common.devices import VIRT_PRIVATE_DIR, devices_of
from vmi_converter.converter.common.vmi import JSON, devices, uid
from vmi_converter.converter.domain.model import Domain, RedirectedDevice, RedirectedDeviceSource

# The API takes no count: every VMI with clientPassthrough gets the maximum.
MAX_CLIENT_PASSTHROUGH_DEVICES = 4


def configure(vmi: JSON, domain: Domain, ctx: Context, state: BuildState) -> None:
    if not isinstance(devices(vmi).get("clientPassthrough"), dict):
        return
    devices_of(domain).redirdevs = [
        RedirectedDevice(
            type="unix",
            bus="usb",
            source=RedirectedDeviceSource(
                mode="bind", path=f"{VIRT_PRIVATE_DIR}/{uid(vmi)}/virt-usbredir-{index}"
            ),
        )
        for index in range(MAX_CLIENT_PASSTHROUGH_DEVICES)
    ]
