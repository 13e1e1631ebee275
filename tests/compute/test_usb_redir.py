"""USB redirection configurator: ported from KubeVirt compute/usb_redir_test.go and converter_test.go."""

from __future__ import annotations

import pytest

from vmi_converter.converter.common.build import BuildState
from vmi_converter.converter.common.context import Context
from vmi_converter.converter.common.vmi import JSON
from vmi_converter.converter.compute import usb_redir
from vmi_converter.converter.domain.xmlmodel import to_xml
from vmi_converter.converter.pipeline import convert, new_domain


def _redirdevs(vmi: JSON) -> list[str]:
    domain = new_domain()
    usb_redir.configure(vmi, domain, Context(), BuildState())
    assert domain.devices is not None
    return [to_xml(r, "redirdev") for r in domain.devices.redirdevs]


# KubeVirt: compute/usb_redir_test.go "When ClientPassthrough is nil" "should return not configure any ..."
def test_no_redirection_without_client_passthrough() -> None:
    assert _redirdevs({"metadata": {"uid": "u"}, "spec": {"domain": {}}}) == []


# KubeVirt: compute/usb_redir_test.go "should configure the maximum number of USB redirect devices"
def test_maximum_redirect_devices() -> None:
    vmi = {"metadata": {"uid": "test-vmi-uid"}, "spec": {"domain": {"devices": {"clientPassthrough": {}}}}}
    assert _redirdevs(vmi) == [
        '<redirdev type="unix" bus="usb">\n'
        f'  <source mode="bind" path="/var/run/kubevirt-private/test-vmi-uid/virt-usbredir-{i}"/>\n'
        "</redirdev>\n"
        for i in range(4)
    ]


def _convert(arch: str, devices: JSON) -> tuple[int, list[str]]:
    vmi = {
        "metadata": {"name": "testvmi", "namespace": "mynamespace", "uid": "u"},
        "spec": {"domain": {"resources": {"requests": {"memory": "8192Ki"}},
                            "devices": {"disableHotplug": True,
                                        "inputs": [{"bus": "virtio", "type": "tablet", "name": "tablet0"}],
                                        **devices}}},
    }
    domain = convert(vmi, {"architecture": arch, "allowEmulation": True}).domain
    assert domain.devices is not None
    usb = [to_xml(c, "controller") for c in domain.devices.controllers if c.type == "usb"]
    return len(domain.devices.redirdevs), usb


# KubeVirt: converter_test.go DescribeTable "usb redirection"
@pytest.mark.parametrize(
    ("arch", "model"),
    [
        pytest.param("amd64", "qemu-xhci",
                     id="should be enabled on amd64 when number of USB client devices > 0"),
        pytest.param("arm64", "qemu-xhci", id="should be enabled on arm64"),
        pytest.param("s390x", "none", id="should be disabled on s390x"),
    ],
)
def test_convert_usb_redirection(arch: str, model: str) -> None:
    assert _convert(arch, {"clientPassthrough": {}}) == (
        4, [f'<controller type="usb" index="0" model="{model}"/>\n']
    )


# KubeVirt: converter_test.go "should not enable usb redirection when numberOfDevices == 0"
def test_convert_without_usb_redirection() -> None:
    assert _convert("amd64", {}) == (0, ['<controller type="usb" index="0" model="none"/>\n'])
