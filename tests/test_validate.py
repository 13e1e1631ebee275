"""Names that become paths are refused before conversion when they could escape or break them."""

from __future__ import annotations

import copy

import pytest
from conftest import load_request

from vmi_converter.converter.common.errors import ConversionError
from vmi_converter.converter.pipeline import convert


def _with(path: list[str | int], value: object) -> dict:  # type: ignore[type-arg]
    request = copy.deepcopy(load_request("golden-amd64"))
    node = request["vmi"]
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return request


REFUSED = [
    (["metadata", "name"], "../etc", "metadata.name", "'../etc' is not a DNS-1123 subdomain (at most 253 characters)"),
    (["metadata", "name"], "Upper", "metadata.name", "'Upper' is not a DNS-1123 subdomain (at most 253 characters)"),
    (["metadata", "namespace"], "a.b", "metadata.namespace", "'a.b' is not a DNS-1123 label (at most 63 characters)"),
    (["metadata", "uid"], "../../x", "metadata.uid",
     "'../../x' is not letters, digits and dashes (at most 128 characters)"),
    (["spec", "volumes", 0, "name"], "../../etc/passwd", "spec.volumes[0].name",
     "'../../etc/passwd' cannot be used in a path: no slashes, '.', '..' or control characters"),
    (["spec", "domain", "devices", "disks", 1, "name"], "..", "spec.domain.devices.disks[1].name",
     "'..' cannot be used in a path: no slashes, '.', '..' or control characters"),
    (["spec", "domain", "devices", "interfaces", 0, "name"], "a\nb", "spec.domain.devices.interfaces[0].name",
     "'a\\nb' cannot be used in a path: no slashes, '.', '..' or control characters"),
    (["spec", "networks", 0, "name"], 7, "spec.networks[0].name",
     "names must be non-empty strings of at most 253 characters"),
]


@pytest.mark.parametrize(("path", "value", "field", "message"), REFUSED, ids=[r[2] + "=" + repr(r[1]) for r in REFUSED])
def test_unsafe_names_are_refused(path: list[str | int], value: object, field: str, message: str) -> None:
    request = _with(path, value)
    with pytest.raises(ConversionError) as err:
        convert(request["vmi"], request["context"])
    assert (err.value.field, err.value.message) == (field, message)


def test_kubevirt_style_device_names_with_underscores_are_fine() -> None:
    request = load_request("golden-amd64")  # its volumes are named e.g. "ephemeral_pvc"
    assert "ua-ephemeral_pvc" in convert(request["vmi"], request["context"]).xml


def test_xml_special_characters_in_values_are_escaped() -> None:
    request = _with(["spec", "domain", "firmware", "serial"], 'a"<b>&c')
    xml = convert(request["vmi"], request["context"]).xml
    assert '<entry name="serial">a"&lt;b&gt;&amp;c</entry>' in xml


def test_a_disk_serial_libvirt_would_refuse_is_refused() -> None:
    request = _with(["spec", "domain", "devices", "disks", 6, "serial"], "a<b")
    with pytest.raises(ConversionError) as err:
        convert(request["vmi"], request["context"])
    assert (err.value.field, err.value.message) == (
        "spec.domain.devices.disks[6].serial",
        "'a<b': a disk serial is 1 to 256 of A-Z a-z 0-9 _ . + - and space (libvirt's rule)",
    )


ENUMS = [
    (["spec", "domain", "devices", "disks", 0, "disk", "bus"], "ide", "spec.domain.devices.disks[0].disk.bus",
     "'ide' is not one of sata, scsi, usb, virtio"),
    (["spec", "domain", "devices", "disks", 2, "cdrom", "tray"], "ajar", "spec.domain.devices.disks[2].cdrom.tray",
     "'ajar' is not one of closed, open"),
    (["spec", "domain", "devices", "disks", 5, "cache"], "unsafe", "spec.domain.devices.disks[5].cache",
     "'unsafe' is not one of none, writeback, writethrough"),
    (["spec", "domain", "clock", "timer", "rtc", "tickPolicy"], "merge", "spec.domain.clock.timer.rtc.tickPolicy",
     "'merge' is not one of catchup, delay"),
    (["spec", "domain", "devices", "interfaces", 0, "model"], "vmxnet3", "spec.domain.devices.interfaces[0].model",
     "'vmxnet3' is not one of e1000, e1000e, igb, ne2k_pci, pcnet, rtl8139, virtio"),
]


@pytest.mark.parametrize(("path", "value", "field", "message"), ENUMS, ids=[e[2] for e in ENUMS])
def test_values_outside_kubevirts_api_are_refused(path: list[str | int], value: str, field: str, message: str) -> None:
    request = _with(path, value)
    with pytest.raises(ConversionError) as err:
        convert(request["vmi"], request["context"])
    assert (err.value.field, err.value.message) == (field, message)


# KubeVirt: vmi-create-admitter.go validateCPUFeaturePolicies, validateBootOrder / validateInterfaceBootOrder and
# storage/admitters/disks.go validateBootOrderValue. The converter emitted these, and libvirt refuses each.
ADMISSION = [
    (["spec", "domain", "cpu"], {"features": [{"name": "pcid"}, {"name": "ssbd", "policy": "sometimes"}]},
     "spec.domain.cpu.features[1].policy", "CPU feature ssbd uses policy sometimes that is not supported."),
    (["spec", "domain", "devices", "disks", 3, "bootOrder"], 0, "spec.domain.devices.disks[3].bootOrder",
     "spec.domain.devices.disks[3] must have a boot order > 0, if supplied"),
    (["spec", "domain", "devices", "interfaces", 0, "bootOrder"], -2, "spec.domain.devices.interfaces[0].bootOrder",
     "spec.domain.devices.interfaces[0] must have a boot order > 0, if supplied"),
    (["spec", "domain", "devices", "disks", 1, "bootOrder"], 1, "spec.domain.devices.disks[1].bootOrder",
     "Boot order for spec.domain.devices.disks[1].bootOrder already set for a different device."),
    (["spec", "domain", "devices", "interfaces", 0, "bootOrder"], 1, "spec.domain.devices.interfaces[0].bootOrder",
     "Boot order for spec.domain.devices.interfaces[0].bootOrder already set for a different device."),
]


@pytest.mark.parametrize(
    ("path", "value", "field", "message"), ADMISSION, ids=[a[2] + "=" + repr(a[1]) for a in ADMISSION]
)
def test_values_kubevirts_admission_refuses_are_refused(path: list[str | int], value: object, field: str,
                                                       message: str) -> None:
    request = _with(path, value)
    request["vmi"]["spec"]["domain"]["devices"]["disks"][0]["bootOrder"] = 1
    with pytest.raises(ConversionError) as err:
        convert(request["vmi"], request["context"])
    assert (err.value.field, err.value.message) == (field, message)


COUNTS = [
    (["spec", "domain", "cpu"], {"sockets": 2**40}, "spec.domain.cpu.sockets",
     f"{2**40} is not a count from 0 to 4096"),
    (["spec", "domain", "cpu"], {"sockets": 64, "cores": 64, "threads": 2}, "spec.domain.cpu.sockets",
     "sockets * cores * threads is more than 4096 vCPUs"),
    (["spec", "domain", "cpu"], {"maxSockets": 4096, "cores": 2}, "spec.domain.cpu.maxSockets",
     "maxSockets * cores * threads is more than 4096 vCPUs"),
    (["spec", "domain", "resources"], {"requests": {"cpu": "1e9", "memory": "1Gi"}},
     "spec.domain.resources.requests.cpu", "more than 4096 CPUs"),
]


@pytest.mark.parametrize(("path", "value", "field", "message"), COUNTS, ids=[c[2] for c in COUNTS])
def test_counts_that_would_explode_the_domain_are_refused(
    path: list[str | int], value: object, field: str, message: str
) -> None:
    """Found by fuzzing: a huge socket count made the converter build a <vcpus> list until memory ran out."""
    request = _with(path, value)
    with pytest.raises(ConversionError) as err:
        convert(request["vmi"], request["context"])
    assert (err.value.field, err.value.message) == (field, message)
