"""Host devices: ported from KubeVirt compute/host_device_test.go, converter_test.go and the
device/hostdevice address-pool tests (addresspool, hostdev, generic, gpu, sriov, dra)."""

from __future__ import annotations

from typing import Any

import pytest

from vmi_converter.converter.common.aliases import user_alias
from vmi_converter.converter.common.build import BuildState
from vmi_converter.converter.common.context import Context, context_from_dict
from vmi_converter.converter.common.errors import ConversionError
from vmi_converter.converter.common.vmi import JSON
from vmi_converter.converter.domain.model import HostDevice
from vmi_converter.converter.domain.xmlmodel import to_xml
from vmi_converter.converter.hostdev import host_devices
from vmi_converter.converter.hostdev.pools import (
    AddressPool,
    HostDeviceError,
    HostDeviceMeta,
    create_generic_host_devices,
    create_gpu_host_devices,
    create_mdev_host_devices,
    create_pci_host_devices,
    dra_generic_host_devices,
    dra_gpu_host_devices,
    resource_env_var,
)
from vmi_converter.converter.hostdev.sriov import (
    NetworkStatusPool,
    dra_sriov_host_devices,
    host_devices_from_interfaces,
    multus_sriov_host_devices,
)
from vmi_converter.converter.pipeline import new_domain


class StubPool:
    """KubeVirt's test stub: addresses per resource, popped in order, never shared."""

    def __init__(self, **addresses: list[str]) -> None:
        self.addresses = {k.replace("__", "/"): list(v) for k, v in addresses.items()}

    def add(self, resource: str, *addresses: str) -> StubPool:
        self.addresses[resource] = list(addresses)
        return self

    def pop(self, resource: str) -> str:
        if resource not in self.addresses:
            raise HostDeviceError(f"no resource: {resource}")
        if not self.addresses[resource]:
            raise HostDeviceError("pool is empty")
        return self.addresses[resource].pop(0)


def xml(devices: list[HostDevice]) -> list[str]:
    return [to_xml(dev) for dev in devices]


def pci(alias: str, bus: str, slot: str, function: str, extra: str = "", attrs: str = "") -> str:
    return (
        f'<hostdev type="pci" managed="no"{attrs}>\n'
        "  <source>\n"
        f'    <address type="pci" domain="0x0000" bus="{bus}" slot="{slot}" function="{function}"/>\n'
        "  </source>\n"
        f"{extra}"
        f'  <alias name="ua-{alias}"/>\n'
        "</hostdev>\n"
    )


def mdev(alias: str, uuid: str, attrs: str = "", model: str = "vfio-pci") -> str:
    return (
        f'<hostdev mode="subsystem" type="mdev" model="{model}"{attrs}>\n'
        "  <source>\n"
        f'    <address uuid="{uuid}"/>\n'
        "  </source>\n"
        f'  <alias name="ua-{alias}"/>\n'
        "</hostdev>\n"
    )


DISPLAY = ' display="on" ramfb="on"'


def in_domain(hostdev_xml: str) -> str:
    """A PCI hostdev as configure() emits it: no `type` on the source address (libvirt's schema has none)."""
    return hostdev_xml.replace('    <address type="pci" domain=', '    <address domain=', 1)


# ---------------------------------------------------------------- compute/host_device_test.go


def configured(vmi: JSON, ctx: Context, existing: list[HostDevice] | None = None) -> list[str]:
    domain = new_domain()
    assert domain.devices is not None
    domain.devices.hostdevs.extend(existing or [])
    host_devices.configure(vmi, domain, ctx, BuildState())
    return xml(domain.devices.hostdevs)


# KubeVirt: compute/host_device_test.go "Should handle empty variadic arguments"
def test_no_host_devices() -> None:
    assert configured({}, Context()) == []


READY_MADE = {
    "genericHostDevices": ['<hostdev type="pci"><alias name="ua-hostdevice-generic0"/></hostdev>'],
    "gpuHostDevices": ['<hostdev type="mdev"><alias name="ua-gpu-gpu0"/></hostdev>'],
    "sriovDevices": ['<hostdev type="pci"><alias name="ua-sriov-sriov0"/></hostdev>'],
}
READY_MADE_XML = [
    '<hostdev type="pci">\n  <alias name="ua-hostdevice-generic0"/>\n</hostdev>\n',
    '<hostdev type="mdev">\n  <alias name="ua-gpu-gpu0"/>\n</hostdev>\n',
    '<hostdev type="pci">\n  <alias name="ua-sriov-sriov0"/>\n</hostdev>\n',
]


# KubeVirt: compute/host_device_test.go DescribeTable "should preserve the order of input devices"
@pytest.mark.parametrize("existing", [[], ["existing-device"]],
                         ids=["without existing devices", "with existing device"])
def test_preserves_order(existing: list[str]) -> None:
    before = [HostDevice(type="pci", alias=user_alias(name)) for name in existing]
    got = configured({}, context_from_dict(READY_MADE), before)
    assert got == [to_xml(dev) for dev in before] + READY_MADE_XML


# KubeVirt: converter_test.go "Network convert" / "creates SRIOV hostdev"
def test_sriov_hostdev_from_context() -> None:
    ctx = context_from_dict({"sriovDevices": ['<hostdev type="sriov-test"/>']})
    assert configured({}, ctx) == ['<hostdev type="sriov-test"/>\n']


def test_ready_made_hostdev_round_trip() -> None:
    fragment = (
        '<hostdev type="pci" managed="no"><source><address type="pci" domain="0x0000" bus="0x81" slot="0x10" '
        'function="0x2"></address></source><alias name="ua-sriov-sriov-net"></alias>'
        '<address type="pci" domain="0x0000" bus="0x02" slot="0x01" function="0x0"/><boot order="2"/></hostdev>'
    )
    got = configured({}, context_from_dict({"sriovDevices": [fragment]}))
    assert got == [in_domain(pci("sriov-sriov-net", "0x81", "0x10", "0x2", extra='  <boot order="2"/>\n')).replace(
        "</hostdev>", '  <address type="pci" domain="0x0000" bus="0x02" slot="0x01" function="0x0"/>\n</hostdev>')]


@pytest.mark.parametrize(
    ("fragment", "message"),
    [
        pytest.param("<hostdev", "invalid hostdev XML: ", id="malformed"),
        pytest.param("<disk/>", "expected a <hostdev> element, got <disk>", id="wrong element"),
        pytest.param('<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><hostdev type="&e;"/>',
                     "invalid hostdev XML: Attribute references external entity", id="external entity in attribute"),
        pytest.param('<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><hostdev type="pci">&e;</hostdev>',
                     "", id="external entities are not resolved"),
    ],
)
def test_ready_made_hostdev_rejected_or_inert(fragment: str, message: str) -> None:
    ctx = context_from_dict({"gpuHostDevices": [fragment]})
    if not message:
        assert configured({}, ctx) == ['<hostdev type="pci"/>\n']
        return
    with pytest.raises(ConversionError) as err:
        configured({}, ctx)
    assert err.value.field == "context.gpuHostDevices[0]"
    assert err.value.message.startswith(message)


# ---------------------------------------------------------------- addresspool_test.go


def env(prefix: str, resource: str, *addresses: str) -> dict[str, str]:
    return {f"{prefix}_{resource.upper()}": ",".join(addresses)}


# KubeVirt: hostdevice/addresspool_test.go "fails to pop an address given no resource in env"
def test_pool_without_env() -> None:
    pool = AddressPool("TEST-PREFIX", ["resource0"], {})
    with pytest.raises(HostDeviceError, match=r"^resource resource0 does not exist$"):
        pool.pop("resource0")


# KubeVirt: hostdevice/addresspool_test.go "fails to pop an address given no addresses for resource"
def test_pool_with_empty_env() -> None:
    pool = AddressPool("TEST-PREFIX", ["resource0"], env("TEST-PREFIX", "resource0"))
    with pytest.raises(HostDeviceError, match=r"^no more addresses to allocate for resource resource0$"):
        pool.pop("resource0")


# KubeVirt: hostdevice/addresspool_test.go "succeeds to pop 2 addresses from same resource"
def test_pool_two_addresses_same_resource() -> None:
    pool = AddressPool("TEST-PREFIX", ["resource0"], env("TEST-PREFIX", "resource0", "0000:81:01.0", "0000:81:01.1"))
    assert [pool.pop("resource0"), pool.pop("resource0")] == ["0000:81:01.0", "0000:81:01.1"]


# KubeVirt: hostdevice/addresspool_test.go "succeeds to pop 2 addresses from two resources"
def test_pool_two_resources() -> None:
    variables = env("TEST-PREFIX", "resource0", "0000:81:01.0") | env("TEST-PREFIX", "resource1", "0000:81:01.1")
    pool = AddressPool("TEST-PREFIX", ["resource0", "resource1"], variables)
    assert [pool.pop("resource0"), pool.pop("resource1")] == ["0000:81:01.0", "0000:81:01.1"]


def test_pool_shared_address_handed_out_once() -> None:
    # An address listed for two resources goes to the first caller only (and a trailing comma is ignored).
    variables = {"P_R0": "0000:81:01.0,", "P_R1": "0000:81:01.0,0000:81:01.1"}
    pool = AddressPool("P", ["r0", "r1"], variables)
    assert [pool.pop("r0"), pool.pop("r1")] == ["0000:81:01.0", "0000:81:01.1"]


def test_resource_env_var() -> None:
    env_var = resource_env_var("PCI_RESOURCE", "nvidia.com/GP102GL_Tesla_P40")
    assert env_var == "PCI_RESOURCE_NVIDIA_COM_GP102GL_TESLA_P40"


# ---------------------------------------------------------------- hostdev_test.go

PREFIX, RES0, RES1, DEV0, DEV1 = "test_prefix", "test_resource0", "test_resource1", "test_device0", "test_device1"


def meta(name: str = DEV0, resource: str = RES0, vgpu: JSON | None = None, **kw: Any) -> HostDeviceMeta:
    return HostDeviceMeta(alias_prefix=PREFIX, name=name, resource_name=resource, vgpu_options=vgpu, **kw)


def mdev_without_display(metas: list[HostDeviceMeta], pool: Any) -> list[HostDevice]:
    return create_mdev_host_devices(metas, pool, False)


CREATORS = [pytest.param(create_pci_host_devices, id="PCI"), pytest.param(mdev_without_display, id="MDEV")]


# KubeVirt: hostdevice/hostdev_test.go "creates no device given no devices-metadata"
def test_no_metadata_no_device() -> None:
    assert create_pci_host_devices([], StubPool()) == []
    assert create_mdev_host_devices([], StubPool(), False) == []


# KubeVirt: hostdevice/hostdev_test.go DescribeTable "fails to create device given no available addresses in pool"
@pytest.mark.parametrize("create", CREATORS)
def test_no_available_address(create: Any) -> None:
    with pytest.raises(HostDeviceError, match=r"^failed to create hostdevice for : no resource: $"):
        create([HostDeviceMeta("", "", "")], StubPool())


# KubeVirt: hostdevice/hostdev_test.go "fails to create a device given bad host PCI address"
def test_bad_host_pci_address() -> None:
    with pytest.raises(HostDeviceError) as err:
        create_pci_host_devices([meta(resource="resource0")], StubPool().add("resource0", "0bad0pci0address0"))
    assert str(err.value) == (f"failed to create hostdevice for {DEV0}: failed to create PCI device for {DEV0}: "
                              "failed to parse pci address 0bad0pci0address0")


# KubeVirt: hostdevice/hostdev_test.go DescribeTable "fails to create a device when hook returns error"
@pytest.mark.parametrize("create", CREATORS)
def test_failing_hook(create: Any) -> None:
    def hook(device: HostDevice) -> None:
        raise HostDeviceError("failed hook")

    with pytest.raises(HostDeviceError, match=r"failed hook$"):
        create([meta(decorate=hook)], StubPool().add(RES0, "0000:81:01.0"))


# KubeVirt: hostdevice/hostdev_test.go DescribeTable "fails to create a device given two devices but only one address"
@pytest.mark.parametrize("create", CREATORS)
def test_two_devices_one_address(create: Any) -> None:
    with pytest.raises(HostDeviceError, match=r"pool is empty$"):
        create([meta(), meta()], StubPool().add(RES0, "0000:81:01.0"))


PCI_DEV0 = pci(PREFIX + DEV0, "0x81", "0x01", "0x0")
PCI_DEV1 = pci(PREFIX + DEV1, "0x81", "0x01", "0x1")


# KubeVirt: hostdevice/hostdev_test.go "creates 2 PCI devices that share the same resource"
def test_two_pci_devices_same_resource() -> None:
    pool = StubPool().add(RES0, "0000:81:01.0", "0000:81:01.1")
    assert xml(create_pci_host_devices([meta(DEV0), meta(DEV1)], pool)) == [PCI_DEV0, PCI_DEV1]


# KubeVirt: hostdevice/hostdev_test.go "creates 2 PCI devices that are connected to different resources"
def test_two_pci_devices_two_resources() -> None:
    pool = StubPool().add(RES0, "0000:81:01.0").add(RES1, "0000:81:01.1")
    assert xml(create_pci_host_devices([meta(DEV0, RES0), meta(DEV1, RES1)], pool)) == [PCI_DEV0, PCI_DEV1]


# KubeVirt: hostdevice/hostdev_test.go Context "PCI display options"
@pytest.mark.parametrize(
    ("vgpu", "attrs"),
    [
        pytest.param(None, "", id="does not set display when VirtualGPUOptions is nil"),
        pytest.param({"display": {}}, "", id="does not set display when Display is set but Enabled is nil"),
        pytest.param({"display": {"enabled": False}}, "", id="does not set display when Display.Enabled is false"),
        pytest.param({"display": {"enabled": True}}, DISPLAY, id="sets display on when explicitly enabled, with ramfb"),
        pytest.param({"display": {"enabled": True, "ramFB": {"enabled": False}}}, ' display="on"',
                     id="does not set ramfb when RamFB.Enabled is false"),
        pytest.param({"display": {"enabled": True, "ramFB": {"enabled": True}}}, DISPLAY,
                     id="sets display and ramfb on when both explicitly enabled"),
        pytest.param({"display": {"enabled": True, "ramFB": {}}}, DISPLAY,
                     id="does set ramfb when RamFB is present but Enabled is nil"),
    ],
)
def test_pci_display_options(vgpu: JSON | None, attrs: str) -> None:
    pool = StubPool().add(RES0, "0000:81:01.0")
    assert xml(create_pci_host_devices([meta(vgpu=vgpu)], pool)) == [
        pci(PREFIX + DEV0, "0x81", "0x01", "0x0", attrs=attrs)]


UUID0, UUID1 = "0123456789-0", "0123456789-1"
MDEV_DEV0, MDEV_DEV1 = mdev(PREFIX + DEV0, UUID0), mdev(PREFIX + DEV1, UUID1)
MDEV_DEV0_DISPLAY, MDEV_DEV1_DISPLAY = mdev(PREFIX + DEV0, UUID0, DISPLAY), mdev(PREFIX + DEV1, UUID1, DISPLAY)
ENABLED_DISPLAY: JSON = {"display": {"enabled": True, "ramFB": {"enabled": True}}}


# KubeVirt: hostdevice/hostdev_test.go Context "MDEV"
@pytest.mark.parametrize(
    ("metas", "default_display", "expected"),
    [
        pytest.param([meta(DEV0), meta(DEV1)], False, [MDEV_DEV0, MDEV_DEV1],
                     id="creates 2 MDEV devices that share the same resource"),
        pytest.param([meta(DEV0)], True, [MDEV_DEV0_DISPLAY],
                     id="makes sure that a vGPU MDEV device will turn display and ramfb on"),
        pytest.param([meta(DEV0), meta(DEV1)], True, [MDEV_DEV0_DISPLAY, MDEV_DEV1],
                     id="makes sure that only one ramfb is configured with 2 vGPU devices"),
        pytest.param([meta(DEV0), meta(DEV1, vgpu=ENABLED_DISPLAY)], True, [MDEV_DEV0, MDEV_DEV1_DISPLAY],
                     id="only one ramfb with 2 vGPU devices and an explicit VirtualGPUOptions setting"),
        pytest.param([meta(DEV0, vgpu={"display": {"enabled": False}})], True, [MDEV_DEV0],
                     id="explicitly setting VirtualGPUOptions can override the default display and ramfb"),
    ],
)
def test_mdev_devices(metas: list[HostDeviceMeta], default_display: bool, expected: list[str]) -> None:
    pool = StubPool().add(RES0, UUID0, UUID1)
    assert xml(create_mdev_host_devices(metas, pool, default_display)) == expected


# KubeVirt: hostdevice/hostdev_test.go Context "MDEV" "creates 2 PCI devices that are connected to different resources"
def test_two_mdev_devices_two_resources() -> None:
    pool = StubPool().add(RES0, UUID0).add(RES1, UUID1)
    assert xml(create_mdev_host_devices([meta(DEV0, RES0), meta(DEV1, RES1)], pool, False)) == [MDEV_DEV0, MDEV_DEV1]


# ---------------------------------------------------------------- generic/ and gpu/ address pools

PCI_PREFIX, MDEV_PREFIX = "PCI_RESOURCE", "MDEV_PCI_RESOURCE"
POOL_KINDS = [
    pytest.param(PCI_PREFIX, "0000:81:01.0", "0000:81:01.1", id="PCI"),
    pytest.param(MDEV_PREFIX, "123456789-0", "123456789-1", id="MDEV"),
]


@pytest.mark.parametrize("kind", ["hostdev", "gpu"])
@pytest.mark.parametrize("prefix", [PCI_PREFIX, MDEV_PREFIX], ids=["PCI", "MDEV"])
def test_empty_pools(kind: str, prefix: str) -> None:
    # KubeVirt: generic|gpu/addresspool_test.go "creates an empty pool when no HostDevices|GPUs are specified"
    # and "... when no resources are specified"
    resource = f"vendor.com/{kind}_name0"
    for resources in ([], [resource]):
        with pytest.raises(HostDeviceError) as err:
            AddressPool(prefix, resources, {}).pop(resource)
        assert str(err.value) == f"resource {resource} does not exist"


@pytest.mark.parametrize("kind", ["hostdev", "gpu"])
@pytest.mark.parametrize(("prefix", "address0", "address1"), POOL_KINDS)
def test_pools_pop(kind: str, prefix: str, address0: str, address1: str) -> None:
    # KubeVirt: generic|gpu/addresspool_test.go "succeeds to pop 2 addresses from same resource" and
    # "succeeds to pop 2 addresses from two resources"
    res0, res1 = f"vendor.com/{kind}_name0", f"vendor.com/{kind}_name1"
    env0, env1 = f"{prefix}_VENDOR_COM_{kind.upper()}_NAME0", f"{prefix}_VENDOR_COM_{kind.upper()}_NAME1"
    same = AddressPool(prefix, [res0], {env0: f"{address0},{address1}"})
    assert [same.pop(res0), same.pop(res0)] == [address0, address1]
    two = AddressPool(prefix, [res0, res1], {env0: address0, env1: address1})
    assert [two.pop(res0), two.pop(res1)] == [address0, address1]


# ---------------------------------------------------------------- generic/hostdev_test.go

HOSTDEV0, HOSTDEV1 = {"deviceName": "vendor.com/hostdev_name0", "name": "hostdev_name0"}, {
    "deviceName": "vendor.com/hostdev_name1", "name": "hostdev_name1"}


# KubeVirt: generic/hostdev_test.go "creates no device given no generic host-devices/s"
def test_generic_no_devices() -> None:
    assert create_generic_host_devices([], StubPool(), StubPool(), StubPool()) == []


# KubeVirt: generic/hostdev_test.go "fails to create devices given no resource"
def test_generic_no_resource() -> None:
    with pytest.raises(HostDeviceError, match=r"^failed to create generic host-devices: the number of device plugin"):
        create_generic_host_devices([HOSTDEV0], AddressPool(PCI_PREFIX, [], {}), StubPool(), StubPool())


# KubeVirt: generic/hostdev_test.go "fails to create device given two devices but only one address"
def test_generic_two_devices_one_address() -> None:
    devices = [HOSTDEV0, {**HOSTDEV0, "name": "hostdev_name1"}]
    pci_pool = StubPool().add("vendor.com/hostdev_name0", "0000:81:01.0")
    mdev_pool = StubPool().add("vendor.com/hostdev_name1", "0000:81:01.1")
    with pytest.raises(HostDeviceError, match=r"do not match the number of devices"):
        create_generic_host_devices(devices, pci_pool, mdev_pool, StubPool())


# KubeVirt: generic/hostdev_test.go "creates two devices, PCI and MDEV"
def test_generic_pci_and_mdev() -> None:
    pci_pool = StubPool().add("vendor.com/hostdev_name0", "0000:81:01.0")
    mdev_pool = StubPool().add("vendor.com/hostdev_name1", "123456789-1")
    got = create_generic_host_devices([HOSTDEV0, HOSTDEV1], pci_pool, mdev_pool, StubPool())
    assert xml(got) == [pci("hostdevice-hostdev_name0", "0x81", "0x01", "0x0"),
                        mdev("hostdevice-hostdev_name1", "123456789-1")]


def test_generic_usb_device() -> None:
    usb_pool = StubPool().add("vendor.com/hostdev_name0", "001:004")
    got = create_generic_host_devices([HOSTDEV0], StubPool(), StubPool(), usb_pool)
    assert xml(got) == [
        '<hostdev mode="subsystem" type="usb">\n  <source>\n    <address bus="001" device="004"/>\n'
        '  </source>\n  <alias name="ua-usb-host-hostdev_name0"/>\n</hostdev>\n']


def test_generic_bad_usb_address() -> None:
    usb_pool = StubPool().add("vendor.com/hostdev_name0", "001")
    with pytest.raises(HostDeviceError, match=r"^failed to create hostdevice for hostdev_name0: Bad value: 001$"):
        create_generic_host_devices([HOSTDEV0], StubPool(), StubPool(), usb_pool)


# ---------------------------------------------------------------- gpu/hostdev_test.go

GPU0, GPU1 = {"deviceName": "vendor.com/gpu_name0", "name": "gpu_name0"}, {
    "deviceName": "vendor.com/gpu_name1", "name": "gpu_name1"}


def gpu_pools() -> tuple[StubPool, StubPool]:
    return (StubPool().add("vendor.com/gpu_name0", "0000:81:01.0"),
            StubPool().add("vendor.com/gpu_name1", "123456789-1"))


# KubeVirt: gpu/hostdev_test.go "creates no device given no GPU/s"
def test_gpu_no_devices() -> None:
    assert create_gpu_host_devices([], StubPool(), StubPool()) == []


# KubeVirt: gpu/hostdev_test.go "fails to create devices given no resource"
def test_gpu_no_resource() -> None:
    with pytest.raises(HostDeviceError, match=r"^failed to create GPU host-devices: the number of device plugin GPU"):
        create_gpu_host_devices([GPU0], AddressPool(PCI_PREFIX, [], {}), AddressPool(MDEV_PREFIX, [], {}))


# KubeVirt: gpu/hostdev_test.go "fails to create device given two devices but only one address"
def test_gpu_two_devices_one_address() -> None:
    pci_pool = StubPool().add("vendor.com/gpu_name0", "0000:81:01.0")
    mdev_pool = StubPool().add("vendor.com/gpu_name1", "0000:81:01.1")
    with pytest.raises(HostDeviceError, match=r"do not match the number of devices"):
        create_gpu_host_devices([GPU0, {**GPU0, "name": "gpu_name1"}], pci_pool, mdev_pool)


# KubeVirt: gpu/hostdev_test.go "creates two devices, PCI and MDEV" and the display variants
@pytest.mark.parametrize(
    ("gpus", "expected"),
    [
        pytest.param([GPU0, GPU1], [pci("gpu-gpu_name0", "0x81", "0x01", "0x0"),
                                    mdev("gpu-gpu_name1", "123456789-1", DISPLAY)],
                     id="creates two devices, PCI and MDEV"),
        pytest.param([{**GPU1, "virtualGPUOptions": {"display": {"enabled": False}}}],
                     [mdev("gpu-gpu_name1", "123456789-1")], id="creates MDEV with display option turned off"),
        pytest.param([{**GPU1, "virtualGPUOptions": {"display": {"ramFB": {"enabled": False}}}}],
                     [mdev("gpu-gpu_name1", "123456789-1", ' display="on"')],
                     id="creates MDEV with display ramFB option turned off"),
        pytest.param([{**GPU1, "virtualGPUOptions": {"display": {}}}],
                     [mdev("gpu-gpu_name1", "123456789-1", DISPLAY)],
                     id="creates MDEV with enabled display and ramfb by default"),
    ],
)
def test_gpu_devices(gpus: list[JSON], expected: list[str]) -> None:
    assert xml(create_gpu_host_devices(gpus, *gpu_pools())) == expected


# ---------------------------------------------------------------- configure() from facts


def gpu_vmi(*gpus: JSON, **spec: Any) -> JSON:
    return {"spec": {"domain": {"devices": {"gpus": list(gpus)}}, **spec}}


def test_configure_builds_gpus_from_resource_addresses() -> None:
    # The vmi-gpu example: the device plugin announced one Tesla P40 at 0000:3b:00.0.
    vmi = gpu_vmi({"deviceName": "nvidia.com/GP102GL_Tesla_P40", "name": "gpu1"})
    ctx = context_from_dict({"resourceAddresses": {"PCI_RESOURCE_NVIDIA_COM_GP102GL_TESLA_P40": "0000:3b:00.0"}})
    assert configured(vmi, ctx) == [in_domain(pci("gpu-gpu1", "0x3b", "0x00", "0x0"))]


def test_configure_reports_missing_device_plugin_address() -> None:
    vmi = gpu_vmi({"deviceName": "nvidia.com/GP102GL_Tesla_P40", "name": "gpu1"})
    with pytest.raises(ConversionError) as err:
        configured(vmi, context_from_dict({"resourceAddresses": {}}))
    assert err.value.field == "spec.domain.devices.gpus"
    assert err.value.message.startswith("failed to create GPU host-devices: the number of device plugin GPU/s")


def test_configure_ready_made_list_wins() -> None:
    vmi = gpu_vmi({"deviceName": "nvidia.com/GP102GL_Tesla_P40", "name": "gpu1"})
    ctx = context_from_dict({"resourceAddresses": {}, "gpuHostDevices": READY_MADE["gpuHostDevices"]})
    assert configured(vmi, ctx) == [READY_MADE_XML[1]]


def test_configure_without_facts_adds_nothing() -> None:
    vmi = gpu_vmi({"deviceName": "nvidia.com/GP102GL_Tesla_P40", "name": "gpu1"})
    assert configured(vmi, Context()) == []


def test_configure_order_generic_gpu_sriov_from_facts() -> None:
    vmi: JSON = {
        "spec": {
            "domain": {"devices": {
                "gpus": [{"deviceName": "vendor.com/gpu", "name": "gpu0"}],
                "hostDevices": [{"deviceName": "vendor.com/dev", "name": "dev0"}],
                "interfaces": [{"name": "net1", "sriov": {}, "bootOrder": 2}],
            }},
            "networks": [{"name": "net1", "multus": {"networkName": "sriov"}}],
        },
        "status": {"interfaces": [{"name": "net1", "infoSource": "domain, multus-status"}]},
    }
    ctx = context_from_dict({
        "resourceAddresses": {"PCI_RESOURCE_VENDOR_COM_GPU": "0000:81:00.0",
                              "PCI_RESOURCE_VENDOR_COM_DEV": "0000:82:00.0"},
        "networkInfo": {"interfaces": [{"network": "net1", "deviceInfo": {"pci": {"pci-address": "0000:04:02.5"}}}]},
    })
    assert configured(vmi, ctx) == [
        in_domain(pci("hostdevice-dev0", "0x82", "0x00", "0x0")),
        in_domain(pci("gpu-gpu0", "0x81", "0x00", "0x0")),
        in_domain(pci("sriov-net1", "0x04", "0x02", "0x5", extra='  <boot order="2"/>\n')),
    ]


# ---------------------------------------------------------------- sriov/hostdev_test.go


def sriov_iface(name: str, **fields: Any) -> JSON:
    return {"name": name, "sriov": {}, **fields}


def netinfo_pool(*addresses: tuple[str, str]) -> NetworkStatusPool:
    return NetworkStatusPool({"interfaces": [
        {"network": net, "deviceInfo": {"type": "pci", "pci": {"pci-address": addr}}} for net, addr in addresses]})


class ListPool(NetworkStatusPool):
    """KubeVirt's SR-IOV test stub: addresses handed out in order, whatever the network."""

    def __init__(self, *addresses: str) -> None:
        super().__init__({})
        self.queue = list(addresses)

    def pop(self, network: str) -> str:
        if not self.queue:
            raise HostDeviceError("pool is empty")
        return self.queue.pop(0)


# KubeVirt: sriov/hostdev_test.go "creates no device given no interfaces" / "... no SRIOV interfaces" /
# "... SRIOV interface that has no status" / "... SRIOV interface without multus info source"
@pytest.mark.parametrize(
    "vmi",
    [
        pytest.param({}, id="no interfaces"),
        pytest.param({"spec": {"domain": {"devices": {"interfaces": [{"name": "x", "masquerade": {}}]}}}},
                     id="no SRIOV interfaces"),
        pytest.param({"spec": {"domain": {"devices": {"interfaces": [sriov_iface("test")]}}}},
                     id="SRIOV interface that has no status"),
        pytest.param({"spec": {"domain": {"devices": {"interfaces": [sriov_iface("test")]}}},
                      "status": {"interfaces": [{"name": "test"}]}},
                     id="SRIOV interface without multus info source"),
    ],
)
def test_sriov_no_device(vmi: JSON) -> None:
    assert multus_sriov_host_devices(vmi, None) == []


# KubeVirt: sriov/hostdev_test.go "fails to create device given no available host PCI"
def test_sriov_no_host_pci() -> None:
    vmi = {"spec": {"domain": {"devices": {"interfaces": [sriov_iface("test")]}}},
           "status": {"interfaces": [{"name": "test", "infoSource": "multus-status"}]}}
    with pytest.raises(HostDeviceError, match=r"^found no SR-IOV networks to PCI-Address mapping$"):
        multus_sriov_host_devices(vmi, None)


# KubeVirt: sriov/hostdev_test.go "fails to create a device given bad host PCI address"
def test_sriov_bad_host_pci() -> None:
    with pytest.raises(HostDeviceError, match=r"failed to parse pci address 0bad0pci0address0$"):
        host_devices_from_interfaces([sriov_iface("net1")], ListPool("0bad0pci0address0"))


# KubeVirt: sriov/hostdev_test.go "fails to create a device given bad guest PCI address"
def test_sriov_bad_guest_pci() -> None:
    with pytest.raises(HostDeviceError) as err:
        host_devices_from_interfaces([sriov_iface("net1", pciAddress="0bad0pci0address0")], ListPool("0000:81:01.0"))
    assert str(err.value) == ("failed to create hostdevice for net1: failed to interpret the guest PCI address: "
                              "failed to parse pci address 0bad0pci0address0")


# KubeVirt: sriov/hostdev_test.go "fails to create a device given two interfaces but only one host PCI"
def test_sriov_two_interfaces_one_pci() -> None:
    with pytest.raises(HostDeviceError, match=r"pool is empty"):
        host_devices_from_interfaces([sriov_iface("net1"), sriov_iface("net1")], ListPool("0000:81:01.0"))


# KubeVirt: sriov/hostdev_test.go "creates 2 devices that are connected to the same network" /
# "... to different networks"
@pytest.mark.parametrize(
    ("names", "addresses", "expected"),
    [
        pytest.param(("net1", "net1"), ("0000:81:01.0", "0000:81:01.1"),
                     [pci("sriov-net1", "0x81", "0x01", "0x0"), pci("sriov-net1", "0x81", "0x01", "0x1")],
                     id="same network"),
        pytest.param(("net1", "net2"), ("0000:81:01.0", "0000:81:02.0"),
                     [pci("sriov-net1", "0x81", "0x01", "0x0"), pci("sriov-net2", "0x81", "0x02", "0x0")],
                     id="different networks"),
    ],
)
def test_sriov_two_devices(names: tuple[str, str], addresses: tuple[str, str], expected: list[str]) -> None:
    got = host_devices_from_interfaces([sriov_iface(n) for n in names], ListPool(*addresses))
    assert xml(got) == expected


def guest(bus: str, slot: str) -> str:
    return f'  <address type="pci" domain="0x0000" bus="{bus}" slot="{slot}" function="0x0"/>\n'


# KubeVirt: sriov/hostdev_test.go "creates 1 device that includes guest PCI addresses"
def test_sriov_guest_pci_address() -> None:
    got = host_devices_from_interfaces([sriov_iface("net1", pciAddress="0000:01:01.0")],
                                       ListPool("0000:81:01.0", "0000:81:02.0"))
    assert xml(got) == [pci("sriov-net1", "0x81", "0x01", "0x0").replace("</hostdev>", guest("0x01", "0x01")
                                                                          + "</hostdev>")]


# KubeVirt: sriov/hostdev_test.go DescribeTable "create two devices with custom guest PCI address"
@pytest.mark.parametrize(
    ("pci1", "pci2"),
    [
        pytest.param("0000:20:00.0", "0000:20:01.0", id="both interfaces have a custom guest PCI address"),
        pytest.param("0000:20:00.0", None, id="only the first interface has a custom guest PCI address"),
        pytest.param(None, "0000:20:01.0", id="only the second interface has a custom guest PCI address"),
    ],
)
def test_sriov_custom_guest_addresses(pci1: str | None, pci2: str | None) -> None:
    ifaces = [sriov_iface("net1", **({"pciAddress": pci1} if pci1 else {})),
              sriov_iface("net2", **({"pciAddress": pci2} if pci2 else {}))]
    got = xml(host_devices_from_interfaces(ifaces, ListPool("0000:81:00.0", "0000:81:01.0")))
    want1 = pci("sriov-net1", "0x81", "0x00", "0x0")
    want2 = pci("sriov-net2", "0x81", "0x01", "0x0")
    if pci1:
        want1 = want1.replace("</hostdev>", guest("0x20", "0x00") + "</hostdev>")
    if pci2:
        want2 = want2.replace("</hostdev>", guest("0x20", "0x01") + "</hostdev>")
    assert got == [want1, want2]


# KubeVirt: sriov/hostdev_test.go "creates 1 device that includes boot-order" and
# DescribeTable "create two devices with custom boot-order"
@pytest.mark.parametrize(
    ("order1", "order2"),
    [
        pytest.param(1, None, id="creates 1 device that includes boot-order"),
        pytest.param(1, 2, id="both interfaces have a custom bootOrder"),
        pytest.param(1, None, id="only the first interface has a custom bootOrder"),
        pytest.param(None, 2, id="only the second interface has a custom bootOrder"),
    ],
)
def test_sriov_boot_order(order1: int | None, order2: int | None) -> None:
    ifaces = [sriov_iface("net1", **({"bootOrder": order1} if order1 else {})),
              sriov_iface("net2", **({"bootOrder": order2} if order2 else {}))]
    got = xml(host_devices_from_interfaces(ifaces, ListPool("0000:81:00.0", "0000:81:01.0")))
    def boot(order: int | None) -> str:
        return f'  <boot order="{order}"/>\n' if order else ""

    assert got == [pci("sriov-net1", "0x81", "0x00", "0x0", extra=boot(order1)),
                   pci("sriov-net2", "0x81", "0x01", "0x0", extra=boot(order2))]


# ---------------------------------------------------------------- sriov/pcipool_netstatus_test.go

THREE_NETWORKS = (("network1", "0000:04:02.5"), ("network2", "0000:04:02.7"), ("network3", "0000:04:02.8"))


def test_netstatus_pool_unparsable_text() -> None:
    # KubeVirt: "should fail to create the pool when network-pci-map file is empty"
    vmi = {"spec": {"domain": {"devices": {"interfaces": [sriov_iface("test")]}}},
           "status": {"interfaces": [{"name": "test", "infoSource": "multus-status"}]}}
    with pytest.raises(HostDeviceError, match=r"failed to unmarshal network-info annotation"):
        multus_sriov_host_devices(vmi, "")


def test_netstatus_pool_empty_map() -> None:
    # KubeVirt: "should create a pool with zero length when network-pci-map file holds empty map"
    assert len(NetworkStatusPool({})) == 0


def test_netstatus_pool_unknown_network() -> None:
    # KubeVirt: "should fail to pop a pci-address from the pool when ... requested network is not in pool"
    with pytest.raises(HostDeviceError, match=r'^PCI-Address for SR-IOV network "foo" not found$'):
        netinfo_pool(*THREE_NETWORKS).pop("foo")


def test_netstatus_pool_pops_once() -> None:
    # KubeVirt: "should succeed to pop a pci-address from the pool when network-pci map is valid"
    pool = netinfo_pool(*THREE_NETWORKS)
    for network, address in THREE_NETWORKS:
        assert pool.pop(network) == address
        with pytest.raises(HostDeviceError) as err:
            pool.pop(network)
        assert str(err.value) == f'PCI-Address for SR-IOV network "{network}" not found'


# KubeVirt: pcipool_netstatus_test.go DescribeTable "should return empty pool given network-info annotation with"
@pytest.mark.parametrize(
    "info",
    [
        pytest.param({"interfaces": [{"network": "network1"}]}, id="element who has no device-info"),
        pytest.param({"interfaces": [{"network": "network1", "deviceInfo": {"version": "1.0.0", "type": "pci"}}]},
                     id="element with device-info but no PCI info"),
        pytest.param({"interfaces": [{"network": "network1",
                                      "deviceInfo": {"type": "pci", "pci": {"pci-address": ""}}}]},
                     id="element with device-info PCI info but no PCI address"),
    ],
)
def test_netstatus_pool_empty(info: JSON) -> None:
    assert len(NetworkStatusPool(info)) == 0


# ---------------------------------------------------------------- DRA (sriov, gpu, generic hostdev tests)


def dra_sriov_vmi(**iface: Any) -> JSON:
    return {"spec": {
        "domain": {"devices": {"interfaces": [sriov_iface("net1", **iface)]}},
        "networks": [{"name": "net1", "resourceClaim": {"claimName": "claim-ref", "requestName": "vf"}}],
        "resourceClaims": [{"name": "claim-ref", "resourceClaimName": "manual-vf-claim"}],
    }}


def dra_facts(pci_bus_id: str) -> JSON:
    return {"claim-ref": {"vf": {"pciBusID": pci_bus_id}}}


# KubeVirt: sriov/hostdev_test.go Context "DRA SR-IOV creation" "uses metadata file path for direct ResourceClaim"
def test_dra_sriov() -> None:
    got = dra_sriov_host_devices(dra_sriov_vmi(pciAddress="0000:20:00.0"), dra_facts("0000:65:0a.3"))
    assert xml(got) == [pci("sriov-net1", "0x65", "0x0a", "0x3").replace(
        "</hostdev>", guest("0x20", "0x00") + "</hostdev>")]


# KubeVirt: sriov/hostdev_test.go "propagates boot order from DRA SR-IOV interface" and
# "does not set guest PCI address when DRA SR-IOV interface has no guest PCI address"
def test_dra_sriov_boot_order() -> None:
    got = dra_sriov_host_devices(dra_sriov_vmi(bootOrder=1), dra_facts("0000:65:0a.5"))
    assert xml(got) == [pci("sriov-net1", "0x65", "0x0a", "0x5", extra='  <boot order="1"/>\n')]


# KubeVirt: sriov/hostdev_test.go DRA failures
@pytest.mark.parametrize(
    ("iface", "facts", "message"),
    [
        pytest.param({"pciAddress": "not-a-pci-address"}, dra_facts("0000:65:0a.7"),
                     "failed to interpret the guest PCI address for interface net1", id="invalid guest PCI address"),
        pytest.param({}, {}, "failed to resolve PCI address for SR-IOV DRA interface net1",
                     id="fails when metadata file is missing for direct ResourceClaim"),
        pytest.param({}, dra_facts("not-a-pci-address"), "failed to create PCI address for SR-IOV DRA interface net1",
                     id="fails when metadata has invalid host pciBusID"),
    ],
)
def test_dra_sriov_failures(iface: JSON, facts: JSON, message: str) -> None:
    with pytest.raises(HostDeviceError, match=message):
        dra_sriov_host_devices(dra_sriov_vmi(**iface), facts)


# KubeVirt: sriov/hostdev_test.go "returns no host devices when there are no SR-IOV DRA interfaces"
def test_dra_sriov_none() -> None:
    vmi = dra_sriov_vmi()
    del vmi["spec"]["domain"]["devices"]["interfaces"][0]["sriov"]
    assert dra_sriov_host_devices(vmi, dra_facts("0000:65:0a.3")) == []


def dra_gpu(name: str, claim: str, request: str) -> JSON:
    return {"name": name, "claimName": claim, "requestName": request}


# KubeVirt: dra/gpu_hostdev_test.go
@pytest.mark.parametrize(
    ("gpus", "facts", "expected"),
    [
        pytest.param([], {}, [], id="when the VMI has no GPUs with DRA"),
        pytest.param([dra_gpu("gpu1", "claim1", "req1")], {"claim1": {"req1": {"pciBusID": "0000:02:00.0"}}},
                     [pci("dra-gpu-gpu1", "0x02", "0x00", "0x0")], id="physical GPU (PCI) allocated through DRA"),
        pytest.param([dra_gpu("vgpu1", "claim1", "req1")], {"claim1": {"req1": {"mdevUUID": "123e4567"}}},
                     [mdev("dra-gpu-vgpu1", "123e4567", DISPLAY)], id="virtual GPU (mdev) allocated through DRA"),
        pytest.param([dra_gpu("vgpu1", "claim1", "req1")],
                     {"claim1": {"req1": {"pciBusID": "0000:01:01.0", "mdevUUID": "abcd1234"}}},
                     [mdev("dra-gpu-vgpu1", "abcd1234", DISPLAY)], id="both pciBusID and mdevUUID: mdev wins"),
        pytest.param([dra_gpu("pgpu0", "pgpu", "gpu"), dra_gpu("vgpu0", "vgpu", "vgpu")],
                     {"pgpu": {"gpu": {"pciBusID": "0000:00:01.0"}},
                      "vgpu": {"vgpu": {"pciBusID": "0000:01:01.0", "mdevUUID": "deadbeef"}}},
                     [pci("dra-gpu-pgpu0", "0x00", "0x01", "0x0"), mdev("dra-gpu-vgpu0", "deadbeef", DISPLAY)],
                     id="both a pGPU and a vGPU"),
    ],
)
def test_dra_gpus(gpus: list[JSON], facts: JSON, expected: list[str]) -> None:
    claims = [{"name": c} for c in ("claim1", "pgpu", "vgpu")]
    assert xml(dra_gpu_host_devices(gpu_vmi(*gpus, resourceClaims=claims), facts)) == expected


# KubeVirt: dra/gpu_hostdev_test.go "should return an error when metadata is missing for a DRA GPU"
def test_dra_gpu_missing_metadata() -> None:
    vmi = gpu_vmi(dra_gpu("gpu1", "claim1", "req1"), dra_gpu("gpu2", "claim2", "req2"),
                  resourceClaims=[{"name": "claim1"}, {"name": "claim2"}])
    with pytest.raises(HostDeviceError, match=r"^failed to create DRA GPU host-devices: GPU gpu2 has no mdevUUID or"):
        dra_gpu_host_devices(vmi, {"claim1": {"req1": {"pciBusID": "0000:02:00.0"}}})


# KubeVirt: dra/generic_hostdev_test.go
@pytest.mark.parametrize(
    ("arch", "facts", "expected"),
    [
        pytest.param(None, {"c": {"r": {"pciBusID": "0000:02:00.0"}}},
                     [pci("dra-hostdevice-hd", "0x02", "0x00", "0x0")], id="should create a PCI HostDevice"),
        pytest.param(None, {"c": {"r": {"mdevUUID": "u-1"}}}, [mdev("dra-hostdevice-hd", "u-1")],
                     id="should create an MDEV HostDevice"),
        pytest.param("s390x", {"c": {"r": {"mdevUUID": "u-1"}}}, [mdev("dra-hostdevice-hd", "u-1", model="vfio-ap")],
                     id="should create an MDEV HostDevice (s390x)"),
    ],
)
def test_dra_generic(arch: str | None, facts: JSON, expected: list[str]) -> None:
    hostdev = {"name": "hd", "claimName": "c", "requestName": "r"}
    vmi: JSON = {"spec": {"domain": {"devices": {"hostDevices": [hostdev]}}, "resourceClaims": [{"name": "c"}]}}
    if arch:
        vmi["spec"]["architecture"] = arch
    assert xml(dra_generic_host_devices(vmi, facts)) == expected


# KubeVirt: dra/generic_hostdev_test.go "should return an empty slice without error" and
# "should error when metadata is missing for a DRA host device"
def test_dra_generic_empty_and_missing() -> None:
    assert dra_generic_host_devices({}, {}) == []
    vmi = {"spec": {"domain": {"devices": {"hostDevices": [{"name": "hd", "claimName": "c", "requestName": "r"}]}}}}
    with pytest.raises(HostDeviceError, match=r'metadata not found for claim "c"'):
        dra_generic_host_devices(vmi, {})
