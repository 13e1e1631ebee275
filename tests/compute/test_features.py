"""Hypervisor features configurator: ported from KubeVirt compute/hypervisor_features_test.go and the
HyperV and vmport cases of converter_test.go."""

from __future__ import annotations

from dataclasses import replace

import pytest
from raw_convert import raw_convert

from vmi_converter.converter.common.arch import AMD64, ARCHES, ARM64, S390X
from vmi_converter.converter.common.build import BuildState
from vmi_converter.converter.common.context import Context
from vmi_converter.converter.common.errors import ConversionError
from vmi_converter.converter.common.vmi import JSON
from vmi_converter.converter.compute import features
from vmi_converter.converter.domain.xmlmodel import to_xml
from vmi_converter.converter.pipeline import new_domain


def _features_xml(feature_spec: JSON | None, vmport: bool = False, tdx: bool = False) -> str:
    domain = new_domain()
    vmi: JSON = {"spec": {"domain": {} if feature_spec is None else {"features": feature_spec}}}
    ctx = Context(arch=replace(ARCHES[AMD64], vmport=vmport), use_launch_security_tdx=tdx)
    features.configure(vmi, domain, ctx, BuildState())
    return to_xml(domain.features, "features")


def _features(*children: str) -> str:
    if not children:
        return "<features/>\n"
    return "<features>\n" + "".join(f"  {c}\n" for c in children) + "</features>\n"


def _hyperv(*children: str, mode: str = "") -> str:
    attrs = f' mode="{mode}"' if mode else ""
    if not children:
        return f"<hyperv{attrs}/>"
    return f"<hyperv{attrs}>\n" + "".join(f"    {c}\n" for c in children) + "  </hyperv>"


def _at_root(fragment: str) -> str:
    """A `_hyperv()` fragment (written for inside `<features>`) as a document of its own."""
    first, *rest = fragment.split("\n")
    return "\n".join([first, *(line[2:] for line in rest)]) + "\n"


def _enabled(value: bool | None) -> JSON:
    return {} if value is None else {"enabled": value}


STATES = [pytest.param(None, id="nil (defaults to enabled)"), pytest.param(True, id="explicitly enabled"),
          pytest.param(False, id="explicitly disabled")]


# KubeVirt: hypervisor_features_test.go "should initialize Features and return nil when VMI has no features"
def test_no_vmi_features() -> None:
    assert _features_xml(None) == _features()


# KubeVirt: hypervisor_features_test.go "should convert ACPI feature"
@pytest.mark.parametrize("enabled", STATES)
def test_acpi(enabled: bool | None) -> None:
    expected = _features() if enabled is False else _features("<acpi/>")
    assert _features_xml({"acpi": _enabled(enabled)}) == expected


# KubeVirt: hypervisor_features_test.go "should convert SMM feature"
@pytest.mark.parametrize("enabled", STATES)
def test_smm(enabled: bool | None) -> None:
    expected = _features("<acpi/>") if enabled is False else _features("<acpi/>", "<smm/>")
    assert _features_xml({"smm": _enabled(enabled)}) == expected


# KubeVirt: hypervisor_features_test.go "should convert APIC feature"
@pytest.mark.parametrize("enabled", STATES)
def test_apic(enabled: bool | None) -> None:
    expected = _features("<acpi/>") if enabled is False else _features("<acpi/>", "<apic/>")
    assert _features_xml({"apic": _enabled(enabled)}) == expected


# KubeVirt: hypervisor_features_test.go "should convert KVM hidden feature"
@pytest.mark.parametrize(("hidden", "state"), [(True, "on"), (False, "off")], ids=["hidden true", "hidden false"])
def test_kvm_hidden(hidden: bool, state: str) -> None:
    kvm = {"hidden": True} if hidden else {}
    assert _features_xml({"kvm": kvm}) == _features("<acpi/>", f'<kvm>\n    <hidden state="{state}"/>\n  </kvm>')


# KubeVirt: hypervisor_features_test.go "should convert Pvspinlock feature"
@pytest.mark.parametrize("enabled", STATES)
def test_pvspinlock(enabled: bool | None) -> None:
    state = "off" if enabled is False else "on"
    assert _features_xml({"pvspinlock": _enabled(enabled)}) == _features("<acpi/>", f'<pvspinlock state="{state}"/>')


# KubeVirt: hypervisor_features_test.go "should configure hyperv passthrough mode"
def test_hyperv_passthrough() -> None:
    got = _features_xml({"hypervPassthrough": {"enabled": True}})
    assert got == _features("<acpi/>", _hyperv(mode="passthrough"))


# KubeVirt: hypervisor_features_test.go "should not configure hyperv passthrough when disabled"
def test_hyperv_passthrough_disabled() -> None:
    assert _features_xml({"hypervPassthrough": {"enabled": False}}) == _features("<acpi/>")


# KubeVirt panics on hypervPassthrough with `enabled` unset (nil dereference).
def test_hyperv_passthrough_without_enabled_is_an_error() -> None:
    with pytest.raises(ConversionError, match="hypervPassthrough requires enabled") as err:
        _features_xml({"hypervPassthrough": {}})
    assert err.value.field == "spec.domain.features.hypervPassthrough.enabled"


ALL_HYPERV: JSON = {
    **{key: {"enabled": True} for key in ("relaxed", "vapic", "vpindex", "runtime", "synic", "reset", "frequencies",
                                          "reenlightenment", "ipi", "evmcs")},
    "spinlocks": {"enabled": True, "spinlocks": 4096},
    "vendorid": {"enabled": True, "vendorid": "myvendor"},
    "synictimer": {"enabled": True, "direct": {"enabled": True}},
    "tlbflush": {"enabled": True, "direct": {"enabled": True}, "extended": {"enabled": True}},
}


# KubeVirt: hypervisor_features_test.go "should convert all hyperv features"
def test_all_hyperv_features() -> None:
    hyperv = _hyperv(
        '<relaxed state="on"/>', '<vapic state="on"/>', '<spinlocks state="on" retries="4096"/>',
        '<vpindex state="on"/>', '<runtime state="on"/>', '<synic state="on"/>',
        '<stimer state="on">\n      <direct state="on"/>\n    </stimer>', '<reset state="on"/>',
        '<vendor_id state="on" value="myvendor"/>', '<frequencies state="on"/>', '<reenlightenment state="on"/>',
        '<tlbflush state="on">\n      <direct state="on"/>\n      <extended state="on"/>\n    </tlbflush>',
        '<ipi state="on"/>', '<evmcs state="on"/>',
    )
    assert _features_xml({"hyperv": ALL_HYPERV}) == _features("<acpi/>", hyperv)


# KubeVirt: hypervisor_features_test.go "should default to on when Enabled is nil"
def test_hyperv_defaults_to_on() -> None:
    spec = {"hyperv": {"relaxed": {}, "spinlocks": {}, "synictimer": {}, "tlbflush": {}}}
    hyperv = _hyperv('<relaxed state="on"/>', '<spinlocks state="on"/>', '<stimer state="on"/>',
                     '<tlbflush state="on"/>')
    assert _features_xml(spec) == _features("<acpi/>", hyperv)


# KubeVirt: hypervisor_features_test.go "should convert disabled features to off"
def test_hyperv_disabled_features_are_off() -> None:
    spec = {"hyperv": {"relaxed": {"enabled": False}, "vapic": {"enabled": False}}}
    assert _features_xml(spec) == _features("<acpi/>", _hyperv('<relaxed state="off"/>', '<vapic state="off"/>'))


# KubeVirt: hypervisor_features_test.go "should not set unspecified hyperv features"
def test_hyperv_unspecified_features() -> None:
    assert _features_xml({"hyperv": {}}) == _features("<acpi/>", _hyperv())


# KubeVirt: hypervisor_features_test.go "should take precedence over HypervPassthrough"
def test_hyperv_takes_precedence_over_passthrough() -> None:
    spec = {"hyperv": {"relaxed": {"enabled": True}}, "hypervPassthrough": {"enabled": True}}
    assert _features_xml(spec) == _features("<acpi/>", _hyperv('<relaxed state="on"/>'))


# KubeVirt: hypervisor_features_test.go "should set VMPort off when hasVMPort is true"
def test_vmport_off() -> None:
    assert _features_xml({}, vmport=True) == _features("<acpi/>", '<vmport state="off"/>')


# KubeVirt: hypervisor_features_test.go "should set PMU off when useLaunchSecurityTDX is true"
def test_pmu_off_for_tdx() -> None:
    assert _features_xml({}, tdx=True) == _features("<acpi/>", '<pmu state="off"/>')


# KubeVirt: converter_test.go DescribeTable "should convert hyperv features"
@pytest.mark.parametrize(
    ("hyperv", "expected"),
    [
        pytest.param({"vapic": {}}, _hyperv('<vapic state="on"/>'), id="and add the vapic feature"),
        pytest.param({"synictimer": {"direct": {}}},
                     _hyperv('<stimer state="on">\n      <direct state="on"/>\n    </stimer>'),
                     id="and add the stimer direct feature"),
        pytest.param({"synictimer": {}}, _hyperv('<stimer state="on"/>'),
                     id="and add the stimer feature without direct"),
        pytest.param({"synictimer": {"direct": {}}, "vapic": {}},
                     _hyperv('<vapic state="on"/>', '<stimer state="on">\n      <direct state="on"/>\n    </stimer>'),
                     id="and add the vapic and the stimer direct feature"),
        pytest.param({"tlbflush": {"enabled": True, "direct": {"enabled": True}, "extended": {"enabled": True}}},
                     _hyperv('<tlbflush state="on">\n      <direct state="on"/>\n      <extended state="on"/>\n'
                             '    </tlbflush>'),
                     id="Convert TLBFlush with enabled features"),
    ],
)
def test_converter_hyperv(hyperv: JSON, expected: str) -> None:
    vmi = {"metadata": {"name": "testvmi", "namespace": "default", "uid": "1234"},
           "spec": {"domain": {"features": {"hyperv": hyperv}}}}
    domain = raw_convert(vmi, {"architecture": AMD64, "allowEmulation": True})
    assert domain.features is not None
    assert to_xml(domain.features.hyperv, "hyperv") == _at_root(expected)


# KubeVirt: converter_test.go "should convert hyperv passthrough"
def test_converter_hyperv_passthrough() -> None:
    vmi = {"metadata": {"name": "testvmi", "namespace": "default", "uid": "1234"},
           "spec": {"domain": {"features": {"hypervPassthrough": {"enabled": True}}}}}
    domain = raw_convert(vmi, {"architecture": AMD64, "allowEmulation": True, "hypervisorDeviceAvailable": True})
    assert domain.features is not None and domain.features.hyperv is not None
    assert domain.features.hyperv.mode == "passthrough"


# KubeVirt: converter_test.go DescribeTable "Should set the vmport by arch"
@pytest.mark.parametrize(("arch", "vmport"), [(AMD64, '<vmport state="off"/>\n'), (ARM64, None), (S390X, None)])
def test_converter_vmport_by_arch(arch: str, vmport: str | None) -> None:
    vmi = {"metadata": {"name": "testvmi", "namespace": "mynamespace"}, "spec": {"domain": {}}}
    domain = raw_convert(vmi, {"architecture": arch, "allowEmulation": True})
    assert domain.features is not None
    assert (to_xml(domain.features.vmport, "vmport") if domain.features.vmport else None) == vmport


def test_enabled_vendor_id_needs_a_value_libvirt_accepts() -> None:
    from vmi_converter.converter.common.errors import ConversionError
    from vmi_converter.converter.pipeline import convert

    vmi = {
        "metadata": {"name": "vm", "namespace": "ns"},
        "spec": {"domain": {"resources": {"requests": {"memory": "64Mi"}},
                            "features": {"hyperv": {"vendorid": {"enabled": True, "vendorid": "a,b"}}}}},
    }
    with pytest.raises(ConversionError) as err:
        convert(vmi, {})
    assert (err.value.field, err.value.message) == (
        "spec.domain.features.hyperv.vendorid.vendorid",
        "'a,b': an enabled Hyper-V vendor id needs 1 to 12 characters and no comma",
    )
