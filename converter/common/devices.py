"""Small helpers shared by the device configurators of every area."""

from __future__ import annotations

from typing import Any

from vmi_converter.converter.common.context import Context
from vmi_converter.converter.domain.model import Devices, Domain

# Per-VMI private directory of the launcher (sockets for VNC, serial, USB redirection).
VIRT_PRIVATE_DIR = "/var/run/kubevirt-private"


def devices_of(domain: Domain) -> Devices:
    """The domain's <devices>, created when missing (KubeVirt's is a value, never nil)."""
    if domain.devices is None:
        domain.devices = Devices()
    return domain.devices


def yes_no(value: Any, default: bool) -> str:
    """`yes`/`no` for an optional JSON boolean; absent means `default`."""
    chosen = default if value is None else value is True
    return "yes" if chosen else "no"


def on_off(value: bool) -> str:
    return "on" if value else "off"


def launch_security_iommu(ctx: Context) -> str | None:
    """`on` when SEV or Secure Execution protects guest memory: virtio devices then need the IOMMU."""
    return "on" if ctx.use_launch_security_sev or ctx.use_launch_security_pv else None
