"""The domain XML a live migration sends to the target, as one pure function.

KubeVirt builds it in two places: the source launcher rewrites libvirt's
migratable XML (slices and file/block swaps for volumes copied to new
storage, then the VMI UID swap), and libvirt's qemu hook lets the target
launcher adapt it to the target pod (dedicated CPUs, namespace in disk paths,
tap names, vGPU UUID). `migratable_xml` always runs the source stage and runs
the target stage when target facts are given. The input document is edited
in place, so anything not rewritten, `<metadata>` included, is kept. The
answer also carries the flags and parameters of libvirt's migration call.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lxml import etree

from vmi_converter.converter.common.errors import ConversionError
from vmi_converter.converter.common.safe_xml import parse_domain
from vmi_converter.converter.common.vmi import JSON, uid
from vmi_converter.converter.migration import source as source_stage
from vmi_converter.converter.migration import target_hooks
from vmi_converter.converter.migration.cpu_hook import cpu_dedicated_hook
from vmi_converter.converter.migration.facts import GPUDevice, SourceFacts, TargetFacts, VolumeFacts
from vmi_converter.converter.migration.params import (
    DEFAULT_SHARE_DIR,
    MigrationOptions,
    MigrationParams,
    is_block_migration,
    migration_params,
    quantity_to_mebibytes,
)
from vmi_converter.converter.migration.xml_edit import serialize

__all__ = [
    "GPUDevice",
    "MigratableXML",
    "MigrationOptions",
    "MigrationParams",
    "SourceFacts",
    "TargetFacts",
    "VolumeFacts",
    "migratable_xml",
    "migratable_xml_from_request",
]


@dataclass(frozen=True, slots=True)
class MigratableXML:
    domain_xml: str  # libvirt's DestXML and PersistXML
    dest_name: str  # libvirt's DestName
    disks_to_copy: list[str]  # target devs for MigrateDisks (and MigrateDisksDetectZeroes)
    params: MigrationParams  # the flags and the other parameters of MigrateToURI3

    def to_dict(self) -> JSON:
        result = {"domainXml": self.domain_xml, "destName": self.dest_name, "disksToCopy": list(self.disks_to_copy)}
        result.update(self.params.to_dict())
        result["warnings"] = list(self.params.warnings)
        return result


def migratable_xml(
    # Checked here, not by the signature: a compiled signature raises TypeError on bad input.
    domain_xml: object,
    vmi: Any,
    source: SourceFacts | None = None,
    target: TargetFacts | None = None,
    live_xml: object = None,
    *,
    options: MigrationOptions | None = None,
    paused: bool = False,
    share_dir: str = DEFAULT_SHARE_DIR,
) -> MigratableXML:
    """The destination XML, domain name, disks to copy and call parameters for migrating `vmi`.

    `domain_xml` is libvirt's GetXMLDesc(MIGRATABLE) of the running domain;
    `live_xml` its GetXMLDesc(0), which KubeVirt reads the disks to copy from
    (the migratable XML is used when it is not given). `options` are
    virt-handler's migration options, `paused` the domain's state and
    `share_dir` the launcher's share directory (the proxy sockets' home).
    """
    if not isinstance(vmi, dict):
        raise ConversionError("vmi", "expected the VMI as a JSON object")
    source = source or SourceFacts()
    options = options or MigrationOptions()
    bandwidth = quantity_to_mebibytes(options.bandwidth, "migrationOptions.bandwidth")  # KubeVirt's first step
    root = parse_domain(domain_xml, "domainXml")
    source_stage.configure_local_disks(root, vmi, source)
    new_uid = source_stage.target_uid(vmi, source)
    if new_uid is not None:
        source_stage.replace_uid(root, uid(vmi), new_uid)
    if live_xml is None:
        disks = source_stage.disks_to_copy(root, vmi, source)
    else:
        disks = source_stage.disks_to_copy(parse_domain(live_xml, "liveXml"), vmi, source, "liveXml")
    if target is not None:
        _run_target_hooks(root, vmi, target)
    block = is_block_migration(vmi, source_stage.migrated_volume_names(vmi, source))
    params = migration_params(
        vmi, options, bandwidth_mib=bandwidth, paused=paused, block_migration=block, copies_disks=bool(disks),
        share_dir=share_dir,
    )
    return MigratableXML(
        domain_xml=serialize(root), dest_name=source_stage.dest_name(vmi), disks_to_copy=disks, params=params
    )


def _run_target_hooks(root: etree._Element, vmi: JSON, target: TargetFacts) -> None:
    """The target launcher's hooks, in KubeVirt's registration order."""
    cpu_dedicated_hook(root, vmi, target)
    target_hooks.disk_source_path_hook(root, vmi, target)
    if target.upgrade_ordinal_ifaces:
        target_hooks.upgrade_ordinal_naming_scheme(root, vmi, target)
    if target.vgpu_hook:
        target_hooks.vgpu_live_migration(root, target)


def migratable_xml_from_request(document: Any) -> JSON:  # checked here, like migratable_xml
    """JSON in, JSON out, in the MigratableXMLRequest/Response JSON form:
    `{"domainXml", "liveDomainXml"?, "vmi", "sourceFacts"?, "targetFacts"?, "migrationOptions"?,
    "domainPaused"?, "shareDir"?}` → `{"domainXml", "destName", "disksToCopy", "flags", "flagsMask",
    "migrationUri", "disksUri", "destConnectionUri", "bandwidthMib", "compression",
    "parallelConnections"?, "warnings"}`."""
    if not isinstance(document, dict):
        raise ConversionError("", "expected the request as a JSON object")
    domain_xml, vmi = document.get("domainXml"), document.get("vmi")
    if not isinstance(domain_xml, str):
        raise ConversionError("domainXml", "expected the domain XML as a string")
    if not isinstance(vmi, dict):
        raise ConversionError("vmi", "expected the VMI as a JSON object")
    target = document.get("targetFacts")
    result = migratable_xml(
        domain_xml,
        vmi,
        source=SourceFacts.from_dict(document.get("sourceFacts")),
        target=None if target is None else TargetFacts.from_dict(target),
        live_xml=document.get("liveDomainXml") or None,
        options=MigrationOptions.from_dict(document.get("migrationOptions")),
        paused=_paused(document.get("domainPaused")),
        share_dir=_share_dir(document.get("shareDir")),
    )
    return result.to_dict()


def _paused(value: Any) -> bool:
    if value is None or isinstance(value, bool):
        return value is True
    raise ConversionError("domainPaused", "expected a boolean")


def _share_dir(value: Any) -> str:
    if value is None:
        return DEFAULT_SHARE_DIR
    if not isinstance(value, str) or not value.startswith("/"):
        raise ConversionError("shareDir", "expected an absolute directory path")
    return value
