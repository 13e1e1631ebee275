"""Input device configurator: ported from KubeVirt compute/input_device_test.go and converter_test.go."""

from __future__ import annotations

import pytest

from vmi_converter.converter.common.build import BuildState
from vmi_converter.converter.common.context import context_from_dict
from vmi_converter.converter.common.errors import ConversionError
from vmi_converter.converter.common.vmi import JSON
from vmi_converter.converter.compute import inputs
from vmi_converter.converter.domain.xmlmodel import to_xml
from vmi_converter.converter.pipeline import convert, new_domain


def _inputs(vmi: JSON, arch: str = "amd64") -> list[str]:
    domain = new_domain()
    inputs.configure(vmi, domain, context_from_dict({"architecture": arch}), BuildState())
    assert domain.devices is not None
    return [to_xml(i, "input") for i in domain.devices.inputs]


def _vmi(**devices: object) -> JSON:
    return {"spec": {"domain": {"devices": devices}}}


# KubeVirt: compute/input_device_test.go DescribeTable "should configure user-specified input devices"
@pytest.mark.parametrize("arch", ["amd64", "arm64", "s390x"])
@pytest.mark.parametrize(
    ("bus", "model"), [("usb", ""), ("virtio", ' model="virtio"')], ids=["with USB bus", "with virtio bus"]
)
def test_user_specified_inputs(arch: str, bus: str, model: str) -> None:
    vmi = _vmi(inputs=[{"name": "my-tablet", "bus": bus, "type": "tablet"}], autoattachGraphicsDevice=False)
    assert _inputs(vmi, arch) == [
        f'<input type="tablet" bus="{bus}"{model}>\n  <alias name="ua-my-tablet"/>\n</input>\n'
    ]


# KubeVirt: compute/input_device_test.go DescribeTable "should return error for invalid input devices"
@pytest.mark.parametrize(
    ("bus", "kind", "field", "message"),
    [
        pytest.param("ps2", "tablet", "bus", "input contains unsupported bus ps2", id="unsupported bus"),
        pytest.param("usb", "keyboard", "type", "input contains unsupported type keyboard",
                     id="unsupported type"),
    ],
)
def test_invalid_inputs(bus: str, kind: str, field: str, message: str) -> None:
    with pytest.raises(ConversionError) as err:
        _inputs(_vmi(inputs=[{"name": "invalid", "type": kind, "bus": bus}]))
    assert err.value.field == f"spec.domain.devices.inputs[0].{field}"
    assert err.value.message == message


USB_TABLET = '<input type="tablet" bus="usb"/>\n'
USB_KEYBOARD = '<input type="keyboard" bus="usb"/>\n'
VIRTIO_KEYBOARD = '<input type="keyboard" bus="virtio"/>\n'


# KubeVirt: compute/input_device_test.go DescribeTable
# "should add architecture-specific input devices when AutoattachGraphicsDevice is nil or true"
@pytest.mark.parametrize(
    ("arch", "autoattach", "expected"),
    [
        pytest.param("amd64", None, [], id="amd64 adds no input devices when nil"),
        pytest.param("amd64", True, [], id="amd64 adds no input devices when true"),
        pytest.param("arm64", None, [USB_TABLET, USB_KEYBOARD], id="arm64 adds tablet and keyboard when nil"),
        pytest.param("arm64", True, [USB_TABLET, USB_KEYBOARD],
                     id="arm64 adds tablet and keyboard when true"),
        pytest.param("s390x", None, [VIRTIO_KEYBOARD], id="s390x adds virtio keyboard when nil"),
        pytest.param("s390x", True, [VIRTIO_KEYBOARD], id="s390x adds virtio keyboard when true"),
    ],
)
def test_arch_specific_inputs(arch: str, autoattach: bool | None, expected: list[str]) -> None:
    vmi = _vmi() if autoattach is None else _vmi(autoattachGraphicsDevice=autoattach)
    assert _inputs(vmi, arch) == expected


# KubeVirt: compute/input_device_test.go DescribeTable
# "should not add architecture-specific input devices when AutoattachGraphicsDevice is false"
@pytest.mark.parametrize("arch", ["amd64", "arm64", "s390x"])
def test_no_arch_inputs_without_graphics(arch: str) -> None:
    assert _inputs(_vmi(autoattachGraphicsDevice=False), arch) == []


def test_arm64_keeps_user_tablet_and_adds_only_keyboard() -> None:
    vmi = _vmi(inputs=[{"name": "t", "bus": "virtio", "type": "tablet"}])
    assert _inputs(vmi, "arm64") == [
        '<input type="tablet" bus="virtio" model="virtio">\n  <alias name="ua-t"/>\n</input>\n',
        USB_KEYBOARD,
    ]


# KubeVirt: converter_test.go "should fail when input device is set to ps2 bus" / "... keyboard type" /
# "should succeed when input device is set to usb bus" / "should succeed when input device bus is empty"
def _convert_with_input(spec_input: JSON) -> list[str]:
    vmi = {
        "metadata": {"name": "testvmi", "namespace": "mynamespace"},
        "spec": {"domain": {"resources": {"requests": {"memory": "8192Ki"}},
                            "devices": {"inputs": [spec_input]}}},
    }
    domain = convert(vmi, {"allowEmulation": True}).domain
    assert domain.devices is not None
    return [to_xml(i, "input") for i in domain.devices.inputs]


@pytest.mark.parametrize(
    ("spec_input", "message"),
    [
        pytest.param({"bus": "ps2", "type": "tablet", "name": "tablet0"}, "unsupported bus ps2",
                     id="should fail when input device is set to ps2 bus"),
        pytest.param({"bus": "virtio", "type": "keyboard", "name": "tablet0"}, "unsupported type keyboard",
                     id="should fail when input device is set to keyboard type"),
    ],
)
def test_convert_rejects_invalid_input(spec_input: JSON, message: str) -> None:
    with pytest.raises(ConversionError, match=message):
        _convert_with_input(spec_input)


@pytest.mark.parametrize("bus", ["usb", ""], ids=["should succeed when input device is set to usb bus",
                                                  "should succeed when input device bus is empty"])
def test_convert_usb_or_empty_bus(bus: str) -> None:
    assert _convert_with_input({"bus": bus, "type": "tablet", "name": "tablet0"}) == [
        '<input type="tablet" bus="usb">\n  <alias name="ua-tablet0"/>\n</input>\n'
    ]
