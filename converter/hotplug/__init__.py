"""Disk hot-plug as one pure function: the device changes that bring a running domain in line with its VMI.

KubeVirt's launcher (manager.go `syncDisks`) converts the updated VMI,
compares its disks with the running domain's and then detaches, attaches
and updates devices one by one, probing each volume on its host first.
`hotplug_disk` returns the same three lists of device XML without touching
any host: the probe results arrive as per-volume facts, and a volume that is
not ready is reported in `not_ready` for the caller to retry on a later sync;
a probe that failed with an error fails the call, as it fails KubeVirt's sync.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from vmi_converter.converter.admission.defaults import apply_vmi_defaults
from vmi_converter.converter.common.build import BuildState, DiskDecision
from vmi_converter.converter.common.context import Context, context_from_dict
from vmi_converter.converter.common.errors import ConversionError, HostProbeError
from vmi_converter.converter.common.safe_xml import parse_domain
from vmi_converter.converter.common.vmi import JSON
from vmi_converter.converter.domain.model import Devices, Disk, Domain
from vmi_converter.converter.hotplug import device_xml, diff
from vmi_converter.converter.hotplug.facts import ProbeError, VolumeFacts, fold_into_context, volumes_from_dict
from vmi_converter.converter.storage import disks
from vmi_converter.converter.storage.host_io import apply_host_io

__all__ = ["DiskChange", "HotplugResult", "ProbeError", "VolumeFacts", "hotplug_disk", "hotplug_disk_from_request"]

_NOT_PROBED = VolumeFacts()


@dataclass(frozen=True, slots=True)
class DiskChange:
    volume: str  # the disk's name (its alias without "ua-")
    target_dev: str
    device_xml: str  # a standalone <disk> document for virDomain{Attach,Detach,Update}DeviceFlags

    def to_dict(self) -> JSON:
        return {"volume": self.volume, "targetDev": self.target_dev, "deviceXml": self.device_xml}


@dataclass(frozen=True, slots=True)
class HotplugResult:
    """In KubeVirt's order: detach all, then attach, then update (each with LIVE|CONFIG)."""

    detach: list[DiskChange] = field(default_factory=list)
    attach: list[DiskChange] = field(default_factory=list)
    update: list[DiskChange] = field(default_factory=list)
    not_ready: list[str] = field(default_factory=list)  # volumes skipped until their backend is ready

    def to_dict(self) -> JSON:
        return {
            "detach": [change.to_dict() for change in self.detach],
            "attach": [change.to_dict() for change in self.attach],
            "update": [change.to_dict() for change in self.update],
            "notReady": list(self.not_ready),
        }


def hotplug_disk(
    domain_xml: str,
    vmi: JSON,
    context: JSON | Context | None = None,
    volumes: Mapping[str, VolumeFacts] | None = None,
) -> HotplugResult:
    """The disk devices to detach, attach and update so the running domain matches `vmi`.

    `domain_xml` is libvirt's live XML of the running domain (GetXMLDesc(0)),
    untrusted; `vmi` the VMI after virt-handler's rewrites, with
    `status.volumeStatus`; `context` the converter context of a conversion;
    `volumes` the host facts per volume name.
    """
    if not isinstance(vmi, dict):
        raise ConversionError("vmi", "expected the VMI as a JSON object")
    if context is not None and not isinstance(context, dict | Context):
        raise ConversionError("context", "expected the converter context as a JSON object")
    volumes = volumes or {}
    live = diff.live_disks(parse_domain(domain_xml, "domainXml"))
    base = context if isinstance(context, Context) else context_from_dict(context)
    ctx = fold_into_context(base, vmi, volumes)
    decisions = _converted_disks(vmi, ctx)
    wanted = [decided.disk for decided in decisions]
    not_ready: list[str] = []
    return HotplugResult(
        detach=[
            DiskChange(diff.volume_name(d.model), diff.target_dev(d.model), device_xml.detach_xml(d.element))
            for d in diff.detached(live, wanted)
        ],
        attach=_attachments(diff.attached(live, wanted), decisions, ctx, volumes, not_ready),
        update=_updates(diff.updated(live, wanted), volumes, not_ready),
        not_ready=not_ready,
    )


def _converted_disks(vmi: JSON, ctx: Context) -> list[DiskDecision]:
    """The VMI's disks as the storage configurator converts them (hot-plug disks only once mounted)."""
    vmi = copy.deepcopy(vmi)
    apply_vmi_defaults(vmi, ctx.arch.name)
    state = BuildState()
    disks.configure(vmi, Domain(devices=Devices()), ctx, state)
    return state.disks


def _attachments(
    candidates: list[Disk],
    decisions: list[DiskDecision],
    ctx: Context,
    volumes: Mapping[str, VolumeFacts],
    not_ready: list[str],
) -> list[DiskChange]:
    going_in = {id(disk) for disk in candidates}
    ready = []
    for decided in decisions:
        if id(decided.disk) not in going_in:
            continue
        if _ready(decided.volume, volumes):
            ready.append(decided)
        else:
            _note(not_ready, decided.volume)
    # Cache and IO modes depend on the backend, so they are settled only for disks going in now.
    apply_host_io(ready, ctx)
    return [DiskChange(d.volume, diff.target_dev(d.disk), device_xml.attach_xml(d.disk)) for d in ready]


def _updates(
    changes: list[diff.MediumChange], volumes: Mapping[str, VolumeFacts], not_ready: list[str]
) -> list[DiskChange]:
    result = []
    for change in changes:
        # Only a medium going in must be ready; an eject needs nothing from the host.
        if change.inserts_medium and not _ready(change.new_volume, volumes):
            _note(not_ready, change.new_volume)
            continue
        live = change.live.model
        # A drive converted without a medium has no alias yet: the medium going in names it.
        volume = diff.volume_name(live) or change.new_volume
        result.append(DiskChange(volume, diff.target_dev(live), device_xml.update_xml(change)))
    return result


def _ready(volume: str, volumes: Mapping[str, VolumeFacts]) -> bool:
    """The readiness check's answer; an error other than "not found" fails the sync, as in KubeVirt."""
    facts = volumes.get(volume, _NOT_PROBED)
    error = facts.probe_error
    if error is None:
        return facts.ready
    if error.not_found:
        return False
    raise HostProbeError(f'volumes["{volume}"].probeError', error.message or "readiness check failed", volume)


def _note(not_ready: list[str], volume: str) -> None:
    if volume not in not_ready:
        not_ready.append(volume)


def hotplug_disk_from_request(document: Any) -> JSON:  # checked here (compiled signatures raise TypeError)
    """JSON in, JSON out: `{"domainXml", "vmi", "context"?, "volumes"?}` →
    `{"detach", "attach", "update": [{"volume", "targetDev", "deviceXml"}], "notReady": [volume]}`."""
    if not isinstance(document, dict):
        raise ConversionError("", "expected the request as a JSON object")
    domain_xml, vmi, context = document.get("domainXml"), document.get("vmi"), document.get("context")
    if not isinstance(domain_xml, str):
        raise ConversionError("domainXml", "expected the domain XML as a string")
    if not isinstance(vmi, dict):
        raise ConversionError("vmi", "expected the VMI as a JSON object")
    if context is not None and not isinstance(context, dict):
        raise ConversionError("context", "expected the converter context as a JSON object")
    volumes = volumes_from_dict(document.get("volumes"))
    return hotplug_disk(domain_xml, vmi, context, volumes).to_dict()
