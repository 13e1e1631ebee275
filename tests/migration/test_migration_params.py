"""The flags and parameters of libvirt's migration call, beside the destination XML.

Ported from KubeVirt's pkg/virt-launcher/virtwrap/live-migration-source_test.go
(generateMigrationFlags, shouldConfigureParallelMigration) and
converter/converter_test.go (QuantityToMebiByte); the rest follows
generateMigrationParams and migrateHelper in live-migration-source.go.
"""

from __future__ import annotations

import pytest
from migration_helpers import JSON, SIZE, vmi

from vmi_converter.converter.common.errors import ConversionError, HostProbeError
from vmi_converter.converter.migration import (
    MigrationOptions,
    SourceFacts,
    VolumeFacts,
    migratable_xml,
    migratable_xml_from_request,
)
from vmi_converter.converter.migration.params import VIR_MIGRATE, migration_flags, quantity_to_mebibytes

try:
    import libvirt
except ImportError:  # pragma: no cover - scripts/setup --test installs it
    libvirt = None

UID = "11111111-2222-4333-8444-555555555555"
ALWAYS = ["VIR_MIGRATE_LIVE", "VIR_MIGRATE_PEER2PEER", "VIR_MIGRATE_PERSIST_DEST"]
FILE_DISK = ('<domain type="kvm"><name>ns_vm</name><devices><disk type="file" device="disk">'
             '<source file="/var/run/kubevirt-private/vmi-disks/data/disk.img"/><target dev="vda" bus="virtio"/>'
             '<alias name="ua-data"/></disk></devices></domain>')


def _vmi(**status: object) -> JSON:
    result = vmi(name="vm", namespace="ns", spec={"volumes": [{"name": "data", "persistentVolumeClaim": {
        "claimName": "data"}}]}, status=dict(status))
    result["metadata"]["uid"] = UID
    return result


@pytest.mark.skipif(libvirt is None, reason="libvirt-python not installed")
def test_flag_values_are_libvirts() -> None:
    assert {name: getattr(libvirt, name) for name in VIR_MIGRATE} == VIR_MIGRATE


# KubeVirt: live-migration-source_test.go Context("generateMigrationFlags") DescribeTable("check migration flags")
@pytest.mark.parametrize(("migration_type", "extra"), [
    pytest.param("block", ["VIR_MIGRATE_NON_SHARED_INC"], id="with block migration"),
    pytest.param("live", [], id="without block migration"),
    pytest.param("unsafe", ["VIR_MIGRATE_UNSAFE"], id="unsafe migration"),
    pytest.param("autoConverge", ["VIR_MIGRATE_AUTO_CONVERGE"], id="migration auto converge"),
    pytest.param("postCopy", ["VIR_MIGRATE_POSTCOPY"], id="migration using postcopy"),
    pytest.param("paused", ["VIR_MIGRATE_PAUSED"], id="migration of paused vmi"),
])
def test_check_migration_flags(migration_type: str, extra: list[str]) -> None:
    options = MigrationOptions(
        unsafe_migration=migration_type == "unsafe",
        allow_auto_converge=migration_type == "autoConverge",
        allow_post_copy=migration_type == "postCopy",
    )
    flags = migration_flags(migration_type == "block", migration_type == "paused", options)
    assert flags == sorted(ALWAYS + extra, key=VIR_MIGRATE.__getitem__)


# KubeVirt: live-migration-source_test.go Context("shouldConfigureParallelMigration"), both tables,
# seen through the flag and the parameter it decides
@pytest.mark.parametrize(("options", "connections"), [
    pytest.param(None, None, id="with nil options"),
    pytest.param(MigrationOptions(parallel_migration_threads=None), None, id="with nil migration threads"),
    pytest.param(MigrationOptions(parallel_migration_threads=None, allow_post_copy=True), None,
                 id="with nil migration threads and post-copy allowed"),
    pytest.param(MigrationOptions(parallel_migration_threads=3, allow_post_copy=False), 3,
                 id="with non-nil migration threads and post-copy not allowed"),
    pytest.param(MigrationOptions(parallel_migration_threads=3, allow_post_copy=True), 3,
                 id="with non-nil migration threads and post-copy allowed"),
])
def test_parallel_migration(options: MigrationOptions | None, connections: int | None) -> None:
    result = migratable_xml(FILE_DISK, _vmi(), options=options)
    assert result.params.parallel_connections == connections
    assert ("VIR_MIGRATE_PARALLEL" in result.params.flags) is (connections is not None)


# KubeVirt: converter_test.go DescribeTable("should calculate mebibyte from a quantity")
@pytest.mark.parametrize(("amount", "mebibytes"), [
    pytest.param("0M", 0, id="when 0M is given"),
    pytest.param("0", 0, id="when 0 is given"),
    pytest.param("1", 1, id="when 1 is given"),
    pytest.param("1M", 1, id="when 1M is given"),
    pytest.param("3M", 3, id="when 3M is given"),
    pytest.param("100M", 95, id="when 100M is given"),
    pytest.param("1Mi", 1, id="when 1Mi is given"),
    pytest.param("2G", 1907, id="when 2G are given"),
    pytest.param("2Gi", 2 * 1024, id="when 2Gi are given"),
    pytest.param("2780Gi", 2780 * 1024, id="when 2780Gi are given"),
    # not in KubeVirt's table: a fraction of a byte is Value() - 1 (QuantityToByte)
    pytest.param("100m", 0, id="a tenth of a byte"),
    pytest.param("1.5", 1, id="one and a half bytes"),
])
def test_quantity_to_mebibytes(amount: str, mebibytes: int) -> None:
    assert quantity_to_mebibytes(amount, "b") == mebibytes


# KubeVirt: converter_test.go "should fail calculating mebibyte if the quantity is less than 0"
def test_negative_bandwidth_is_refused_before_the_xml_is_read() -> None:
    with pytest.raises(ConversionError) as err:
        migratable_xml("not xml", _vmi(), options=MigrationOptions(bandwidth="-2G"))
    assert (err.value.field, err.value.message) == (
        "migrationOptions.bandwidth", "Memory size '-2G' must be greater than or equal to 0")


def test_bandwidth_in_mebibytes() -> None:
    # generateMigrationParams: Bandwidth in MiB/s, set only when above 0
    assert migratable_xml(FILE_DISK, _vmi(), options=MigrationOptions(bandwidth="64Mi")).params.bandwidth_mib == 64
    assert migratable_xml(FILE_DISK, _vmi()).params.bandwidth_mib == 0


# live-migration-source.go shouldCompressMigration
@pytest.mark.parametrize(("compression", "method", "warnings"), [
    pytest.param(None, "", [], id="unset"),
    pytest.param("", "", [], id="empty"),
    pytest.param("none", "", [], id="none"),
    pytest.param("zstd", "zstd", [], id="zstd"),
    pytest.param("lz4", "", ['Unsupported migration compression method "lz4", compression will be disabled'],
                 id="unknown method"),
])
def test_compression(compression: str | None, method: str, warnings: list[str]) -> None:
    params = migratable_xml(FILE_DISK, _vmi(), options=MigrationOptions(compression=compression)).params
    assert (params.compression, params.warnings) == (method, warnings)
    assert ("VIR_MIGRATE_COMPRESSED" in params.flags) is bool(method)


def test_every_option_at_once() -> None:
    options = MigrationOptions(bandwidth="1Gi", unsafe_migration=True, allow_auto_converge=True, allow_post_copy=True,
                               parallel_migration_threads=8, compression="zstd")
    vmi_ = _vmi(migrationMethod="BlockMigration")
    params = migratable_xml(FILE_DISK, vmi_, options=options, paused=True, share_dir="/run/kv/").params
    assert params.flags == [
        "VIR_MIGRATE_LIVE", "VIR_MIGRATE_PEER2PEER", "VIR_MIGRATE_PERSIST_DEST", "VIR_MIGRATE_PAUSED",
        "VIR_MIGRATE_NON_SHARED_INC", "VIR_MIGRATE_UNSAFE", "VIR_MIGRATE_COMPRESSED", "VIR_MIGRATE_AUTO_CONVERGE",
        "VIR_MIGRATE_POSTCOPY", "VIR_MIGRATE_PARALLEL",
    ]
    assert params.flags_mask == 1 | 2 | 8 | 32 | 128 | 512 | 2048 | 8192 | 32768 | 131072
    assert (params.bandwidth_mib, params.compression, params.parallel_connections) == (1024, "zstd", 8)
    # the share directory is cleaned like Go's filepath.Join
    assert params.migration_uri == f"unix:///run/kv/migrationproxy/{UID}-49152-source.sock"


@pytest.mark.parametrize(("status", "annotations", "session"), [
    pytest.param({}, None, "system", id="root"),
    pytest.param({"runtimeUser": 107}, None, "session", id="runtime user"),
    pytest.param({"runtimeUser": 0}, None, "system", id="runtime user root"),
    pytest.param({}, {"kubevirt.io/nonroot": ""}, "session", id="deprecated annotation"),
])
def test_destination_connection(status: JSON, annotations: JSON | None, session: str) -> None:
    # migrateHelper: qemu+unix:///session for a non-root VMI (vmitrait.IsNonRoot), else system
    vmi_ = _vmi(**status)
    if annotations is not None:
        vmi_["metadata"]["annotations"] = annotations
    params = migratable_xml(FILE_DISK, vmi_).params
    socket = f"/var/run/kubevirt/migrationproxy/{UID}-source.sock"
    assert params.dest_connection_uri == f"qemu+unix:///{session}?socket={socket}"


def _copying_vmi() -> JSON:
    return _vmi(migratedVolumes=[{"volumeName": "data"}])


def test_disks_uri_only_when_disks_are_copied() -> None:
    shared = migratable_xml(FILE_DISK, _vmi()).params
    assert (shared.disks_uri, "VIR_MIGRATE_NON_SHARED_INC" in shared.flags) == ("", False)
    copied = migratable_xml(FILE_DISK, _copying_vmi(), SourceFacts(volumes={"data": VolumeFacts(virtual_size=SIZE)}))
    assert copied.disks_to_copy == ["vda"]
    assert copied.params.disks_uri == f"unix:///var/run/kubevirt/migrationproxy/{UID}-49153-source.sock"
    assert "VIR_MIGRATE_NON_SHARED_INC" in copied.params.flags


def test_a_volume_the_facts_migrate_makes_a_block_migration() -> None:
    facts = SourceFacts(volumes={"data": VolumeFacts(migrated=True, virtual_size=SIZE)})
    assert "VIR_MIGRATE_NON_SHARED_INC" in migratable_xml(FILE_DISK, _vmi(), facts).params.flags


# live-migration-source.go configureLocalDiskToMigrate: getDiskVirtualSizeFunc's error ends
# generateMigrationParams ("error encountered while generating migration parameters: ...")
@pytest.mark.parametrize("sliced", [False, True], ids=["without slices", "slices already set"])
def test_size_probe_error_fails_the_migration(sliced: bool) -> None:
    probe = "failed to invoke qemu-img: exit status 1: qemu-img: Could not open 'disk.img': Permission denied"
    xml = FILE_DISK
    if sliced:
        xml = xml.replace('disk.img"/>', 'disk.img"><slices><slice type="storage" offset="0" size="1"/></slices>'
                                          "</source>")
    facts = SourceFacts(volumes={"data": VolumeFacts(virtual_size=SIZE, virtual_size_error=probe)})
    with pytest.raises(HostProbeError) as err:
        migratable_xml(xml, _copying_vmi(), facts)
    assert (err.value.field, err.value.message, err.value.subject) == (
        'sourceFacts.volumes["data"].virtualSizeError',
        f"error encountered while generating migration parameters: {probe}",
        "data",
    )


def test_size_probe_error_of_a_shared_volume_is_not_read() -> None:
    # KubeVirt sizes only the volumes it copies
    facts = SourceFacts(volumes={"data": VolumeFacts(virtual_size_error="boom")})
    assert migratable_xml(FILE_DISK, _vmi(), facts).disks_to_copy == []


def _request(**extra: object) -> JSON:
    return {"domainXml": FILE_DISK, "vmi": _vmi(), **extra}


def test_request_json_form() -> None:
    response = migratable_xml_from_request(_request(
        migrationOptions={"bandwidth": "128Mi", "allowPostCopy": True, "parallelMigrationThreads": 2,
                          "compression": "zstd"},
        domainPaused=True, shareDir="/shared"))
    assert {key: response[key] for key in ("flags", "flagsMask", "bandwidthMib", "compression", "parallelConnections",
                                           "migrationUri", "disksUri")} == {
        "flags": [*ALWAYS, "VIR_MIGRATE_PAUSED", "VIR_MIGRATE_COMPRESSED", "VIR_MIGRATE_POSTCOPY",
                  "VIR_MIGRATE_PARALLEL"],
        "flagsMask": 1 | 2 | 8 | 32 | 2048 | 32768 | 131072,
        "bandwidthMib": 128,
        "compression": "zstd",
        "parallelConnections": 2,
        "migrationUri": f"unix:///shared/migrationproxy/{UID}-49152-source.sock",
        "disksUri": "",
    }


@pytest.mark.parametrize(("update", "field", "message"), [
    pytest.param({"migrationOptions": []}, "migrationOptions", "expected an object", id="options type"),
    pytest.param({"migrationOptions": {"bandwidth": True}}, "migrationOptions.bandwidth",
                 'expected a quantity such as "64Mi"', id="bandwidth type"),
    pytest.param({"migrationOptions": {"bandwidth": "fast"}}, "migrationOptions.bandwidth",
                 "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$', "
                 "got 'fast'", id="bandwidth text"),
    pytest.param({"migrationOptions": {"allowPostCopy": "yes"}}, "migrationOptions.allowPostCopy",
                 "expected a boolean", id="flag type"),
    pytest.param({"migrationOptions": {"parallelMigrationThreads": -1}}, "migrationOptions.parallelMigrationThreads",
                 "expected a non-negative integer", id="threads"),
    pytest.param({"migrationOptions": {"compression": 1}}, "migrationOptions.compression", "expected a string",
                 id="compression type"),
    pytest.param({"domainPaused": "no"}, "domainPaused", "expected a boolean", id="paused type"),
    pytest.param({"shareDir": "relative"}, "shareDir", "expected an absolute directory path", id="share dir"),
    pytest.param({"sourceFacts": {"volumes": {"data": {"virtualSizeError": 3}}}},
                 'sourceFacts.volumes["data"].virtualSizeError', "expected a string", id="probe error type"),
])
def test_request_errors_name_the_field(update: JSON, field: str, message: str) -> None:
    with pytest.raises(ConversionError) as err:
        migratable_xml_from_request(_request(**update))
    assert not isinstance(err.value, HostProbeError)
    assert (err.value.field, err.value.message) == (field, message)
