"""`<sysinfo type="smbios">`: firmware UUID/serial, cluster-wide SMBIOS values, chassis.

KubeVirt also writes empty `<bios>`, `<baseBoard>` and `<chassis>` sections,
which libvirt's schema rejects; a section without entries is left out here.
"""

from __future__ import annotations

from vmi_converter.converter.common.build import BuildState
from vmi_converter.converter.common.context import Context
from vmi_converter.converter.common.vmi import JSON, domain_spec, obj
from vmi_converter.converter.domain.model import Domain, Entry, SysInfo, SysInfoEntries

SMBIOS_SYSTEM_FIELDS = ("manufacturer", "family", "product", "sku", "version")
CHASSIS_FIELDS = ("manufacturer", "version", "serial", "asset", "sku")


def configure(vmi: JSON, domain: Domain, ctx: Context, state: BuildState) -> None:
    dom = domain_spec(vmi)
    domain.sysinfo = SysInfo(
        type="smbios",
        system=_section(_system_entries(dom.get("firmware"), ctx.smbios)),
        chassis=_section(_chassis_entries(dom.get("chassis"))),
    )


def _system_entries(firmware: object, smbios: JSON | None) -> list[Entry]:
    entries = []
    if isinstance(firmware, dict):
        entries.append(Entry(name="uuid", value=str(firmware.get("uuid") or "")))
        if firmware.get("serial"):
            entries.append(Entry(name="serial", value=str(firmware["serial"])))
    if smbios is not None:
        entries += [Entry(name=key, value=str(obj(smbios).get(key) or "")) for key in SMBIOS_SYSTEM_FIELDS]
    return entries


def _chassis_entries(chassis: object) -> list[Entry]:
    if not isinstance(chassis, dict):
        return []
    return [Entry(name=key, value=str(chassis.get(key) or "")) for key in CHASSIS_FIELDS]


def _section(entries: list[Entry]) -> SysInfoEntries | None:
    return SysInfoEntries(entries=entries) if entries else None
