"""Serial console configurator: ported from KubeVirt compute/console_test.go and converter_test.go."""

from __future__ import annotations

import pytest

from vmi_converter.converter.common.build import BuildState
from vmi_converter.converter.common.context import context_from_dict
from vmi_converter.converter.common.vmi import JSON
from vmi_converter.converter.compute import console
from vmi_converter.converter.domain.model import Domain
from vmi_converter.converter.domain.xmlmodel import to_xml
from vmi_converter.converter.pipeline import convert, new_domain

SOCKET = "/var/run/kubevirt-private/test-uid/virt-serial0"
CONSOLE = '<console type="pty">\n  <target type="serial" port="0"/>\n</console>\n'


def _serial(log: str = "") -> str:
    return (
        '<serial type="unix">\n'
        '  <target port="0"/>\n'
        f'  <source mode="bind" path="{SOCKET}"/>\n'
        f"{log}"
        "</serial>\n"
    )


def _configure(devices: JSON, serial_log: bool) -> Domain:
    vmi = {"metadata": {"uid": "test-uid"}, "spec": {"domain": {"devices": devices}}}
    domain = new_domain()
    console.configure(vmi, domain, context_from_dict({"serialConsoleLog": serial_log}), BuildState())
    return domain


def _xml(domain: Domain) -> tuple[list[str], list[str]]:
    assert domain.devices is not None
    return (
        [to_xml(c, "console") for c in domain.devices.consoles],
        [to_xml(s, "serial") for s in domain.devices.serials],
    )


# KubeVirt: compute/console_test.go DescribeTable
# "should configure serial console when AutoattachSerialConsole is not disabled"
@pytest.mark.parametrize("autoattach", [None, True],
                         ids=["when AutoattachSerialConsole is nil", "when AutoattachSerialConsole is true"])
def test_serial_console(autoattach: bool | None) -> None:
    devices = {} if autoattach is None else {"autoattachSerialConsole": autoattach}
    assert _xml(_configure(devices, False)) == ([CONSOLE], [_serial()])


# KubeVirt: compute/console_test.go "should NOT configure serial console when AutoattachSerialConsole is ..."
def test_no_serial_console_when_disabled() -> None:
    assert _xml(_configure({"autoattachSerialConsole": False}, False)) == ([], [])


# KubeVirt: compute/console_test.go "should configure console with serial log"
def test_serial_console_log() -> None:
    log = f'  <log file="{SOCKET}-log" append="on"/>\n'
    assert _xml(_configure({}, True)) == ([CONSOLE], [_serial(log)])


# KubeVirt: converter_test.go "serial console" DescribeTable "should check autoAttachSerialConsole"
@pytest.mark.parametrize(
    ("autoattach", "count"),
    [
        pytest.param(None, 1, id="and add the serial console if it is not set"),
        pytest.param(True, 1, id="and add the serial console if it is set to true"),
        pytest.param(False, 0, id="and not add the serial console if it is set to false"),
    ],
)
def test_convert_autoattach_serial_console(autoattach: bool | None, count: int) -> None:
    devices = {} if autoattach is None else {"autoattachSerialConsole": autoattach}
    vmi = {
        "metadata": {"name": "testvmi", "namespace": "default", "uid": "1234"},
        "spec": {"domain": {"cpu": {"cores": 3},
                            "resources": {"requests": {"cpu": "1m", "memory": "64M"}},
                            "devices": devices}},
    }
    domain = convert(vmi, {"allowEmulation": True, "hypervisorDeviceAvailable": True}).domain
    assert domain.devices is not None
    assert (len(domain.devices.serials), len(domain.devices.consoles)) == (count, count)
