"""OS/firmware configurator: ported from KubeVirt compute/os_test.go and the Bootloader, ACPI,
Kernel Boot and Paused-strategy cases of converter_test.go."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from raw_convert import raw_convert

from vmi_converter.converter.common.arch import AMD64, ARCHES
from vmi_converter.converter.common.build import BuildState
from vmi_converter.converter.common.context import Context, EFIConfiguration, context_from_dict
from vmi_converter.converter.common.errors import ConversionError
from vmi_converter.converter.common.vmi import JSON
from vmi_converter.converter.compute import firmware
from vmi_converter.converter.domain.model import Domain
from vmi_converter.converter.domain.xmlmodel import to_xml
from vmi_converter.converter.pipeline import new_domain

OVMF = "/usr/share/edk2/ovmf"
EFI = EFIConfiguration(efi_code=f"{OVMF}/OVMF_CODE.fd", efi_vars=f"{OVMF}/OVMF_VARS.fd", secure_loader=False)
AUTO_SELECTION = EFIConfiguration(secure_loader=True, uses_firmware_auto_selection=True)


def _vmi(*, firmware_spec: JSON | None = None, volumes: list[JSON] | None = None, arch: str = "",
         **spec: Any) -> JSON:
    domain: JSON = {}
    if firmware_spec is not None:
        domain["firmware"] = firmware_spec
    spec = {"domain": domain, **spec}
    if volumes:
        spec["volumes"] = volumes
    if arch:
        spec["architecture"] = arch
    return {"metadata": {"name": "testvmi", "namespace": "default"}, "spec": spec}


def _ctx(smbios: bool = False, efi: EFIConfiguration | None = None) -> Context:
    return Context(arch=replace(ARCHES[AMD64], smbios=smbios), efi_configuration=efi)


def _os_xml(vmi: JSON, ctx: Context) -> str:
    domain = new_domain()
    firmware.configure(vmi, domain, ctx, BuildState())
    return to_xml(domain.os, "os")


def _os(*children: str, firmware_attr: str = "") -> str:
    if not children:
        return f"<os{firmware_attr}/>\n"
    return f"<os{firmware_attr}>\n" + "".join(f"  {c}\n" for c in children) + "</os>\n"


def _efi(secure_boot: bool, **extra: Any) -> JSON:
    return {"bootloader": {"efi": {"secureBoot": secure_boot}}, **extra}


def _secret(name: str) -> JSON:
    return {"name": name, "secret": {"secretName": name}}


# KubeVirt: compute/os_test.go "should configure SMBIOS sysinfo when required"
@pytest.mark.parametrize(("needed", "expected"), [(False, _os()), (True, _os('<smbios mode="sysinfo"/>'))],
                         ids=["SMBIOS is disabled", "SMBIOS is enabled"])
def test_smbios(needed: bool, expected: str) -> None:
    assert _os_xml(_vmi(), _ctx(smbios=needed)) == expected


# KubeVirt: compute/os_test.go "should set machine type when specified on the VMI"
def test_machine_type() -> None:
    vmi = _vmi()
    vmi["spec"]["domain"]["machine"] = {"type": "test"}
    assert _os_xml(vmi, _ctx()) == _os('<type machine="test"/>')


# KubeVirt: compute/os_test.go "configures boot menu based on VMI start strategy"
@pytest.mark.parametrize(
    ("vmi", "expected"),
    [
        pytest.param(_vmi(), _os(), id="boot menu is disabled when VMI does not start paused"),
        pytest.param(_vmi(startStrategy="Paused"), _os('<bootmenu enable="yes" timeout="10000"/>'),
                     id="boot menu is enabled when VMI starts paused"),
    ],
)
def test_boot_menu(vmi: JSON, expected: str) -> None:
    assert _os_xml(vmi, _ctx()) == expected


# KubeVirt: compute/os_test.go "should configures BIOS UseSerial"
@pytest.mark.parametrize(("use_serial", "expected"), [(False, _os()), (True, _os('<bios useserial="yes"/>'))],
                         ids=["when BIOS UseSerial is disabled", "when BIOS UseSerial is enabled"])
def test_bios_use_serial(use_serial: bool, expected: str) -> None:
    vmi = _vmi(firmware_spec={"bootloader": {"bios": {"useSerial": use_serial}}})
    assert _os_xml(vmi, _ctx()) == expected


# KubeVirt: compute/os_test.go "configures kernel args based on VMI firmware settings"
@pytest.mark.parametrize(
    ("vmi", "expected"),
    [
        pytest.param(_vmi(), _os(), id="kernel args are not set when firmware is nil"),
        pytest.param(_vmi(firmware_spec={"kernelBoot": {"kernelArgs": "test-args"}}),
                     _os("<cmdline>test-args</cmdline>"), id="kernel args are set when specified"),
    ],
)
def test_kernel_args(vmi: JSON, expected: str) -> None:
    assert _os_xml(vmi, _ctx()) == expected


# KubeVirt: compute/os_test.go "should use rom bootloader and no NVRam"
@pytest.mark.parametrize("kind", ["snp", "tdx"], ids=["for SEV-SNP VMs", "for TDX VMs"])
def test_stateless_rom_loader(kind: str) -> None:
    vmi = _vmi(firmware_spec=_efi(False))
    vmi["spec"]["domain"]["launchSecurity"] = {kind: {}}
    assert _os_xml(vmi, _ctx(efi=EFI)) == _os(f'<loader readonly="yes" secure="no" type="rom">{EFI.efi_code}</loader>')


# KubeVirt: compute/os_test.go "should configure EFI bootloader with pflash type"
@pytest.mark.parametrize("secure_boot", [False, True], ids=["without secure boot", "with secure boot"])
def test_efi_pflash_loader(secure_boot: bool) -> None:
    secure = "yes" if secure_boot else "no"
    expected = _os(
        f'<loader readonly="yes" secure="{secure}" type="pflash">{EFI.efi_code}</loader>',
        f'<nvram template="{EFI.efi_vars}">/var/lib/libvirt/qemu/nvram/testvmi_VARS.fd</nvram>',
    )
    efi = replace(EFI, secure_loader=secure_boot)
    assert _os_xml(_vmi(firmware_spec=_efi(secure_boot)), _ctx(efi=efi)) == expected


AUTO_SELECTED_FIRMWARE = ('<firmware>\n    <feature enabled="yes" name="secure-boot"/>\n'
                          '    <feature enabled="yes" name="enrolled-keys"/>\n  </firmware>')


# KubeVirt: compute/os_test.go "should use firmware auto-selection when enabled"
def test_firmware_auto_selection() -> None:
    expected = _os(AUTO_SELECTED_FIRMWARE, '<nvram format="raw">/var/lib/libvirt/qemu/nvram/testvmi_VARS.fd</nvram>',
                   firmware_attr=' firmware="efi"')
    assert _os_xml(_vmi(firmware_spec=_efi(True)), _ctx(efi=AUTO_SELECTION)) == expected


# KubeVirt: compute/os_test.go "should use firmware auto-selection without NVRAM for ARM64"
def test_firmware_auto_selection_arm64_has_no_nvram() -> None:
    vmi = _vmi(firmware_spec=_efi(True), arch="arm64")
    assert _os_xml(vmi, _ctx(efi=AUTO_SELECTION)) == _os(AUTO_SELECTED_FIRMWARE, firmware_attr=' firmware="efi"')


SECRET_DIR = "/var/run/kubevirt-private/secret"


# KubeVirt: compute/os_test.go "should configure ACPI table from secret volume"
@pytest.mark.parametrize(
    ("acpi", "volumes", "tables"),
    [
        pytest.param({"slicNameRef": "slic-secret"}, [_secret("slic-secret")],
                     [f'<table type="slic">{SECRET_DIR}/slic-secret/slic.bin</table>'], id="SLIC table"),
        pytest.param({"msdmNameRef": "msdm-secret"}, [_secret("msdm-secret")],
                     [f'<table type="msdm">{SECRET_DIR}/msdm-secret/msdm.bin</table>'], id="MSDM table"),
        pytest.param({"slicNameRef": "slic-secret", "msdmNameRef": "msdm-secret"},
                     [_secret("slic-secret"), _secret("msdm-secret")],
                     [f'<table type="slic">{SECRET_DIR}/slic-secret/slic.bin</table>',
                      f'<table type="msdm">{SECRET_DIR}/msdm-secret/msdm.bin</table>'],
                     id="both SLIC and MSDM tables"),
    ],
)
def test_acpi_tables(acpi: JSON, volumes: list[JSON], tables: list[str]) -> None:
    expected = "<os>\n  <acpi>\n" + "".join(f"    {t}\n" for t in tables) + "  </acpi>\n</os>\n"
    assert _os_xml(_vmi(firmware_spec={"acpi": acpi}, volumes=volumes), _ctx()) == expected


# KubeVirt: compute/os_test.go "should return error for invalid ACPI configuration"
@pytest.mark.parametrize(
    ("acpi", "volumes", "message", "field"),
    [
        pytest.param({"slicNameRef": "missing-volume"}, [], "firmware's volume for slic was not found",
                     "spec.domain.firmware.acpi.slicNameRef", id="when ACPI volume is not found"),
        pytest.param({}, [], "no ACPI tables were set, expecting at least one", "spec.domain.firmware.acpi",
                     id="when ACPI is set but no tables are specified"),
        pytest.param({"slicNameRef": "config-volume"}, [{"name": "config-volume"}],
                     "firmware's volume type is unsupported for slic", "spec.domain.firmware.acpi.slicNameRef",
                     id="when ACPI volume is not a secret"),
    ],
)
def test_invalid_acpi(acpi: JSON, volumes: list[JSON], message: str, field: str) -> None:
    with pytest.raises(ConversionError, match=message) as err:
        _os_xml(_vmi(firmware_spec={"acpi": acpi}, volumes=volumes), _ctx())
    assert err.value.field == field


# --- converter_test.go: Bootloader, ACPI, Kernel Boot, Paused strategy (whole conversion, API defaulters only)

def _converted(vmi: JSON, context: JSON | None = None) -> Domain:
    vmi["metadata"]["namespace"] = "mynamespace"
    return raw_convert(vmi, {"architecture": AMD64, "allowEmulation": True, **(context or {})})


# KubeVirt: converter_test.go "should configure the BIOS bootloader" (bootloader not set, no BIOS or EFI option, BIOS)
@pytest.mark.parametrize("firmware_spec", [{}, {"bootloader": {}}, {"bootloader": {"bios": {}}}],
                         ids=["when bootloader is not set", "if no BIOS or EFI option", "if BIOS"])
def test_converter_bios_bootloader(firmware_spec: JSON) -> None:
    domain = _converted(_vmi(firmware_spec=firmware_spec))
    assert domain.os is not None and domain.os.loader is None and domain.os.nvram is None


# KubeVirt: converter_test.go DescribeTable "EFI bootloader" (non-root: runtimeUser 107)
@pytest.mark.parametrize(
    ("secure_boot", "code", "vars_"),
    [
        pytest.param(True, "OVMF_CODE.secboot.fd", "OVMF_VARS.secboot.fd", id="should use SecureBoot"),
        pytest.param(None, "OVMF_CODE.secboot.fd", "OVMF_VARS.secboot.fd",
                     id="should use SecureBoot when SB not defined"),
        pytest.param(False, "OVMF_CODE.fd", "OVMF_VARS.fd", id="should not use SecureBoot"),
        pytest.param(True, "OVMF_CODE.secboot.fd", "OVMF_VARS.fd",
                     id="should not use SecureBoot when OVMF_CODE.fd not present"),
    ],
)
def test_converter_efi_bootloader(secure_boot: bool | None, code: str, vars_: str) -> None:
    efi: JSON = {} if secure_boot is None else {"secureBoot": secure_boot}
    vmi = _vmi(firmware_spec={"bootloader": {"efi": efi}})
    vmi["status"] = {"runtimeUser": 107}
    secure = secure_boot is None or secure_boot
    domain = _converted(vmi, {"efiConfiguration": {"efiCode": code, "efiVars": vars_, "secureLoader": secure}})
    assert domain.os is not None
    assert to_xml(domain.os.loader, "loader") == (
        f'<loader readonly="yes" secure="{"yes" if secure else "no"}" type="pflash">{code}</loader>\n')
    assert to_xml(domain.os.nvram, "nvram") == (
        f'<nvram template="{vars_}">/var/run/kubevirt-private/libvirt/qemu/nvram/testvmi_VARS.fd</nvram>\n')


# KubeVirt: converter_test.go "EFI vars should be in the right place when running as root"
def test_converter_efi_vars_as_root() -> None:
    vmi = _vmi(firmware_spec=_efi(False))
    domain = _converted(vmi, {"efiConfiguration": {"efiCode": "OVMF_CODE.fd", "efiVars": "OVMF_VARS.fd"}})
    assert domain.os is not None
    assert to_xml(domain.os.loader, "loader") == (
        '<loader readonly="yes" secure="no" type="pflash">OVMF_CODE.fd</loader>\n')
    assert to_xml(domain.os.nvram, "nvram") == (
        '<nvram template="OVMF_VARS.fd">/var/lib/libvirt/qemu/nvram/testvmi_VARS.fd</nvram>\n')


def test_non_root_annotation_moves_the_nvram() -> None:
    vmi = _vmi(firmware_spec=_efi(False))
    vmi["metadata"]["annotations"] = {"kubevirt.io/nonroot": ""}
    assert _os_xml(vmi, _ctx(efi=EFI)).count("/var/run/kubevirt-private/libvirt/qemu/nvram/testvmi_VARS.fd") == 1


# KubeVirt: converter_test.go "should use firmware auto-selection for EFI Secure Boot"
def test_converter_firmware_auto_selection() -> None:
    vmi = _vmi(firmware_spec=_efi(True))
    vmi["status"] = {"runtimeUser": 107}
    domain = _converted(vmi, {"efiConfiguration": {"secureLoader": True, "usesFirmwareAutoSelection": True}})
    assert domain.os is not None and domain.os.firmware == "efi" and domain.os.loader is None
    assert to_xml(domain.os.firmware_info, "firmware") == (
        '<firmware>\n  <feature enabled="yes" name="secure-boot"/>\n  <feature enabled="yes" name="enrolled-keys"/>\n'
        "</firmware>\n")
    assert to_xml(domain.os.nvram, "nvram") == (
        '<nvram format="raw">/var/run/kubevirt-private/libvirt/qemu/nvram/testvmi_VARS.fd</nvram>\n')


SLIC_SECRET: JSON = {"name": "vol-slic", "secret": {"secretName": "secret-slic"}}
MSDM_SECRET: JSON = {"name": "vol-msdm", "secret": {"secretName": "secret-msdm"}}
SLIC_TABLE = f'<table type="slic">{SECRET_DIR}/vol-slic/slic.bin</table>\n'
MSDM_TABLE = f'<table type="msdm">{SECRET_DIR}/vol-msdm/msdm.bin</table>\n'


# KubeVirt: converter_test.go DescribeTable "ACPI table should be set to"
@pytest.mark.parametrize(
    ("acpi", "volumes", "tables", "error"),
    [
        pytest.param({"slicNameRef": "vol-slic"}, [SLIC_SECRET], [SLIC_TABLE], "", id="slic with secret"),
        pytest.param({"msdmNameRef": "vol-msdm"}, [MSDM_SECRET], [MSDM_TABLE], "", id="msdm with secret"),
        pytest.param({"slicNameRef": "vol-slic"}, [{"name": "vol-slic", "configMap": {}}], [],
                     "firmware's volume type is unsupported for slic", id="slic with configmap"),
        pytest.param({"msdmNameRef": "vol-msdm"}, [{"name": "vol-msdm", "configMap": {}}], [],
                     "firmware's volume type is unsupported for msdm", id="msdm with configmap"),
        pytest.param({"slicNameRef": "vol-slic"}, [{}], [], "firmware's volume for slic was not found",
                     id="slic without volume"),
        pytest.param({"msdmNameRef": "vol-msdm"}, [{}], [], "firmware's volume for msdm was not found",
                     id="msdm without volume"),
        pytest.param({"slicNameRef": "vol-slic", "msdmNameRef": "vol-msdm"}, [SLIC_SECRET, MSDM_SECRET],
                     [SLIC_TABLE, MSDM_TABLE], "", id="slic and msdm with secret"),
    ],
)
def test_converter_acpi_tables(acpi: JSON, volumes: list[JSON], tables: list[str], error: str) -> None:
    vmi = _vmi(firmware_spec={"acpi": acpi})
    vmi["spec"]["volumes"] = volumes
    if error:
        with pytest.raises(ConversionError, match=error):
            _converted(vmi)
        return
    domain = _converted(vmi)
    assert domain.os is not None and domain.os.acpi is not None
    assert [to_xml(t, "table") for t in domain.os.acpi.table] == tables


# KubeVirt: converter_test.go "should configure the kernel, initrd and Cmdline arguments correctly"
@pytest.mark.parametrize(
    ("kernel", "initrd", "args"),
    [
        pytest.param("/boot/vmlinuz", "/boot/initrd.img", "console=ttyS0",
                     id="when kernel, initrd and Cmdline are provided"),
        pytest.param("/boot/vmlinuz", "", "console=ttyS0", id="when only kernel and Cmdline are provided"),
        pytest.param("/boot/vmlinuz", "/boot/initrd.img", "", id="when only kernel and initrd are provided"),
        pytest.param("/boot/vmlinuz", "", "", id="when only kernel is provided"),
        pytest.param("", "/boot/initrd.img", "console=ttyS0", id="when only initrd and Cmdline are provided"),
        pytest.param("", "", "console=ttyS0", id="when only Cmdline is provided"),
        pytest.param("", "/boot/initrd.img", "", id="when only initrd is provided"),
        pytest.param("", "", "", id="when no arguments provided"),
    ],
)
def test_converter_kernel_boot(kernel: str, initrd: str, args: str) -> None:
    container = {"image": "kernel-image", "kernelPath": kernel, "initrdPath": initrd}
    vmi = _vmi(firmware_spec={"kernelBoot": {"kernelArgs": args, "container": container}})
    domain = _converted(vmi)
    assert domain.os is not None
    boot_dir = "/var/run/kubevirt/container-disks/kernel-boot"
    assert domain.os.kernel == (f"{boot_dir}/vmlinuz" if kernel else None)
    assert domain.os.initrd == (f"{boot_dir}/initrd.img" if initrd else None)
    assert domain.os.cmdline == (args or None)


def test_kernel_boot_artifacts_live_under_the_container_disk_dir() -> None:
    vmi = _vmi(firmware_spec={"kernelBoot": {"container": {"kernelPath": "/boot/vmlinuz/", "initrdPath": "initrd"}}})
    ctx = context_from_dict({"architecture": "s390x", "paths": {"containerDiskDir": "/mnt/disks/"}})
    domain = new_domain()
    firmware.configure(vmi, domain, ctx, BuildState())
    assert to_xml(domain.os, "os") == (
        "<os>\n  <kernel>/mnt/disks/kernel-boot/vmlinuz</kernel>\n  <initrd>/mnt/disks/kernel-boot/initrd</initrd>\n"
        "</os>\n")


# KubeVirt: converter_test.go "with Paused strategy" DescribeTable "bootmenu should be"
@pytest.mark.parametrize("paused", [True, False], ids=["enabled when set", "disabled when not set"])
def test_converter_boot_menu(paused: bool) -> None:
    vmi = _vmi(**({"startStrategy": "Paused"} if paused else {}))
    domain = _converted(vmi)
    assert domain.os is not None
    got = to_xml(domain.os.bootmenu, "bootmenu") if domain.os.bootmenu is not None else None
    assert got == ('<bootmenu enable="yes" timeout="10000"/>\n' if paused else None)
