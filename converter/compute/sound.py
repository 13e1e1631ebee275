"""Sound card (KubeVirt compute/sound.go): ich9 unless ac97 is asked for."""

from __future__ import annotations

from vmi_converter.converter.common.aliases import user_alias
from vmi_converter.converter.common.build import BuildState
from vmi_converter.converter.common.context import Context
from vmi_converter.converter.common.devices import devices_of
from vmi_converter.converter.common.errors import ConversionError
from vmi_converter.converter.common.vmi import JSON, devices
from vmi_converter.converter.domain.model import Domain, SoundCard

_MODELS = ("ich9", "ac97")


def configure(vmi: JSON, domain: Domain, ctx: Context, state: BuildState) -> None:
    sound = devices(vmi).get("sound")
    if not isinstance(sound, dict):
        return
    model = sound.get("model") or "ich9"
    if model not in _MODELS:
        raise ConversionError("spec.domain.devices.sound.model", f"invalid model: {model}")
    devices_of(domain).sounds = [SoundCard(model=model, alias=user_alias(sound.get("name")))]
