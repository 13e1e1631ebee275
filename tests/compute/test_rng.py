"""RNG configurator: ported from KubeVirt compute/rng_test.go and converter_test.go."""

from __future__ import annotations

import pytest

from vmi_converter.converter.common.build import BuildState
from vmi_converter.converter.common.context import Context, context_from_dict
from vmi_converter.converter.common.vmi import JSON
from vmi_converter.converter.compute import rng
from vmi_converter.converter.domain.xmlmodel import to_xml
from vmi_converter.converter.pipeline import convert, new_domain

BACKEND = '  <backend model="random">/dev/urandom</backend>\n'
IOMMU = '  <driver iommu="on"/>\n'


def _rng_xml(vmi: JSON, ctx: Context) -> str | None:
    domain = new_domain()
    rng.configure(vmi, domain, ctx, BuildState())
    assert domain.devices is not None
    return None if domain.devices.rng is None else to_xml(domain.devices.rng, "rng")


def _minimal_vmi(**domain: object) -> JSON:
    """KubeVirt's NewMinimalVMI("testvmi")."""
    return {
        "metadata": {"name": "testvmi", "namespace": "default"},
        "spec": {"domain": {"resources": {"requests": {"memory": "8192Ki"}}, **domain}},
    }


# KubeVirt: compute/rng_test.go "Should not configure RNG device when RNG is unspecified in VMI"
def test_no_rng_when_unspecified() -> None:
    assert _rng_xml({"spec": {"domain": {}}}, context_from_dict({"architecture": "s390x"})) is None


# KubeVirt: compute/rng_test.go "amd46 with SEV" "Should set IOMMU attribute of the RngDriver"
def test_sev_sets_iommu() -> None:
    vmi: JSON = {"spec": {"domain": {"devices": {"rng": {}}, "launchSecurity": {"sev": {}}}}}
    ctx = context_from_dict({"useLaunchSecuritySEV": True})
    assert _rng_xml(vmi, ctx) == f'<rng model="virtio-non-transitional">\n{BACKEND}{IOMMU}</rng>\n'


# KubeVirt: compute/rng_test.go "s390x with LaunchSecurity" "Should set IOMMU attribute of the RngDriver"
def test_secure_execution_sets_iommu() -> None:
    vmi: JSON = {"spec": {"domain": {"devices": {"rng": {}}, "launchSecurity": {}}}}
    ctx = context_from_dict({"architecture": "s390x", "useLaunchSecurityPV": True})
    assert _rng_xml(vmi, ctx) == f'<rng model="virtio">\n{BACKEND}{IOMMU}</rng>\n'


# KubeVirt: converter_test.go "should not add RNG when not present" / "should add RNG when present"
@pytest.mark.parametrize(
    ("devices", "expected"),
    [
        pytest.param({}, None, id="should not add RNG when not present"),
        pytest.param({"rng": {}}, f'<rng model="virtio-non-transitional">\n{BACKEND}</rng>\n',
                     id="should add RNG when present"),
    ],
)
def test_convert_rng(devices: JSON, expected: str | None) -> None:
    domain = convert(_minimal_vmi(devices=devices), {"allowEmulation": True}).domain
    assert domain.devices is not None
    got = None if domain.devices.rng is None else to_xml(domain.devices.rng, "rng")
    assert got == expected


# KubeVirt: converter_test.go "with AMD SEV LaunchSecurity" / "with Secure Execution LaunchSecurity"
# "should set IOMMU attribute of the RngDriver" (interfaces left out: they do not touch the RNG).
@pytest.mark.parametrize(
    ("domain_spec", "context", "model"),
    [
        pytest.param(
            {"launchSecurity": {"sev": {}}, "features": {"smm": {"enabled": False}},
             "firmware": {"bootloader": {"efi": {"secureBoot": False}}}},
            {"architecture": "amd64", "efiConfiguration": {}, "useLaunchSecuritySEV": True},
            "virtio-non-transitional", id="AMD SEV"),
        pytest.param(
            {"launchSecurity": {}},
            {"architecture": "s390x", "useLaunchSecurityPV": True},
            "virtio", id="Secure Execution"),
    ],
)
def test_convert_launch_security_rng_iommu(domain_spec: JSON, context: JSON, model: str) -> None:
    vmi = _minimal_vmi(devices={"rng": {}, "autoattachMemBalloon": True}, **domain_spec)
    domain = convert(vmi, {"allowEmulation": True, **context}).domain
    assert domain.devices is not None and domain.devices.rng is not None
    assert to_xml(domain.devices.rng, "rng") == f'<rng model="{model}">\n{BACKEND}{IOMMU}</rng>\n'
