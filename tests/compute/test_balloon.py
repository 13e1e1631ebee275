"""Memory balloon configurator: ported from KubeVirt compute/balloon_test.go and converter_test.go."""

from __future__ import annotations

import pytest

from vmi_converter.converter.common.build import BuildState
from vmi_converter.converter.common.context import context_from_dict
from vmi_converter.converter.common.vmi import JSON
from vmi_converter.converter.compute import balloon
from vmi_converter.converter.domain.xmlmodel import to_xml
from vmi_converter.converter.pipeline import convert, new_domain

NO_VMI_BALLOON_SETTINGS: JSON = {"spec": {"domain": {}}}


def _balloon_xml(vmi: JSON, context: JSON) -> str:
    domain = new_domain()
    balloon.configure(vmi, domain, context_from_dict(context), BuildState())
    assert domain.devices is not None and domain.devices.memballoon is not None
    return to_xml(domain.devices.memballoon, "memballoon")


# KubeVirt: compute/balloon_test.go DescribeTable "IOMMU driver configuration"
@pytest.mark.parametrize(
    ("sev", "pv", "driver"),
    [
        pytest.param(False, False, "", id="neither SEV nor PV"),
        pytest.param(True, False, '  <driver iommu="on"/>\n', id="SEV enabled"),
        pytest.param(False, True, '  <driver iommu="on"/>\n', id="PV enabled"),
        pytest.param(True, True, '  <driver iommu="on"/>\n', id="Both SEV and PV enabled"),
    ],
)
def test_iommu_driver(sev: bool, pv: bool, driver: str) -> None:
    got = _balloon_xml(NO_VMI_BALLOON_SETTINGS, {"useLaunchSecuritySEV": sev, "useLaunchSecurityPV": pv})
    head = '<memballoon model="virtio-non-transitional" freePageReporting="off"'
    assert got == (f"{head}>\n{driver}</memballoon>\n" if driver else f"{head}/>\n")


# KubeVirt: compute/balloon_test.go DescribeTable "free page reporting"
@pytest.mark.parametrize(("enabled", "expected"), [(True, "on"), (False, "off")], ids=["enabled", "disabled"])
def test_free_page_reporting(enabled: bool, expected: str) -> None:
    assert _balloon_xml(NO_VMI_BALLOON_SETTINGS, {"freePageReporting": enabled}) == (
        f'<memballoon model="virtio-non-transitional" freePageReporting="{expected}"/>\n'
    )


# KubeVirt: compute/balloon_test.go DescribeTable "memballoon stats period"
@pytest.mark.parametrize(
    ("period", "expected"),
    [
        pytest.param(0, '<memballoon model="virtio-non-transitional" freePageReporting="off"/>\n',
                     id="zero period"),
        pytest.param(5, '<memballoon model="virtio-non-transitional" freePageReporting="off">\n'
                        '  <stats period="5"/>\n</memballoon>\n', id="non-zero period"),
    ],
)
def test_stats_period(period: int, expected: str) -> None:
    assert _balloon_xml(NO_VMI_BALLOON_SETTINGS, {"memBalloonStatsPeriod": period}) == expected


# KubeVirt: compute/balloon_test.go
# "should configure memballoon with model none when AutoattachMemBalloon is false"
def test_model_none_when_not_autoattached() -> None:
    vmi = {"spec": {"domain": {"devices": {"autoattachMemBalloon": False}}}}
    context = {"freePageReporting": True, "memBalloonStatsPeriod": 10}
    assert _balloon_xml(vmi, context) == '<memballoon model="none"/>\n'


def _minimal_vmi(**domain: object) -> JSON:
    return {
        "metadata": {"name": "testvmi", "namespace": "default"},
        "spec": {"domain": {"resources": {"requests": {"memory": "8192Ki"}}, **domain}},
    }


# KubeVirt: converter_test.go "with FreePageReporting" DescribeTable
# "should set freePageReporting attribute of memballooning device, accordingly to the context value"
@pytest.mark.parametrize(
    ("enabled", "expected"), [(True, "on"), (False, "off")], ids=["when true", "when false"]
)
def test_convert_free_page_reporting(enabled: bool, expected: str) -> None:
    domain = convert(_minimal_vmi(), {"allowEmulation": True, "freePageReporting": enabled}).domain
    assert domain.devices is not None and domain.devices.memballoon is not None
    assert domain.devices.memballoon.free_page_reporting == expected


# KubeVirt: converter_test.go "with AMD SEV LaunchSecurity" / "with Secure Execution LaunchSecurity"
# "should set IOMMU attribute of the MemBalloonDriver"
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
def test_convert_launch_security_balloon_iommu(domain_spec: JSON, context: JSON, model: str) -> None:
    vmi = _minimal_vmi(devices={"rng": {}, "autoattachMemBalloon": True}, **domain_spec)
    domain = convert(vmi, {"allowEmulation": True, **context}).domain
    assert domain.devices is not None and domain.devices.memballoon is not None
    assert to_xml(domain.devices.memballoon, "memballoon") == (
        f'<memballoon model="{model}" freePageReporting="off">\n  <driver iommu="on"/>\n</memballoon>\n'
    )
