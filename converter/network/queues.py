"""Virtio-net multi-queue: one queue pair per vCPU, capped at the tap limit."""

from __future__ import annotations

from vmi_converter.converter.common.guest_resources import requested_vcpus
from vmi_converter.converter.common.vmi import JSON, domain_spec, obj

# The kernel's tap device supports at most this many queues.
MULTI_QUEUE_MAX_QUEUES = 256


def network_queues_capacity(vmi: JSON) -> int:
    """Queues per virtio interface; 0 when `networkInterfaceMultiqueue` is not true."""
    if obj(domain_spec(vmi).get("devices")).get("networkInterfaceMultiqueue") is not True:
        return 0
    return min(requested_vcpus(vmi), MULTI_QUEUE_MAX_QUEUES)
