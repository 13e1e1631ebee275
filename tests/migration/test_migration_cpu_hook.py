"""Dedicated-CPU re-pinning on the target: ported from KubeVirt premigration-hook-server/cpuhook/cpu_hook_test.go."""

from __future__ import annotations

import pytest
from migration_helpers import JSON, canonical, vmi

from vmi_converter.converter.common.errors import ConversionError
from vmi_converter.converter.common.safe_xml import parse_domain
from vmi_converter.converter.migration import TargetFacts, migratable_xml
from vmi_converter.converter.migration.cpu_hook import cpu_dedicated_hook
from vmi_converter.converter.migration.xml_edit import serialize


def _topology(*cells: list[int]) -> JSON:
    return {"numaCells": [
        {"id": index, "cpus": [{"id": cpu, "siblings": [cpu]} for cpu in cpus]} for index, cpus in enumerate(cells)
    ]}


def _dedicated(**cpu: object) -> JSON:
    return vmi(spec={"domain": {"cpu": {"cores": 2, "dedicatedCpuPlacement": True, **cpu}}})


def _hooked(xml: str, spec_vmi: JSON, facts: TargetFacts) -> str:
    root = parse_domain(xml)
    cpu_dedicated_hook(root, spec_vmi, facts)
    return serialize(root)


_PINNED_ON_SOURCE = """<domain type="kvm" id="1">
  <name>kubevirt</name>
  <vcpu placement="static">2</vcpu>
  <cputune>
    <vcpupin vcpu="0" cpuset="4"></vcpupin>
    <vcpupin vcpu="1" cpuset="5"></vcpupin>
  </cputune>
</domain>"""


# KubeVirt: cpuhook/cpu_hook_test.go "should change CPU pinning according to migration metadata"
def test_cpu_pinning_follows_the_target_cpuset() -> None:
    expected = """<domain type="kvm" id="1">
  <name>kubevirt</name>
  <vcpu placement="static">2</vcpu>
  <cputune>
    <vcpupin vcpu="0" cpuset="6"></vcpupin>
    <vcpupin vcpu="1" cpuset="7"></vcpupin>
  </cputune>
  <cpu>
    <topology sockets="1" cores="2" threads="1"></topology>
  </cpu>
</domain>"""
    facts = TargetFacts(cpu_set=(6, 7), topology=_topology([6, 7]))
    result = _hooked(_PINNED_ON_SOURCE, _dedicated(), facts)
    assert canonical(result) == canonical(expected)
    assert result == expected  # also laid out as Go's encoder writes it


def test_hook_runs_from_migratable_xml_target_stage() -> None:
    facts = TargetFacts(cpu_set=(6, 7), topology=_topology([6, 7]))
    source_only = migratable_xml(_PINNED_ON_SOURCE, _dedicated())
    assert source_only.domain_xml == _PINNED_ON_SOURCE
    assert 'cpuset="6"' in migratable_xml(_PINNED_ON_SOURCE, _dedicated(), target=facts).domain_xml


def test_shared_cpus_are_left_alone() -> None:
    spec_vmi = vmi(spec={"domain": {"cpu": {"cores": 2}}})
    assert _hooked(_PINNED_ON_SOURCE, spec_vmi, TargetFacts(cpu_set=(6, 7))) == _PINNED_ON_SOURCE


# KubeVirt: vcpu.AdjustDomainForTopologyAndCPUSet on amd64 — hint-dedicated plus the emulator pin; the hook
# otherwise keeps what it does not compute (other features, cputune settings, vcpu current).
def test_amd64_emulator_thread_and_untouched_settings() -> None:
    xml = """<domain type="kvm">
  <vcpu placement="static" current="2">2</vcpu>
  <cputune>
    <shares>1024</shares>
    <vcpupin vcpu="0" cpuset="4"/>
    <vcpupin vcpu="1" cpuset="5"/>
    <emulatorpin cpuset="3"/>
  </cputune>
  <features>
    <acpi/>
    <kvm><hidden state="on"/></kvm>
    <vmcoreinfo state="on"/>
  </features>
  <cpu mode="host-passthrough"><topology sockets="1" dies="1" cores="2" threads="1"/><feature name="x"/></cpu>
</domain>"""
    expected = """<domain type="kvm">
  <vcpu placement="static" current="2">2</vcpu>
  <cputune>
    <shares>1024</shares>
    <vcpupin vcpu="0" cpuset="6"/>
    <vcpupin vcpu="1" cpuset="7"/>
    <emulatorpin cpuset="8"/>
  </cputune>
  <features>
    <acpi/>
    <kvm><hidden state="on"/><hint-dedicated state="on"/></kvm>
    <vmcoreinfo state="on"/>
  </features>
  <cpu mode="host-passthrough"><topology sockets="1" dies="1" cores="2" threads="1"/><feature name="x"/></cpu>
</domain>"""
    spec_vmi = _dedicated(isolateEmulatorThread=True)
    spec_vmi["spec"]["architecture"] = "amd64"
    facts = TargetFacts(cpu_set=(6, 7, 8), topology=_topology([6, 7, 8]))
    assert canonical(_hooked(xml, spec_vmi, facts)) == canonical(expected)


def test_realtime_turns_pmu_off() -> None:
    spec_vmi = _dedicated(realtime={})
    result = _hooked(_PINNED_ON_SOURCE, spec_vmi, TargetFacts(cpu_set=(6, 7), topology=_topology([6, 7])))
    assert "<features>\n    <pmu state=\"off\"></pmu>\n  </features>" in result


def test_numa_passthrough_rewrites_numatune_for_the_target_cells() -> None:
    xml = """<domain type="kvm">
  <memoryBacking><hugepages><page size="2048" unit="KiB" nodeset="0"/></hugepages></memoryBacking>
  <vcpu placement="static">2</vcpu>
  <cputune><vcpupin vcpu="0" cpuset="2"/><vcpupin vcpu="1" cpuset="3"/></cputune>
  <numatune>
    <memory mode="strict" nodeset="2,3"/>
    <memnode cellid="0" mode="strict" nodeset="2"/>
    <memnode cellid="1" mode="strict" nodeset="3"/>
  </numatune>
  <cpu><topology sockets="1" cores="2" threads="1"/><numa><cell id="0" cpus="0" memory="33554432" unit="b"/>
  <cell id="1" cpus="1" memory="33554432" unit="b"/></numa></cpu>
</domain>"""
    expected = """<domain type="kvm">
  <memoryBacking><hugepages><page size="2048" unit="KiB" nodeset="0"/></hugepages></memoryBacking>
  <vcpu placement="static">2</vcpu>
  <cputune><vcpupin vcpu="0" cpuset="6"/><vcpupin vcpu="1" cpuset="7"/></cputune>
  <numatune>
    <memory mode="strict" nodeset="0,1"/>
    <memnode cellid="0" mode="strict" nodeset="0"/>
    <memnode cellid="1" mode="strict" nodeset="1"/>
  </numatune>
  <cpu><topology sockets="1" cores="2" threads="1"/><numa><cell id="0" cpus="0" memory="33554432" unit="b"/>
  <cell id="1" cpus="1" memory="33554432" unit="b"/></numa></cpu>
</domain>"""
    spec_vmi = _dedicated(numa={"guestMappingPassthrough": {}})
    spec_vmi["spec"]["domain"]["memory"] = {"guest": "64Mi", "hugepages": {"pageSize": "2Mi"}}
    facts = TargetFacts(cpu_set=(6, 7), topology=_topology([6], [7]))
    assert canonical(_hooked(xml, spec_vmi, facts)) == canonical(expected)


@pytest.mark.parametrize(("facts", "field", "message"), [
    pytest.param(TargetFacts(cpu_set=(6,), topology=_topology([6, 7])), "target.cpuSet",
                 "failed to generate domain for target CPU set and topology: not enough exclusive threads provided, "
                 "could not fit 1 core(s)", id="cpuset too small"),
    pytest.param(TargetFacts(cpu_set=(6, 7)), "target.topology",
                 "failed to generate domain for target CPU set and topology: dedicated CPU placement requires the "
                 "node topology", id="no topology"),
])
def test_placement_errors_name_the_target_facts(facts: TargetFacts, field: str, message: str) -> None:
    with pytest.raises(ConversionError) as err:
        _hooked(_PINNED_ON_SOURCE, _dedicated(), facts)
    assert (err.value.field, err.value.message) == (field, message)


def test_max_sockets_keep_hotplug_sockets_in_the_topology() -> None:
    xml = """<domain type="kvm">
  <vcpu placement="static" current="2">4</vcpu>
  <vcpus><vcpu id="0" enabled="yes"/><vcpu id="1" enabled="yes"/><vcpu id="2" enabled="no"/>
  <vcpu id="3" enabled="no"/></vcpus>
  <cputune><vcpupin vcpu="0" cpuset="4"/><vcpupin vcpu="1" cpuset="5"/></cputune>
  <cpu><topology sockets="2" cores="2" threads="1"/></cpu>
</domain>"""
    expected = xml.replace('cpuset="4"', 'cpuset="6"').replace('cpuset="5"', 'cpuset="7"')
    spec_vmi = _dedicated(sockets=1, maxSockets=2)
    facts = TargetFacts(cpu_set=(6, 7), topology=_topology([6, 7]))
    assert canonical(_hooked(xml, spec_vmi, facts)) == canonical(expected)
