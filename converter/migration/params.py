"""The flags and parameters of libvirt's migration call (KubeVirt's live-migration-source.go).

`migration_flags` is generateMigrationFlags and `migration_params` the parts of
generateMigrationParams besides the XML: the proxy URIs, bandwidth,
compression and parallel connections, from virt-handler's MigrationOptions.
The numeric flag values are libvirt's (include/libvirt/libvirt-domain.h).
"""

from __future__ import annotations

import json
import math
import posixpath
from dataclasses import dataclass, field
from typing import Any

from vmi_converter.converter.common import quantity
from vmi_converter.converter.common.errors import ConversionError
from vmi_converter.converter.common.vmi import JSON, metadata, status

# virDomainMigrateFlags, as libvirt defines them.
VIR_MIGRATE = {
    "VIR_MIGRATE_LIVE": 1 << 0,
    "VIR_MIGRATE_PEER2PEER": 1 << 1,
    "VIR_MIGRATE_PERSIST_DEST": 1 << 3,
    "VIR_MIGRATE_PAUSED": 1 << 5,
    "VIR_MIGRATE_NON_SHARED_INC": 1 << 7,
    "VIR_MIGRATE_UNSAFE": 1 << 9,
    "VIR_MIGRATE_COMPRESSED": 1 << 11,
    "VIR_MIGRATE_AUTO_CONVERGE": 1 << 13,
    "VIR_MIGRATE_POSTCOPY": 1 << 15,
    "VIR_MIGRATE_PARALLEL": 1 << 17,
}

DEFAULT_SHARE_DIR = "/var/run/kubevirt"  # virt-launcher's --kubevirt-share-dir default
# The migration proxy's ports (pkg/virt-handler/migration-proxy): memory stream and disk copy.
DIRECT_MIGRATION_PORT = 49152
BLOCK_MIGRATION_PORT = 49153
NON_ROOT_ANNOTATION = "kubevirt.io/nonroot"
BLOCK_MIGRATION = "BlockMigration"
# KubeVirt's MigrationCompression values and the method libvirt is given for each.
COMPRESSION_METHODS = {"zstd": "zstd"}
NO_COMPRESSION = ("", "none")
MEBIBYTE = 1048576
INT64_MAX = 2**63 - 1


@dataclass(frozen=True, slots=True)
class MigrationOptions:
    """The fields of KubeVirt's cmd-client MigrationOptions that shape the migration call."""

    bandwidth: str | int = 0  # a Kubernetes quantity
    unsafe_migration: bool = False
    allow_auto_converge: bool = False
    allow_post_copy: bool = False
    parallel_migration_threads: int | None = None
    compression: str | None = None

    @classmethod
    def from_dict(cls, data: Any, path: str = "migrationOptions") -> MigrationOptions:
        if data is None:
            return cls()
        if not isinstance(data, dict):
            raise ConversionError(path, "expected an object")
        bandwidth = data.get("bandwidth", 0)
        if isinstance(bandwidth, bool) or not isinstance(bandwidth, str | int):
            raise ConversionError(f"{path}.bandwidth", "expected a quantity such as \"64Mi\"")
        threads = data.get("parallelMigrationThreads")
        if threads is not None and (isinstance(threads, bool) or not isinstance(threads, int) or threads < 0):
            raise ConversionError(f"{path}.parallelMigrationThreads", "expected a non-negative integer")
        compression = data.get("compression")
        if compression is not None and not isinstance(compression, str):
            raise ConversionError(f"{path}.compression", "expected a string")
        return cls(
            bandwidth=bandwidth,
            unsafe_migration=_flag(data, "unsafeMigration", path),
            allow_auto_converge=_flag(data, "allowAutoConverge", path),
            allow_post_copy=_flag(data, "allowPostCopy", path),
            parallel_migration_threads=threads,
            compression=compression,
        )


def _flag(data: JSON, key: str, path: str) -> bool:
    value = data.get(key, False)
    if not isinstance(value, bool):
        raise ConversionError(f"{path}.{key}", "expected a boolean")
    return value


@dataclass(frozen=True, slots=True)
class MigrationParams:
    flags: list[str]  # VIR_MIGRATE_* names in ascending bit order
    flags_mask: int
    migration_uri: str  # VIR_MIGRATE_PARAM_URI
    disks_uri: str  # VIR_MIGRATE_PARAM_DISKS_URI; "" when no disk is copied
    dest_connection_uri: str  # MigrateToURI3's dconnuri
    bandwidth_mib: int  # VIR_MIGRATE_PARAM_BANDWIDTH; 0: unset
    compression: str  # VIR_MIGRATE_PARAM_COMPRESSION; "": unset
    parallel_connections: int | None  # VIR_MIGRATE_PARAM_PARALLEL_CONNECTIONS; None: unset
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> JSON:
        result: JSON = {
            "flags": list(self.flags),
            "flagsMask": self.flags_mask,
            "migrationUri": self.migration_uri,
            "disksUri": self.disks_uri,
            "destConnectionUri": self.dest_connection_uri,
            "bandwidthMib": self.bandwidth_mib,
            "compression": self.compression,
        }
        if self.parallel_connections is not None:
            result["parallelConnections"] = self.parallel_connections
        return result


def compression_method(options: MigrationOptions) -> tuple[str, list[str]]:
    """shouldCompressMigration: libvirt's method ("" for none) and the warning of an unknown one."""
    if options.compression is None or options.compression in NO_COMPRESSION:
        return "", []
    method = COMPRESSION_METHODS.get(options.compression)
    if method is None:
        return "", [f"Unsupported migration compression method {json.dumps(options.compression)}, "
                    "compression will be disabled"]
    return method, []


def migration_flags(block_migration: bool, paused: bool, options: MigrationOptions) -> list[str]:
    """generateMigrationFlags, as libvirt flag names."""
    wanted = {
        "VIR_MIGRATE_LIVE": True,
        "VIR_MIGRATE_PEER2PEER": True,
        "VIR_MIGRATE_PERSIST_DEST": True,
        "VIR_MIGRATE_NON_SHARED_INC": block_migration,
        "VIR_MIGRATE_UNSAFE": options.unsafe_migration,
        "VIR_MIGRATE_AUTO_CONVERGE": options.allow_auto_converge,
        "VIR_MIGRATE_POSTCOPY": options.allow_post_copy,
        "VIR_MIGRATE_PAUSED": paused,
        "VIR_MIGRATE_PARALLEL": options.parallel_migration_threads is not None,
        "VIR_MIGRATE_COMPRESSED": bool(compression_method(options)[0]),
    }
    return sorted((name for name, on in wanted.items() if on), key=VIR_MIGRATE.__getitem__)


def flags_mask(flags: list[str]) -> int:
    mask = 0
    for name in flags:
        mask |= VIR_MIGRATE[name]
    return mask


def quantity_to_mebibytes(amount: str | int, path: str) -> int:
    """KubeVirt's QuantityToMebiByte: bytes rounded to the nearest MiB, but at least 1 when not 0."""
    try:
        exact = quantity.parse(amount)
    except quantity.QuantityError as err:
        raise ConversionError(path, str(err)) from err
    # Quantity.AsInt64 holds for exact integers; otherwise KubeVirt takes Value() - 1.
    size = int(exact) if exact.denominator == 1 else math.ceil(exact) - 1
    if size < 0:
        raise ConversionError(path, f"Memory size '{amount}' must be greater than or equal to 0")
    if size > INT64_MAX:
        raise ConversionError(path, f"{amount} does not fit in 64 bits")
    if size == 0:
        return 0
    if size < MEBIBYTE:
        return 1
    return int(float(size) / MEBIBYTE + 0.5)


def is_block_migration(vmi: JSON, migrated_volumes: set[str]) -> bool:
    """VirtualMachineInstance.IsBlockMigration, with the volumes the request's facts mark migrated."""
    return status(vmi).get("migrationMethod") == BLOCK_MIGRATION or bool(migrated_volumes)


def is_non_root(vmi: JSON) -> bool:
    """vmitrait.IsNonRoot: the deprecated annotation or a non-zero runtime user."""
    annotations = metadata(vmi).get("annotations")
    annotated = isinstance(annotations, dict) and NON_ROOT_ANNOTATION in annotations
    return annotated or status(vmi).get("runtimeUser") not in (None, 0)


def proxy_socket(share_dir: str, key: str) -> str:
    """migrationproxy.SourceUnixFile."""
    return posixpath.normpath(posixpath.join(share_dir, "migrationproxy", f"{key}-source.sock"))


def migration_params(
    vmi: JSON,
    options: MigrationOptions,
    *,
    bandwidth_mib: int,
    paused: bool,
    block_migration: bool,
    copies_disks: bool,
    share_dir: str = DEFAULT_SHARE_DIR,
) -> MigrationParams:
    """What generateMigrationParams and migrateHelper hand libvirt besides the XML.

    `bandwidth_mib` comes from `quantity_to_mebibytes`, which KubeVirt runs before
    it touches the XML (so a bad bandwidth is reported first).
    """
    vmi_uid = str(metadata(vmi).get("uid") or "")
    compression, warnings = compression_method(options)
    flags = migration_flags(block_migration, paused, options)
    session = "session" if is_non_root(vmi) else "system"
    return MigrationParams(
        flags=flags,
        flags_mask=flags_mask(flags),
        migration_uri="unix://" + proxy_socket(share_dir, f"{vmi_uid}-{DIRECT_MIGRATION_PORT}"),
        disks_uri="unix://" + proxy_socket(share_dir, f"{vmi_uid}-{BLOCK_MIGRATION_PORT}") if copies_disks else "",
        dest_connection_uri=f"qemu+unix:///{session}?socket={proxy_socket(share_dir, vmi_uid)}",
        bandwidth_mib=bandwidth_mib,
        compression=compression,
        parallel_connections=options.parallel_migration_threads,
        warnings=warnings,
    )
