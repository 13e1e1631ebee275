"""A readiness probe that failed with an error fails the hot-plug, as it fails KubeVirt's sync.

KubeVirt: pkg/virt-launcher/virtwrap/manager.go `syncDisks` returns the error of
`checkIfDiskReadyToUseFunc` (an os.Stat error other than ErrNotExist) for a disk
it attaches or a CD-ROM medium it inserts; a missing backend is only "not ready".
manager_test.go stubs the check with (true, nil) and (false, nil) only, so these
cases follow the Go source.
"""

from __future__ import annotations

import pytest
from hotplug_helpers import HOTPLUG, PERM_VOLUME_DISK, hotplug_status, hp_volume1_vmi, live_domain, manager_vmi
from test_hotplug_disk import CDROM_DISK, CDROM_EMPTY_LIVE, CDROM_LOADED_LIVE, CDROM_VOLUME, HP_VOLUME1_LIVE

from vmi_converter.converter.common.errors import ConversionError, HostProbeError
from vmi_converter.converter.hotplug import (
    HotplugResult,
    ProbeError,
    VolumeFacts,
    hotplug_disk,
    hotplug_disk_from_request,
)

DENIED = f"stat {HOTPLUG}/hpvolume1.img: permission denied"


def _facts(error: ProbeError, **others: VolumeFacts) -> dict[str, VolumeFacts]:
    return {"hpvolume1": VolumeFacts(ready=True, direct_io_supported=True, probe_error=error), **others}


def test_stat_error_of_a_disk_to_attach_fails_the_call() -> None:
    vmi = hp_volume1_vmi(hotplug_status("hpvolume1"))
    with pytest.raises(HostProbeError) as err:
        hotplug_disk(live_domain(PERM_VOLUME_DISK), vmi, {}, _facts(ProbeError(DENIED)))
    assert (err.value.field, err.value.message, err.value.subject) == (
        'volumes["hpvolume1"].probeError', DENIED, "hpvolume1")
    assert str(err.value) == f'volumes["hpvolume1"].probeError: {DENIED}'


def test_not_found_only_means_not_ready() -> None:
    vmi = hp_volume1_vmi(hotplug_status("hpvolume1"))
    missing = ProbeError(f"stat {HOTPLUG}/hpvolume1.img: no such file or directory", not_found=True)
    result = hotplug_disk(live_domain(PERM_VOLUME_DISK), vmi, {}, _facts(missing))
    assert result == HotplugResult(not_ready=["hpvolume1"])


def test_error_of_a_volume_already_attached_is_not_read() -> None:
    # syncDisks probes only the disks it attaches or whose medium it inserts
    vmi = hp_volume1_vmi(hotplug_status("hpvolume1"))
    result = hotplug_disk(live_domain(PERM_VOLUME_DISK, HP_VOLUME1_LIVE), vmi, {}, _facts(ProbeError(DENIED)))
    assert result == HotplugResult()


def test_error_of_a_volume_being_detached_is_not_read() -> None:
    vmi = manager_vmi({"name": "other", "disk": {"bus": "virtio"}}, None)
    vmi["spec"]["domain"]["devices"]["disks"].pop()
    result = hotplug_disk(live_domain(PERM_VOLUME_DISK, HP_VOLUME1_LIVE), vmi, {}, _facts(ProbeError(DENIED)))
    assert [change.volume for change in result.detach] == ["hpvolume1"]


def test_medium_insert_with_a_probe_error_fails() -> None:
    vmi = manager_vmi(CDROM_DISK, CDROM_VOLUME, hotplug_status("cdrom-volume"))
    error = f"stat {HOTPLUG}/cdrom-volume.img: input/output error"
    facts = {"cdrom-volume": VolumeFacts(ready=True, probe_error=ProbeError(error))}
    with pytest.raises(HostProbeError) as err:
        hotplug_disk(live_domain(PERM_VOLUME_DISK, CDROM_EMPTY_LIVE), vmi, {}, facts)
    assert (err.value.field, err.value.message) == ('volumes["cdrom-volume"].probeError', error)


def test_eject_does_not_probe() -> None:
    # syncDisks checks readiness only when the updated disk has a backend path
    vmi = manager_vmi(CDROM_DISK, None, hotplug_status("cdrom-volume"))
    facts = {"cdrom-volume": VolumeFacts(probe_error=ProbeError("stat: permission denied"))}
    result = hotplug_disk(live_domain(PERM_VOLUME_DISK, CDROM_LOADED_LIVE), vmi, {}, facts)
    assert [change.volume for change in result.update] == ["cdrom-volume"]


def test_first_failing_attach_in_disk_order_is_reported() -> None:
    vmi = hp_volume1_vmi(hotplug_status("hpvolume1"), hotplug_status("hpvolume2"))
    vmi["spec"]["domain"]["devices"]["disks"].append({"name": "hpvolume2", "disk": {"bus": "scsi"}})
    vmi["spec"]["volumes"].append({"name": "hpvolume2", "dataVolume": {"name": "dv3"}})
    facts = _facts(ProbeError(DENIED), hpvolume2=VolumeFacts(probe_error=ProbeError("stat hpvolume2: denied")))
    with pytest.raises(HostProbeError) as err:
        hotplug_disk(live_domain(PERM_VOLUME_DISK), vmi, {}, facts)
    assert err.value.subject == "hpvolume1"


def test_probe_error_from_json() -> None:
    document = {
        "domainXml": live_domain(PERM_VOLUME_DISK),
        "vmi": hp_volume1_vmi(hotplug_status("hpvolume1")),
        "volumes": {"hpvolume1": {"ready": True, "probeError": {"message": DENIED}}},
    }
    with pytest.raises(HostProbeError, match="permission denied"):
        hotplug_disk_from_request(document)
    document["volumes"] = {"hpvolume1": {"probeError": {"message": "gone", "notFound": True}}}
    assert hotplug_disk_from_request(document)["notReady"] == ["hpvolume1"]


@pytest.mark.parametrize(("probe_error", "field"), [
    pytest.param("denied", 'volumes["v"].probeError', id="not an object"),
    pytest.param({"message": 1}, 'volumes["v"].probeError.message', id="message type"),
    pytest.param({"notFound": "yes"}, 'volumes["v"].probeError.notFound', id="notFound type"),
])
def test_bad_probe_error_is_invalid_argument(probe_error: object, field: str) -> None:
    with pytest.raises(ConversionError) as err:
        VolumeFacts.from_dict({"probeError": probe_error}, 'volumes["v"]')
    assert not isinstance(err.value, HostProbeError)
    assert err.value.field == field
