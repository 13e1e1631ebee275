"""Virtio-net multi-queue: one queue pair per vCPU, capped at the tap limit."""

from __future__ import annotations

from vmi_converter.converter import quantity
from vmi_converter.converter.vmi import JSON, domain_spec, obj

# The kernel's tap device supports at most this many queues.
MULTI_QUEUE_MAX_QUEUES = 256


def network_queues_capacity(vmi: JSON) -> int:
    """Queues per virtio interface; 0 when `networkInterfaceMultiqueue` is not true."""
    if obj(domain_spec(vmi).get("devices")).get("networkInterfaceMultiqueue") is not True:
        return 0
    return min(requested_vcpus(vmi), MULTI_QUEUE_MAX_QUEUES)


def requested_vcpus(vmi: JSON) -> int:
    """sockets * cores * threads of the guest topology KubeVirt derives for the VMI."""
    sockets, cores, threads = cpu_topology(vmi)
    return sockets * cores * threads


def cpu_topology(vmi: JSON) -> tuple[int, int, int]:
    """(sockets, cores, threads): unset members are 1.

    With none set, sockets follow the CPU limit, else the CPU request.
    """
    cpu = domain_spec(vmi).get("cpu")
    spec = obj(cpu)
    cores = int(spec.get("cores") or 0)
    threads = int(spec.get("threads") or 0)
    sockets = int(spec.get("sockets") or 0)
    if not isinstance(cpu, dict) or (cores == 0 and sockets == 0 and threads == 0):
        return _sockets_from_resources(vmi), 1, 1
    return sockets or 1, cores or 1, threads or 1


def _sockets_from_resources(vmi: JSON) -> int:
    resources = obj(domain_spec(vmi).get("resources"))
    for kind in ("limits", "requests"):
        cpu = obj(resources.get(kind)).get("cpu")
        if cpu is not None:
            return quantity.value(cpu)
    return 1
