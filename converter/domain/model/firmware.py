"""`<os>` (boot, firmware, loader, kernel) and `<sysinfo>` (SMBIOS tables)."""

from __future__ import annotations

from vmi_converter.converter.domain.declare import Element, Value, attr, child, children, element, text, text_child


@element()
class OS(Element):
    firmware: Value = attr()
    firmware_info: FirmwareInfo | None = child("firmware")
    type: OSType | None = child()
    acpi: OSACPI | None = child()
    smbios: SMBios | None = child()
    boots: list[Boot] = children("boot")
    bootmenu: BootMenu | None = child()
    bios: BIOS | None = child()
    loader: Loader | None = child()
    nvram: NVRam | None = child()
    kernel: Value = text_child()
    initrd: Value = text_child()
    cmdline: Value = text_child()


@element()
class OSType(Element):
    os: Value = text()
    arch: Value = attr()
    machine: Value = attr()


@element()
class FirmwareInfo(Element):
    features: list[FirmwareFeature] = children("feature")


@element()
class FirmwareFeature(Element):
    enabled: Value = attr()
    name: Value = attr()


@element()
class OSACPI(Element):
    table: list[ACPITable] = children("table")


@element()
class ACPITable(Element):
    path: Value = text()
    type: Value = attr()


@element()
class SMBios(Element):
    mode: Value = attr()


@element()
class Boot(Element):
    dev: Value = attr()


@element()
class BootMenu(Element):
    enable: Value = attr()
    timeout: Value = attr()


@element()
class BIOS(Element):
    use_serial: Value = attr("useserial")


@element()
class Loader(Element):
    read_only: Value = attr("readonly")
    secure: Value = attr()
    type: Value = attr()
    path: Value = text()


@element()
class NVRam(Element):
    template: Value = attr()
    format: Value = attr()
    nv_ram: Value = text()


@element()
class SysInfo(Element):
    type: Value = attr()
    system: SysInfoEntries | None = child()
    bios: SysInfoEntries | None = child()
    base_board: SysInfoEntries | None = child("baseBoard")
    chassis: SysInfoEntries | None = child()


@element()
class SysInfoEntries(Element):
    entries: list[Entry] = children("entry")


@element()
class Entry(Element):
    name: Value = attr()
    value: Value = text()
