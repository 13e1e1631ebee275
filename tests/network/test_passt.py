"""Core passt binding: ported from KubeVirt network/passt_test.go."""

from __future__ import annotations

from typing import Any

import pytest

from vmi_converter.converter.common.build import BuildState
from vmi_converter.converter.common.context import Context, context_from_dict
from vmi_converter.converter.common.errors import ConversionError
from vmi_converter.converter.common.vmi import JSON
from vmi_converter.converter.domain.xmlmodel import to_xml
from vmi_converter.converter.network import interfaces
from vmi_converter.converter.pipeline import new_domain

POD_NETWORK: JSON = {"name": "default", "pod": {}}
FORWARD_ALL = '  <portForward proto="tcp"/>\n  <portForward proto="udp"/>\n'


def passt_iface(**fields: Any) -> JSON:
    return {"name": "default", "passtBinding": {}, **fields}


def vmi_with(ifaces: list[JSON], networks: list[JSON], statuses: list[JSON] | None = None,
             annotations: dict[str, str] | None = None) -> JSON:
    vmi: JSON = {
        "metadata": {"name": "testvmi", "annotations": annotations or {}},
        "spec": {"domain": {"devices": {"interfaces": ifaces}}, "networks": networks},
    }
    if statuses is not None:
        vmi["status"] = {"interfaces": statuses}
    return vmi


def passt_vmi(iface: JSON, **kwargs: Any) -> JSON:
    return vmi_with([iface], [POD_NETWORK], [{"name": iface["name"], "podInterfaceName": "eth0"}], **kwargs)


def configured(vmi: JSON, ctx: Context | None = None) -> list[str]:
    domain = new_domain()
    interfaces.configure(vmi, domain, ctx or Context(), BuildState())
    assert domain.devices is not None
    return [to_xml(i) for i in domain.devices.interfaces]


def vhostuser(model: str = "virtio-non-transitional", forwards: str = FORWARD_ALL, *, dev: str = "eth0",
              mac: str = "", acpi: str = "", address: str = "", name: str = "default") -> str:
    return (
        '<interface type="vhostuser">\n'
        f'  <source dev="{dev}"/>\n'
        f'  <model type="{model}"/>\n'
        f"{mac}"
        f'  <alias name="ua-{name}"/>\n'
        f"{acpi}"
        '  <backend type="passt" logFile="/var/run/kubevirt/passt.log"/>\n'
        f"{forwards}"
        f"{address}"
        "</interface>\n"
    )


def ranges(proto: str, *ports: int, exclude: bool = False) -> str:
    flag = ' exclude="yes"' if exclude else ""
    body = "".join(f'    <range start="{port}"{flag}/>\n' for port in ports)
    return f'  <portForward proto="{proto}">\n{body}  </portForward>\n'


# KubeVirt: network/passt_test.go DescribeTable "should fail to configure passt interface given"
@pytest.mark.parametrize(
    ("vmi", "field", "message"),
    [
        pytest.param(
            vmi_with([{"name": "not-default", "passtBinding": {}}], [POD_NETWORK],
                     [{"name": "not-default", "podInterfaceName": "eth0"}]),
            "spec.domain.devices.interfaces[0]", "failed to find network not-default",
            id="no corresponding network",
        ),
        pytest.param(
            vmi_with([passt_iface()], [POD_NETWORK]),
            "status.interfaces", "pod interface name not found in vmi testvmi status, for interface default",
            id="no matching status entry",
        ),
        pytest.param(
            vmi_with([passt_iface()], [POD_NETWORK], [{"name": "default"}]),
            "status.interfaces[0].podInterfaceName",
            "pod interface name not found in vmi testvmi status, for interface default",
            id="empty PodInterfaceName in status",
        ),
        pytest.param(
            vmi_with([passt_iface(pciAddress="invalid-pci-address")], [POD_NETWORK], [{"name": "default"}]),
            "spec.domain.devices.interfaces[0].pciAddress",
            "failed to configure interface default: failed to parse pci address invalid-pci-address",
            id="invalid custom PCI address",
        ),
    ],
)
def test_passt_failures(vmi: JSON, field: str, message: str) -> None:
    with pytest.raises(ConversionError) as err:
        configured(vmi)
    assert (err.value.field, err.value.message) == (field, message)


# KubeVirt: network/passt_test.go DescribeTable "should add interface to domain spec given iface with"
@pytest.mark.parametrize(
    ("iface", "expected"),
    [
        pytest.param(passt_iface(), vhostuser(), id="passt binding"),
        pytest.param(
            passt_iface(pciAddress="0000:02:02.0"),
            vhostuser(address='  <address type="pci" domain="0x0000" bus="0x02" slot="0x02" function="0x0"/>\n'),
            id="PCI address",
        ),
        pytest.param(passt_iface(macAddress="02:02:02:02:02:02"),
                     vhostuser(mac='  <mac address="02:02:02:02:02:02"/>\n'), id="MAC address"),
        pytest.param(passt_iface(acpiIndex=2), vhostuser(acpi='  <acpi index="2"/>\n'), id="ACPI address"),
        pytest.param(passt_iface(model="e1000"), vhostuser("e1000"), id="non virtio model"),
        pytest.param(
            passt_iface(ports=[{"protocol": "TCP", "port": 1}, {"protocol": "TCP", "port": 4}]),
            vhostuser(forwards=ranges("tcp", 1, 4)),
            id="tcp ports (should forward tcp ports only)",
        ),
        pytest.param(
            passt_iface(ports=[{"protocol": "UDP", "port": 2}, {"protocol": "UDP", "port": 3}]),
            vhostuser(forwards=ranges("udp", 2, 3)),
            id="udp ports (should forward udp ports only)",
        ),
        pytest.param(
            passt_iface(ports=[{"port": 1}, {"protocol": "UDP", "port": 2}, {"protocol": "UDP", "port": 3},
                               {"protocol": "TCP", "port": 4}]),
            vhostuser(forwards=ranges("tcp", 1, 4) + ranges("udp", 2, 3)),
            id="both tcp and udp ports",
        ),
    ],
)
def test_passt_interface(iface: JSON, expected: str) -> None:
    assert configured(passt_vmi(iface)) == [expected]


# KubeVirt: network/passt_test.go DescribeTable "should add interface to domain spec given iface given the option"
def test_virtio_transitional() -> None:
    vmi = passt_vmi(passt_iface())
    vmi["spec"]["domain"]["devices"]["useVirtioTransitional"] = True
    assert configured(vmi) == [vhostuser("virtio-transitional")]


def test_istio_proxy_injection() -> None:
    vmi = passt_vmi(passt_iface(), annotations={"sidecar.istio.io/inject": "true"})
    istio_ports = (15000, 15001, 15004, 15006, 15008, 15009, 15020, 15021, 15053, 15090)
    assert configured(vmi) == [vhostuser(forwards=ranges("tcp", *istio_ports, exclude=True))]


# KubeVirt: network/passt_test.go "should not override other interfaces"
def test_passt_next_to_bridge() -> None:
    vmi = vmi_with(
        [passt_iface(), {"name": "multus-network", "bridge": {}}],
        [POD_NETWORK, {"name": "multus-network", "multus": {"networkName": "multus-nad"}}],
        [{"name": "default", "podInterfaceName": "eth0"}, {"name": "multus-network", "podInterfaceName": "eth1"}],
    )
    ctx = context_from_dict({"domainAttachmentByInterfaceName": {"multus-network": "tap"}})
    bridge = (
        '<interface type="ethernet">\n  <source/>\n  <model type="virtio-non-transitional"/>\n'
        '  <alias name="ua-multus-network"/>\n  <rom enabled="no"/>\n</interface>\n'
    )
    assert configured(vmi, ctx) == [vhostuser(), bridge]


# KubeVirt: network/passt_test.go "should set domain interface correctly when executed more than once"
def test_configure_twice() -> None:
    vmi = passt_vmi(passt_iface())
    assert configured(vmi) == configured(vmi) == [vhostuser()]


# KubeVirt: network/passt_test.go "should set domain interface source link to the optional one if exists"
def test_pod_interface_name_from_status() -> None:
    vmi = vmi_with([passt_iface()], [POD_NETWORK], [{"name": "default", "podInterfaceName": "ovn-udn1"}])
    assert configured(vmi) == [vhostuser(dev="ovn-udn1")]


def test_illegal_ports_are_skipped() -> None:
    # KubeVirt logs and skips negative ports and protocols passt does not know.
    vmi = passt_vmi(passt_iface(ports=[{"port": -1}, {"protocol": "SCTP", "port": 5}, {"port": 7}]))
    assert configured(vmi) == [vhostuser(forwards=ranges("tcp", 7))]
