"""virtiofs shares: a `<filesystem>` served by the virtiofsd of a sidecar over a socket."""

from __future__ import annotations

from vmi_converter.converter.common.build import BuildState
from vmi_converter.converter.common.context import Context
from vmi_converter.converter.common.vmi import JSON, devices, items
from vmi_converter.converter.domain.model import (
    Devices,
    Domain,
    FilesystemDevice,
    FilesystemDriver,
    FilesystemSource,
    FilesystemTarget,
)
from vmi_converter.converter.storage import paths

QUEUE_SIZE = "1024"


def configure(vmi: JSON, domain: Domain, ctx: Context, state: BuildState) -> None:
    for fs in items(devices(vmi).get("filesystems")):
        if not isinstance(fs, dict) or not isinstance(fs.get("virtiofs"), dict):
            continue
        name = str(fs.get("name") or "")
        if domain.devices is None:
            domain.devices = Devices()
        domain.devices.filesystems.append(
            FilesystemDevice(
                # KubeVirt also writes accessMode="passthrough"; libvirt only knows `accessmode`, ignores
                # the camel-case spelling and defaults virtiofs to passthrough: leave it out.
                type="mount",
                driver=FilesystemDriver(type="virtiofs", queue=QUEUE_SIZE),
                source=FilesystemSource(socket=paths.virtiofs_socket(ctx.paths, name)),
                target=FilesystemTarget(dir=name),
            )
        )
