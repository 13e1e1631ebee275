"""QEMU command line configurator: ported from KubeVirt compute/qemu_cmd_test.go and converter_test.go."""

from __future__ import annotations

import pytest
from raw_convert import raw_convert

from vmi_converter.converter.common.arch import AMD64
from vmi_converter.converter.common.build import BuildState
from vmi_converter.converter.common.context import context_from_dict
from vmi_converter.converter.common.vmi import JSON
from vmi_converter.converter.compute import qemu_cmd
from vmi_converter.converter.domain.xmlmodel import to_xml
from vmi_converter.converter.pipeline import new_domain

IGNITION = ['-fw_cfg', 'name=opt/com.coreos/config,file=/var/run/libvirt/ignition-dir/test-ns/test-vmi/data.ign']
SEABIOS = ['-chardev', 'file,id=firmwarelog,path=/var/run/kubevirt-private/QEMUSeaBiosDebugPipe', '-device',
           'isa-debugcon,iobase=0x402,chardev=firmwarelog']


def _vmi(annotation: str | None = None) -> JSON:
    annotations = {} if annotation is None else {"kubevirt.io/ignitiondata": annotation}
    metadata = {"name": "test-vmi", "namespace": "test-ns", "annotations": annotations}
    return {"metadata": metadata, "spec": {"domain": {}}}


def _commandline(vmi: JSON, context: JSON) -> str | None:
    domain = new_domain()
    qemu_cmd.configure(vmi, domain, context_from_dict(context), BuildState())
    return to_xml(domain.qemu_commandline, "qemu:commandline") if domain.qemu_commandline is not None else None


def _expected(args: list[str]) -> str:
    return "<qemu:commandline>\n" + "".join(f'  <qemu:arg value="{a}"/>\n' for a in args) + "</qemu:commandline>\n"


# KubeVirt: compute/qemu_cmd_test.go DescribeTable "ignition arguments"
@pytest.mark.parametrize(
    ("annotation", "expected"),
    [
        pytest.param("ignition", _expected(IGNITION), id="added when annotation contains 'ignition'"),
        pytest.param("some-other-data", None, id="not added when annotation does not contain 'ignition'"),
        pytest.param("", None, id="not added when annotation value is empty"),
    ],
)
def test_ignition(annotation: str, expected: str | None) -> None:
    assert _commandline(_vmi(annotation), {"architecture": "arm64"}) == expected


def test_ignition_file_lives_under_the_ignition_dir() -> None:
    context = {"paths": {"ignitionDir": "/var/run/kubevirt-ephemeral-disks/ignition-data"}}
    assert _commandline(_vmi("ignition"), context) == _expected([
        "-fw_cfg", "name=opt/com.coreos/config,file=/var/run/kubevirt-ephemeral-disks/ignition-data/test-ns/test-vmi"
        "/data.ign"])


# KubeVirt: compute/qemu_cmd_test.go DescribeTable "SeaBios debug pipe arguments" (verbose logs are an amd64 trait;
# the launcher's VIRT_LAUNCHER_LOG_VERBOSITY arrives as context.launcherLogVerbosity)
@pytest.mark.parametrize(
    ("arch", "verbosity", "expected"),
    [
        pytest.param(AMD64, 6, _expected(SEABIOS), id="added when verbosity exceeds threshold"),
        pytest.param(AMD64, 5, None, id="not added when verbosity equals threshold"),
        pytest.param(AMD64, None, None, id="not added when verbosity env is not a number"),
        pytest.param("arm64", 6, None, id="not added when verbose logging is disabled"),
    ],
)
def test_seabios_debug_pipe(arch: str, verbosity: int | None, expected: str | None) -> None:
    context: JSON = {"architecture": arch}
    if verbosity is not None:
        context["launcherLogVerbosity"] = verbosity
    assert _commandline(_vmi(), context) == expected


# KubeVirt: compute/qemu_cmd_test.go "should configure both ignition and verbose logging arguments"
def test_ignition_and_seabios() -> None:
    assert _commandline(_vmi("ignition"), {"launcherLogVerbosity": 6}) == _expected(IGNITION + SEABIOS)


# KubeVirt: converter_test.go DescribeTable "Validate that QEMU SeaBios debug logs are "
@pytest.mark.parametrize(
    "verbosity",
    [
        pytest.param(0, id="disabled - virtLauncherLogVerbosity does not exceed verbosity threshold"),
        pytest.param(1, id="enabled - virtLaucherLogVerbosity exceeds verbosity threshold"),
        pytest.param(None, id="disabled - virtLauncherLogVerbosity variable is not defined"),
    ],
)
def test_converter_seabios_debug_logs(verbosity: int | None) -> None:
    # The KubeVirt test only checks for its args when a command line exists; none of these
    # verbosities exceeds the threshold of 5, so no command line is produced at all.
    context: JSON = {"architecture": AMD64, "allowEmulation": True}
    if verbosity is not None:
        context["launcherLogVerbosity"] = verbosity
    domain = raw_convert({"metadata": {"name": "testvmi", "namespace": "mynamespace"}, "spec": {"domain": {}}},
                         context)
    assert domain.qemu_commandline is None
