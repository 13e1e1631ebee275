"""Sound configurator: ported from KubeVirt compute/sound_test.go and converter_test.go."""

from __future__ import annotations

import pytest
from raw_convert import with_minimal_memory

from vmi_converter.converter.common.build import BuildState
from vmi_converter.converter.common.context import Context
from vmi_converter.converter.common.errors import ConversionError
from vmi_converter.converter.common.vmi import JSON
from vmi_converter.converter.compute import sound
from vmi_converter.converter.domain.xmlmodel import to_xml
from vmi_converter.converter.pipeline import convert, new_domain


def _sounds(vmi: JSON) -> list[str]:
    domain = new_domain()
    sound.configure(vmi, domain, Context(), BuildState())
    assert domain.devices is not None
    return [to_xml(s, "sound") for s in domain.devices.sounds]


def _vmi(spec_sound: JSON | None) -> JSON:
    return {"spec": {"domain": {"devices": {} if spec_sound is None else {"sound": spec_sound}}}}


def _card(model: str, name: str = "sound-device") -> str:
    return f'<sound model="{model}">\n  <alias name="ua-{name}"/>\n</sound>\n'


# KubeVirt: compute/sound_test.go "Should not configure a sound device when sound is unspecified in VMI"
def test_no_sound_when_unspecified() -> None:
    assert _sounds(_vmi(None)) == []


# KubeVirt: compute/sound_test.go DescribeTable
# "Should configure a sound device when sound is specified in VMI"
@pytest.mark.parametrize(
    ("spec_sound", "model"),
    [
        pytest.param({"name": "sound-device"}, "ich9", id="when only name is specified"),
        pytest.param({"name": "sound-device", "model": "ich9"}, "ich9",
                     id="when name and ich9 model are specified"),
        pytest.param({"name": "sound-device", "model": "ac97"}, "ac97",
                     id="when name and ac97 model are specified"),
    ],
)
def test_sound_device(spec_sound: JSON, model: str) -> None:
    assert _sounds(_vmi(spec_sound)) == [_card(model)]


# KubeVirt: compute/sound_test.go "should fail when an invalid model is specified"
def test_invalid_model() -> None:
    with pytest.raises(ConversionError) as err:
        _sounds(_vmi({"name": "sound-device", "model": "invalid-model"}))
    assert err.value.field == "spec.domain.devices.sound.model"
    assert err.value.message == "invalid model: invalid-model"


# KubeVirt: converter_test.go "should not enable sound cards emulation by default",
# "should enable default sound card with existing but empty sound devices", "should enable ac97 sound card "
@pytest.mark.parametrize(
    ("spec_sound", "expected"),
    [
        pytest.param(None, [], id="should not enable sound cards emulation by default"),
        pytest.param({"name": "audio-default-ich9"}, [_card("ich9", "audio-default-ich9")],
                     id="should enable default sound card with existing but empty sound devices"),
        pytest.param({"name": "audio-ac97", "model": "ac97"}, [_card("ac97", "audio-ac97")],
                     id="should enable ac97 sound card"),
    ],
)
def test_convert_sound(spec_sound: JSON | None, expected: list[str]) -> None:
    vmi = _vmi(spec_sound)
    vmi["metadata"] = {"name": "testvmi", "namespace": "mynamespace"}
    domain = convert(with_minimal_memory(vmi), {"allowEmulation": True}).domain
    assert domain.devices is not None
    assert [to_xml(s, "sound") for s in domain.devices.sounds] == expected
