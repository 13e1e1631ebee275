"""Canaries: checks that could go quiet without failing anything else.

- The every-domain libvirt check of tests/conftest.py: a small inner pytest run produces a domain
  libvirt's schema refuses and must fail because of that check.
- tests/raw_convert.py: ported KubeVirt tests must get only the API defaulters, not the admission
  defaults (which, for instance, add the default pod network interface).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import REPO
from raw_convert import raw_convert, with_minimal_memory

from vmi_converter.converter.domain.xmlmodel import to_xml
from vmi_converter.converter.pipeline import convert

_INNER_TESTS = '''
from conftest import load_request
from vmi_converter.converter.pipeline import convert

def test_a_domain_libvirt_refuses():
    request = load_request("golden-amd64")
    conversion = convert(request["vmi"], request["context"])
    conversion.domain.type = "no-such-hypervisor"
    assert conversion.xml.startswith('<domain type="no-such-hypervisor"')

def test_a_domain_libvirt_accepts():
    request = load_request("golden-amd64")
    assert convert(request["vmi"], request["context"]).xml.startswith('<domain type="kvm"')
'''


def test_the_libvirt_check_fails_a_test_whose_domain_libvirt_refuses(tmp_path: Path) -> None:
    (tmp_path / "test_inner.py").write_text(_INNER_TESTS)
    paths = [str(REPO / "tests"), str(REPO), str(REPO / "clients" / "python"), os.environ.get("PYTHONPATH", "")]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in paths if p), COLUMNS="1000")  # untruncated summary
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "conftest", "-p", "no:cacheprovider", "-rA", "test_inner.py"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False,
    )
    summary = [line for line in done.stdout.splitlines() if line.startswith(("PASSED", "ERROR", "FAILED"))]
    assert summary[:2] == [
        "PASSED test_inner.py::test_a_domain_libvirt_refuses",
        "PASSED test_inner.py::test_a_domain_libvirt_accepts",
    ], done.stdout
    assert summary[2].startswith(
        "ERROR test_inner.py::test_a_domain_libvirt_refuses - AssertionError: a produced domain fails libvirt's schema"
    ), done.stdout
    assert len(summary) == 3, done.stdout
    assert done.returncode == 1


_VMI = {
    "apiVersion": "kubevirt.io/v1",
    "kind": "VirtualMachineInstance",
    "metadata": {"name": "t", "namespace": "n"},
    "spec": {"domain": {"devices": {}}},
}
_CONTEXT = {"allowEmulation": True}

# What KubeVirt's converter tests get for a bare VMI: no default pod network (an admission default).
_RAW_DOMAIN = """\
<domain type="qemu" xmlns:qemu="http://libvirt.org/schemas/domain/qemu/1.0">
  <name>n_t</name>
  <memory unit="b">8388608</memory>
  <os>
    <type arch="x86_64" machine="q35">hvm</type>
    <smbios mode="sysinfo"/>
  </os>
  <sysinfo type="smbios">
    <system>
      <entry name="uuid">4ede199a-f064-5165-9b7e-423c7f3f5145</entry>
    </system>
  </sysinfo>
  <devices>
    <channel type="unix">
      <target name="org.qemu.guest_agent.0" type="virtio"/>
    </channel>
    <controller type="usb" index="0" model="none"/>
    <controller type="scsi" index="0" model="virtio-non-transitional"/>
    <controller type="virtio-serial" index="0" model="virtio-non-transitional"/>
    <video>
      <model type="vga" heads="1" vram="16384"/>
    </video>
    <graphics type="vnc">
      <listen type="socket" socket="/var/run/kubevirt-private//virt-vnc"/>
    </graphics>
    <memballoon model="virtio-non-transitional" freePageReporting="off"/>
    <serial type="unix">
      <target port="0"/>
      <source mode="bind" path="/var/run/kubevirt-private//virt-serial0"/>
    </serial>
    <console type="pty">
      <target type="serial" port="0"/>
    </console>
  </devices>
  <metadata>
    <kubevirt xmlns="http://kubevirt.io">
      <uid></uid>
    </kubevirt>
  </metadata>
  <features>
    <acpi/>
    <vmport state="off"/>
  </features>
  <cpu mode="host-model">
    <topology sockets="1" cores="1" threads="1"/>
  </cpu>
  <vcpu placement="static">1</vcpu>
</domain>
"""

_DEFAULT_POD_INTERFACE = """\
    <interface type="ethernet">
      <source/>
      <model type="virtio-non-transitional"/>
      <alias name="ua-default"/>
      <rom enabled="no"/>
    </interface>
"""


def test_raw_convert_skips_the_admission_defaults() -> None:
    assert to_xml(raw_convert(dict(_VMI), _CONTEXT)) == _RAW_DOMAIN


def test_the_service_path_applies_the_admission_defaults() -> None:
    admitted = convert(with_minimal_memory(dict(_VMI)), _CONTEXT).xml
    assert admitted == _RAW_DOMAIN.replace("  <devices>\n", "  <devices>\n" + _DEFAULT_POD_INTERFACE)
