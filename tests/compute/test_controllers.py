"""Controllers configurator: ported from KubeVirt compute/controllers_test.go, converter_test.go
(SCSI/USB controllers, pcihole64, virtio-transitional, hotplug) and arch/converter_test.go (IsUSBNeeded)."""

from __future__ import annotations

from typing import Any

import pytest
from raw_convert import with_minimal_memory

from vmi_converter.converter.common.build import BuildState
from vmi_converter.converter.common.context import Context, context_from_dict
from vmi_converter.converter.common.vmi import JSON
from vmi_converter.converter.compute import balloon, controllers, rng
from vmi_converter.converter.compute.controllers import ControllerOptions, add_controllers, is_usb_needed
from vmi_converter.converter.domain.model import Controller, Domain
from vmi_converter.converter.domain.xmlmodel import to_xml
from vmi_converter.converter.pipeline import convert, new_domain

USB_NONE = '<controller type="usb" index="0" model="none"/>\n'
USB_XHCI = '<controller type="usb" index="0" model="qemu-xhci"/>\n'
SCSI = '<controller type="scsi" index="0" model="test-model"/>\n'
SERIAL = '<controller type="virtio-serial" index="0" model="virtio-test-model"/>\n'
PCIE_ROOT = (
    '<controller type="pci" index="0" model="pcie-root">\n'
    '  <pcihole64 unit="KiB">0</pcihole64>\n'
    "</controller>\n"
)


def _scsi_with_driver(driver: str) -> str:
    return f'<controller type="scsi" index="0" model="test-model">\n  <driver {driver}/>\n</controller>\n'


def _xml(domain: Domain) -> list[str]:
    assert domain.devices is not None
    return [to_xml(c, "controller") for c in domain.devices.controllers]


def _add(vmi: JSON, **options: Any) -> list[str]:
    domain = new_domain()
    add_controllers(vmi, domain, ControllerOptions(**options))
    return _xml(domain)


def _vmi(*disks: JSON, hotplug: bool = True, **devices: Any) -> JSON:
    """libvmi.New(...) with libvmi.WithDisk(...) disks (bus, dedicatedIOThread)."""
    spec_devices: JSON = {"disks": list(disks), **devices}
    if not hotplug:
        spec_devices["disableHotplug"] = True
    return {"spec": {"domain": {"devices": spec_devices}}}


def _disk(name: str, bus: str, dedicated: bool | None = None) -> JSON:
    disk: JSON = {"name": name, "disk": {"bus": bus}}
    if dedicated is not None:
        disk["dedicatedIOThread"] = dedicated
    return disk


TEST_MODELS = {"scsi_model": "test-model", "virtio_serial_model": "virtio-test-model"}


# KubeVirt: compute/controllers_test.go DescribeTable "should configure USB and SCSI controllers"
@pytest.mark.parametrize(
    ("vmi", "usb_needed", "auto_threads", "expected"),
    [
        pytest.param(_vmi(hotplug=False), False, 0, [USB_NONE, SERIAL],
                     id="when USB is NOT needed and disk hotplug is disabled"),
        pytest.param(_vmi(hotplug=False), True, 0, [USB_XHCI, SERIAL],
                     id="when USB is needed and disk hotplug is disabled"),
        pytest.param(_vmi(), False, 0, [USB_NONE, SCSI, SERIAL],
                     id="when USB is NOT needed and disk hotplug is enabled"),
        pytest.param(_vmi(), True, 0, [USB_XHCI, SCSI, SERIAL],
                     id="when USB is needed and disk hotplug is enabled"),
        pytest.param(_vmi(_disk("scsi-disk", "scsi"), hotplug=False), False, 0, [USB_NONE, SCSI, SERIAL],
                     id="when VMI has SCSI disk and disk hotplug is disabled"),
        pytest.param(_vmi(_disk("scsi-disk", "scsi")), False, 0, [USB_NONE, SCSI, SERIAL],
                     id="when VMI has SCSI disk and disk hotplug is enabled"),
        pytest.param(_vmi(_disk("scsi-disk", "scsi")), True, 0, [USB_XHCI, SCSI, SERIAL],
                     id="when VMI has SCSI disk and USB is needed"),
        pytest.param(
            _vmi(_disk("scsi-disk", "scsi", True), _disk("virtio-disk", "virtio")), False, 4,
            [USB_NONE, _scsi_with_driver('iothread="2" queues="1"'), SERIAL],
            id="when VMI has SCSI disk with dedicatedIOThread and Virtio disk, "
               "VMI has 4 shared IO threads"),
        pytest.param(
            _vmi(_disk("scsi-disk", "scsi", True), _disk("virtio-disk1", "virtio"),
                 _disk("virtio-disk2", "virtio")),
            False, 2, [USB_NONE, _scsi_with_driver('iothread="1" queues="1"'), SERIAL],
            id="when VMI has SCSI disk with dedicatedIOThread and Virtio disks, VMI has 2 shared IO threads, "
               "should roll over controller thread"),
        pytest.param(
            _vmi(_disk("scsi-disk1", "scsi", True), _disk("scsi-disk2", "scsi", True)), False, 4,
            [USB_NONE, _scsi_with_driver('iothread="1" queues="1"'), SERIAL],
            id="when VMI has multiple SCSI disks with dedicatedIOThread, "
               "VMI has 4 shared IO threads"),
        pytest.param(_vmi(_disk("scsi-disk", "scsi")), False, 0, [USB_NONE, SCSI, SERIAL],
                     id="when VMI has SCSI disk with dedicatedIOThread and VMI has no IOThreads"),
        pytest.param(_vmi(_disk("scsi-disk", "scsi")), False, 4, [USB_NONE, SCSI, SERIAL],
                     id="when VMI has SCSI disk without dedicatedIOThread and VMI has IOThreads"),
    ],
)
def test_usb_and_scsi_controllers(
    vmi: JSON, usb_needed: bool, auto_threads: int, expected: list[str]
) -> None:
    assert _add(vmi, usb_needed=usb_needed, auto_threads=auto_threads, **TEST_MODELS) == expected


def _annotated(value: str | None) -> JSON:
    vmi = _vmi()
    if value is not None:
        vmi["metadata"] = {"annotations": {"kubevirt.io/disablePCIHole64": value}}
    return vmi


# KubeVirt: compute/controllers_test.go DescribeTable
# "should configure PCI controller based on arch support and annotation"
@pytest.mark.parametrize(
    ("value", "supported", "expected"),
    [
        pytest.param(None, False, [USB_NONE, SCSI, SERIAL],
                     id="when arch does not support PCIHole64 disabling, annotation not set"),
        pytest.param("true", False, [USB_NONE, SCSI, SERIAL],
                     id="when arch does not support PCIHole64 disabling, annotation set"),
        pytest.param(None, True, [USB_NONE, SCSI, SERIAL],
                     id="when arch supports PCIHole64 disabling, annotation not set"),
        pytest.param("false", True, [USB_NONE, SCSI, SERIAL],
                     id="when arch supports PCIHole64 disabling, annotation set to false"),
        pytest.param("true", True, [USB_NONE, SCSI, PCIE_ROOT, SERIAL],
                     id="when arch supports PCIHole64 disabling and annotation is true"),
    ],
)
def test_pci_controller(value: str | None, supported: bool, expected: list[str]) -> None:
    assert _add(_annotated(value), pcihole64_disabling=supported, **TEST_MODELS) == expected


def test_pcihole64_annotation_is_case_insensitive() -> None:
    assert PCIE_ROOT in _add(_annotated("TRUE"), pcihole64_disabling=True, **TEST_MODELS)


SERIAL_IOMMU = (
    '<controller type="virtio-serial" index="0" model="virtio-test-model">\n'
    '  <driver iommu="on"/>\n'
    "</controller>\n"
)


# KubeVirt: compute/controllers_test.go DescribeTable
# "should set IOMMU on SCSI and virtio-serial controllers when launch security is active"
@pytest.mark.parametrize(
    ("vmi", "auto_threads", "scsi_driver"),
    [
        pytest.param(_vmi(), 0, 'iommu="on"',
                     id="when SEV is active, SCSI and virtio-serial get IOMMU driver"),
        pytest.param(_vmi(), 0, 'iommu="on"',
                     id="when PV is active, SCSI and virtio-serial get IOMMU driver"),
        pytest.param(
            _vmi(_disk("scsi-disk", "scsi", True), _disk("virtio-disk", "virtio")), 4,
            'iothread="2" queues="1" iommu="on"',
            id="when SEV is active with SCSI IOThreads, "
               "IOMMU is preserved alongside IOThread and Queues"),
    ],
)
def test_launch_security_iommu(vmi: JSON, auto_threads: int, scsi_driver: str) -> None:
    assert _add(vmi, iommu="on", auto_threads=auto_threads, **TEST_MODELS) == [
        USB_NONE, _scsi_with_driver(scsi_driver), SERIAL_IOMMU,
    ]


@pytest.mark.parametrize(("sev", "pv"), [(True, False), (False, True)], ids=["SEV", "PV"])
def test_launch_security_context_sets_iommu(sev: bool, pv: bool) -> None:
    domain = new_domain()
    ctx = context_from_dict({"useLaunchSecuritySEV": sev, "useLaunchSecurityPV": pv})
    controllers.configure(_vmi(hotplug=False), domain, ctx, BuildState())
    assert _xml(domain)[-1] == SERIAL_IOMMU.replace("virtio-test-model", "virtio-non-transitional")


# KubeVirt: compute/controllers_test.go DescribeTable
# "should configure virtio-serial controller based on serial console setting"
@pytest.mark.parametrize(
    ("devices", "expected"),
    [
        pytest.param({}, [USB_NONE, SERIAL], id="when serial console is enabled by default (nil)"),
        pytest.param({"autoattachSerialConsole": True}, [USB_NONE, SERIAL],
                     id="when serial console is explicitly enabled"),
        pytest.param({"autoattachSerialConsole": False}, [USB_NONE], id="when serial console is disabled"),
    ],
)
def test_virtio_serial_controller(devices: JSON, expected: list[str]) -> None:
    assert _add(_vmi(hotplug=False, **devices), virtio_serial_model="virtio-test-model") == expected


# KubeVirt: arch/converter_test.go "IsUSBNeeded on AMD64"
# "should require a USB controller on amd64 when an input device has an empty bus"
def test_usb_needed_for_input_without_bus() -> None:
    assert is_usb_needed(_vmi(inputs=[{}]), Context()) is True


@pytest.mark.parametrize(
    ("devices", "usb_resources", "needed"),
    [
        pytest.param({}, [], False, id="nothing needs USB"),
        pytest.param({"inputs": [{"bus": "virtio", "type": "tablet"}]}, [], False, id="virtio input"),
        pytest.param({"inputs": [{"bus": "usb", "type": "tablet"}]}, [], True, id="usb input"),
        pytest.param({"disks": [_disk("d", "usb")]}, [], True, id="usb disk"),
        pytest.param({"disks": [{"name": "c", "cdrom": {"bus": "usb"}}]}, [], False,
                     id="only disk targets count, not cdroms"),
        pytest.param({"clientPassthrough": {}}, [], True, id="client passthrough"),
        pytest.param({"hostDevices": [{"name": "h", "deviceName": "example.com/usb"}]}, [], False,
                     id="host device without USB resources on the launcher"),
        pytest.param({"hostDevices": [{"name": "h", "deviceName": "example.com/usb"}]},
                     ["example.com/usb"], True, id="host device with USB resources on the launcher"),
    ],
)
def test_usb_needed_on_amd64(devices: JSON, usb_resources: list[str], needed: bool) -> None:
    vmi = {"spec": {"domain": {"devices": devices}}}
    assert is_usb_needed(vmi, context_from_dict({"usbResources": usb_resources})) is needed


@pytest.mark.parametrize(("arch", "needed"), [("arm64", True), ("s390x", False)])
def test_usb_need_fixed_by_arch(arch: str, needed: bool) -> None:
    vmi = {"spec": {"domain": {"devices": {"inputs": [{"bus": "usb"}] if not needed else []}}}}
    assert is_usb_needed(vmi, context_from_dict({"architecture": arch})) is needed


# The VMI of converter_test.go's BeforeEach (devices that matter to controllers only).
def _converter_test_vmi() -> JSON:
    disks = [
        {"name": "myvolume", "disk": {"bus": "virtio"}, "dedicatedIOThread": True},
        {"name": "nocloud", "disk": {"bus": "virtio"}, "dedicatedIOThread": True},
        {"name": "cdrom_tray_unspecified", "cdrom": {"readonly": False}, "dedicatedIOThread": False},
        {"name": "cdrom_tray_open", "cdrom": {"tray": "open"}},
        {"name": "should_default_to_disk", "disk": {}},
        {"name": "ephemeral_pvc", "disk": {}, "cache": "none"},
        {"name": "secret_test", "disk": {}, "serial": "D23YZ9W6WA5DJ487"},
        {"name": "configmap_test", "disk": {}, "serial": "CVLY623300HK240D"},
        {"name": "pvc_block_test", "disk": {}, "cache": "writethrough"},
        {"name": "dv_block_test", "disk": {}, "cache": "writethrough"},
        {"name": "serviceaccount_test", "disk": {}},
        {"name": "sysprep", "cdrom": {"readonly": False}, "dedicatedIOThread": False},
        {"name": "sysprep_secret", "cdrom": {"readonly": False}, "dedicatedIOThread": False},
    ]
    return {
        "metadata": {"name": "testvmi", "namespace": "mynamespace",
                     "uid": "f4686d2c-6e8d-4335-b8fd-81bee22f4814"},
        "spec": {"domain": {
            "resources": {"requests": {"memory": "8192Ki"}},
            "devices": {"disableHotplug": True, "disks": disks,
                        "inputs": [{"bus": "virtio", "type": "tablet", "name": "tablet0"}]},
        }},
    }


def _configure(vmi: JSON, arch: str, **context: Any) -> list[Controller]:
    domain = new_domain()
    controllers.configure(vmi, domain, context_from_dict({"architecture": arch, **context}), BuildState())
    assert domain.devices is not None
    return domain.devices.controllers


def _all_controllers(arch: str, scsi: str = "") -> list[str]:
    """The controllers of `_converter_test_vmi` on `arch`: USB, then the given SCSI one, then virtio-serial."""
    usb = "qemu-xhci" if arch == "arm64" else "none"
    serial = "virtio" if arch == "s390x" else "virtio-non-transitional"
    return [
        f'<controller type="usb" index="0" model="{usb}"/>\n',
        *([scsi] if scsi else []),
        f'<controller type="virtio-serial" index="0" model="{serial}"/>\n',
    ]


# KubeVirt: converter_test.go "with ephemeral disk" DescribeTable "a scsi controller should "
@pytest.mark.parametrize(
    ("enabled", "kind", "model", "arch"),
    [
        pytest.param(True, "scsi", "virtio-non-transitional", "amd64", id="appear if enabled for amd64"),
        pytest.param(True, "scsi", "virtio-non-transitional", "arm64", id="appear if enabled for arm64"),
        pytest.param(True, "scsi", "virtio-scsi", "s390x", id="appear if enabled for s390x"),
        pytest.param(False, "virtio-serial", "virtio-non-transitional", "amd64",
                     id="NOT appear if disabled for amd64"),
        pytest.param(False, "virtio-serial", "virtio-non-transitional", "arm64",
                     id="NOT appear if disabled for arm64"),
        pytest.param(False, "virtio-serial", "virtio", "s390x", id="NOT appear if disabled for s390x"),
    ],
)
def test_converter_scsi_controller(enabled: bool, kind: str, model: str, arch: str) -> None:
    vmi = _converter_test_vmi()
    vmi["spec"]["domain"]["devices"]["disableHotplug"] = not enabled
    got = [to_xml(c, "controller") for c in _configure(vmi, arch)]
    scsi = f'<controller type="{kind}" index="0" model="{model}"/>\n' if enabled else ""
    assert got == _all_controllers(arch, scsi)


# KubeVirt: converter_test.go DescribeTable
# "should add a virtio-scsi controller if a scsci disk is present and iothreads set"
@pytest.mark.parametrize(("arch", "model"), [("amd64", "virtio-non-transitional"),
                                             ("arm64", "virtio-non-transitional"), ("s390x", "virtio-scsi")])
def test_converter_scsi_disk_with_iothreads(arch: str, model: str) -> None:
    vmi = _converter_test_vmi()
    vmi["spec"]["domain"]["devices"]["disks"][0]["disk"]["bus"] = "scsi"
    got = [to_xml(c, "controller") for c in _configure(vmi, arch)]
    assert got == _all_controllers(arch, f'<controller type="scsi" index="0" model="{model}">\n'
                                         '  <driver iothread="1" queues="1"/>\n</controller>\n')


# KubeVirt: converter_test.go DescribeTable
# "should add a virtio-scsi controller if a scsci disk is present and iothreads NOT set"
@pytest.mark.parametrize(("arch", "model"), [("amd64", "virtio-non-transitional"),
                                             ("arm64", "virtio-non-transitional"), ("s390x", "virtio-scsi")])
def test_converter_scsi_disk_without_iothreads(arch: str, model: str) -> None:
    vmi = _converter_test_vmi()
    disks = vmi["spec"]["domain"]["devices"]["disks"]
    disks[0]["disk"]["bus"] = "scsi"
    for disk in disks:
        disk.pop("dedicatedIOThread", None)
    got = [to_xml(c, "controller") for c in _configure(vmi, arch)]
    assert got == _all_controllers(arch, f'<controller type="scsi" index="0" model="{model}"/>\n')


# KubeVirt: converter_test.go "should not add a virtio-scsi controller if no scsi disk is present"
def test_converter_no_scsi_disk() -> None:
    vmi = _converter_test_vmi()
    vmi["spec"]["domain"]["devices"]["disks"][0]["disk"]["bus"] = "sata"
    assert [to_xml(c, "controller") for c in _configure(vmi, "amd64")] == _all_controllers("amd64")


# KubeVirt: converter_test.go DescribeTable "usb controller"
@pytest.mark.parametrize(
    ("arch", "bus", "disabled"),
    [
        pytest.param("amd64", "usb", False, id="should not be disabled on amd64 usb device is present"),
        pytest.param("amd64", "", False,
                     id="should not be disabled on amd64 when device with no bus is present"),
        pytest.param("arm64", "usb", False, id="should not be disabled on arm64 usb device is present"),
        pytest.param("arm64", "", False,
                     id="should not be disabled on arm64 when device with no bus is present"),
        pytest.param("s390x", "usb", True, id="should be disabled on s390x when usb device is present"),
        pytest.param("s390x", "", True, id="should be disabled on s390x when device with no bus is present"),
    ],
)
def test_converter_usb_controller(arch: str, bus: str, disabled: bool) -> None:
    vmi = _converter_test_vmi()
    vmi["spec"]["domain"]["devices"]["inputs"][0]["bus"] = bus
    usb = [c.model for c in _configure(vmi, arch) if c.type == "usb"]
    assert usb == ["none" if disabled else "qemu-xhci"]


# KubeVirt: converter_test.go DescribeTable "PCIHole64 on pcie-root Controller should"
@pytest.mark.parametrize(
    ("arch", "value", "expected"),
    [
        pytest.param("amd64", "true", True, id="be set to zero on amd64 when annotation was set to true"),
        pytest.param("amd64", None, False, id="not be set on amd64 when annotation was not set"),
        pytest.param("amd64", "something", False,
                     id="not be set on amd64 when annotation was set not to true"),
        pytest.param("arm64", "true", False, id="not be set on arm64 when annotation was set to true"),
        pytest.param("arm64", None, False, id="not be set on arm64 when annotation was not set"),
        pytest.param("arm64", "something", False,
                     id="not be set on arm64 when annotation was set not to true"),
        pytest.param("s390x", "true", False, id="not be set on s390x when annotation was set to true"),
        pytest.param("s390x", None, False, id="not be set on s390x when annotation was not set"),
        pytest.param("s390x", "something", False,
                     id="not be set on s390x when annotation was set not to true"),
    ],
)
def test_converter_pcihole64(arch: str, value: str | None, expected: bool) -> None:
    vmi = _converter_test_vmi()
    if value is not None:
        vmi["metadata"]["annotations"] = {"kubevirt.io/disablePCIHole64": value}
    got = [to_xml(c, "controller") for c in _configure(vmi, arch)]
    assert (PCIE_ROOT in got) is expected


# KubeVirt: converter_test.go DescribeTable "should use virtio-transitional models if requested"
# (the devices of this area: RNG, memballoon, SCSI and virtio-serial controllers).
@pytest.mark.parametrize("arch", ["amd64", "arm64"], ids=["on amd64 with success", "on arm64 with success"])
def test_converter_virtio_transitional(arch: str) -> None:
    vmi = _converter_test_vmi()
    vmi["spec"]["domain"]["devices"].update(
        {"rng": {}, "disableHotplug": False, "useVirtioTransitional": True}
    )
    ctx = context_from_dict({"architecture": arch, "useVirtioTransitional": True})
    domain = new_domain()
    for step in (rng, balloon, controllers):
        step.configure(vmi, domain, ctx, BuildState())
    assert domain.devices is not None and domain.devices.rng is not None
    assert domain.devices.memballoon is not None
    models = [domain.devices.rng.model, domain.devices.memballoon.model]
    models += [c.model for c in domain.devices.controllers if c.type in ("scsi", "virtio-serial")]
    assert models == ["virtio-transitional"] * 4


# KubeVirt: converter_test.go "hotplug" "disk"
# DescribeTable "should automatically add virtio-scsi controller"
@pytest.mark.parametrize(("arch", "model"), [("amd64", "virtio-non-transitional"),
                                             ("arm64", "virtio-non-transitional"), ("s390x", "virtio-scsi")])
def test_convert_hotplug_adds_scsi_controller(arch: str, model: str) -> None:
    vmi = {"metadata": {"name": "testvmi", "namespace": "mynamespace"}, "spec": {"domain": {}}}
    domain = convert(with_minimal_memory(vmi), {"architecture": arch, "allowEmulation": True}).domain
    assert domain.devices is not None
    assert len(domain.devices.controllers) == 3
    assert [c.model for c in domain.devices.controllers if c.type == "scsi"] == [model]


# KubeVirt: converter_test.go "hotplug"
# "should not automatically add virtio-scsi controller, if hotplug disabled"
def test_convert_no_scsi_controller_when_hotplug_disabled() -> None:
    vmi = {"metadata": {"name": "testvmi", "namespace": "mynamespace"},
           "spec": {"domain": {"devices": {"disableHotplug": True}}}}
    domain = convert(with_minimal_memory(vmi), {"allowEmulation": True}).domain
    assert domain.devices is not None
    assert [c.type for c in domain.devices.controllers] == ["usb", "virtio-serial"]


def test_scsi_queues_follow_requested_vcpus() -> None:
    vmi = _vmi(_disk("scsi-disk", "scsi", True))
    vmi["spec"]["domain"]["cpu"] = {"sockets": 2, "cores": 2, "threads": 1}
    assert _add(vmi, auto_threads=1, **TEST_MODELS)[1] == _scsi_with_driver('iothread="1" queues="4"')
    vmi["spec"]["domain"]["cpu"] = {}
    vmi["spec"]["domain"]["resources"] = {"limits": {"cpu": "2500m"}, "requests": {"cpu": "1"}}
    assert _add(vmi, auto_threads=1, **TEST_MODELS)[1] == _scsi_with_driver('iothread="1" queues="3"')
