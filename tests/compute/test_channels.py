"""Channels configurator: ported from KubeVirt compute/channels_test.go and converter_test.go."""

from __future__ import annotations

from raw_convert import with_minimal_memory

from vmi_converter.converter.common.build import BuildState
from vmi_converter.converter.common.context import Context
from vmi_converter.converter.common.vmi import JSON
from vmi_converter.converter.compute import channels
from vmi_converter.converter.domain.xmlmodel import to_xml
from vmi_converter.converter.pipeline import convert, new_domain

GUEST_AGENT = '<channel type="unix">\n  <target name="org.qemu.guest_agent.0" type="virtio"/>\n</channel>\n'
DOWNWARD_METRICS = (
    '<channel type="unix">\n'
    '  <source mode="bind" path="/var/run/kubevirt-private/downwardmetrics-channel/downwardmetrics.sock"/>\n'
    '  <target name="org.github.vhostmd.1" type="virtio"/>\n'
    "</channel>\n"
)


def _channels(vmi: JSON) -> list[str]:
    domain = new_domain()
    channels.configure(vmi, domain, Context(), BuildState())
    assert domain.devices is not None
    return [to_xml(c, "channel") for c in domain.devices.channels]


# KubeVirt: compute/channels_test.go "Should always configure guest-agent channel"
def test_guest_agent_channel_always_present() -> None:
    assert _channels({"spec": {"domain": {}}}) == [GUEST_AGENT]


# KubeVirt: compute/channels_test.go "Should configure guest-agent and downwardmetrics channels ..."
def test_downward_metrics_channel() -> None:
    vmi: JSON = {"spec": {"domain": {"devices": {"downwardMetrics": {}}}}}
    assert _channels(vmi) == [GUEST_AGENT, DOWNWARD_METRICS]


# KubeVirt: converter_test.go "when downwardMetrics are exposed via virtio-serial" "should set socket options"
def test_convert_sets_downward_metrics_socket() -> None:
    vmi = {"metadata": {"name": "t", "namespace": "ns"},
           "spec": {"domain": {"devices": {"downwardMetrics": {}}}}}
    domain = convert(with_minimal_memory(vmi), {"allowEmulation": True}).domain
    assert domain.devices is not None
    assert DOWNWARD_METRICS in [to_xml(c, "channel") for c in domain.devices.channels]
