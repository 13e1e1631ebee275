"""`<os>`: EFI/BIOS loader, kernel boot, ACPI tables, SMBIOS mode, machine type, boot menu."""

from __future__ import annotations

import posixpath

from vmi_converter.converter.common.build import BuildState
from vmi_converter.converter.common.context import Context, EFIConfiguration
from vmi_converter.converter.common.errors import ConversionError
from vmi_converter.converter.common.vmi import JSON, domain_spec, items, name, obj, spec, status, vmi_annotations
from vmi_converter.converter.domain.model import (
    BIOS,
    OS,
    OSACPI,
    ACPITable,
    BootMenu,
    Domain,
    FirmwareFeature,
    FirmwareInfo,
    Loader,
    NVRam,
    OSType,
    SMBios,
)

SECURE_BOOT, ENROLLED_KEYS = "secure-boot", "enrolled-keys"
NON_ROOT_ANNOTATION = "kubevirt.io/nonroot"
ROOT_NVRAM_DIR = "/var/lib/libvirt/qemu/nvram"
NON_ROOT_NVRAM_DIR = "/var/run/kubevirt-private/libvirt/qemu/nvram"
SECRET_SOURCE_DIR = "/var/run/kubevirt-private/secret"
KERNEL_BOOT_DIR = "kernel-boot"
BOOT_MENU_TIMEOUT_MS = 10000


def configure(vmi: JSON, domain: Domain, ctx: Context, state: BuildState) -> None:
    os_ = domain.os = domain.os or OS()
    firmware = domain_spec(vmi).get("firmware")
    if isinstance(firmware, dict):
        _configure_efi(vmi, os_, ctx.efi_configuration)
        _configure_bios(firmware, os_)
        _configure_kernel_boot(firmware, os_, ctx)
        _configure_acpi(vmi, firmware, os_)
    if ctx.arch.smbios:
        os_.smbios = SMBios(mode="sysinfo")
    machine = domain_spec(vmi).get("machine")
    if isinstance(machine, dict):
        os_.type = os_.type or OSType()
        os_.type.machine = machine.get("type") or None
    if spec(vmi).get("startStrategy") == "Paused":
        # Leaves time to reach the firmware menu before the guest boots.
        os_.bootmenu = BootMenu(enable="yes", timeout=BOOT_MENU_TIMEOUT_MS)


def nvram_dir(vmi: JSON) -> str:
    """Where libvirt keeps the EFI variables: a private directory for non-root launchers."""
    non_root = NON_ROOT_ANNOTATION in vmi_annotations(vmi) or bool(status(vmi).get("runtimeUser"))
    return NON_ROOT_NVRAM_DIR if non_root else ROOT_NVRAM_DIR


def _configure_efi(vmi: JSON, os_: OS, efi: EFIConfiguration | None) -> None:
    bootloader = obj(obj(domain_spec(vmi).get("firmware")).get("bootloader"))
    if bootloader.get("efi") is None or efi is None:
        return
    nvram_path = posixpath.join(nvram_dir(vmi), name(vmi) + "_VARS.fd")
    if efi.uses_firmware_auto_selection:
        os_.firmware = "efi"
        os_.firmware_info = FirmwareInfo(features=[
            FirmwareFeature(enabled="yes", name=SECURE_BOOT),
            FirmwareFeature(enabled="yes", name=ENROLLED_KEYS),
        ])
        os_.loader = None
        # arm64 descriptors keep the variables in memory: libvirt manages them without <nvram>.
        if spec(vmi).get("architecture") != "arm64":
            os_.nvram = NVRam(format="raw", nv_ram=nvram_path)
        return
    stateless = _launch_security(vmi, "snp") or _launch_security(vmi, "tdx")
    os_.loader = Loader(read_only="yes", secure="yes" if efi.secure_loader else "no",
                        type="rom" if stateless else "pflash", path=efi.efi_code or None)
    # SNP and TDX boot a stateless ROM: there is no variable store.
    os_.nvram = None if stateless else NVRam(template=efi.efi_vars or None, nv_ram=nvram_path)


def _launch_security(vmi: JSON, kind: str) -> bool:
    return obj(domain_spec(vmi).get("launchSecurity")).get(kind) is not None


def _configure_bios(firmware: JSON, os_: OS) -> None:
    bios = obj(obj(firmware.get("bootloader")).get("bios"))
    if bios.get("useSerial") is True:
        os_.bios = BIOS(use_serial="yes")


def _configure_kernel_boot(firmware: JSON, os_: OS, ctx: Context) -> None:
    kernel_boot = firmware.get("kernelBoot")
    if not isinstance(kernel_boot, dict):
        return
    container = kernel_boot.get("container")
    if isinstance(container, dict):
        if container.get("kernelPath"):
            os_.kernel = _kernel_boot_path(ctx, container["kernelPath"])
        if container.get("initrdPath"):
            os_.initrd = _kernel_boot_path(ctx, container["initrdPath"])
    # Kernel arguments apply even without a kernel-boot container.
    os_.cmdline = kernel_boot.get("kernelArgs") or None


def _kernel_boot_path(ctx: Context, artifact: str) -> str:
    """The artifact as the launcher sees it: its file name under the container-disk mount."""
    return posixpath.normpath(posixpath.join(ctx.paths.container_disk_dir, KERNEL_BOOT_DIR, _go_base(artifact)))


def _go_base(path: str) -> str:
    """Go's filepath.Base: the last element, trailing slashes ignored; "/" for only slashes."""
    stripped = path.rstrip("/")
    if not stripped:
        return "/" if path else "."
    return stripped.rsplit("/", 1)[-1]


def _configure_acpi(vmi: JSON, firmware: JSON, os_: OS) -> None:
    acpi = firmware.get("acpi")
    if not isinstance(acpi, dict):
        return
    slic, msdm = acpi.get("slicNameRef") or "", acpi.get("msdmNameRef") or ""
    if not slic and not msdm:
        raise ConversionError("spec.domain.firmware.acpi", "no ACPI tables were set, expecting at least one")
    os_.acpi = os_.acpi or OSACPI()
    for table, volume_name, ref in (("slic", slic, "slicNameRef"), ("msdm", msdm, "msdmNameRef")):
        if volume_name:
            os_.acpi.table.append(_acpi_table(vmi, table, volume_name, f"spec.domain.firmware.acpi.{ref}"))


def _acpi_table(vmi: JSON, table: str, volume_name: str, field: str) -> ACPITable:
    """The table's binary comes from the `<table>.bin` key of a secret volume."""
    volume = next((obj(v) for v in items(spec(vmi).get("volumes")) if obj(v).get("name") == volume_name), None)
    if volume is None:
        raise ConversionError(field, f"firmware's volume for {table} was not found")
    if volume.get("secret") is None:
        raise ConversionError(field, f"firmware's volume type is unsupported for {table}")
    return ACPITable(type=table, path=posixpath.join(SECRET_SOURCE_DIR, volume_name, f"{table}.bin"))
