"""Watchdog device (KubeVirt compute/watchdog.go): i6300esb on amd64, diag288 on s390x."""

from __future__ import annotations

from vmi_converter.converter.common.aliases import user_alias
from vmi_converter.converter.common.arch import AMD64, ARM64, S390X
from vmi_converter.converter.common.build import BuildState
from vmi_converter.converter.common.context import Context
from vmi_converter.converter.common.devices import devices_of
from vmi_converter.converter.common.errors import ConversionError
from vmi_converter.converter.common.vmi import JSON, devices
from vmi_converter.converter.domain.model import Domain, Watchdog

_FIELD = "spec.domain.devices.watchdog"
# The watchdog model each arch supports, keyed by its VMI field name.
_ARCH_MODEL = {AMD64: "i6300esb", S390X: "diag288"}


def configure(vmi: JSON, domain: Domain, ctx: Context, state: BuildState) -> None:
    watchdog = devices(vmi).get("watchdog")
    if not isinstance(watchdog, dict):
        return
    if ctx.arch.name == ARM64:
        raise ConversionError(_FIELD, "watchdog is not supported on architecture ARM64")
    model = _ARCH_MODEL[ctx.arch.name]
    device = watchdog.get(model)
    if not isinstance(device, dict):
        name = watchdog.get("name") or ""
        raise ConversionError(
            f"{_FIELD}.{model}", f"watchdog {name} can't be mapped, no watchdog type specified"
        )
    devices_of(domain).watchdogs.append(
        # KubeVirt always writes the action attribute, even when it is empty.
        Watchdog(model=model, action=str(device.get("action") or ""), alias=user_alias(watchdog.get("name")))
    )
