"""virtiofs `<filesystem>` devices. Ported from KubeVirt converter/storage/virtiofs_test.go."""

from __future__ import annotations

from storage_helpers import vmi

from vmi_converter.converter.common.build import BuildState
from vmi_converter.converter.common.context import context_from_dict
from vmi_converter.converter.domain.xmlmodel import to_xml
from vmi_converter.converter.pipeline import new_domain
from vmi_converter.converter.storage import virtiofs


def filesystems(spec: dict, context: dict | None = None) -> list[str]:
    domain = new_domain()
    virtiofs.configure(spec, domain, context_from_dict(context), BuildState())
    return [to_xml(fs, "filesystem") for fs in domain.devices.filesystems]


def with_filesystems(*filesystems_: dict) -> dict:
    return vmi(devices={"filesystems": list(filesystems_)})


# KubeVirt: virtiofs_test.go "Should not configure filesystems when no VirtioFS filesystems are present"
def test_no_filesystems() -> None:
    assert filesystems(vmi()) == []


# KubeVirt: virtiofs_test.go "Should configure filesystems when VirtioFS filesystems are present"
# (without KubeVirt's accessMode="passthrough", an attribute libvirt does not know; see docs/differences.md)
def test_virtiofs_filesystem() -> None:
    assert filesystems(with_filesystems({"name": "myfs", "virtiofs": {}})) == [
        '<filesystem type="mount">\n'
        '  <source socket="/var/run/kubevirt/virtiofs-containers/myfs.sock"/>\n'
        '  <target dir="myfs"/>\n'
        '  <driver type="virtiofs" queue="1024"/>\n'
        "</filesystem>\n"
    ]


def test_filesystem_without_virtiofs_is_skipped() -> None:
    assert filesystems(with_filesystems({"name": "other"})) == []


def test_socket_directory_from_context_paths() -> None:
    got = filesystems(with_filesystems({"name": "fs", "virtiofs": {}}), {"paths": {"virtiofsSocketDir": "/run/vfs"}})
    assert '<source socket="/run/vfs/fs.sock"/>' in got[0]
