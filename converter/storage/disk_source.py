"""Which file or device finally holds a disk's data (KubeVirt's disksource.Resolve).

A CBT disk points its `<source file>` at a qcow2 overlay whose `<dataStore>`
is the real volume; host probes (O_DIRECT, preallocation, block sizes) must
look at that backend, not at the overlay.
"""

from __future__ import annotations

from dataclasses import dataclass

from vmi_converter.converter.domain.model import Disk
from vmi_converter.converter.storage.paths import HOTPLUG_DISKS_DIR


@dataclass(frozen=True, slots=True)
class ResolvedSource:
    source_path: str = ""
    backend_path: str = ""
    backend_is_block: bool = False
    has_overlay: bool = False

    @property
    def is_hotplug_disk(self) -> bool:
        """The data lives in the launcher's hot-plug directory."""
        return self.backend_path.startswith(HOTPLUG_DISKS_DIR + "/")

    @property
    def is_hotplug_or_empty(self) -> bool:
        return self.is_hotplug_disk or not self.backend_path


def resolve(disk: Disk) -> ResolvedSource:
    source = disk.source
    if source is None:
        return ResolvedSource()
    path, is_block = "", False
    if source.dev:
        path, is_block = str(source.dev), True
    if source.file:
        path, is_block = str(source.file), False
    backend, backend_block, overlay = path, is_block, False
    store = source.data_store
    if store is not None and store.source is not None:
        overlay = True
        if store.source.dev:
            backend, backend_block = str(store.source.dev), True
        if store.source.file:
            backend, backend_block = str(store.source.file), False
    return ResolvedSource(path, backend, backend_block, overlay)
