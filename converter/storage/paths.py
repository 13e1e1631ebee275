"""Where the launcher puts each volume's backing file, device or ISO.

Fixed locations are KubeVirt's; the directories a launcher flag can move
(cloud-init, container disks, ephemeral overlays, virtiofs sockets) come
from `ctx.paths`.
"""

from __future__ import annotations

import posixpath

from vmi_converter.converter.common.context import Paths

PRIVATE_DIR = "/var/run/kubevirt-private"
VMI_DISKS_DIR = f"{PRIVATE_DIR}/vmi-disks"
HOTPLUG_DISKS_DIR = "/var/run/kubevirt/hotplug-disks"
EMPTY_DISKS_DIR = "/var/run/libvirt/empty-disks"
CONFIG_MAP_DISKS_DIR = f"{PRIVATE_DIR}/config-map-disks"
SECRET_DISKS_DIR = f"{PRIVATE_DIR}/secret-disks"
SYSPREP_DISKS_DIR = f"{PRIVATE_DIR}/sysprep-disks"
DOWNWARD_API_DISKS_DIR = f"{PRIVATE_DIR}/downwardapi-disks"
SERVICE_ACCOUNT_DISK = f"{PRIVATE_DIR}/service-account-disk/service-account.iso"
DOWNWARD_METRICS_DISK = f"{DOWNWARD_API_DISKS_DIR}/vhostmd0"
PR_HELPER_SOCKET = "/var/run/kubevirt/daemons/pr/pr-helper.sock"

NO_CLOUD_ISO = "noCloud.iso"
CONFIG_DRIVE_ISO = "configdrive.iso"


def filesystem_image(volume: str) -> str:
    """The disk.img of a filesystem-mode PVC/DataVolume."""
    return f"{VMI_DISKS_DIR}/{volume}/disk.img"


def block_device(volume: str) -> str:
    return f"/dev/{volume}"


def hotplug_filesystem_image(volume: str) -> str:
    return f"{HOTPLUG_DISKS_DIR}/{volume}.img"


def hotplug_block_device(volume: str) -> str:
    return f"{HOTPLUG_DISKS_DIR}/{volume}"


def host_disk_image(volume: str, path: str) -> str:
    """A hostDisk is mounted under the volume's directory, keeping the file's base name."""
    return f"{VMI_DISKS_DIR}/{volume}/{posixpath.basename(path)}"


def empty_disk_image(volume: str) -> str:
    return f"{EMPTY_DISKS_DIR}/{volume}.qcow2"


def config_map_iso(volume: str) -> str:
    return f"{CONFIG_MAP_DISKS_DIR}/{volume}.iso"


def secret_iso(volume: str) -> str:
    return f"{SECRET_DISKS_DIR}/{volume}.iso"


def downward_api_iso(volume: str) -> str:
    return f"{DOWNWARD_API_DISKS_DIR}/{volume}.iso"


def sysprep_iso(volume: str) -> str:
    return f"{SYSPREP_DISKS_DIR}/{volume}.iso"


def cloud_init_iso(paths: Paths, namespace: str, vmi_name: str, iso: str) -> str:
    return f"{paths.cloud_init_dir}/{namespace}/{vmi_name}/{iso}"


def container_disk_image(paths: Paths, volume_index: int) -> str:
    """The image a containerDisk volume exposes, numbered by the volume's index in spec.volumes."""
    return posixpath.join(paths.container_disk_dir, f"disk_{volume_index}.img")


def ephemeral_overlay(paths: Paths, volume: str) -> str:
    """The qcow2 overlay the launcher creates over a read-only backing image."""
    return posixpath.join(paths.ephemeral_disk_dir, volume, "disk.qcow2")


def virtiofs_socket(paths: Paths, name: str) -> str:
    return posixpath.join(paths.virtiofs_socket_dir, f"{name}.sock")
