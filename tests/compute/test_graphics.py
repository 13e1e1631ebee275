"""Graphics and video configurator: ported from KubeVirt compute/graphics_test.go and converter_test.go."""

from __future__ import annotations

import pytest
from raw_convert import with_minimal_memory

from vmi_converter.converter.common.build import BuildState
from vmi_converter.converter.common.context import context_from_dict
from vmi_converter.converter.common.vmi import JSON
from vmi_converter.converter.compute import graphics
from vmi_converter.converter.domain.model import Domain
from vmi_converter.converter.domain.xmlmodel import to_xml
from vmi_converter.converter.pipeline import convert, new_domain

ARCHES = ["amd64", "arm64", "s390x"]
VNC = (
    '<graphics type="vnc">\n'
    '  <listen type="socket" socket="/var/run/kubevirt-private/test-uid/virt-vnc"/>\n'
    "</graphics>\n"
)
VGA = '<video>\n  <model type="vga" heads="1" vram="16384"/>\n</video>\n'
VIRTIO = '<video>\n  <model type="virtio" heads="1"/>\n</video>\n'
BOCHS = '<video>\n  <model type="bochs" heads="1"/>\n</video>\n'
ARCH_VIDEO = {"amd64": VGA, "arm64": VIRTIO, "s390x": VIRTIO}


def _configure(vmi: JSON, arch: str, *, bochs: bool = False, cross_arch: bool = False) -> Domain:
    domain = new_domain()
    ctx = context_from_dict(
        {"architecture": arch, "bochsForEFIGuests": bochs, "allowCrossArchEmulation": cross_arch}
    )
    graphics.configure(vmi, domain, ctx, BuildState())
    return domain


def _xml(domain: Domain) -> tuple[list[str], list[str]]:
    assert domain.devices is not None
    return (
        [to_xml(v, "video") for v in domain.devices.videos],
        [to_xml(g, "graphics") for g in domain.devices.graphics],
    )


def _vmi(devices: JSON | None = None, **domain: object) -> JSON:
    return {"metadata": {"uid": "test-uid"}, "spec": {"domain": {"devices": devices or {}, **domain}}}


# KubeVirt: compute/graphics_test.go
# "should not configure video and VNC when AutoattachGraphicsDevice is false"
@pytest.mark.parametrize("arch", ARCHES)
def test_nothing_when_autoattach_disabled(arch: str) -> None:
    assert _xml(_configure(_vmi({"autoattachGraphicsDevice": False}), arch)) == ([], [])


# KubeVirt: compute/graphics_test.go DescribeTable "should configure video and VNC"
@pytest.mark.parametrize("arch", ARCHES)
@pytest.mark.parametrize("autoattach", [True, None], ids=["AutoattachGraphicsDevice is true", "is nil"])
def test_video_and_vnc(arch: str, autoattach: bool | None) -> None:
    devices = {} if autoattach is None else {"autoattachGraphicsDevice": autoattach}
    assert _xml(_configure(_vmi(devices), arch)) == ([ARCH_VIDEO[arch]], [VNC])


# KubeVirt: compute/graphics_test.go "should disable graphics when cross-arch emulation is enabled"
def test_cross_arch_emulation_disables_graphics() -> None:
    assert _xml(_configure(_vmi(), "amd64", cross_arch=True)) == ([], [])


# KubeVirt: compute/graphics_test.go DescribeTable "Should use user-specified video type when provided"
@pytest.mark.parametrize("arch", ARCHES)
@pytest.mark.parametrize("bochs", [True, False], ids=["with bochsForEFI", "without bochsForEFI"])
def test_user_video_type(arch: str, bochs: bool) -> None:
    domain = _configure(_vmi({"video": {"type": "virtio"}}), arch, bochs=bochs)
    assert _xml(domain) == (['<video>\n  <model type="virtio" heads="1" vram="16384"/>\n</video>\n'], [VNC])


EFI = {"firmware": {"bootloader": {"efi": {"secureBoot": True}}}, "features": {"smm": {"enabled": True}}}


# KubeVirt: compute/graphics_test.go DescribeTable "amd64 defaults to VGA with VRAM"
@pytest.mark.parametrize(
    ("domain_spec", "bochs"),
    [
        pytest.param({}, False, id="non-EFI with bochsForEFI disabled"),
        pytest.param({}, True, id="non-EFI with bochsForEFI enabled"),
        pytest.param(EFI, False, id="EFI with bochsForEFI disabled"),
    ],
)
def test_amd64_defaults_to_vga(domain_spec: JSON, bochs: bool) -> None:
    assert _xml(_configure(_vmi(None, **domain_spec), "amd64", bochs=bochs)) == ([VGA], [VNC])


# KubeVirt: compute/graphics_test.go "amd64 EFI with Bochs enabled uses Bochs"
def test_amd64_efi_with_bochs() -> None:
    assert _xml(_configure(_vmi(None, **EFI), "amd64", bochs=True)) == ([BOCHS], [VNC])


def _convert(vmi: JSON, context: JSON) -> Domain:
    context = {"allowEmulation": True, "hypervisorDeviceAvailable": True, **context}
    return convert(with_minimal_memory(vmi), context).domain


def _small_vmi(devices: JSON) -> JSON:
    return {
        "metadata": {"name": "testvmi", "namespace": "default", "uid": "1234"},
        "spec": {"domain": {"cpu": {"cores": 3},
                            "resources": {"requests": {"cpu": "1m", "memory": "64M"}},
                            "devices": devices}},
    }


# KubeVirt: converter_test.go "graphics and video device"
# DescribeTable "should check autoAttachGraphicsDevices"
@pytest.mark.parametrize("arch", ARCHES)
@pytest.mark.parametrize(
    ("autoattach", "count"),
    [
        pytest.param(None, 1, id="and add the graphics and video device if it is not set"),
        pytest.param(True, 1, id="and add the graphics and video device if it is set to true"),
        pytest.param(False, 0, id="and not add the graphics and video device if it is set to false"),
    ],
)
def test_convert_autoattach_graphics(arch: str, autoattach: bool | None, count: int) -> None:
    devices = {} if autoattach is None else {"autoattachGraphicsDevice": autoattach}
    domain = _convert(_small_vmi(devices), {"architecture": arch})
    assert domain.devices is not None
    assert (len(domain.devices.videos), len(domain.devices.graphics)) == (count, count)
    if not count:
        return
    video = domain.devices.videos[0].model
    assert video is not None
    inputs = [(i.type, i.bus) for i in domain.devices.inputs]
    if arch == "amd64":
        assert (video.type, inputs) == ("vga", [])
    elif arch == "arm64":
        assert (video.type, inputs) == ("virtio", [("tablet", "usb"), ("keyboard", "usb")])
    else:
        assert (video.type, inputs) == ("virtio", [("keyboard", "virtio")])


# KubeVirt: converter_test.go DescribeTable "should check video device"
# "and use the explicitly set video device"
@pytest.mark.parametrize("arch", ARCHES)
def test_convert_explicit_video(arch: str) -> None:
    devices = {"autoattachGraphicsDevice": True, "video": {"type": "test-video"}}
    vmi = {"metadata": {"name": "t", "namespace": "ns"}, "spec": {"domain": {"devices": devices}}}
    domain = _convert(vmi, {"architecture": arch})
    assert domain.devices is not None
    assert [to_xml(v, "video") for v in domain.devices.videos] == [
        '<video>\n  <model type="test-video" heads="1" vram="16384"/>\n</video>\n'
    ]


# KubeVirt: converter_test.go DescribeTable "Should have one vnc"
@pytest.mark.parametrize("arch", ARCHES)
def test_convert_has_one_vnc(arch: str) -> None:
    vmi = {"metadata": {"name": "testvmi", "namespace": "default", "uid": "1234"}, "spec": {"domain": {}}}
    domain = _convert(vmi, {"architecture": arch})
    assert domain.devices is not None
    assert [g.type for g in domain.devices.graphics] == ["vnc"]


# KubeVirt: converter_test.go "Bootloader" DescribeTable "display device should be set to"
@pytest.mark.parametrize(
    ("arch", "bootloader", "bochs", "expected"),
    [
        pytest.param("amd64", {"bios": {}}, False, VGA, id="VGA on amd64 with BIOS and Bochs unset"),
        pytest.param("amd64", {"bios": {}}, True, VGA, id="VGA on amd64 with BIOS and Bochs set"),
        pytest.param("amd64", {"efi": {}}, False, VGA, id="VGA on amd64 with EFI and Bochs unset"),
        pytest.param("amd64", {"efi": {}}, True, BOCHS, id="Bochs on amd64 with EFI and Bochs set"),
        pytest.param("arm64", {"bios": {}}, False, VIRTIO, id="VIRTIO on arm64 with BIOS and Bochs unset"),
        pytest.param("arm64", {"bios": {}}, True, VIRTIO, id="VIRTIO on arm64 with BIOS and Bochs set"),
        pytest.param("arm64", {"efi": {}}, False, VIRTIO, id="VIRTIO on arm64 with EFI and Bochs unset"),
        pytest.param("arm64", {"efi": {}}, True, VIRTIO, id="VIRTIO on arm64 with EFI and Bochs set"),
        pytest.param("s390x", {"bios": {}}, False, VIRTIO, id="VIRTIO on s390x with BIOS and Bochs unset"),
        pytest.param("s390x", {"bios": {}}, True, VIRTIO, id="VIRTIO on s390x with BIOS and Bochs set"),
        pytest.param("s390x", {"efi": {}}, False, VIRTIO, id="VIRTIO on s390x with EFI and Bochs unset"),
        pytest.param("s390x", {"efi": {}}, True, VIRTIO, id="VIRTIO on s390x with EFI and Bochs set"),
    ],
)
def test_convert_display_device(arch: str, bootloader: JSON, bochs: bool, expected: str) -> None:
    vmi = {
        "metadata": {"name": "testvmi", "namespace": "mynamespace", "uid": "test-uid"},
        "spec": {"domain": {"resources": {"requests": {"memory": "8192Ki"}},
                            "firmware": {"bootloader": bootloader}}},
    }
    context = {"architecture": arch, "bochsForEFIGuests": bochs, "allowEmulation": True, "efiConfiguration": {}}
    domain = convert(with_minimal_memory(vmi), context).domain
    assert domain.devices is not None
    assert [to_xml(v, "video") for v in domain.devices.videos] == [expected]
