"""VMI defaulting (converter/defaults.py) against KubeVirt's behaviour.

Three kinds of checks:
- the reference requests: admitted VMIs stay as they are, the converter
  test's raw VMI defaults to (a superset of) its defaulted VMI, twice == once;
- the firmware UUID derivation, recomputed here from RFC 4122;
- unit cases ported from KubeVirt's own tests; each test id or comment names
  the Go file and the It/Entry it comes from.
"""

from __future__ import annotations

import copy
import hashlib
import json
import uuid
from typing import Any

import pytest
from conftest import EXPECTED_DIR

from vmi_converter.converter.admission.defaults import (
    apply_vmi_defaults,
    legacy_firmware_uuid,
    set_arch_defaults,
    set_hyperv_dependencies,
    set_object_defaults,
)
from vmi_converter.converter.common.errors import ConversionError

JSON = dict[str, Any]


ADMITTED = sorted(p.stem for p in EXPECTED_DIR.glob("vm*.json"))
ARCHES = ("amd64", "arm64", "s390x")


def _load(name: str) -> JSON:
    data: JSON = json.loads((EXPECTED_DIR / f"{name}.json").read_text())
    return data


def _arch(request: JSON) -> str:
    return str(request.get("context", {}).get("architecture") or "amd64")


def _leaves(value: Any, path: str = "") -> dict[str, Any]:
    """Flatten JSON to {path: leaf}; empty objects and arrays are leaves."""
    if isinstance(value, dict) and value:
        out: dict[str, Any] = {}
        for key, sub in value.items():
            out.update(_leaves(sub, f"{path}.{key}" if path else key))
        return out
    if isinstance(value, list) and value:
        out = {}
        for index, sub in enumerate(value):
            out.update(_leaves(sub, f"{path}[{index}]"))
        return out
    return {path: value}


def _defaulted(vmi: JSON, arch: str = "amd64") -> JSON:
    vmi = copy.deepcopy(vmi)
    apply_vmi_defaults(vmi, arch)
    return vmi


def _new_vmi(**spec: Any) -> JSON:
    """The mutator test's starting VMI: an empty domain with empty resources."""
    domain = spec.pop("domain", {})
    domain.setdefault("resources", {})
    domain.setdefault("devices", {})
    return {"metadata": {"name": "testvmi", "namespace": "default"}, "spec": {"domain": domain, **spec}}


# --- reference requests -------------------------------------------------------

# The admitted fixtures were generated without the generated API defaulter's
# feature toggles, which KubeVirt's webhook does apply (a VMI stored by a real
# cluster shows `features: {acpi: {enabled: true}}`, and KubeVirt applied
# that defaulter to these very VMIs when it converted them for the .xml files).
# These, and only these, are the fields the defaults add to them.
API_TOGGLES_MISSING_FROM_FIXTURES: dict[str, set[str]] = {
    "vmi-windows": {
        "spec.domain.features.acpi.enabled",
        "spec.domain.features.apic.enabled",
        "spec.domain.features.smm.enabled",
        "spec.domain.features.hyperv.relaxed.enabled",
        "spec.domain.features.hyperv.vapic.enabled",
        "spec.domain.features.hyperv.spinlocks.enabled",
        "spec.domain.clock.timer.hyperv.present",
        "spec.domain.clock.timer.pit.present",
        "spec.domain.clock.timer.rtc.present",
    },
}
DEFAULT_MISSING = {"spec.domain.features.acpi.enabled"}


@pytest.mark.parametrize("name", ADMITTED)
def test_admitted_fixture_gains_only_api_feature_toggles(name: str) -> None:
    request = _load(name)
    before = _leaves(request["vmi"])
    after = _leaves(_defaulted(request["vmi"], _arch(request)))
    changed = {path for path in after if before.get(path) != after[path]}
    assert changed == API_TOGGLES_MISSING_FROM_FIXTURES.get(name, DEFAULT_MISSING)
    assert all(after[path] is True for path in changed)
    # Nothing is removed, except empty `{}` toggles that now carry a value.
    removed = {path for path in before if path not in after}
    assert all(before[path] == {} for path in removed)
    assert {path.rsplit(".", 1)[0] for path in changed} >= removed


@pytest.mark.parametrize("name", ADMITTED)
def test_admitted_fixture_is_a_fixed_point(name: str) -> None:
    """Once the API toggles are in, an admitted VMI is left exactly as it is."""
    request = _load(name)
    admitted = _defaulted(request["vmi"], _arch(request))
    assert _defaulted(admitted, _arch(request)) == admitted
    # ...and the webhook layer changes nothing the API defaulter would not.
    api_only = copy.deepcopy(request["vmi"])
    set_object_defaults(api_only)
    assert admitted == api_only


# What apply_vmi_defaults adds beyond KubeVirt's converter test (which applies
# only the API defaulter and the per-arch defaults), and why the converted
# domain stays the same:
# - spec.architecture: the converter's arch; it only matters for dedicated
#   CPUs, EFI auto-selection and cross-arch emulation, none of which the VMI uses;
# - machine.type: q35 / virt / s390-ccw-virtio, the machine the converter
#   writes when none is given;
# - memory.guest: the 8Mi memory request the converter would use anyway;
# - cpu sockets/cores/threads 1/1/1: the topology the converter derives for
#   a VMI without CPU settings;
# - cpu.model host-model (amd64, s390x): the converter's default mode too
#   (arm64 already gets host-passthrough from the arch defaults);
# - status.memory, status.currentCPUTopology: the converter reads neither.
ADDED_BEYOND_GOLDEN = {
    "spec.architecture",
    "spec.domain.machine.type",
    "spec.domain.memory.guest",
    "spec.domain.cpu.sockets",
    "spec.domain.cpu.cores",
    "spec.domain.cpu.threads",
    "status.memory.guestAtBoot",
    "status.memory.guestCurrent",
    "status.memory.guestRequested",
    "status.currentCPUTopology.sockets",
    "status.currentCPUTopology.cores",
    "status.currentCPUTopology.threads",
}


@pytest.mark.parametrize("arch", ARCHES)
def test_raw_golden_defaults_to_a_superset_of_the_defaulted_golden(arch: str) -> None:
    raw = _load(f"golden-{arch}-raw")
    assert _arch(raw) == arch
    golden = _leaves(_load(f"golden-{arch}")["vmi"])
    ours = _leaves(_defaulted(raw["vmi"], arch))
    differing = {path: (golden[path], ours.get(path)) for path in golden if ours.get(path) != golden[path]}
    if arch == "s390x":
        # The webhook turns ACPI off on s390x (setS390xDefaultFeatures); the
        # converter test applies only the arch defaults, which do not.
        assert differing == {"spec.domain.features.acpi.enabled": (True, False)}
    else:
        assert differing == {}
    added = set(ours) - set(golden)
    expected = ADDED_BEYOND_GOLDEN | ({"spec.domain.cpu.model"} if arch != "arm64" else set())
    assert added == expected


@pytest.mark.parametrize("arch", ARCHES)
def test_converter_test_subset_reproduces_the_defaulted_golden(arch: str) -> None:
    """converter_test.go "should be converted to a libvirt Domain with vmi defaults set":
    SetObjectDefaults_VirtualMachineInstance, then vmiArchMutate."""
    vmi = copy.deepcopy(_load(f"golden-{arch}-raw")["vmi"])
    set_object_defaults(vmi)
    set_arch_defaults(vmi["spec"], arch)
    assert vmi == _load(f"golden-{arch}")["vmi"]


@pytest.mark.parametrize("name", sorted(p.stem for p in EXPECTED_DIR.glob("golden-*.json")))
def test_twice_equals_once(name: str) -> None:
    request = _load(name)
    once = _defaulted(request["vmi"], _arch(request))
    assert _defaulted(once, _arch(request)) == once


@pytest.mark.parametrize("arch", ARCHES)
def test_twice_equals_once_on_a_bare_vmi(arch: str) -> None:
    vmi = _new_vmi(volumes=[{"name": "cd", "containerDisk": {"image": "img"}}])
    vmi["spec"]["domain"]["devices"]["watchdog"] = {"name": "w"}
    vmi["spec"]["domain"]["features"] = {"hyperv": {"synictimer": {}, "evmcs": {}}}
    once = _defaulted(vmi, arch)
    assert _defaulted(once, arch) == once


def test_the_callers_object_is_the_one_mutated() -> None:
    vmi = _new_vmi()
    assert apply_vmi_defaults(vmi, "amd64") is None  # type: ignore[func-returns-value]
    assert vmi["spec"]["domain"]["machine"] == {"type": "q35"}


# --- firmware UUID ---------------------------------------------------------------


def _uuid_v5_by_hand(namespace: str, name: str) -> str:
    """RFC 4122 name-based SHA-1 UUID, as Go's uuid.NewSHA1 computes it."""
    digest = bytearray(hashlib.sha1(uuid.UUID(namespace).bytes + name.encode()).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50
    digest[8] = (digest[8] & 0x3F) | 0x80
    return str(uuid.UUID(bytes=bytes(digest)))


# pkg/virt-controller/watch/vm/firmware.go: magicUUID
KUBEVIRT_NAMESPACE = "6a1a24a1-4061-4607-8bf4-a3963d0c5895"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("vmi-fedora", "12505594-71e6-5333-990c-4f9aa32f9b14"),
        ("vm-cirros", "0d2a2043-41c0-59c3-9b17-025022203668"),
        ("testvmi", "f8918e71-270a-598e-a2a4-1afac39e1394"),
        # A VM named testvm; this UUID appears on such VMs in KubeVirt users' dumps.
        ("testvm", "5a9fc181-957e-5c32-9e5a-2de5e9673531"),
        ("", "2eb17a2d-ccc6-58e5-84e2-5684c434c9f0"),
    ],
)
def test_legacy_firmware_uuid(name: str, expected: str) -> None:
    assert _uuid_v5_by_hand(KUBEVIRT_NAMESPACE, name) == expected
    assert legacy_firmware_uuid(name) == expected


@pytest.mark.parametrize("name", ADMITTED)
def test_fixture_firmware_uuid_is_the_legacy_uuid_unless_given(name: str) -> None:
    vmi = _load(name)["vmi"]
    given = vmi["spec"]["domain"]["firmware"]["uuid"]
    if name in ("vmi-windows", "vm-windows-clarge-windows"):
        # KubeVirt's Windows examples set firmware.uuid themselves.
        assert given == "5d307ca9-b3ef-428c-8861-06e72d69f223"
    else:
        assert given == _uuid_v5_by_hand(KUBEVIRT_NAMESPACE, vmi["metadata"]["name"])
    stripped = copy.deepcopy(vmi)
    del stripped["spec"]["domain"]["firmware"]["uuid"]
    derived = _defaulted(stripped)["spec"]["domain"]["firmware"]["uuid"]
    assert derived == legacy_firmware_uuid(vmi["metadata"]["name"])


def test_given_firmware_uuid_is_kept() -> None:
    vmi = _new_vmi(domain={"firmware": {"uuid": "e4686d2c-6e8d-4335-b8fd-81bee22f4814"}})
    assert _defaulted(vmi)["spec"]["domain"]["firmware"]["uuid"] == "e4686d2c-6e8d-4335-b8fd-81bee22f4814"


# --- staging/src/kubevirt.io/client-go/api/defaults_test.go ("Defaults") --------
# (KubeVirt keeps the API defaulter's tests there, not in api/core/v1.)


def _api_defaults(vmi: JSON) -> JSON:
    set_object_defaults(vmi)
    return vmi


def test_api_should_take_a_custom_scheduler_if_specified() -> None:
    vmi = _api_defaults({"spec": {"schedulerName": "custom-one"}})
    assert vmi["spec"]["schedulerName"] == "custom-one"


def test_api_should_add_acpi_feature_if_it_is_unspecified() -> None:
    vmi = _api_defaults({})
    assert vmi["spec"]["domain"]["features"] == {"acpi": {"enabled": True}}
    assert "uuid" in vmi["spec"]["domain"]["firmware"]


def test_api_should_not_add_non_acpi_or_smm_features_by_default() -> None:
    features = _api_defaults({})["spec"]["domain"]["features"]
    for name in ("apic", "hyperv", "smm"):
        assert name not in features


def test_api_should_default_to_true_to_all_defined_features() -> None:
    hyperv_names = (
        "relaxed",
        "vapic",
        "spinlocks",
        "vpindex",
        "runtime",
        "synic",
        "synictimer",
        "reset",
        "vendorid",
        "frequencies",
        "reenlightenment",
        "tlbflush",
    )
    features: JSON = {"acpi": {}, "smm": {}, "apic": {}, "hyperv": {n: {} for n in hyperv_names}}
    vmi = _api_defaults({"spec": {"domain": {"features": features}}})
    features = vmi["spec"]["domain"]["features"]
    for name in ("acpi", "smm", "apic"):
        assert features[name]["enabled"] is True
    for name in hyperv_names:
        assert features["hyperv"][name]["enabled"] is True, name
    assert features["hyperv"]["spinlocks"]["spinlocks"] == 4096


def test_api_should_not_override_defined_feature_states() -> None:
    on, off = {"enabled": True}, {"enabled": False}
    first: JSON = {
        "acpi": on,
        "apic": off,
        "hyperv": {
            "relaxed": on,
            "vapic": off,
            "spinlocks": on,
            "vpindex": off,
            "runtime": on,
            "synic": off,
            "synictimer": {"enabled": True, "direct": {"enabled": True}},
            "reset": off,
            "vendorid": on,
            "frequencies": off,
            "reenlightenment": off,
            "tlbflush": on,
        },
    }
    got = _api_defaults({"spec": {"domain": {"features": copy.deepcopy(first)}}})["spec"]["domain"][
        "features"
    ]
    expected = copy.deepcopy(first)
    expected["hyperv"]["spinlocks"]["spinlocks"] = 4096
    assert got == expected

    second: JSON = {
        "acpi": off,
        "apic": on,
        "hyperv": {
            "relaxed": off,
            "vapic": on,
            "spinlocks": off,
            "vpindex": on,
            "runtime": off,
            "synic": on,
            "synictimer": off,
            "reset": on,
            "vendorid": off,
            "frequencies": off,
            "reenlightenment": off,
            "tlbflush": on,
        },
    }
    got = _api_defaults({"spec": {"domain": {"features": copy.deepcopy(second)}}})["spec"]["domain"][
        "features"
    ]
    assert got == second  # a disabled spinlocks gets no retry count


def test_api_should_set_disk_defaults() -> None:
    """It("should set dis defaults")."""
    disks = [
        {"name": "cdrom_tray_unspecified", "cdrom": {}},
        {"name": "cdrom_tray_open", "cdrom": {"tray": "open", "readonly": False}},
        {"name": "should_default_to_disk"},
    ]
    vmi = _api_defaults({"spec": {"domain": {"devices": {"disks": disks}}}})
    assert vmi["spec"]["domain"]["devices"]["disks"] == [
        {"name": "cdrom_tray_unspecified", "cdrom": {"tray": "closed", "readonly": True}},
        {"name": "cdrom_tray_open", "cdrom": {"tray": "open", "readonly": False}},
        {"name": "should_default_to_disk", "disk": {}},
    ]


def test_api_should_set_timer_defaults() -> None:
    timer: JSON = {name: {} for name in ("hpet", "kvm", "pit", "rtc", "hyperv")}
    vmi = _api_defaults({"spec": {"domain": {"clock": {"timer": timer}}}})
    assert vmi["spec"]["domain"]["clock"]["timer"] == {name: {"present": True} for name in timer}


def test_api_should_omit_iothreads_by_default() -> None:
    assert "ioThreadsPolicy" not in _api_defaults({})["spec"]["domain"]


def test_api_should_default_probes() -> None:
    vmi = _api_defaults({"spec": {"readinessProbe": {}, "livenessProbe": {"periodSeconds": 0}}})
    for probe in ("readinessProbe", "livenessProbe"):
        assert vmi["spec"][probe] == {
            "timeoutSeconds": 1,
            "periodSeconds": 10,
            "successThreshold": 1,
            "failureThreshold": 3,
        }


def test_api_probe_values_that_are_set_are_kept() -> None:
    # defaults.go SetDefaults_Probe: only values below 1 are replaced.
    probe = {"timeoutSeconds": 5, "periodSeconds": -1, "successThreshold": 2, "failureThreshold": 7}
    vmi = _api_defaults({"spec": {"livenessProbe": probe}})
    assert vmi["spec"]["livenessProbe"] == {
        "timeoutSeconds": 5,
        "periodSeconds": 10,
        "successThreshold": 2,
        "failureThreshold": 7,
    }


def test_api_other_toggles_inputs_block_size_and_ramfb() -> None:
    # zz_generated.defaults.go: matchVolume, ramFB, synictimer.direct, tlbflush
    # direct/extended, pvspinlock; defaults.go setDefaults_Input.
    vmi = _api_defaults(
        {
            "spec": {
                "domain": {
                    "features": {
                        "pvspinlock": {},
                        "hyperv": {"synictimer": {"direct": {}}, "tlbflush": {"direct": {}, "extended": {}}},
                    },
                    "devices": {
                        "disks": [{"name": "d", "lun": {}, "blockSize": {"matchVolume": {}}}],
                        "gpus": [{"name": "g", "virtualGPUOptions": {"display": {"ramFB": {}}}}],
                        "inputs": [{"name": "i"}, {"name": "j", "bus": "virtio", "type": "keyboard"}],
                    },
                }
            }
        }
    )
    domain = vmi["spec"]["domain"]
    assert domain["features"]["pvspinlock"] == {"enabled": True}
    assert domain["features"]["hyperv"] == {
        "synictimer": {"enabled": True, "direct": {"enabled": True}},
        "tlbflush": {"enabled": True, "direct": {"enabled": True}, "extended": {"enabled": True}},
    }
    devices = domain["devices"]
    assert devices["disks"] == [{"name": "d", "lun": {}, "blockSize": {"matchVolume": {"enabled": True}}}]
    assert devices["gpus"][0]["virtualGPUOptions"]["display"] == {"ramFB": {"enabled": True}}
    assert devices["inputs"] == [
        {"name": "i", "bus": "usb", "type": "tablet"},
        {"name": "j", "bus": "virtio", "type": "keyboard"},
    ]


# --- pkg/defaults/defaults_test.go ---------------------------------------------------


@pytest.mark.parametrize(
    ("firmware", "expected_efi"),
    [
        pytest.param(None, {"secureBoot": False}, id="to false when no bootloader is specified"),
        pytest.param(
            {"bootloader": {"efi": {"secureBoot": True}}},
            {"secureBoot": True},
            id="preserving SecureBoot when explicitly enabled",
        ),
        pytest.param(
            {"bootloader": {"efi": {"secureBoot": False}}},
            {"secureBoot": False},
            id="preserving SecureBoot when explicitly disabled",
        ),
        pytest.param({"bootloader": {}}, None, id="not setting SecureBoot when bootloader is not EFI"),
        pytest.param(
            {"bootloader": {"efi": {}}},
            {"secureBoot": False},
            id="to false when EFI is set without SecureBoot",
        ),
    ],
)
def test_arm64_bootloader_should_correctly_default_secureboot(
    firmware: JSON | None, expected_efi: JSON | None
) -> None:
    """Context("Arm64 bootloader") DescribeTable("should correctly default SecureBoot")."""
    spec: JSON = {"architecture": "arm64", "domain": {}}
    if firmware is not None:
        spec["domain"]["firmware"] = firmware
    set_arch_defaults(spec, "arm64")
    bootloader = spec["domain"]["firmware"]["bootloader"]
    assert bootloader.get("efi") == expected_efi


@pytest.mark.parametrize(
    ("given", "arch", "expected"),
    [
        pytest.param("s390x", "amd64", "s390x", id="user provided value when provided"),
        pytest.param(None, "arm64", "arm64", id="config arch when not provided by user"),
        pytest.param(None, "", "amd64", id="runtime arch when not provided by user or config"),
    ],
)
def test_architecture_should_default_to(given: str | None, arch: str, expected: str) -> None:
    """Context("Architecture") DescribeTable("should default to"); the converter's arch plays the
    cluster default."""
    vmi = _new_vmi(**({"architecture": given} if given else {}))
    assert _defaulted(vmi, arch)["spec"]["architecture"] == expected


def test_spec_architecture_wins_over_the_converter_arch() -> None:
    vmi = _new_vmi(architecture="arm64", volumes=[{"name": "v", "emptyDisk": {"capacity": "1Gi"}}])
    domain = _defaulted(vmi, "amd64")["spec"]["domain"]
    assert domain["machine"] == {"type": "virt"}
    assert domain["devices"]["disks"] == [{"name": "v", "disk": {"bus": "virtio"}}]
    assert domain["cpu"]["model"] == "host-passthrough"


# --- pkg/virt-api/webhooks/mutating-webhook/mutators/vmi-mutator_test.go ------------


@pytest.mark.parametrize(
    ("arch", "cpu_model", "machine_type"),
    [
        pytest.param("amd64", "host-model", "q35", id="when architecture is amd64"),
        pytest.param("arm64", "host-passthrough", "virt", id="when architecture is arm64"),
        pytest.param("s390x", "host-model", "s390-ccw-virtio", id="when architecture is s390x"),
    ],
)
def test_mutator_should_apply_defaults_on_vmi_create_when_arch_is_known(
    arch: str, cpu_model: str, machine_type: str
) -> None:
    spec = _defaulted(_new_vmi(architecture=arch))["spec"]
    assert spec["domain"]["machine"]["type"] == machine_type
    assert spec["domain"]["cpu"]["model"] == cpu_model
    assert spec["domain"]["resources"] == {}  # no CPU or memory request invented


@pytest.mark.parametrize(
    ("arch", "cpu_model", "machine_type"),
    [
        pytest.param("amd64", "host-model", "q35", id="when architecture is amd64"),
        pytest.param("arm64", "host-passthrough", "virt", id="when architecture is arm64"),
        pytest.param("s390x", "host-model", "s390-ccw-virtio", id="when architecture is s390x"),
    ],
)
def test_mutator_should_apply_defaults_on_vmi_create_when_arch_is_unknown(
    arch: str, cpu_model: str, machine_type: str
) -> None:
    spec = _defaulted(_new_vmi(), arch)["spec"]
    assert spec["architecture"] == arch
    assert spec["domain"]["machine"]["type"] == machine_type
    assert spec["domain"]["cpu"]["model"] == cpu_model


def test_unknown_architecture_gets_the_amd64_defaults() -> None:
    # GetMachineType's default branch and setDefaultCPUArch's default case.
    spec = _defaulted(_new_vmi(architecture="ppc64le", volumes=[{"name": "v", "emptyDisk": {}}]))["spec"]
    assert spec["domain"]["machine"]["type"] == "q35"
    assert spec["domain"]["devices"]["disks"][0]["disk"] == {"bus": "sata"}


@pytest.mark.parametrize(
    ("image", "policy"),
    [
        pytest.param(
            "test@sha256:9c2b78e11c25b3fd0b24b0ed684a112052dff03eee4ca4bdcc4f3168f9a14396",
            "IfNotPresent",
            id="set the ImagePullPolicy to IfNotPresent if sha256",
        ),
        pytest.param("test:latest", "Always", id="set the ImagePullPolicy to Always if :latest is specified"),
        pytest.param(
            "test", "Always", id="set the ImagePullPolicy to Always if no tag or shasum is specified"
        ),
        pytest.param(
            "test:notlatest",
            "IfNotPresent",
            id="set the ImagePullPolicy to IfNotPresent if arbitrary tags are specified",
        ),
    ],
)
def test_mutator_it_should_set_the_pull_policy(image: str, policy: str) -> None:
    vmi = _new_vmi(volumes=[{"name": "a", "containerDisk": {"image": image}}])
    assert _defaulted(vmi)["spec"]["volumes"][0]["containerDisk"]["imagePullPolicy"] == policy


def test_mutator_it_should_set_the_right_pull_policy_on_a_mixture_of_sources() -> None:
    volumes = [
        {"name": "a", "containerDisk": {"image": "test:latest", "imagePullPolicy": "Never"}},
        {"name": "b", "containerDisk": {"image": "test:latest"}},
        {"name": "c", "ephemeral": {"persistentVolumeClaim": {"claimName": "c"}}},
        {"name": "d", "containerDisk": {"image": "test"}},
        {"name": "e", "containerDisk": {"image": "test:notlatest"}},
    ]
    got = _defaulted(_new_vmi(volumes=volumes))["spec"]["volumes"]
    policies = [v.get("containerDisk", {}).get("imagePullPolicy") for v in got]
    assert policies == ["Never", "Always", None, "Always", "IfNotPresent"]


def test_mutator_should_add_the_default_network_interface_as_bridge() -> None:
    """DescribeTable("should add the default network interface") Entry("as bridge"): bridge is the
    built-in default; the "as masquerade" entry needs a cluster setting and has no counterpart."""
    spec = _defaulted(_new_vmi())["spec"]
    assert spec["domain"]["devices"]["interfaces"] == [{"name": "default", "bridge": {}}]
    assert spec["networks"] == [{"name": "default", "pod": {}}]


@pytest.mark.parametrize(
    ("interfaces", "networks"),
    [
        pytest.param([{"name": "a"}], [{"name": "b"}], id="interfaces and networks are non-empty"),
        pytest.param([{"name": "a"}], [], id="interfaces is non-empty"),
        pytest.param([], [{"name": "b"}], id="networks is non-empty"),
    ],
)
def test_mutator_should_not_add_the_default_interfaces_if(
    interfaces: list[JSON], networks: list[JSON]
) -> None:
    vmi = _new_vmi(networks=copy.deepcopy(networks))
    vmi["spec"]["domain"]["devices"]["interfaces"] = copy.deepcopy(interfaces)
    spec = _defaulted(vmi)["spec"]
    assert spec["domain"]["devices"]["interfaces"] == interfaces
    assert spec["networks"] == networks


def test_default_network_not_added_when_pod_interface_autoattach_is_off() -> None:
    # vmispec.SetDefaultNetworkInterface: autoattachPodInterface=false returns early.
    vmi = _new_vmi()
    vmi["spec"]["domain"]["devices"]["autoattachPodInterface"] = False
    spec = _defaulted(vmi)["spec"]
    assert "interfaces" not in spec["domain"]["devices"]
    assert "networks" not in spec


def test_mutator_should_add_a_missing_volume_disk() -> None:
    vmi = _new_vmi(volumes=[{"name": "present-vol"}, {"name": "missing-vol"}, {"name": "fs-vol"}])
    vmi["spec"]["domain"]["devices"]["disks"] = [{"name": "present-vol"}]
    vmi["spec"]["domain"]["devices"]["filesystems"] = [{"name": "fs-vol", "virtiofs": {}}]
    disks = _defaulted(vmi)["spec"]["domain"]["devices"]["disks"]
    assert disks == [
        {"name": "present-vol", "disk": {"bus": "sata"}},
        {"name": "missing-vol", "disk": {"bus": "sata"}},
    ]


def test_mutator_should_set_defaults_for_input_devices() -> None:
    vmi = _new_vmi()
    vmi["spec"]["domain"]["devices"]["inputs"] = [{"name": "default-0"}]
    inputs = _defaulted(vmi)["spec"]["domain"]["devices"]["inputs"]
    assert inputs == [{"name": "default-0", "bus": "usb", "type": "tablet"}]


def test_mutator_should_not_override_specified_properties_with_defaults_on_vmi_create() -> None:
    vmi = _new_vmi(
        domain={
            "resources": {"requests": {"cpu": "600m", "memory": "512Mi"}},
            "cpu": {"model": "EPYC"},
            "machine": {"type": "pc-q35-3.0"},
        }
    )
    domain = _defaulted(vmi)["spec"]["domain"]
    assert domain["cpu"]["model"] == "EPYC"
    assert domain["machine"] == {"type": "pc-q35-3.0"}
    assert domain["resources"] == {"requests": {"cpu": "600m", "memory": "512Mi"}}


@pytest.mark.parametrize(
    "requests",
    [
        pytest.param({"cpu": "2200m"}, id="should convert CPU requests to sockets"),
        pytest.param({"cpu": "2.3"}, id="should convert CPU limits to sockets"),
    ],
)
def test_mutator_should_convert_cpu_to_sockets(requests: JSON) -> None:
    vmi = _new_vmi(domain={"cpu": {"model": "EPYC"}, "resources": {"requests": requests}})
    cpu = _defaulted(vmi)["spec"]["domain"]["cpu"]
    assert (cpu["sockets"], cpu["cores"], cpu["threads"]) == (3, 1, 1)


def test_cpu_limit_wins_over_the_request_for_sockets() -> None:
    # SetDefaultGuestCPUTopology reads the limit first.
    vmi = _new_vmi(domain={"resources": {"requests": {"cpu": "1"}, "limits": {"cpu": "4"}}})
    assert _defaulted(vmi)["spec"]["domain"]["cpu"]["sockets"] == 4


def test_partial_topology_is_left_alone() -> None:
    vmi = _new_vmi(domain={"cpu": {"cores": 2}, "resources": {"requests": {"cpu": "8"}}})
    cpu = _defaulted(vmi)["spec"]["domain"]["cpu"]
    assert cpu == {"cores": 2, "model": "host-model"}


def test_mutator_should_copy_cpu_limits_to_requests_if_only_limits_are_set() -> None:
    vmi = _new_vmi(domain={"resources": {"requests": {}, "limits": {"cpu": "1"}}})
    resources = _defaulted(vmi)["spec"]["domain"]["resources"]
    assert resources == {"requests": {"cpu": "1"}, "limits": {"cpu": "1"}}


@pytest.mark.parametrize(
    "domain",
    [
        pytest.param({"resources": {"requests": {"memory": "1Gi"}}}, id="when requests are set"),
        pytest.param({"resources": {"limits": {"memory": "1Gi"}}}, id="when limits are set"),
        pytest.param(
            {"resources": {"requests": {"memory": "1Gi"}, "limits": {"memory": "1Gi"}}},
            id="when both requests and limits are set",
        ),
        pytest.param(
            {"memory": {"hugepages": {"pageSize": "1Gi"}}}, id="when only hugepages pagesize is set"
        ),
    ],
)
def test_mutator_should_always_set_memory_guest(domain: JSON) -> None:
    assert _defaulted(_new_vmi(domain=domain))["spec"]["domain"]["memory"]["guest"] == "1Gi"


def test_memory_request_wins_over_limit_and_given_guest_is_kept() -> None:
    vmi = _new_vmi(domain={"resources": {"requests": {"memory": "1Gi"}, "limits": {"memory": "2Gi"}}})
    assert _defaulted(vmi)["spec"]["domain"]["memory"]["guest"] == "1Gi"
    vmi["spec"]["domain"]["memory"] = {"guest": "3Gi"}
    assert _defaulted(vmi)["spec"]["domain"]["memory"]["guest"] == "3Gi"


def test_mutator_should_set_the_hyperv_dependencies() -> None:
    vmi = _new_vmi(domain={"features": {"hyperv": {"synictimer": {"enabled": True}}}})
    hyperv = _defaulted(vmi)["spec"]["domain"]["features"]["hyperv"]
    assert hyperv["vpindex"]["enabled"] is True
    assert hyperv["synic"]["enabled"] is True
    assert hyperv["synictimer"]["enabled"] is True


def test_mutator_should_not_mutate_vmis_without_hyperv_configuration() -> None:
    spec: JSON = {"domain": {}}
    set_hyperv_dependencies(spec)
    assert "features" not in spec["domain"]


def test_mutator_should_not_mutate_vmis_with_empty_hyperv_configuration() -> None:
    spec: JSON = {"domain": {"features": {"hyperv": {}}}}
    set_hyperv_dependencies(spec)
    assert spec["domain"]["features"]["hyperv"] == {}


def test_mutator_should_not_mutate_vmis_with_hyperv_configuration_without_deps() -> None:
    hyperv = {"relaxed": {"enabled": True}, "runtime": {"enabled": True}, "reset": {"enabled": True}}
    spec: JSON = {"domain": {"features": {"hyperv": copy.deepcopy(hyperv)}}}
    set_hyperv_dependencies(spec)
    assert spec["domain"]["features"]["hyperv"] == hyperv


def test_mutator_should_mutate_vmis_with_hyperv_configuration_to_fix_deps() -> None:
    spec: JSON = {
        "domain": {"features": {"hyperv": {"relaxed": {"enabled": True}, "synictimer": {"enabled": True}}}}
    }
    set_hyperv_dependencies(spec)
    assert spec["domain"]["features"]["hyperv"] == {
        "relaxed": {"enabled": True},
        "vpindex": {"enabled": True},
        "synic": {"enabled": True},
        "synictimer": {"enabled": True},
    }


def test_mutator_should_partially_mutate_vmis_with_explicit_hyperv_configuration() -> None:
    spec: JSON = {
        "domain": {
            "features": {
                "hyperv": {
                    "vpindex": {"enabled": False},
                    "synictimer": {"enabled": True},
                    "evmcs": {"enabled": True},
                }
            }
        }
    }
    set_hyperv_dependencies(spec)
    assert spec["domain"]["features"]["hyperv"] == {
        "vpindex": {"enabled": False},
        "synic": {"enabled": True},
        "synictimer": {"enabled": True},
        "evmcs": {"enabled": True},
        "vapic": {"enabled": True},
    }
    # KubeVirt stopped at the conflict (synic needs vpindex), before the EVMCS CPU feature.
    assert "cpu" not in spec["domain"]


VMX = {"name": "vmx", "policy": "require"}


@pytest.mark.parametrize(
    ("cpu", "hyperv", "expected_cpu"),
    [
        pytest.param(None, {"relaxed": {"enabled": True}}, None, id="if hyperV doesn't contain EVMCS"),
        pytest.param(None, {"evmcs": {"enabled": False}}, None, id="if EVMCS is explicitly false"),
        pytest.param(None, {"evmcs": {}}, {"features": [VMX]}, id="if hyperV does contain EVMCS"),
        pytest.param(
            None, {"evmcs": {"enabled": True}}, {"features": [VMX]}, id="if EVMCS is explicitly true"
        ),
        pytest.param(
            {"sockets": 2},
            {"evmcs": {}},
            {"sockets": 2, "features": [VMX]},
            id="if hyperV does contain EVMCS and cpu sockets",
        ),
        pytest.param(
            {"features": []},
            {"evmcs": {}},
            {"features": [VMX]},
            id="if hyperV does contain EVMCS and 0 cpu features",
        ),
        pytest.param(
            {"features": [{"name": "monitor", "policy": "require"}]},
            {"evmcs": {}},
            {"features": [{"name": "monitor", "policy": "require"}, VMX]},
            id="if hyperV does contain EVMCS and 1 different cpu feature",
        ),
        pytest.param(
            {"features": [{"name": "vmx", "policy": "disabled"}]},
            {"evmcs": {}},
            {"features": [VMX]},
            id="if hyperV does contain EVMCS and disabled vmx cpu feature",
        ),
        pytest.param(
            {"features": [VMX]},
            {"evmcs": {}},
            {"features": [VMX]},
            id="if hyperV does contain EVMCS and enabled vmx cpu feature",
        ),
    ],
)
def test_mutator_modify_the_vmi_cpu_feature(
    cpu: JSON | None, hyperv: JSON, expected_cpu: JSON | None
) -> None:
    spec: JSON = {"domain": {"features": {"hyperv": copy.deepcopy(hyperv)}}}
    if cpu is not None:
        spec["domain"]["cpu"] = copy.deepcopy(cpu)
    set_hyperv_dependencies(spec)
    assert spec["domain"].get("cpu") == expected_cpu


def test_evmcs_through_the_whole_chain_enables_vapic_and_vmx() -> None:
    vmi = _new_vmi(domain={"features": {"hyperv": {"evmcs": {}}}})
    domain = _defaulted(vmi)["spec"]["domain"]
    assert domain["features"]["hyperv"] == {"evmcs": {"enabled": True}, "vapic": {"enabled": True}}
    assert domain["cpu"]["features"] == [VMX]


def test_mutator_should_convert_cpu_model_and_uefi_boot_on_arm64() -> None:
    domain = _defaulted(_new_vmi(architecture="arm64"))["spec"]["domain"]
    assert domain["firmware"]["bootloader"]["efi"]["secureBoot"] is False
    assert domain["cpu"]["model"] == "host-passthrough"


@pytest.mark.parametrize(
    ("disk", "target", "bus"),
    [
        pytest.param({"name": "a"}, "disk", "virtio", id="Disk device"),
        pytest.param(
            {"name": "a", "disk": {"bus": "scsi"}}, "disk", "scsi", id="Disk device with virtio bus"
        ),
        pytest.param({"name": "a", "cdrom": {}}, "cdrom", "virtio", id="CDRom device"),
        pytest.param({"name": "a", "lun": {}}, "lun", "virtio", id="LUN device"),
    ],
)
def test_mutator_should_convert_disk_bus_to_virtio_or_scsi_on_arm64(
    disk: JSON, target: str, bus: str
) -> None:
    vmi = _new_vmi(architecture="arm64", volumes=[{"name": "a", "containerDisk": {"image": "test:latest"}}])
    vmi["spec"]["domain"]["devices"]["disks"] = [copy.deepcopy(disk)]
    disks = _defaulted(vmi)["spec"]["domain"]["devices"]["disks"]
    assert disks[0][target]["bus"] == bus


@pytest.mark.parametrize(("arch", "bus"), [("amd64", "sata"), ("s390x", "virtio")])
def test_disk_buses_on_amd64_and_s390x(arch: str, bus: str) -> None:
    # pkg/defaults setDefaultAmd64DisksBus / setDefaultS390xDisksBus.
    vmi = _new_vmi()
    vmi["spec"]["domain"]["devices"]["disks"] = [
        {"name": "a"},
        {"name": "b", "cdrom": {}},
        {"name": "c", "lun": {}},
        {"name": "d", "disk": {"bus": "usb"}},
    ]
    disks = _defaulted(vmi, arch)["spec"]["domain"]["devices"]["disks"]
    assert [d.get("disk", d.get("cdrom", d.get("lun")))["bus"] for d in disks] == [bus, bus, bus, "usb"]


@pytest.mark.parametrize(
    ("arch", "watchdog", "expected"),
    [
        ("amd64", {"name": "w"}, {"name": "w", "i6300esb": {"action": "reset"}}),
        (
            "amd64",
            {"name": "w", "i6300esb": {"action": "poweroff"}},
            {"name": "w", "i6300esb": {"action": "poweroff"}},
        ),
        ("s390x", {"name": "w"}, {"name": "w", "diag288": {"action": "reset"}}),
        # SetAmd64Watchdog adds its model even next to another one (validation rejects it later).
        (
            "amd64",
            {"name": "w", "diag288": {}},
            {"name": "w", "diag288": {}, "i6300esb": {"action": "reset"}},
        ),
        ("arm64", {"name": "w"}, {"name": "w"}),
    ],
)
def test_watchdog_defaults(arch: str, watchdog: JSON, expected: JSON) -> None:
    # pkg/defaults SetAmd64Watchdog / SetS390xWatchdog (no KubeVirt unit test).
    vmi = _new_vmi()
    vmi["spec"]["domain"]["devices"]["watchdog"] = copy.deepcopy(watchdog)
    assert _defaulted(vmi, arch)["spec"]["domain"]["devices"]["watchdog"] == expected


@pytest.mark.parametrize(
    ("features", "expected"),
    [
        (None, {"acpi": {"enabled": False}}),
        ({"acpi": {}}, {"acpi": {"enabled": False}}),
        ({"acpi": {"enabled": True}}, {"acpi": {"enabled": True}}),
    ],
)
def test_s390x_acpi_is_off_unless_requested(features: JSON | None, expected: JSON) -> None:
    # pkg/defaults/s390x.go setS390xDefaultFeatures (no KubeVirt unit test).
    vmi = _new_vmi(architecture="s390x")
    if features is not None:
        vmi["spec"]["domain"]["features"] = features
    assert _defaulted(vmi)["spec"]["domain"]["features"] == expected


def test_mutator_should_set_guest_memory_status_on_vmi_creation() -> None:
    vmi = _new_vmi(domain={"memory": {"guest": "128Mi"}})
    assert _defaulted(vmi)["status"]["memory"] == {
        "guestAtBoot": "128Mi",
        "guestCurrent": "128Mi",
        "guestRequested": "128Mi",
    }


def test_mutator_should_set_default_cpu_topology_in_status_when_not_provided_by_vmi() -> None:
    status = _defaulted(_new_vmi())["status"]
    assert status["currentCPUTopology"] == {"sockets": 1, "cores": 1, "threads": 1}


@pytest.mark.parametrize(
    "cpu",
    [
        pytest.param({"sockets": 3, "cores": 3, "threads": 2}, id="full guest CPU topology"),
        pytest.param({"sockets": 1, "cores": 1}, id="partial guest CPU topology"),
    ],
)
def test_mutator_should_copy_vmi_provided_cpu_topology(cpu: JSON) -> None:
    status = _defaulted(_new_vmi(domain={"cpu": copy.deepcopy(cpu)}))["status"]
    assert status["currentCPUTopology"] == cpu


def test_mutator_should_not_overwrite_existing_current_cpu_topology_within_status() -> None:
    vmi = _new_vmi(domain={"cpu": {"sockets": 2, "cores": 1, "threads": 1}})
    vmi["status"] = {"currentCPUTopology": {"sockets": 1, "cores": 1, "threads": 1}}
    assert _defaulted(vmi)["status"]["currentCPUTopology"] == {"sockets": 1, "cores": 1, "threads": 1}


def test_existing_memory_status_is_kept() -> None:
    # Deliberate: KubeVirt writes status.memory on create only; we never overwrite one.
    vmi = _new_vmi(domain={"memory": {"guest": "2Gi"}})
    vmi["status"] = {"memory": {"guestAtBoot": "1Gi", "guestCurrent": "2Gi", "guestRequested": "2Gi"}}
    assert _defaulted(vmi)["status"]["memory"]["guestAtBoot"] == "1Gi"


def test_cluster_config_dependent_and_random_fields_are_not_set() -> None:
    """Deliberately not ported: "Should tag vmi as non-root" (Root feature gate), "evictionStrategy
    should match the" (cluster eviction strategy), LiveUpdate maxSockets/maxGuest, the PCI topology
    annotation, the finalizer and the phase."""
    vmi = _defaulted(_new_vmi(domain={"resources": {"requests": {"memory": "1Gi"}}}))
    assert "runtimeUser" not in vmi["status"]
    assert "phase" not in vmi["status"]
    assert "evictionStrategy" not in vmi["spec"]
    assert "maxSockets" not in vmi["spec"]["domain"]["cpu"]
    assert "maxGuest" not in vmi["spec"]["domain"]["memory"]
    assert vmi["metadata"] == {"name": "testvmi", "namespace": "default"}


# --- malformed input ------------------------------------------------------------------


def test_an_unparsable_quantity_names_its_field() -> None:
    vmi = _new_vmi(domain={"resources": {"requests": {"memory": "lots"}}})
    with pytest.raises(ConversionError) as err:
        apply_vmi_defaults(vmi, "amd64")
    assert err.value.field == "spec.domain.resources.requests.memory"


def test_a_non_object_where_an_object_is_needed_names_its_field() -> None:
    vmi = _new_vmi(domain={"machine": "q35"})
    with pytest.raises(ConversionError) as err:
        apply_vmi_defaults(vmi, "amd64")
    assert err.value.field == "spec.domain.machine"


def test_null_members_count_as_absent() -> None:
    vmi = {
        "metadata": {"name": "n"},
        "spec": {
            "domain": {
                "features": None,
                "firmware": None,
                "cpu": None,
                "devices": {"disks": [{"name": "d", "disk": None}]},
            }
        },
    }
    domain = _defaulted(vmi)["spec"]["domain"]
    assert domain["features"] == {"acpi": {"enabled": True}}
    assert domain["firmware"] == {"uuid": legacy_firmware_uuid("n")}
    assert domain["devices"]["disks"] == [{"name": "d", "disk": {"bus": "sata"}}]
