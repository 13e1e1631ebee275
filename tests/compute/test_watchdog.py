"""Watchdog configurator: ported from KubeVirt compute/watchdog_test.go."""

from __future__ import annotations

import pytest

from vmi_converter.converter.common.build import BuildState
from vmi_converter.converter.common.context import context_from_dict
from vmi_converter.converter.common.errors import ConversionError
from vmi_converter.converter.common.vmi import JSON
from vmi_converter.converter.compute import watchdog
from vmi_converter.converter.domain.xmlmodel import to_xml
from vmi_converter.converter.pipeline import new_domain


def _watchdogs(vmi: JSON, arch: str) -> list[str]:
    domain = new_domain()
    watchdog.configure(vmi, domain, context_from_dict({"architecture": arch}), BuildState())
    assert domain.devices is not None
    return [to_xml(w, "watchdog") for w in domain.devices.watchdogs]


def _vmi(spec_watchdog: JSON | None) -> JSON:
    return {"spec": {"domain": {"devices": {} if spec_watchdog is None else {"watchdog": spec_watchdog}}}}


# KubeVirt: compute/watchdog_test.go DescribeTable
# "Should not configure watchdog when watchdog is unspecified"
@pytest.mark.parametrize("arch", ["amd64", "arm64", "s390x"])
def test_no_watchdog_when_unspecified(arch: str) -> None:
    assert _watchdogs(_vmi(None), arch) == []


# KubeVirt: compute/watchdog_test.go DescribeTable
# "should successfully convert watchdog for supported architectures"
@pytest.mark.parametrize(
    ("arch", "spec_watchdog", "expected"),
    [
        pytest.param(
            "amd64", {"name": "mywatchdog", "i6300esb": {"action": "poweroff"}},
            '<watchdog model="i6300esb" action="poweroff">\n  <alias name="ua-mywatchdog"/>\n</watchdog>\n',
            id="amd64 with I6300ESB"),
        pytest.param(
            "s390x", {"name": "diagwatchdog", "diag288": {"action": "reset"}},
            '<watchdog model="diag288" action="reset">\n  <alias name="ua-diagwatchdog"/>\n</watchdog>\n',
            id="s390x with Diag288"),
    ],
)
def test_supported_watchdogs(arch: str, spec_watchdog: JSON, expected: str) -> None:
    assert _watchdogs(_vmi(spec_watchdog), arch) == [expected]


# KubeVirt: compute/watchdog_test.go DescribeTable
# "should fail to convert watchdog for unsupported or invalid architectures"
@pytest.mark.parametrize(
    ("arch", "name", "field", "message"),
    [
        pytest.param("arm64", "unsupportedwatchdog", "spec.domain.devices.watchdog",
                     "watchdog is not supported on architecture ARM64", id="arm64 not supported"),
        pytest.param("amd64", "emptywatchdog", "spec.domain.devices.watchdog.i6300esb",
                     "watchdog emptywatchdog can't be mapped, no watchdog type specified",
                     id="amd64 with no watchdog type"),
        pytest.param("s390x", "diagwatchdog", "spec.domain.devices.watchdog.diag288",
                     "watchdog diagwatchdog can't be mapped, no watchdog type specified",
                     id="s390x with nil Diag288"),
    ],
)
def test_unsupported_watchdogs(arch: str, name: str, field: str, message: str) -> None:
    with pytest.raises(ConversionError) as err:
        _watchdogs(_vmi({"name": name}), arch)
    assert (err.value.field, err.value.message) == (field, message)


def test_amd64_ignores_diag288() -> None:
    with pytest.raises(ConversionError, match="can't be mapped"):
        _watchdogs(_vmi({"name": "w", "diag288": {"action": "reset"}}), "amd64")
