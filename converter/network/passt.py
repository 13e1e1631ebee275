"""Core passt binding (KubeVirt network/passt.go and configurator.go).

The guest NIC is a vhost-user device served by passt in the pod; passt
forwards the listed ports (all ports when none are listed) from the pod
interface named in the VMI status.
"""

from __future__ import annotations

from vmi_converter.converter.common.errors import ConversionError
from vmi_converter.converter.common.vmi import JSON, items, metadata, name, obj, status
from vmi_converter.converter.domain.model import (
    Interface,
    InterfaceBackend,
    InterfacePortForward,
    InterfacePortForwardRange,
    InterfaceSource,
)

PASST_LOG_FILE = "/var/run/kubevirt/passt.log"
ISTIO_INJECT_ANNOTATION = "sidecar.istio.io/inject"
# Envoy's own ports: with an Istio sidecar they must stay in the pod, not reach the guest.
ISTIO_RESERVED_PORTS = (15000, 15001, 15004, 15006, 15008, 15009, 15020, 15021, 15053, 15090)
TCP, UDP = "tcp", "udp"


def apply_passt_binding(result: Interface, vmi: JSON, iface: JSON) -> None:
    result.type = "vhostuser"
    result.source = InterfaceSource(dev=pod_interface_name(vmi, iface))
    result.backend = InterfaceBackend(type="passt", log_file=PASST_LOG_FILE)
    result.port_forwards = port_forwards(vmi, iface)


def pod_interface_name(vmi: JSON, iface: JSON) -> str:
    for index, entry in enumerate(items(status(vmi).get("interfaces"))):
        entry = obj(entry)
        if entry.get("name") == iface.get("name"):
            if entry.get("podInterfaceName"):
                return str(entry["podInterfaceName"])
            return _missing(vmi, iface, f"status.interfaces[{index}].podInterfaceName")
    return _missing(vmi, iface, "status.interfaces")


def _missing(vmi: JSON, iface: JSON, field: str) -> str:
    raise ConversionError(
        field,
        f"pod interface name not found in vmi {name(vmi)} status, for interface {iface.get('name') or ''}",
    )


def port_forwards(vmi: JSON, iface: JSON) -> list[InterfacePortForward]:
    tcp: list[InterfacePortForwardRange] = []
    udp: list[InterfacePortForwardRange] = []
    if str(obj(metadata(vmi).get("annotations")).get(ISTIO_INJECT_ANNOTATION, "")).lower() == "true":
        tcp.extend(InterfacePortForwardRange(start=port, exclude="yes") for port in ISTIO_RESERVED_PORTS)
    for port in items(iface.get("ports")):
        port = obj(port)
        number = port.get("port")
        # KubeVirt logs and skips what passt cannot forward.
        if not isinstance(number, int) or number < 0:
            continue
        protocol = str(port.get("protocol") or "").lower()
        if protocol in ("", TCP):
            tcp.append(InterfacePortForwardRange(start=number))
        elif protocol == UDP:
            udp.append(InterfacePortForwardRange(start=number))
    if not tcp and not udp:
        return [InterfacePortForward(proto=TCP), InterfacePortForward(proto=UDP)]
    forwards = []
    if tcp:
        forwards.append(InterfacePortForward(proto=TCP, ranges=tcp))
    if udp:
        forwards.append(InterfacePortForward(proto=UDP, ranges=udp))
    return forwards
