"""Reboot policy configurator: ported from KubeVirt compute/reboot_policy_test.go."""

from __future__ import annotations

import pytest

from vmi_converter.converter.common.build import BuildState
from vmi_converter.converter.common.context import Context
from vmi_converter.converter.common.vmi import JSON
from vmi_converter.converter.compute import reboot_policy
from vmi_converter.converter.domain.xmlmodel import to_xml
from vmi_converter.converter.pipeline import new_domain


def _on_reboot(vmi: JSON) -> object:
    domain = new_domain()
    reboot_policy.configure(vmi, domain, Context(), BuildState())
    return domain.on_reboot


# KubeVirt: compute/reboot_policy_test.go "Should not set OnReboot when RebootPolicy is unspecified in VMI"
def test_no_policy() -> None:
    assert _on_reboot({"spec": {"domain": {}}}) is None


# KubeVirt: compute/reboot_policy_test.go DescribeTable
# "Should set OnReboot when RebootPolicy is specified in VMI"
@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        pytest.param("Terminate", "destroy", id="Terminate policy maps to destroy"),
        pytest.param("Reboot", "restart", id="Reboot policy maps to restart"),
    ],
)
def test_policy(policy: str, expected: str) -> None:
    assert _on_reboot({"spec": {"domain": {"rebootPolicy": policy}}}) == expected


def test_policy_in_domain_xml() -> None:
    domain = new_domain()
    reboot_policy.configure({"spec": {"domain": {"rebootPolicy": "Terminate"}}}, domain, Context(), BuildState())
    assert to_xml(domain) == (
        "<domain>\n  <os/>\n  <devices/>\n  <metadata>\n"
        '    <kubevirt xmlns="http://kubevirt.io">\n      <uid></uid>\n    </kubevirt>\n  </metadata>\n'
        "  <cpu/>\n  <on_reboot>destroy</on_reboot>\n</domain>\n"
    )
