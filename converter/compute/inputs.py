"""Input devices (KubeVirt compute/input_device.go): user tablets plus per-arch defaults."""

from __future__ import annotations

from vmi_converter.converter.common.aliases import user_alias
from vmi_converter.converter.common.arch import ARM64, S390X
from vmi_converter.converter.common.build import BuildState
from vmi_converter.converter.common.context import Context
from vmi_converter.converter.common.devices import devices_of
from vmi_converter.converter.common.errors import ConversionError
from vmi_converter.converter.common.vmi import JSON, devices, items, obj
from vmi_converter.converter.domain.model import Domain, Input

_FIELD = "spec.domain.devices.inputs"
_BUSES = ("usb", "virtio")


def configure(vmi: JSON, domain: Domain, ctx: Context, state: BuildState) -> None:
    spec_devices = devices(vmi)
    spec_inputs = spec_devices.get("inputs")
    dom_devices = devices_of(domain)
    if spec_inputs is not None:
        dom_devices.inputs = [_input_from_spec(obj(s), i) for i, s in enumerate(items(spec_inputs))]
    if spec_devices.get("autoattachGraphicsDevice") is not False:
        dom_devices.inputs.extend(_arch_inputs(ctx.arch.name, items(spec_inputs)))


def _input_from_spec(spec_input: JSON, index: int) -> Input:
    bus = spec_input.get("bus") or "usb"
    if bus not in _BUSES:
        raise ConversionError(f"{_FIELD}[{index}].bus", f"input contains unsupported bus {bus}")
    kind = spec_input.get("type") or ""
    if kind != "tablet":
        raise ConversionError(f"{_FIELD}[{index}].type", f"input contains unsupported type {kind}")
    return Input(
        type=kind,
        bus=bus,
        model="virtio" if bus == "virtio" else None,
        alias=user_alias(spec_input.get("name")),
    )


def _arch_inputs(arch: str, spec_inputs: list[object]) -> list[Input]:
    """Devices a graphical console needs on arches without PS/2 (arm64 and s390x)."""
    if arch == ARM64:
        has_tablet = any(obj(s).get("type") == "tablet" for s in spec_inputs)
        tablet = [] if has_tablet else [Input(type="tablet", bus="usb")]
        return [*tablet, Input(type="keyboard", bus="usb")]
    if arch == S390X:
        return [Input(type="keyboard", bus="virtio")]
    return []
