"""`<memoryBacking>`: hugepages, shared access for virtiofs/passt, memfd source."""

from __future__ import annotations

from vmi_converter.converter.common.build import BuildState
from vmi_converter.converter.common.context import Context
from vmi_converter.converter.common.vmi import JSON
from vmi_converter.converter.compute.cpu import has_hugepages, memfd_required, needs_shared_memory
from vmi_converter.converter.domain.model import (
    Domain,
    HugePages,
    MemoryBacking,
    MemoryBackingAccess,
    MemoryBackingSource,
)


def configure(vmi: JSON, domain: Domain, ctx: Context, state: BuildState) -> None:
    hugepages, shared = has_hugepages(vmi), needs_shared_memory(vmi)
    if not hugepages and not shared:
        return
    backing = MemoryBacking()
    if hugepages:
        backing.huge_pages = HugePages()
    if shared:
        backing.access = MemoryBackingAccess(mode="shared")
    if ctx.arch.memfd and memfd_required(vmi):
        backing.source = MemoryBackingSource(type="memfd")
    domain.memory_backing = backing
