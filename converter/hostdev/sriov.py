"""SR-IOV interfaces as PCI host devices (KubeVirt device/hostdevice/sriov).

Multus-backed SR-IOV networks get their VF from the downward-API network-info
(`context.networkInfo`, the JSON the launcher reads from
/etc/podinfo/network-info); DRA-backed ones from the claim's device
attributes (`context.draDevices`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from mypy_extensions import mypyc_attr

from vmi_converter.converter.common.aliases import user_alias
from vmi_converter.converter.common.pci import PCIAddressError, pci_address_field
from vmi_converter.converter.common.vmi import JSON, devices, items, obj, spec, status
from vmi_converter.converter.domain.model import BootOrder, HostDevice, HostDeviceSource
from vmi_converter.converter.hostdev.pools import (
    HostDeviceError,
    HostDeviceMeta,
    create_pci_host_devices,
    dra_attribute,
    guest_pci_decorator,
)

SRIOV_ALIAS_PREFIX = "sriov-"
INFO_SOURCE_MULTUS_STATUS = "multus-status"


@mypyc_attr(allow_interpreted_subclasses=True)  # tests stand in KubeVirt's pool stubs for it
class NetworkStatusPool:
    """The VF PCI address of each SR-IOV network; each is handed out once."""

    def __init__(self, network_info: JSON) -> None:
        self.pci_by_network: dict[str, str] = {}
        for iface in items(obj(network_info).get("interfaces")):
            pci = obj(obj(obj(iface).get("deviceInfo")).get("pci")).get("pci-address")
            if pci:
                self.pci_by_network[str(obj(iface).get("network"))] = str(pci)

    def __len__(self) -> int:
        return len(self.pci_by_network)

    def pop(self, network: str) -> str:
        if network not in self.pci_by_network:
            raise HostDeviceError(f'PCI-Address for SR-IOV network "{network}" not found')
        return self.pci_by_network.pop(network)


def _sriov_interfaces(vmi: JSON) -> list[JSON]:
    return [obj(i) for i in items(devices(vmi).get("interfaces")) if obj(i).get("sriov") is not None]


def _has_multus_status(vmi: JSON, name: Any) -> bool:
    for entry in items(status(vmi).get("interfaces")):
        if obj(entry).get("name") == name:
            return INFO_SOURCE_MULTUS_STATUS in str(obj(entry).get("infoSource") or "").split(", ")
    return False


def multus_sriov_host_devices(vmi: JSON, network_info: Any) -> list[HostDevice]:  # object or JSON text
    interfaces = [i for i in _sriov_interfaces(vmi) if _has_multus_status(vmi, i.get("name"))]
    if not interfaces:
        return []
    pool = NetworkStatusPool(_decoded(network_info))
    if len(pool) == 0:
        raise HostDeviceError("found no SR-IOV networks to PCI-Address mapping")
    return host_devices_from_interfaces(interfaces, pool)


def _decoded(network_info: Any) -> JSON:
    """The network-info document, given as an object or as the file's JSON text."""
    if not isinstance(network_info, str):
        return obj(network_info)
    try:
        decoded = json.loads(network_info)
    except ValueError as err:
        raise HostDeviceError(
            "failed to create SR-IOV hostdevices: failed to create PCI address pool with network status from "
            f"file: failed to unmarshal network-info annotation: {err}") from None
    return obj(decoded)


def host_devices_from_interfaces(interfaces: list[JSON], pool: NetworkStatusPool) -> list[HostDevice]:
    metas = [
        HostDeviceMeta(
            alias_prefix=SRIOV_ALIAS_PREFIX,
            name=str(iface.get("name") or ""),
            resource_name=str(iface.get("name") or ""),
            decorate=guest_pci_decorator(str(iface.get("pciAddress") or ""), iface.get("bootOrder")),
        )
        for iface in interfaces
    ]
    return create_pci_host_devices(metas, pool)


def dra_sriov_host_devices(vmi: JSON, dra_devices: Mapping[str, Any] | None) -> list[HostDevice]:
    networks = {obj(n).get("name"): obj(n) for n in items(spec(vmi).get("networks"))}
    created = []
    for iface in _sriov_interfaces(vmi):
        claim_request = networks.get(iface.get("name"), {}).get("resourceClaim")
        if claim_request is not None:
            created.append(_dra_sriov_host_device(vmi, dra_devices or {}, iface, obj(claim_request)))
    return created


def _dra_sriov_host_device(vmi: JSON, dra_devices: Mapping[str, Any], iface: JSON, claim_request: JSON) -> HostDevice:
    name = str(iface.get("name") or "")
    claim, request = str(claim_request.get("claimName") or ""), str(claim_request.get("requestName") or "")
    try:
        host_pci = dra_attribute(vmi, dra_devices, claim, request, "pciBusID")
    except HostDeviceError as err:
        raise HostDeviceError(
            f"failed to resolve PCI address for SR-IOV DRA interface {name} "
            f"(claim {claim} request {request}): {err}") from None
    try:
        source = pci_address_field(host_pci)
    except PCIAddressError as address_err:  # one name per exception type: mypyc types a name once
        raise HostDeviceError(
            f"failed to create PCI address for SR-IOV DRA interface {name}: {address_err}") from None
    device = HostDevice(type="pci", managed="no", source=HostDeviceSource(address=source),
                        alias=user_alias(SRIOV_ALIAS_PREFIX + name))
    if iface.get("pciAddress"):
        try:
            device.address = pci_address_field(str(iface["pciAddress"]))
        except PCIAddressError as address_err:
            raise HostDeviceError(
                f"failed to interpret the guest PCI address for interface {name}: {address_err}") from None
    if iface.get("bootOrder") is not None:
        device.boot = BootOrder(order=iface["bootOrder"])
    return device
