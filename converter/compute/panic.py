"""Panic notifiers (KubeVirt compute/panic_devices.go)."""

from __future__ import annotations

from vmi_converter.converter.common.build import BuildState
from vmi_converter.converter.common.context import Context
from vmi_converter.converter.common.devices import devices_of
from vmi_converter.converter.common.vmi import JSON, devices, items, obj
from vmi_converter.converter.domain.model import Domain, PanicDevice


def configure(vmi: JSON, domain: Domain, ctx: Context, state: BuildState) -> None:
    panics = devices_of(domain).panics
    for spec_panic in items(devices(vmi).get("panicDevices")):
        panics.append(PanicDevice(model=obj(spec_panic).get("model")))
