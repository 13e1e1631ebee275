"""Serial console (KubeVirt compute/console.go): a unix-socket serial port and its pty console."""

from __future__ import annotations

from vmi_converter.converter.common.build import BuildState
from vmi_converter.converter.common.context import Context
from vmi_converter.converter.common.devices import VIRT_PRIVATE_DIR, devices_of
from vmi_converter.converter.common.vmi import JSON, devices, uid
from vmi_converter.converter.domain.model import (
    Console,
    ConsoleTarget,
    Domain,
    Serial,
    SerialLog,
    SerialSource,
    SerialTarget,
)

_PORT = 0


def configure(vmi: JSON, domain: Domain, ctx: Context, state: BuildState) -> None:
    if devices(vmi).get("autoattachSerialConsole") is False:
        return
    dom_devices = devices_of(domain)
    dom_devices.consoles = [Console(type="pty", target=ConsoleTarget(type="serial", port=_PORT))]
    socket = f"{VIRT_PRIVATE_DIR}/{uid(vmi)}/virt-serial{_PORT}"
    dom_devices.serials = [
        Serial(
            type="unix",
            target=SerialTarget(port=_PORT),
            source=SerialSource(mode="bind", path=socket),
            log=SerialLog(file=f"{socket}-log", append="on") if ctx.serial_console_log else None,
        )
    ]
