"""SysInfo configurator: ported from KubeVirt compute/sysinfo_test.go and converter_test.go.

KubeVirt also emits empty `<bios>`, `<baseBoard>` and `<chassis>` sections that
libvirt's schema rejects; the port leaves every empty section out.
"""

from __future__ import annotations

import pytest
from raw_convert import raw_convert

from vmi_converter.converter.common.build import BuildState
from vmi_converter.converter.common.context import Context
from vmi_converter.converter.common.vmi import JSON
from vmi_converter.converter.compute import sysinfo
from vmi_converter.converter.domain.xmlmodel import to_xml
from vmi_converter.converter.pipeline import new_domain

UUID, SERIAL = "1234567890", "abcdefghijklmnopqrstuvwxyz"
SMBIOS: JSON = {"manufacturer": "manufacturer", "family": "family", "product": "product", "sku": "sku",
                "version": "version"}
CHASSIS: JSON = {"manufacturer": "chassisManufacturer", "version": "chassisVersion", "serial": "chassisSerial",
                 "asset": "chassisAsset", "sku": "chassisSKU"}


def _vmi(firmware: JSON | None = None, chassis: JSON | None = None) -> JSON:
    domain: JSON = {}
    if firmware is not None:
        domain["firmware"] = firmware
    if chassis is not None:
        domain["chassis"] = chassis
    return {"spec": {"domain": domain}}


def _section(tag: str, entries: list[tuple[str, str]]) -> str:
    lines = "".join(f'    <entry name="{name}">{value}</entry>\n' for name, value in entries)
    return f"  <{tag}>\n{lines}  </{tag}>\n"


def _sysinfo(system: list[tuple[str, str]], chassis: list[tuple[str, str]]) -> str:
    body = (_section("system", system) if system else "") + (_section("chassis", chassis) if chassis else "")
    return f'<sysinfo type="smbios">\n{body}</sysinfo>\n' if body else '<sysinfo type="smbios"/>\n'


FIRMWARE_ENTRIES = [("uuid", UUID), ("serial", SERIAL)]
SMBIOS_ENTRIES = [("manufacturer", "manufacturer"), ("family", "family"), ("product", "product"), ("sku", "sku"),
                  ("version", "version")]
CHASSIS_ENTRIES = [("manufacturer", "chassisManufacturer"), ("version", "chassisVersion"),
                   ("serial", "chassisSerial"), ("asset", "chassisAsset"), ("sku", "chassisSKU")]


# KubeVirt: compute/sysinfo_test.go "Should configure SysInfo"
@pytest.mark.parametrize(
    ("vmi", "smbios", "expected"),
    [
        pytest.param(_vmi(), None, _sysinfo([], []), id="Without firmware chassis and cluster-wide SMBIOS"),
        pytest.param(_vmi({"uuid": UUID}), None, _sysinfo([("uuid", UUID)], []), id="With firmware UUID"),
        pytest.param(_vmi({"uuid": UUID, "serial": SERIAL}), None, _sysinfo(FIRMWARE_ENTRIES, []),
                     id="With firmware UUID and serial"),
        pytest.param(_vmi({"uuid": UUID, "serial": SERIAL}), SMBIOS, _sysinfo(FIRMWARE_ENTRIES + SMBIOS_ENTRIES, []),
                     id="With firmware UUID, serial and cluster-wide SMBIOS"),
        pytest.param(_vmi(), SMBIOS, _sysinfo(SMBIOS_ENTRIES, []), id="With cluster-wide SMBIOS"),
        pytest.param(_vmi({"uuid": UUID, "serial": SERIAL}, CHASSIS), SMBIOS,
                     _sysinfo(FIRMWARE_ENTRIES + SMBIOS_ENTRIES, CHASSIS_ENTRIES),
                     id="With firmware UUID, serial, chassis and cluster-wide SMBIOS"),
        pytest.param(_vmi(chassis=CHASSIS), None, _sysinfo([], CHASSIS_ENTRIES), id="With chassis"),
    ],
)
def test_sysinfo(vmi: JSON, smbios: JSON | None, expected: str) -> None:
    domain = new_domain()
    sysinfo.configure(vmi, domain, Context(smbios=smbios), BuildState())
    assert to_xml(domain.sysinfo, "sysinfo") == expected


def test_empty_smbios_values_are_kept_as_empty_entries() -> None:
    domain = new_domain()
    sysinfo.configure(_vmi(), domain, Context(smbios={}), BuildState())
    assert to_xml(domain.sysinfo, "sysinfo") == _sysinfo([(key, "") for key, _ in SMBIOS_ENTRIES], [])


# KubeVirt: converter_test.go "should not include serial entry in sysinfo when firmware.serial is not set"
def test_converter_no_serial_entry_without_firmware_serial() -> None:
    domain = raw_convert({"metadata": {"name": "testvmi"}, "spec": {"domain": {}}},
                         {"allowEmulation": True, "hypervisorDeviceAvailable": True})
    assert domain.sysinfo is not None and domain.sysinfo.system is not None
    assert [entry.name for entry in domain.sysinfo.system.entries] == ["uuid"]
