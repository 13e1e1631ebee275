"""Panic notifiers (KubeVirt compute/panic_devices.go)."""

from __future__ import annotations

from converter.compute.device_common import devices_of
from converter.context import Context
from converter.domain.model import Domain, PanicDevice
from converter.vmi import JSON, devices, items, obj


def configure(vmi: JSON, domain: Domain, ctx: Context) -> None:
    panics = devices_of(domain).panics
    for spec_panic in items(devices(vmi).get("panicDevices")):
        panics.append(PanicDevice(model=obj(spec_panic).get("model")))
