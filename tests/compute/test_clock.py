"""Clock configurator: ported from KubeVirt compute/clock_test.go and converter_test.go (TSC frequency)."""

from __future__ import annotations

import pytest

from vmi_converter.converter.common.build import BuildState
from vmi_converter.converter.common.context import Context
from vmi_converter.converter.common.vmi import JSON
from vmi_converter.converter.compute import clock
from vmi_converter.converter.domain.xmlmodel import to_xml
from vmi_converter.converter.pipeline import convert, new_domain


def _clock_xml(vmi: JSON) -> str | None:
    domain = new_domain()
    clock.configure(vmi, domain, Context(), BuildState())
    return None if domain.clock is None else to_xml(domain.clock, "clock")


def _with_clock(spec_clock: JSON) -> JSON:
    return {"spec": {"domain": {"clock": spec_clock}}}


def _invtsc(frequency: int, spec_clock: JSON | None = None) -> JSON:
    dom: JSON = {"cpu": {"features": [{"name": "invtsc", "policy": "require"}]}}
    if spec_clock is not None:
        dom["clock"] = spec_clock
    return {"spec": {"domain": dom}, "status": {"topologyHints": {"tscFrequency": frequency}}}


# KubeVirt: compute/clock_test.go "should not set clock when clock is unspecified on the VMI"
def test_no_clock_when_unspecified() -> None:
    assert _clock_xml({"spec": {"domain": {}}}) is None


# KubeVirt: compute/clock_test.go DescribeTable "should configure the domain clock from the VMI spec"
# A clock without utc/timezone gets offset="utc" (KubeVirt writes none; docs/differences.md).
@pytest.mark.parametrize(
    ("vmi", "expected"),
    [
        pytest.param(_with_clock({"timezone": "America/New_York"}),
                     '<clock offset="timezone" timezone="America/New_York"/>\n', id="timezone offset"),
        pytest.param(_with_clock({"utc": {}}), '<clock offset="utc" adjustment="reset"/>\n',
                     id="utc offset with adjustment=reset when no offset seconds"),
        pytest.param(_with_clock({"utc": {"offsetSeconds": 3600}}),
                     '<clock offset="utc" adjustment="3600"/>\n', id="utc offset with seconds adjustment"),
        pytest.param(
            _with_clock({"timer": {"rtc": {"track": "guest", "tickPolicy": "catchup", "present": True}}}),
            '<clock offset="utc">\n  <timer name="rtc" tickpolicy="catchup" present="yes" track="guest"/>\n</clock>\n',
            id="RTC timer"),
        pytest.param(
            _with_clock({"timer": {"pit": {"tickPolicy": "delay", "present": False}}}),
            '<clock offset="utc">\n  <timer name="pit" tickpolicy="delay" present="no"/>\n</clock>\n',
            id="PIT timer with disabled state"),
        pytest.param(
            _with_clock({"timer": {"kvm": {}}}),
            '<clock offset="utc">\n  <timer name="kvmclock" present="yes"/>\n</clock>\n', id="KVM timer"),
        pytest.param(
            _with_clock({"timer": {"hpet": {"tickPolicy": "delay", "present": True}}}),
            '<clock offset="utc">\n  <timer name="hpet" tickpolicy="delay" present="yes"/>\n</clock>\n',
            id="HPET timer"),
        pytest.param(
            _with_clock({"timer": {"hyperv": {"present": True}}}),
            '<clock offset="utc">\n  <timer name="hypervclock" present="yes"/>\n</clock>\n', id="Hyperv timer"),
        pytest.param(
            _with_clock({
                "utc": {},
                "timer": {
                    "rtc": {"track": "wall", "tickPolicy": "delay"},
                    "pit": {"tickPolicy": "catchup"},
                    "kvm": {"present": True},
                    "hpet": {"tickPolicy": "catchup"},
                    "hyperv": {},
                },
            }),
            '<clock offset="utc" adjustment="reset">\n'
            '  <timer name="rtc" tickpolicy="delay" present="yes" track="wall"/>\n'
            '  <timer name="pit" tickpolicy="catchup" present="yes"/>\n'
            '  <timer name="kvmclock" present="yes"/>\n'
            '  <timer name="hpet" tickpolicy="catchup" present="yes"/>\n'
            '  <timer name="hypervclock" present="yes"/>\n'
            "</clock>\n",
            id="all timers together"),
        pytest.param(
            _invtsc(1234567890),
            '<clock offset="utc">\n  <timer name="tsc" frequency="1234567890"/>\n</clock>\n',
            id="TSC timer without existing clock"),
        pytest.param(
            _invtsc(9999, {"utc": {}, "timer": {"kvm": {}}}),
            '<clock offset="utc" adjustment="reset">\n'
            '  <timer name="kvmclock" present="yes"/>\n'
            '  <timer name="tsc" frequency="9999"/>\n'
            "</clock>\n",
            id="TSC timer appended to existing clock timers"),
    ],
)
def test_clock_from_spec(vmi: JSON, expected: str) -> None:
    assert _clock_xml(vmi) == expected


def test_clock_offset_is_utc_when_the_vmi_sets_none() -> None:
    vmi = _with_clock({"timer": {"kvm": {"present": False}}})
    assert _clock_xml(vmi) == '<clock offset="utc">\n  <timer name="kvmclock" present="no"/>\n</clock>\n'
    assert _clock_xml(_invtsc(1000)) == '<clock offset="utc">\n  <timer name="tsc" frequency="1000"/>\n</clock>\n'


# KubeVirt: converter_test.go Context("when TSC Frequency"), through the whole pipeline.
def _tsc_vmi(domain_spec: JSON) -> JSON:
    return {
        "metadata": {"name": "testvmi", "namespace": "default"},
        "spec": {"domain": {"resources": {"requests": {"memory": "8192Ki"}}, **domain_spec}},
        "status": {"topologyHints": {"tscFrequency": 12345}},
    }


@pytest.mark.parametrize(
    ("domain_spec", "expected"),
    [
        pytest.param({"features": {"hyperv": {"reenlightenment": {"enabled": True}}}},
                     ['<timer name="tsc" frequency="12345"/>\n'],
                     id="is required because VMI is using hyperV reenlightenment"),
        pytest.param({"cpu": {"features": [{"name": "invtsc", "policy": "require"}]}},
                     ['<timer name="tsc" frequency="12345"/>\n'],
                     id="is required because VMI is using invtsc CPU feature"),
        pytest.param({}, [], id="is not required"),
    ],
)
def test_convert_tsc_frequency(domain_spec: JSON, expected: list[str]) -> None:
    domain = convert(_tsc_vmi(domain_spec), {"allowEmulation": True}).domain
    timers = [] if domain.clock is None else domain.clock.timers
    assert [to_xml(t, "timer") for t in timers if t.name == "tsc"] == expected


def test_tsc_needs_a_positive_frequency_hint() -> None:
    assert _clock_xml(_invtsc(0)) is None


def test_invtsc_with_optional_policy_does_not_pin_frequency() -> None:
    vmi = _invtsc(5000)
    vmi["spec"]["domain"]["cpu"]["features"][0]["policy"] = "optional"
    assert _clock_xml(vmi) is None
