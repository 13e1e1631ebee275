"""CPU configurator: ported from KubeVirt compute/cpu_test.go and the CPU cases of converter_test.go."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from raw_convert import raw_convert

from vmi_converter.converter.common.arch import AMD64, ARCHES, ARM64, S390X
from vmi_converter.converter.common.build import BuildState
from vmi_converter.converter.common.context import Context
from vmi_converter.converter.common.vmi import JSON
from vmi_converter.converter.compute import cpu
from vmi_converter.converter.domain.model import Domain
from vmi_converter.converter.domain.xmlmodel import to_xml
from vmi_converter.converter.pipeline import new_domain


def _vmi(cpu_spec: JSON | None = None, **domain: Any) -> JSON:
    if cpu_spec is not None:
        domain["cpu"] = cpu_spec
    return {"metadata": {"name": "testvmi", "namespace": "default"}, "spec": {"domain": domain}}


def _ctx(hotplug: bool = False, mpx: bool = False, cross_arch: bool = False, memfd: bool = True) -> Context:
    """KubeVirt's CPUDomainConfigurator options, as arch traits of an otherwise amd64 context."""
    arch = replace(ARCHES[AMD64], cpu_hotplug=hotplug, mpx_validation=mpx, memfd=memfd)
    return Context(arch=arch, allow_cross_arch_emulation=cross_arch)


def _configure(vmi: JSON, ctx: Context) -> Domain:
    domain = new_domain()
    cpu.configure(vmi, domain, ctx, BuildState())
    return domain


def _xml(domain: Domain) -> str:
    out = to_xml(domain.cpu, "cpu") if domain.cpu is not None else ""
    out += to_xml(domain.vcpu, "vcpu") if domain.vcpu is not None else ""
    return out + (to_xml(domain.vcpus, "vcpus") if domain.vcpus is not None else "")


def _cpu(mode: str, topology: tuple[int, int, int], vcpus: int, *, model: str = "", features: str = "",
         numa: str = "") -> str:
    sockets, cores, threads = topology
    body = f"  <model>{model}</model>\n" if model else ""
    body += features
    body += f'  <topology sockets="{sockets}" cores="{cores}" threads="{threads}"/>\n'
    body += numa
    return f'<cpu mode="{mode}">\n{body}</cpu>\n<vcpu placement="static">{vcpus}</vcpu>\n'


def _numa(vcpus: int, kib: int) -> str:
    return f'  <numa>\n    <cell id="0" cpus="0-{vcpus - 1}" memory="{kib}" unit="KiB"/>\n  </numa>\n'


def _vcpus(*states: tuple[str, str]) -> str:
    lines = "".join(f'  <vcpu id="{i}" enabled="{e}" hotpluggable="{h}"/>\n' for i, (e, h) in enumerate(states))
    return f"<vcpus>\n{lines}</vcpus>\n"


def _count(cores: int, threads: int, sockets: int) -> JSON:
    """libvmi.WithCPUCount(cores, threads, sockets); zero values are left out as in JSON."""
    return {k: v for k, v in (("cores", cores), ("threads", threads), ("sockets", sockets)) if v}


HUGEPAGES_128MI: JSON = {"memory": {"hugepages": {"pageSize": "2Mi"}}, "resources": {"requests": {"memory": "128Mi"}}}


# KubeVirt: compute/cpu_test.go "should set topology and VCPU count from VMI CPU spec"
@pytest.mark.parametrize(
    ("vmi", "expected"),
    [
        pytest.param(_vmi(), _cpu("host-model", (1, 1, 1), 1), id="with no CPU spec"),
        pytest.param(_vmi(_count(4, 2, 6)), _cpu("host-model", (6, 4, 2), 48),
                     id="with explicit cores, threads, sockets"),
        pytest.param(_vmi(resources={"requests": {"cpu": "4"}}), _cpu("host-model", (4, 1, 1), 4),
                     id="with CPU resource request only"),
        pytest.param(_vmi(resources={"limits": {"cpu": "8"}}), _cpu("host-model", (8, 1, 1), 8),
                     id="with CPU resource limit only"),
    ],
)
def test_topology_and_vcpu_count(vmi: JSON, expected: str) -> None:
    assert _xml(_configure(vmi, _ctx())) == expected


# KubeVirt: compute/cpu_test.go "should set CPU mode and model"
@pytest.mark.parametrize(
    ("vmi", "expected"),
    [
        pytest.param(_vmi(_count(1, 1, 1)), _cpu("host-model", (1, 1, 1), 1),
                     id="defaults to host-model when model is empty"),
        pytest.param(_vmi({"model": "host-model"}), _cpu("host-model", (1, 1, 1), 1),
                     id="host-model sets mode directly"),
        pytest.param(_vmi({"model": "host-passthrough"}), _cpu("host-passthrough", (1, 1, 1), 1),
                     id="host-passthrough sets mode directly"),
        pytest.param(_vmi({"model": "Skylake-Server"}), _cpu("custom", (1, 1, 1), 1, model="Skylake-Server"),
                     id="custom model sets mode to custom with model name"),
    ],
)
def test_cpu_mode_and_model(vmi: JSON, expected: str) -> None:
    assert _xml(_configure(vmi, _ctx())) == expected


# KubeVirt: compute/cpu_test.go "should set features from VMI spec"
def test_features_from_vmi_spec() -> None:
    vmi = _vmi({"model": "Skylake-Server", "features": [
        {"name": "avx2", "policy": "require"}, {"name": "vmx", "policy": "disable"}]})
    features = '  <feature name="avx2" policy="require"/>\n  <feature name="vmx" policy="disable"/>\n'
    assert _xml(_configure(vmi, _ctx())) == _cpu("custom", (1, 1, 1), 1, model="Skylake-Server", features=features)


# KubeVirt writes <feature name="ssbd"/>, which newer libvirt schemas refuse; require is the API's
# documented default (docs/differences.md).
def test_feature_without_policy_is_required() -> None:
    vmi = _vmi({"model": "host-model", "features": [{"name": "ssbd"}, {"name": "pcid", "policy": ""}]})
    features = '  <feature name="ssbd" policy="require"/>\n  <feature name="pcid" policy="require"/>\n'
    assert _xml(_configure(vmi, _ctx())) == _cpu("host-model", (1, 1, 1), 1, features=features)


MPX_DISABLED = '  <feature name="mpx" policy="disable"/>\n'


# KubeVirt: compute/cpu_test.go "should add mpx disable feature only when required"
@pytest.mark.parametrize(
    ("vmi", "expected"),
    [
        pytest.param(_vmi({"model": "Skylake-Server"}),
                     _cpu("custom", (1, 1, 1), 1, model="Skylake-Server", features=MPX_DISABLED),
                     id="adds mpx disable for custom model when MPX validation is required"),
        pytest.param(_vmi({"model": "host-model"}), _cpu("host-model", (1, 1, 1), 1),
                     id="does not add mpx for host-model"),
        pytest.param(_vmi({"model": "host-passthrough"}), _cpu("host-passthrough", (1, 1, 1), 1),
                     id="does not add mpx for host-passthrough"),
        pytest.param(_vmi({"model": "Skylake-Server", "features": [{"name": "mpx", "policy": "require"}]}),
                     _cpu("custom", (1, 1, 1), 1, model="Skylake-Server",
                          features='  <feature name="mpx" policy="require"/>\n'),
                     id="does not add mpx when user already specifies it"),
    ],
)
def test_mpx_validation(vmi: JSON, expected: str) -> None:
    assert _xml(_configure(vmi, _ctx(mpx=True))) == expected


# KubeVirt: compute/cpu_test.go "should use CPU model max for cross-arch emulation"
@pytest.mark.parametrize(
    ("vmi", "model"),
    [
        pytest.param(_vmi({"model": "host-model"}), "max", id="overrides host-model to max"),
        pytest.param(_vmi({"model": "host-passthrough"}), "max", id="overrides host-passthrough to max"),
        pytest.param(_vmi(), "max", id="defaults to max when no CPU model is specified"),
        pytest.param(_vmi({"model": "cortex-a57"}), "cortex-a57", id="preserves explicit custom model"),
    ],
)
def test_cross_arch_cpu_model(vmi: JSON, model: str) -> None:
    assert _xml(_configure(vmi, _ctx(cross_arch=True))) == _cpu("custom", (1, 1, 1), 1, model=model)


# KubeVirt: compute/cpu_test.go "should create a synthetic NUMA cell when memfd is required and no explicit
# NUMA is requested"
@pytest.mark.parametrize(
    ("vmi", "topology", "numa"),
    [
        pytest.param(_vmi(**HUGEPAGES_128MI), (1, 1, 1), _numa(1, 128 * 1024),
                     id="hugepages without explicit NUMA"),
        pytest.param(_vmi(_count(2, 1, 2), memory={"hugepages": {"pageSize": "2Mi"}},
                          resources={"requests": {"memory": "256Mi"}}),
                     (2, 2, 1), _numa(4, 256 * 1024), id="hugepages with multiple vCPUs"),
        pytest.param(_vmi(devices={"filesystems": [{"name": "test-pvc", "virtiofs": {}}]},
                          resources={"requests": {"memory": "64Mi"}}),
                     (1, 1, 1), _numa(1, 64 * 1024), id="virtiofs without explicit NUMA"),
        pytest.param(_vmi(devices={"interfaces": [{"name": "default", "passtBinding": {}}]},
                          resources={"requests": {"memory": "64Mi"}}),
                     (1, 1, 1), _numa(1, 64 * 1024), id="passt without explicit NUMA"),
        pytest.param(_vmi(resources={"requests": {"memory": "64Mi"}}), (1, 1, 1), "",
                     id="no hugepages, virtiofs, or passt"),
        pytest.param(_vmi({"numa": {"guestMappingPassthrough": {}}}, **HUGEPAGES_128MI), (1, 1, 1), "",
                     id="hugepages with explicit NUMA"),
        pytest.param({**_vmi(**HUGEPAGES_128MI), "metadata": {"annotations": {"kubevirt.io/memfd": "false"}}},
                     (1, 1, 1), "", id="hugepages with memfd annotation false"),
    ],
)
def test_synthetic_numa_cell(vmi: JSON, topology: tuple[int, int, int], numa: str) -> None:
    sockets, cores, threads = topology
    expected = _cpu("host-model", topology, sockets * cores * threads, numa=numa)
    assert _xml(_configure(vmi, _ctx())) == expected


# KubeVirt: compute/cpu_test.go "should span all hotpluggable CPUs in the synthetic NUMA cell"
def test_synthetic_numa_cell_spans_hotpluggable_cpus() -> None:
    vmi = _vmi({**_count(1, 1, 2), "maxSockets": 4}, **HUGEPAGES_128MI)
    expected = _cpu("host-model", (4, 1, 1), 4, numa=_numa(4, 128 * 1024))
    expected += _vcpus(("yes", "no"), ("yes", "yes"), ("no", "yes"), ("no", "yes"))
    assert _xml(_configure(vmi, _ctx(hotplug=True))) == expected


# KubeVirt: compute/cpu_test.go "should skip synthetic NUMA when memfd is not supported"
def test_no_synthetic_numa_without_memfd_support() -> None:
    assert _xml(_configure(_vmi(**HUGEPAGES_128MI), _ctx(memfd=False))) == _cpu("host-model", (1, 1, 1), 1)


# KubeVirt: compute/cpu_test.go "should configure VCPUs for hotplug when MaxSockets is set and hotplug is supported"
def test_hotplug_vcpus() -> None:
    vmi = _vmi({**_count(1, 1, 2), "maxSockets": 4})
    expected = _cpu("host-model", (4, 1, 1), 4)
    expected += _vcpus(("yes", "no"), ("yes", "yes"), ("no", "yes"), ("no", "yes"))
    assert _xml(_configure(vmi, _ctx(hotplug=True))) == expected


# KubeVirt: compute/cpu_test.go "should not configure VCPUs for hotplug when hotplug is not supported"
def test_no_hotplug_vcpus_when_unsupported() -> None:
    vmi = _vmi({**_count(1, 1, 2), "maxSockets": 4})
    assert _xml(_configure(vmi, _ctx(hotplug=False))) == _cpu("host-model", (2, 1, 1), 2)


# KubeVirt: compute/cpu_test.go "should not configure VCPUs for hotplug when MaxSockets is zero"
def test_no_hotplug_vcpus_without_max_sockets() -> None:
    assert _xml(_configure(_vmi(_count(1, 1, 2)), _ctx(hotplug=True))) == _cpu("host-model", (2, 1, 1), 2)


# KubeVirt: compute/cpu_test.go "should mark first socket vCPUs as non-hotpluggable"
def test_first_socket_is_not_hotpluggable() -> None:
    vmi = _vmi({**_count(2, 1, 1), "maxSockets": 3})
    expected = _cpu("host-model", (3, 2, 1), 6)
    expected += _vcpus(("yes", "no"), ("yes", "no"), ("no", "yes"), ("no", "yes"), ("no", "yes"), ("no", "yes"))
    assert _xml(_configure(vmi, _ctx(hotplug=True))) == expected


# --- converter_test.go, "when CPU spec defined" and neighbours (whole conversion, API defaulters only)

def _converted(cpu_spec: JSON | None, arch: str = AMD64, **domain: Any) -> Domain:
    resources = domain.pop("resources", {"requests": {"memory": "8192Ki"}})
    vmi = _vmi(cpu_spec, resources=resources, **domain)
    return raw_convert(vmi, {"architecture": arch, "allowEmulation": True})


# KubeVirt: converter_test.go "should convert CPU cores, model and features"
def test_converter_cpu_cores_model_and_features() -> None:
    domain = _converted({"cores": 3, "sockets": 2, "threads": 2, "model": "Conroe", "features": [
        {"name": "lahf_lm", "policy": "require"}, {"name": "mmx", "policy": "disable"}]})
    features = ('  <feature name="lahf_lm" policy="require"/>\n  <feature name="mmx" policy="disable"/>\n'
                + MPX_DISABLED)
    assert _xml(domain) == _cpu("custom", (2, 3, 2), 12, model="Conroe", features=features)


# KubeVirt: converter_test.go "should convert CPU cores" / "sockets" / "threads" / "requests to sockets" /
# "limits to sockets" / "should prefer CPU spec instead of CPU requests" / "... instead of CPU limits"
@pytest.mark.parametrize(
    ("cpu_spec", "resources", "topology", "vcpus"),
    [
        pytest.param({"cores": 3}, None, (1, 3, 1), 3, id="should convert CPU cores"),
        pytest.param({"sockets": 3}, None, (3, 1, 1), 3, id="should convert CPU sockets"),
        pytest.param({"threads": 3}, None, (1, 1, 3), 3, id="should convert CPU threads"),
        pytest.param(None, {"requests": {"memory": "8192Ki", "cpu": "2200m"}}, (3, 1, 1), 3,
                     id="should convert CPU requests to sockets"),
        pytest.param(None, {"requests": {"memory": "8192Ki"}, "limits": {"cpu": "2.3"}}, (3, 1, 1), 3,
                     id="should convert CPU limits to sockets"),
        pytest.param({"sockets": 3}, {"requests": {"memory": "8192Ki", "cpu": "400m"}}, (3, 1, 1), 3,
                     id="should prefer CPU spec instead of CPU requests"),
        pytest.param({"sockets": 3}, {"requests": {"memory": "8192Ki"}, "limits": {"cpu": "400m"}}, (3, 1, 1), 3,
                     id="should prefer CPU spec instead of CPU limits"),
    ],
)
def test_converter_cpu_topology(cpu_spec: JSON | None, resources: JSON | None, topology: tuple[int, int, int],
                                vcpus: int) -> None:
    domain = _converted(cpu_spec, **({"resources": resources} if resources else {}))
    assert domain.cpu is not None and domain.cpu.topology is not None
    assert to_xml(domain.cpu.topology, "topology") == (
        '<topology sockets="{}" cores="{}" threads="{}"/>\n'.format(*topology))
    assert to_xml(domain.vcpu, "vcpu") == f'<vcpu placement="static">{vcpus}</vcpu>\n'


# KubeVirt: converter_test.go "should define hotplugable default topology" (amd64, s390x)
@pytest.mark.parametrize("arch", [AMD64, S390X])
def test_converter_hotplug_topology(arch: str) -> None:
    domain = _converted({"cores": 2, "maxSockets": 3, "sockets": 2}, arch=arch)
    assert domain.cpu is not None
    assert to_xml(domain.cpu.topology, "topology") == '<topology sockets="3" cores="2" threads="1"/>\n'
    assert to_xml(domain.vcpu, "vcpu") == '<vcpu placement="static">6</vcpu>\n'
    assert to_xml(domain.vcpus, "vcpus") == _vcpus(("yes", "no"), ("yes", "no"), ("yes", "yes"), ("yes", "yes"),
                                                   ("no", "yes"), ("no", "yes"))


# KubeVirt: converter_test.go "should not define hotplugable topology for ARM64"
def test_converter_no_hotplug_topology_on_arm64() -> None:
    domain = _converted({"cores": 2, "maxSockets": 3, "sockets": 2}, arch=ARM64, machine={"type": "virt"})
    assert domain.cpu is not None
    assert to_xml(domain.cpu.topology, "topology") == '<topology sockets="2" cores="2" threads="1"/>\n'
    assert to_xml(domain.vcpu, "vcpu") == '<vcpu placement="static">4</vcpu>\n'
    assert domain.vcpus is None


# KubeVirt: converter_test.go "should convert CPU model" (host-passthrough, host-model),
# "when CPU spec defined and model not" and "when CPU spec not defined": "should set host-model CPU mode"
@pytest.mark.parametrize(
    ("cpu_spec", "mode"),
    [
        pytest.param({"cores": 3, "model": "host-passthrough"}, "host-passthrough", id="host-passthrough"),
        pytest.param({"cores": 3, "model": "host-model"}, "host-model", id="host-model"),
        pytest.param({"cores": 3}, "host-model", id="CPU spec defined and model not"),
        pytest.param(None, "host-model", id="CPU spec not defined"),
    ],
)
def test_converter_cpu_mode(cpu_spec: JSON | None, mode: str) -> None:
    domain = _converted(cpu_spec)
    assert domain.cpu is not None and domain.cpu.mode == mode and domain.cpu.model is None


# KubeVirt: converter_test.go DescribeTable "CPU mpx feature"
@pytest.mark.parametrize(
    ("arch", "features"),
    [
        pytest.param(S390X, [], id="should be nil for s390x"),
        pytest.param(AMD64, ['<feature name="mpx" policy="disable"/>\n'], id="should be present for amd64"),
        pytest.param(ARM64, [], id="should be nil for arm64"),
    ],
)
def test_converter_mpx_feature(arch: str, features: list[str]) -> None:
    domain = _converted({}, arch=arch)
    assert domain.cpu is not None
    assert [to_xml(f, "feature") for f in domain.cpu.features] == features
