"""Per-architecture traits the configurators consult (KubeVirt's arch converters)."""

from __future__ import annotations

from dataclasses import dataclass

AMD64, ARM64, S390X = "amd64", "arm64", "s390x"


@dataclass(frozen=True, slots=True)
class Arch:
    name: str
    libvirt_arch: str  # <os><type arch=...>
    machine: str  # default <os><type machine=...>
    emulator: str  # QEMU binary for cross-arch emulation
    usb_always_needed: bool | None  # True: always, False: never, None: depends on devices
    cpu_hotplug: bool
    smbios: bool
    vmport: bool
    rom_tuning: bool
    mpx_validation: bool
    verbose_firmware_logs: bool
    pcihole64_disabling: bool
    pcie_placement: bool
    memfd: bool

    def virtio_model(self, transitional: bool) -> str:
        if self.name == S390X:
            return "virtio"
        return "virtio-transitional" if transitional else "virtio-non-transitional"

    def scsi_controller_model(self, virtio_model: str) -> str:
        return "virtio-scsi" if self.name == S390X else virtio_model


ARCHES: dict[str, Arch] = {
    AMD64: Arch(
        AMD64,
        "x86_64",
        "q35",
        "/usr/bin/qemu-system-x86_64",
        None,
        True,
        True,
        True,
        True,
        True,
        True,
        True,
        True,
        True,
    ),
    ARM64: Arch(
        ARM64,
        "aarch64",
        "virt",
        "/usr/bin/qemu-system-aarch64",
        True,
        False,
        True,
        False,
        True,
        False,
        False,
        False,
        True,
        True,
    ),
    S390X: Arch(
        S390X,
        "s390x",
        "s390-ccw-virtio",
        "/usr/bin/qemu-system-s390x",
        False,
        True,
        False,
        False,
        False,
        False,
        False,
        False,
        False,
        False,
    ),
}


def emulator_for(guest: str) -> str | None:
    """The QEMU binary that emulates `guest`, by KubeVirt's or the kernel's name for it (arm64 or aarch64)."""
    arch = ARCHES.get(guest) or next((a for a in ARCHES.values() if a.libvirt_arch == guest), None)
    return arch.emulator if arch is not None else None


def get_arch(name: str) -> Arch:
    """KubeVirt falls back to amd64 for an unknown architecture; so do we."""
    return ARCHES.get(name, ARCHES[AMD64])
