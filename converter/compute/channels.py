"""Virtio-serial channels (KubeVirt compute/channels.go): guest agent and downward metrics."""

from __future__ import annotations

from vmi_converter.converter.common.build import BuildState
from vmi_converter.converter.common.context import Context
from vmi_converter.converter.common.devices import VIRT_PRIVATE_DIR, devices_of
from vmi_converter.converter.common.vmi import JSON, devices
from vmi_converter.converter.domain.model import Channel, ChannelSource, ChannelTarget, Domain

GUEST_AGENT_CHANNEL = "org.qemu.guest_agent.0"
DOWNWARD_METRICS_CHANNEL = "org.github.vhostmd.1"
DOWNWARD_METRICS_SOCKET = f"{VIRT_PRIVATE_DIR}/downwardmetrics-channel/downwardmetrics.sock"


def configure(vmi: JSON, domain: Domain, ctx: Context, state: BuildState) -> None:
    channels = devices_of(domain).channels
    # No source: libvirt picks the guest agent socket path itself.
    channels.append(Channel(type="unix", target=ChannelTarget(name=GUEST_AGENT_CHANNEL, type="virtio")))
    if isinstance(devices(vmi).get("downwardMetrics"), dict):
        channels.append(
            Channel(
                type="unix",
                source=ChannelSource(mode="bind", path=DOWNWARD_METRICS_SOCKET),
                target=ChannelTarget(type="virtio", name=DOWNWARD_METRICS_CHANNEL),
            )
        )
