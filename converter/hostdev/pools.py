"""Host devices built from resolved host addresses (KubeVirt virtwrap/device/hostdevice).

The launcher learns which host device backs each VMI GPU or host device from
the device plugins' environment variables (`PCI_RESOURCE_<RES>`,
`MDEV_PCI_RESOURCE_<RES>`, `USB_RESOURCE_<RES>`: comma lists popped in order)
and, for DRA, from per-claim metadata files. Here both arrive in the context
as facts (`resourceAddresses`, `draDevices`); the logic that turns them into
`<hostdev>` elements is KubeVirt's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from vmi_converter.converter.common.aliases import user_alias
from vmi_converter.converter.common.pci import PCIAddressError, pci_address_field
from vmi_converter.converter.common.vmi import JSON, dig, items, obj
from vmi_converter.converter.domain.model import Address, BootOrder, HostDevice, HostDeviceSource

PCI_RESOURCE_PREFIX = "PCI_RESOURCE"
MDEV_RESOURCE_PREFIX = "MDEV_PCI_RESOURCE"
USB_RESOURCE_PREFIX = "USB_RESOURCE"

GPU_ALIAS_PREFIX = "gpu-"
GENERIC_ALIAS_PREFIX = "hostdevice-"
DRA_GPU_ALIAS_PREFIX = "dra-gpu-"
DRA_HOSTDEVICE_ALIAS_PREFIX = "dra-hostdevice-"
USB_ALIAS_PREFIX = "usb-host-"


class HostDeviceError(Exception):
    """A host device cannot be created; the message is KubeVirt's error text."""


class AddressPooler(Protocol):
    def pop(self, resource: str) -> str: ...


def resource_env_var(prefix: str, resource: str) -> str:
    """The device plugin's variable for a resource: `nvidia.com/GP102` → `PCI_RESOURCE_NVIDIA_COM_GP102`."""
    return f"{prefix}_{resource.upper().replace('/', '_').replace('.', '_')}"


class AddressPool:
    """Addresses per resource; an address handed out is removed from every resource."""

    def __init__(self, prefix: str, resources: list[str], env: Mapping[str, str]) -> None:
        self.addresses: dict[str, list[str]] = {}
        for resource in resources:
            value = env.get(resource_env_var(prefix, resource))
            if value is None:
                continue
            value = value[:-1] if value.endswith(",") else value
            self.addresses[resource] = value.split(",") if value else []

    def pop(self, resource: str) -> str:
        if resource not in self.addresses:
            raise HostDeviceError(f"resource {resource} does not exist")
        candidates = self.addresses[resource]
        if not candidates:
            raise HostDeviceError(f"no more addresses to allocate for resource {resource}")
        chosen = candidates[0]
        for name, addresses in self.addresses.items():
            self.addresses[name] = [a for a in addresses if a != chosen]
        return chosen


@dataclass(slots=True)
class BestEffortPool:
    """Never fails: a missing resource yields no address, and the device is skipped."""

    pool: AddressPooler

    def pop(self, resource: str) -> str:
        try:
            return self.pool.pop(resource)
        except HostDeviceError:
            return ""


def resources_of(vmi_devices: list[Any]) -> list[str]:
    return sorted({str(obj(dev).get("deviceName") or "") for dev in vmi_devices})


# ---------------------------------------------------------------- generic creation

Decorate = Callable[[HostDevice], None]


@dataclass(slots=True)
class HostDeviceMeta:
    alias_prefix: str
    name: str
    resource_name: str
    vgpu_options: JSON | None = None
    # Adds per-device details such as a guest PCI address; raises HostDeviceError.
    decorate: Decorate | None = None


CreateOne = Callable[[HostDeviceMeta, str], HostDevice]


def _create(metas: list[HostDeviceMeta], pool: AddressPooler, create_one: CreateOne) -> list[HostDevice]:
    created = []
    for meta in metas:
        try:
            address = pool.pop(meta.resource_name)
            if address == "":  # the caller decides whether a missing device is acceptable
                continue
            device = create_one(meta, address)
            if meta.decorate is not None:
                meta.decorate(device)
        except HostDeviceError as err:
            raise HostDeviceError(f"failed to create hostdevice for {meta.name}: {err}") from None
        created.append(device)
    return created


def _display(meta: HostDeviceMeta) -> JSON | None:
    display = obj(meta.vgpu_options).get("display")
    return display if isinstance(display, dict) else None


def _ramfb_wanted(display: JSON) -> bool:
    ramfb = display.get("ramFB")
    return not isinstance(ramfb, dict) or ramfb.get("enabled") is not False


def create_pci_host_devices(metas: list[HostDeviceMeta], pool: AddressPooler) -> list[HostDevice]:
    return _create(metas, pool, _pci_host_device)


def _pci_host_device(meta: HostDeviceMeta, host_address: str) -> HostDevice:
    try:
        source = pci_address_field(host_address)
    except PCIAddressError as err:
        raise HostDeviceError(f"failed to create PCI device for {meta.name}: {err}") from None
    device = HostDevice(
        type="pci", managed="no", source=HostDeviceSource(address=source),
        alias=user_alias(meta.alias_prefix + meta.name),
    )
    # A PCI device may be a passthrough GPU or a vGPU: only an explicit request turns the display on.
    display = _display(meta)
    if display is not None and display.get("enabled") is True:
        device.display = "on"
        if _ramfb_wanted(display):
            device.ramfb = "on"
    return device


def create_mdev_host_devices(
    metas: list[HostDeviceMeta], pool: AddressPooler, default_display: bool
) -> list[HostDevice]:
    if not default_display:
        return _create(metas, pool, _mdev_host_device)
    created = _create(metas, pool, _mdev_host_device_with_display)
    # Without any explicit display option, the first vGPU gets the display (and its ramfb).
    if created and all(_display(meta) is None for meta in metas):
        created[0].display, created[0].ramfb = "on", "on"
    return created


def _mdev_host_device(meta: HostDeviceMeta, uuid: str) -> HostDevice:
    return mdev_host_device(meta.alias_prefix + meta.name, uuid)


def mdev_host_device(alias: str, uuid: str, model: str = "vfio-pci") -> HostDevice:
    return HostDevice(
        type="mdev", mode="subsystem", model=model,
        source=HostDeviceSource(address=Address(uuid=uuid)), alias=user_alias(alias),
    )


def _mdev_host_device_with_display(meta: HostDeviceMeta, uuid: str) -> HostDevice:
    device = _mdev_host_device(meta, uuid)
    apply_vgpu_display(device, _display(meta))
    return device


def apply_vgpu_display(device: HostDevice, display: JSON | None) -> None:
    """An explicit vGPU display option: on unless disabled, ramfb on unless disabled."""
    if display is None or display.get("enabled") is False:
        return
    device.display = "on"
    if _ramfb_wanted(display):
        device.ramfb = "on"


def create_usb_host_devices(metas: list[HostDeviceMeta], pool: AddressPooler) -> list[HostDevice]:
    return _create(metas, pool, _usb_host_device)


def _usb_host_device(meta: HostDeviceMeta, usb_address: str) -> HostDevice:
    parts = usb_address.split(":")
    if len(parts) != 2:
        raise HostDeviceError(f"Bad value: {usb_address}")
    return HostDevice(
        type="usb", mode="subsystem", alias=user_alias(USB_ALIAS_PREFIX + meta.name),
        source=HostDeviceSource(address=Address(bus=parts[0], device=parts[1])),
    )


def guest_pci_decorator(pci_address: str, boot_order: Any) -> Decorate:
    """SR-IOV details: the guest PCI address and boot order the interface asks for."""

    def decorate(device: HostDevice) -> None:
        if pci_address:
            try:
                device.address = pci_address_field(pci_address)
            except PCIAddressError as err:
                raise HostDeviceError(f"failed to interpret the guest PCI address: {err}") from None
        if boot_order is not None:
            device.boot = BootOrder(order=boot_order)

    return decorate


# ---------------------------------------------------------------- device plugins


def is_dra(vmi_device: JSON) -> bool:
    """A GPU or host device claimed through DRA: no device plugin name, a claim request instead."""
    return not vmi_device.get("deviceName") and ("claimName" in vmi_device or "requestName" in vmi_device)


def _metas(vmi_devices: list[JSON], prefix: str, with_vgpu: bool) -> list[HostDeviceMeta]:
    return [
        HostDeviceMeta(
            alias_prefix=prefix,
            name=str(dev.get("name") or ""),
            resource_name=str(dev.get("deviceName") or ""),
            vgpu_options=obj(dev.get("virtualGPUOptions")) or None if with_vgpu else None,
        )
        for dev in vmi_devices
    ]


def _names(vmi_devices: list[JSON]) -> str:
    return ", ".join(str(dev.get("name") or "") for dev in vmi_devices)


def _aliases(devices: list[HostDevice]) -> str:
    return ", ".join(str(dev.alias.name) if dev.alias else "" for dev in devices)


def create_gpu_host_devices(
    gpus: list[JSON], pci_pool: AddressPooler, mdev_pool: AddressPooler
) -> list[HostDevice]:
    """Device-plugin GPUs: PCI passthrough devices first, then vGPUs (mdev, display on by default)."""
    metas = _metas(gpus, GPU_ALIAS_PREFIX, with_vgpu=True)
    try:
        created = create_pci_host_devices(metas, BestEffortPool(pci_pool))
        created += create_mdev_host_devices(metas, BestEffortPool(mdev_pool), default_display=True)
    except HostDeviceError as err:
        raise HostDeviceError(f"failed to create GPU host-devices: {err}") from None
    plugin_gpus = [gpu for gpu in gpus if not is_dra(gpu)]
    if plugin_gpus and len(plugin_gpus) != len(created):
        raise HostDeviceError(
            "failed to create GPU host-devices: the number of device plugin GPU/s do not match the number of "
            f"devices:\nGPU: [{_names(plugin_gpus)}]\nDevice: [{_aliases(created)}]")
    return created


def create_generic_host_devices(
    host_devices: list[JSON], pci_pool: AddressPooler, mdev_pool: AddressPooler, usb_pool: AddressPooler
) -> list[HostDevice]:
    """Device-plugin host devices: PCI, then mdev (no display by default), then USB."""
    metas = _metas(host_devices, GENERIC_ALIAS_PREFIX, with_vgpu=False)
    try:
        created = create_pci_host_devices(metas, BestEffortPool(pci_pool))
        created += create_mdev_host_devices(metas, BestEffortPool(mdev_pool), default_display=False)
    except HostDeviceError as err:
        raise HostDeviceError(f"failed to create generic host-devices: {err}") from None
    created += create_usb_host_devices(metas, BestEffortPool(usb_pool))
    plugin_devices = [dev for dev in host_devices if not is_dra(dev)]
    if plugin_devices and len(plugin_devices) != len(created):
        raise HostDeviceError(
            "failed to create generic host-devices: the number of device plugin HostDevice/s do not match "
            f"the number of devices:\nHostDevice: [{_names(plugin_devices)}]\nDevice: [{_aliases(created)}]")
    return created


def gpu_host_devices_from_env(gpus: list[JSON], env: Mapping[str, str]) -> list[HostDevice]:
    resources = resources_of(gpus)
    pci_pool = AddressPool(PCI_RESOURCE_PREFIX, resources, env)
    return create_gpu_host_devices(gpus, pci_pool, AddressPool(MDEV_RESOURCE_PREFIX, resources, env))


def generic_host_devices_from_env(host_devices: list[JSON], env: Mapping[str, str]) -> list[HostDevice]:
    resources = resources_of(host_devices)
    return create_generic_host_devices(
        host_devices,
        AddressPool(PCI_RESOURCE_PREFIX, resources, env),
        AddressPool(MDEV_RESOURCE_PREFIX, resources, env),
        AddressPool(USB_RESOURCE_PREFIX, resources, env),
    )


# ---------------------------------------------------------------- DRA


def dra_attribute(vmi: JSON, dra_devices: Mapping[str, Any], claim: str, request: str, attribute: str) -> str:
    """One attribute (`pciBusID`, `mdevUUID`) of the single device a VMI claim request got."""
    claims = {obj(c).get("name") for c in items(dig(vmi, "spec", "resourceClaims"))}
    if claim not in claims:
        raise HostDeviceError(f'metadata not found for claim "{claim}"')
    # The claim through the facts' own get (compiled code would skip a dict subclass's: the typical host answers there).
    device = dig(dra_devices.get(claim), request)
    if not isinstance(device, dict):
        raise HostDeviceError(
            f'failed to read metadata for claim "{claim}" request "{request}": '
            "no entry in context.draDevices")
    value = device.get(attribute)
    if not isinstance(value, str) or value == "":
        raise HostDeviceError(f'{attribute} not found for claim "{claim}" request "{request}"')
    return value


def _dra_host_device(
    vmi: JSON, dra_devices: Mapping[str, Any], dev: JSON, kind: str, alias_prefix: str, mdev_model: str
) -> HostDevice:
    name = str(dev.get("name") or "")
    claim, request = str(dev.get("claimName") or ""), str(dev.get("requestName") or "")
    if not claim or not request:
        raise HostDeviceError(f"{kind} {name} has incomplete ClaimRequest")
    # A vGPU's parent may also report a PCI bus id: the mdev UUID decides.
    try:
        uuid = dra_attribute(vmi, dra_devices, claim, request, "mdevUUID")
        return mdev_host_device(alias_prefix + name, uuid, mdev_model)
    except HostDeviceError as mdev_err:
        try:
            pci = dra_attribute(vmi, dra_devices, claim, request, "pciBusID")
        except HostDeviceError as pci_err:
            raise HostDeviceError(
                f"{kind} {name} has no mdevUUID or pciBusID in metadata for claim {claim} request {request} "
                f"(mdev: {mdev_err}, pci: {pci_err})") from None
    try:
        source = pci_address_field(pci)
    except PCIAddressError as err:
        raise HostDeviceError(f"failed to create PCI device for {name}: {err}") from None
    return HostDevice(type="pci", managed="no", source=HostDeviceSource(address=source),
                      alias=user_alias(alias_prefix + name))


def dra_gpu_host_devices(vmi: JSON, dra_devices: Mapping[str, Any]) -> list[HostDevice]:
    gpus = [obj(g) for g in items(dig(vmi, "spec", "domain", "devices", "gpus"))]
    created = []
    try:
        for gpu in gpus:
            if is_dra(gpu):
                device = _dra_host_device(vmi, dra_devices, gpu, "GPU", DRA_GPU_ALIAS_PREFIX, "vfio-pci")
                if device.type == "mdev":
                    display = obj(gpu.get("virtualGPUOptions")).get("display")
                    apply_vgpu_display(device, display if isinstance(display, dict) else None)
                created.append(device)
    except HostDeviceError as err:
        raise HostDeviceError(f"failed to create DRA GPU host-devices: {err}") from None
    # As for device-plugin vGPUs: with no display option anywhere, the first vGPU shows one.
    if not any(isinstance(obj(g.get("virtualGPUOptions")).get("display"), dict) for g in gpus):
        first_mdev = next((d for d in created if d.type == "mdev"), None)
        if first_mdev is not None:
            first_mdev.display, first_mdev.ramfb = "on", "on"
    return created


def dra_generic_host_devices(vmi: JSON, dra_devices: Mapping[str, Any]) -> list[HostDevice]:
    host_devices = [obj(h) for h in items(dig(vmi, "spec", "domain", "devices", "hostDevices"))]
    mdev_model = "vfio-ap" if dig(vmi, "spec", "architecture") == "s390x" else "vfio-pci"
    try:
        return [
            _dra_host_device(vmi, dra_devices, dev, "HostDevice", DRA_HOSTDEVICE_ALIAS_PREFIX, mdev_model)
            for dev in host_devices if is_dra(dev)
        ]
    except HostDeviceError as err:
        raise HostDeviceError(f"failed to create dra generic host-devices: {err}") from None
