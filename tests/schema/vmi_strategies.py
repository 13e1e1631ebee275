"""Hypothesis strategies for VMIs an admitted cluster could hand the converter, across capabilities.

Unlike tests/server/test_fuzz.py (random mutations, looking for crashes), every VMI here is well formed:
each capability draws its own part of the spec (and the context facts it needs), so the converter
produces a domain for most of them, and the domain's validity is what is under test.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

JSON = dict[str, Any]

ARCHITECTURES = ("amd64", "arm64", "s390x")
MACHINES = {"amd64": "q35", "arm64": "virt", "s390x": "s390-ccw-virtio"}
DISK_BUSES = {
    "amd64": ("virtio", "sata", "scsi", "usb"),
    "arm64": ("virtio", "scsi", "usb"),
    "s390x": ("virtio", "scsi"),
}


def _mac(separator: str) -> st.SearchStrategy[str]:
    octets = st.lists(st.integers(0, 255), min_size=5, max_size=5)
    return octets.map(lambda rest: separator.join(f"{b:02x}" for b in [2, *rest]))


@st.composite
def _cpu(draw: st.DrawFn, arch: str) -> JSON:
    cpu: JSON = {}
    for key in ("cores", "sockets", "threads"):
        if draw(st.booleans()):
            cpu[key] = draw(st.integers(1, 4))
    models = ["host-passthrough", "host-model"] + (["Skylake-Server", "EPYC"] if arch == "amd64" else [])
    if draw(st.booleans()):
        cpu["model"] = draw(st.sampled_from(models))
    names = ["ssbd", "invtsc", "vmx", "pcid", "aes"] if arch == "amd64" else ["sve", "pmu"]
    features = []
    for name in draw(st.lists(st.sampled_from(names), unique=True, max_size=3)):
        feature: JSON = {"name": name}
        policy = draw(st.sampled_from([None, "require", "force", "optional", "disable", "forbid"]))
        if policy is not None:
            feature["policy"] = policy
        features.append(feature)
    if features:
        cpu["features"] = features
    return cpu


@st.composite
def _clock(draw: st.DrawFn) -> JSON | None:
    choice = draw(st.sampled_from(["none", "utc", "utc-offset", "timezone", "timers"]))
    if choice == "none":
        return None
    clock: JSON = {}
    if choice == "utc":
        clock["utc"] = {}
    elif choice == "utc-offset":
        clock["utc"] = {"offsetSeconds": draw(st.integers(-86400, 86400))}
    elif choice == "timezone":
        clock["timezone"] = draw(st.sampled_from(["UTC", "Europe/Berlin", "America/New_York"]))
    if draw(st.booleans()):
        def ticking(*policies: str) -> JSON:
            return {"present": draw(st.booleans()), "tickPolicy": draw(st.sampled_from(policies))}

        clock["timer"] = {
            "hpet": ticking("delay", "catchup", "merge", "discard"),
            "pit": ticking("delay", "catchup", "discard"),
            "rtc": {**ticking("delay", "catchup"), "track": "guest"},
            "kvm": {"present": draw(st.booleans())},
            "hyperv": {"present": draw(st.booleans())},
        }
    return clock or None


@st.composite
def _features(draw: st.DrawFn, arch: str) -> JSON:
    features: JSON = {}
    if draw(st.booleans()):
        features["acpi"] = {"enabled": draw(st.booleans())}
    if arch == "amd64":
        if draw(st.booleans()):
            features["apic"] = {"enabled": draw(st.booleans())}
        if draw(st.booleans()):
            features["smm"] = {"enabled": draw(st.booleans())}
        if draw(st.booleans()):
            features["kvm"] = {"hidden": draw(st.booleans())}
        if draw(st.booleans()):
            features["pvspinlock"] = {"enabled": draw(st.booleans())}
        if draw(st.booleans()):
            names = ["relaxed", "vapic", "vpindex", "runtime", "synic", "reset", "frequencies",
                     "reenlightenment", "tlbflush", "ipi", "evmcs"]
            chosen = draw(st.lists(st.sampled_from(names), unique=True))
            hyperv: JSON = {n: {"enabled": draw(st.booleans())} for n in chosen}
            if draw(st.booleans()):
                hyperv["spinlocks"] = {"enabled": True, "spinlocks": draw(st.integers(4096, 8192))}
            if draw(st.booleans()):
                hyperv["vendorid"] = {"enabled": True, "vendorid": draw(st.sampled_from(["myvendor", "KVMKVMKVM"]))}
            if hyperv.get("synic", {}).get("enabled") and draw(st.booleans()):
                hyperv["synictimer"] = {"enabled": True, "direct": {"enabled": draw(st.booleans())}}
            features["hyperv"] = hyperv
    return features


@st.composite
def _firmware(draw: st.DrawFn, arch: str) -> JSON:
    firmware: JSON = {"uuid": "5d307ca9-b3ef-428c-8861-06e72d69f223"}
    if draw(st.booleans()):
        firmware["serial"] = draw(st.sampled_from(["e4686d2c-6e8d-4335-b8fd-81bee22f4815", "SERIAL-1"]))
    loader = draw(st.sampled_from(["default", "bios", "efi", "efi-secure"] if arch == "amd64" else ["default", "efi"]))
    if loader == "bios":
        firmware["bootloader"] = {"bios": {"useSerial": draw(st.booleans())}}
    elif loader.startswith("efi"):
        efi: JSON = {"secureBoot": loader == "efi-secure"}
        if draw(st.booleans()):
            efi["persistent"] = True
        firmware["bootloader"] = {"efi": efi}
    return firmware


# Each volume source with the disk devices it can back.
def _volume_source(kind: str, name: str) -> JSON:
    sources: dict[str, JSON] = {
        "containerDisk": {"image": "quay.io/containerdisks/fedora:40"},
        "pvc-file": {"claimName": f"{name}-claim"},
        "pvc-block": {"claimName": f"{name}-claim"},
        "dataVolume": {"name": f"{name}-dv"},
        "hostDisk": {
            "path": f"/var/run/kubevirt-private/vmi-disks/{name}/disk.img", "type": "DiskOrCreate", "capacity": "1Gi"
        },
        "emptyDisk": {"capacity": "2Gi"},
        "cloudInitNoCloud": {"userData": "#cloud-config\n"},
        "cloudInitConfigDrive": {"userData": "#cloud-config\n"},
        "configMap": {"name": "config"},
        "secret": {"secretName": "secret"},
        "serviceAccount": {"serviceAccountName": "default"},
        "ephemeral": {"persistentVolumeClaim": {"claimName": f"{name}-claim"}},
        "sysprep": {"configMap": {"name": "unattend"}},
    }
    key = {"pvc-file": "persistentVolumeClaim", "pvc-block": "persistentVolumeClaim"}.get(kind, kind)
    return {"name": name, key: sources[kind]}


VOLUME_KINDS = ("containerDisk", "pvc-file", "pvc-block", "dataVolume", "hostDisk", "emptyDisk", "cloudInitNoCloud",
                "cloudInitConfigDrive", "configMap", "secret", "serviceAccount", "ephemeral", "sysprep")


@st.composite
def _disk(draw: st.DrawFn, arch: str, index: int, context: JSON) -> tuple[JSON, JSON]:
    name = f"disk{index}"
    kind = draw(st.sampled_from(VOLUME_KINDS))
    volume = _volume_source(kind, name)
    if kind == "pvc-block":
        context.setdefault("isBlockPVC", {})[name] = True
    if kind == "containerDisk":
        image_format = draw(st.sampled_from(["raw", "qcow2"]))
        context.setdefault("disksInfo", {})[name] = {"format": image_format, "backing-filename": "",
                                                     "actual-size": 1 << 28, "virtual-size": 1 << 30}
    if kind == "dataVolume" and draw(st.booleans()):
        context.setdefault("isBlockDV", {})[f"{name}-dv"] = True
    device = draw(st.sampled_from(["disk", "cdrom", "lun"] if kind.startswith(("pvc", "data")) else ["disk", "cdrom"]))
    bus = draw(st.sampled_from(DISK_BUSES[arch] if device != "lun" else ("scsi",)))
    if device == "cdrom" and bus == "virtio":
        bus = "scsi"
    disk: JSON = {"name": name, device: {"bus": bus}}
    if device == "lun" and draw(st.booleans()):
        disk["lun"]["reservation"] = True
    if device == "cdrom" and draw(st.booleans()):
        disk["cdrom"]["tray"] = draw(st.sampled_from(["open", "closed"]))
    if draw(st.booleans()):
        disk["bootOrder"] = index + 1
    if draw(st.booleans()):
        disk["cache"] = draw(st.sampled_from(["none", "writethrough", "writeback"]))
    if draw(st.booleans()):
        disk["io"] = draw(st.sampled_from(["native", "threads"]))
    if draw(st.booleans()):
        disk["serial"] = f"SER{index}"
    if bus == "virtio" and draw(st.booleans()):
        disk["dedicatedIOThread"] = True
    if draw(st.booleans()):
        disk["errorPolicy"] = draw(st.sampled_from(["stop", "ignore", "report", "enospace"]))
    if device == "disk" and draw(st.booleans()):
        disk["shareable"] = True
        disk["cache"] = "none"  # KubeVirt's admission requires it
    if draw(st.booleans()):
        disk["blockSize"] = {"custom": {"logical": 512, "physical": draw(st.sampled_from([512, 4096]))}}
    return disk, volume


@st.composite
def _interface(draw: st.DrawFn, index: int, context: JSON) -> tuple[JSON, JSON]:
    name = "default" if index == 0 else f"net{index}"
    binding = draw(st.sampled_from(["masquerade", "bridge"] if index == 0 else ["bridge", "masquerade"]))
    interface: JSON = {"name": name, binding: {}}
    network: JSON = {"name": name, "pod": {}}
    if index:
        network = {"name": name, "multus": {"networkName": f"nad{index}"}}
    context.setdefault("domainAttachmentByInterfaceName", {})[name] = "tap"
    if draw(st.booleans()):
        interface["model"] = draw(st.sampled_from(["virtio", "e1000", "e1000e", "rtl8139", "ne2k_pci", "pcnet"]))
    if draw(st.booleans()):
        interface["macAddress"] = draw(st.one_of(_mac(":"), _mac("-")))
    if draw(st.booleans()):
        interface["bootOrder"] = 10 + index
    if binding == "masquerade" and draw(st.booleans()):
        interface["ports"] = [{"port": 80}, {"name": "ssh", "port": 22, "protocol": "TCP"}]
    return interface, network


@st.composite
def _devices(draw: st.DrawFn, arch: str, context: JSON) -> tuple[JSON, list[JSON], list[JSON]]:
    devices: JSON = {}
    disks, volumes = [], []
    for index in range(draw(st.integers(0, 4))):
        disk, volume = draw(_disk(arch, index, context))
        disks.append(disk)
        volumes.append(volume)
    if disks:
        devices["disks"] = disks
    interfaces, networks = [], []
    for index in range(draw(st.integers(0, 2))):
        interface, network = draw(_interface(index, context))
        interfaces.append(interface)
        networks.append(network)
    if interfaces:
        devices["interfaces"] = interfaces
    elif draw(st.booleans()):
        devices["autoattachPodInterface"] = False
    for flag in ("autoattachGraphicsDevice", "autoattachSerialConsole", "autoattachMemBalloon",
                 "autoattachInputDevice", "autoattachVSOCK", "blockMultiQueue", "networkInterfaceMultiqueue",
                 "useVirtioTransitional", "disableHotplug"):
        if draw(st.booleans()):
            devices[flag] = draw(st.booleans())
    if draw(st.booleans()):
        devices["rng"] = {}
    if arch != "s390x" and draw(st.booleans()):
        devices["tpm"] = {"persistent": draw(st.booleans())} if arch == "amd64" else {}
    if arch != "arm64" and draw(st.booleans()):
        model = {"amd64": "i6300esb", "s390x": "diag288"}[arch]
        action = draw(st.sampled_from(["poweroff", "reset", "shutdown"]))
        devices["watchdog"] = {"name": "wd", model: {"action": action}}
    if arch != "s390x" and draw(st.booleans()):
        devices["sound"] = {"name": "audio", "model": draw(st.sampled_from(["ich9", "ac97"]))}
    if draw(st.booleans()):
        devices["inputs"] = [{"name": "tablet0", "type": "tablet", "bus": draw(st.sampled_from(["usb", "virtio"]))}]
    if arch == "amd64" and draw(st.booleans()):
        devices["panicDevices"] = [{"model": draw(st.sampled_from(["hyperv", "isa", "pvpanic"]))}]
    if draw(st.booleans()):
        devices["filesystems"] = [{"name": "shared", "virtiofs": {}}]
        volumes.append({"name": "shared", "persistentVolumeClaim": {"claimName": "shared"}})
    if draw(st.booleans()):
        devices["downwardMetrics"] = {}
    return devices, volumes, networks


@st.composite
def _memory(draw: st.DrawFn, domain: JSON) -> None:
    size = draw(st.sampled_from(["64Mi", "128Mi", "1Gi", "2Gi"]))
    domain["resources"] = {"requests": {"memory": size}}
    choice = draw(st.sampled_from(["plain", "guest", "hugepages", "hotplug"]))
    if choice == "guest":
        domain["memory"] = {"guest": size}
    elif choice == "hugepages":
        domain["memory"] = {"hugepages": {"pageSize": draw(st.sampled_from(["2Mi", "1Gi"]))}}
    elif choice == "hotplug":
        domain["memory"] = {"guest": "1Gi", "maxGuest": "4Gi"}
        domain["resources"] = {"requests": {"memory": "1Gi"}}


@st.composite
def _extras(draw: st.DrawFn, arch: str, vmi: JSON, context: JSON) -> None:
    """Capabilities beyond the basic devices, each drawn independently."""
    spec, domain, status = vmi["spec"], vmi["spec"]["domain"], vmi["status"]
    devices, firmware = domain["devices"], domain["firmware"]
    if arch == "amd64" and draw(st.integers(0, 5)) == 0:
        kind = draw(st.sampled_from(["sev", "sev-es", "snp", "tdx"]))
        security = {
            "sev": {"sev": {}},
            "sev-es": {"sev": {"policy": {"encryptedState": True}}},
            "snp": {"snp": {}},
            "tdx": {"tdx": {}},
        }
        domain["launchSecurity"] = security[kind]
        domain.setdefault("features", {})["smm"] = {"enabled": False}
        firmware["bootloader"] = {"efi": {"secureBoot": False}}
        context["useLaunchSecuritySEV"] = kind.startswith("sev")
        context["useLaunchSecurityTDX"] = kind == "tdx"
    if arch == "s390x" and draw(st.integers(0, 5)) == 0:
        context["useLaunchSecurityPV"] = True
    if draw(st.integers(0, 3)) == 0:
        boot: JSON = {"kernelArgs": draw(st.sampled_from(["console=ttyS0", ""]))}
        if draw(st.booleans()):
            boot["container"] = {
                "image": "quay.io/kernel:latest", "kernelPath": "/boot/vmlinuz", "initrdPath": "/boot/initrd"
            }
        firmware["kernelBoot"] = boot
    if arch == "amd64" and draw(st.integers(0, 4)) == 0:
        firmware["acpi"] = {draw(st.sampled_from(["slicNameRef", "msdmNameRef"])): "acpi-table"}
        spec["volumes"].append({"name": "acpi-table", "secret": {"secretName": "acpi"}})
    if draw(st.booleans()):
        status["VSOCKCID"] = draw(st.integers(3, 1000))
        devices["autoattachVSOCK"] = True
    if draw(st.integers(0, 3)) == 0:
        devices["clientPassthrough"] = {}
    if arch != "s390x" and draw(st.integers(0, 3)) == 0 and "interfaces" in devices:
        first = devices["interfaces"][0]
        for binding in ("masquerade", "bridge"):
            first.pop(binding, None)
        first.pop("ports", None)
        first["passtBinding"] = {}
        context["domainAttachmentByInterfaceName"].pop(first["name"], None)
        status["interfaces"] = [{"name": first["name"], "podInterfaceName": "eth0"}]
    if draw(st.integers(0, 4)) == 0:
        context["iommufdEnabled"] = True
    if draw(st.integers(0, 4)) == 0:
        cpu = domain.setdefault("cpu", {})
        cpu.update({"sockets": 1, "cores": 1, "threads": 1, "maxSockets": draw(st.integers(2, 4))})
    if arch == "amd64" and draw(st.integers(0, 4)) == 0:
        domain["ioThreadsPolicy"] = "supplementalPool"
        domain["ioThreads"] = {"supplementalPoolThreadCount": draw(st.integers(1, 4))}
    if draw(st.integers(0, 4)) == 0:
        spec["startStrategy"] = "Paused"
    if arch == "amd64" and draw(st.integers(0, 4)) == 0:
        domain.setdefault("features", {})["hypervPassthrough"] = {"enabled": True}
    if draw(st.integers(0, 4)) == 0:
        domain["reboot"] = {"policy": draw(st.sampled_from(["Reboot", "Terminate"]))}
    draw(_identity_and_placement(arch, vmi, context))
    draw(_pinning_and_host_devices(arch, vmi, context))
    for disk in devices.get("disks", []):
        if draw(st.integers(0, 5)) == 0:
            context.setdefault("applyCBT", {})[disk["name"]] = f"/var/lib/libvirt/qemu/cbt/{disk['name']}.qcow2"


_SMBIOS_KEYS = ("manufacturer", "family", "product", "sku", "version")
_CHASSIS_KEYS = ("manufacturer", "version", "serial", "asset", "sku")


@st.composite
def _identity_and_placement(draw: st.DrawFn, arch: str, vmi: JSON, context: JSON) -> None:
    """SMBIOS and chassis strings (some left out), guest PCI addresses, ACPI indexes, block sizes from facts."""
    domain, devices = vmi["spec"]["domain"], vmi["spec"]["domain"]["devices"]
    if draw(st.booleans()):
        keys = draw(st.lists(st.sampled_from(_SMBIOS_KEYS), unique=True))
        context["smbios"] = {key: f"{key}-1" for key in keys}
    if draw(st.integers(0, 3)) == 0:
        keys = draw(st.lists(st.sampled_from(_CHASSIS_KEYS), unique=True))
        domain["chassis"] = {key: f"chassis-{key}" for key in keys}
    for index, interface in enumerate(devices.get("interfaces", [])):
        if arch != "s390x" and draw(st.integers(0, 3)) == 0:
            interface["pciAddress"] = f"0000:{index + 10:02x}:01.0"
        if draw(st.integers(0, 3)) == 0:
            interface["acpiIndex"] = index + 1
    for disk in devices.get("disks", []):
        if "lun" not in disk and draw(st.integers(0, 4)) == 0:
            disk["blockSize"] = {"matchVolume": {"enabled": True}}
            context.setdefault("blockIO", {})[disk["name"]] = {
                "logical": 512, "physical": 4096, "discardGranularity": 4096, "fsBlockSize": 4096
            }
        if draw(st.integers(0, 5)) == 0:
            context.setdefault("volumesDiscardIgnore", []).append(disk["name"])
    if draw(st.integers(0, 4)) == 0:
        devices["autoattachGraphicsDevice"] = True
        context["bochsForEFIGuests"] = draw(st.booleans())


def _host_topology(cells: int, threads: int) -> JSON:
    """A node of `cells` NUMA cells with 8 CPUs each (pairs of hyperthread siblings when `threads` is 2)."""
    numa_cells = []
    for cell in range(cells):
        ids = list(range(cell * 8, cell * 8 + 8))
        groups = [ids[i:i + threads] for i in range(0, 8, threads)]
        numa_cells.append({"id": cell, "cpus": [{"id": c, "siblings": g} for g in groups for c in g]})
    return {"numaCells": numa_cells}


@st.composite
def _pinning_and_host_devices(draw: st.DrawFn, arch: str, vmi: JSON, context: JSON) -> None:
    """Dedicated CPUs (with NUMA passthrough and an isolated emulator thread), host devices from fragments."""
    domain = vmi["spec"]["domain"]
    if arch != "s390x" and draw(st.integers(0, 3)) == 0:
        cpu = domain.setdefault("cpu", {})
        cpu.pop("maxSockets", None)
        cores = draw(st.sampled_from([1, 2, 4]))
        cpu.update({"sockets": 1, "cores": cores, "threads": 1, "dedicatedCpuPlacement": True})
        if draw(st.booleans()):
            cpu["isolateEmulatorThread"] = True
        if draw(st.booleans()):
            cpu["numa"] = {"guestMappingPassthrough": {}}
            domain["memory"] = {"hugepages": {"pageSize": "2Mi"}}
            domain["resources"] = {"requests": {"memory": "1Gi"}}
        cells = draw(st.integers(1, 2))
        context["topology"] = _host_topology(cells, 1)
        context["cpuSet"] = list(range(cells * 8))
    if arch == "amd64" and draw(st.integers(0, 4)) == 0:
        domain["devices"]["gpus"] = [{"name": "gpu0", "deviceName": "nvidia.com/GRID"}]
        context["gpuHostDevices"] = [
            '<hostdev mode="subsystem" type="mdev" model="vfio-pci" managed="no">'
            '<source><address uuid="c2177883-f1bb-47f0-914d-32a22e3a8804"/></source>'
            '<alias name="ua-gpu-gpu0"/></hostdev>'
        ]
    if arch == "amd64" and draw(st.integers(0, 4)) == 0:
        domain["devices"]["hostDevices"] = [{"name": "dev0", "deviceName": "example.com/nic"}]
        context["genericHostDevices"] = [
            '<hostdev mode="subsystem" type="pci" managed="no"><source>'
            '<address domain="0x0000" bus="0x81" slot="0x01" function="0x0"/></source>'
            '<alias name="ua-hostdevice-dev0"/></hostdev>'
        ]


@st.composite
def generated_request(draw: st.DrawFn) -> tuple[JSON, JSON]:
    """A VMI as admitted (architecture and machine set) and the context a launcher would send."""
    arch = draw(st.sampled_from(ARCHITECTURES))
    context: JSON = {"architecture": arch, "allowEmulation": True, "smbios": {}, "hypervisorDeviceAvailable": True}
    domain: JSON = {"machine": {"type": MACHINES[arch]}}
    draw(_memory(domain))
    cpu = draw(_cpu(arch))
    if cpu:
        domain["cpu"] = cpu
    clock = draw(_clock())
    if clock:
        domain["clock"] = clock
    features = draw(_features(arch))
    if features:
        domain["features"] = features
    domain["firmware"] = draw(_firmware(arch))
    devices, volumes, networks = draw(_devices(arch, context))
    domain["devices"] = devices
    if arch == "amd64" and draw(st.booleans()):
        domain["ioThreadsPolicy"] = draw(st.sampled_from(["shared", "auto"]))
    spec: JSON = {"architecture": arch, "domain": domain, "volumes": volumes, "networks": networks}
    status: JSON = {}
    if arch == "amd64" and draw(st.booleans()):
        status["topologyHints"] = {"tscFrequency": draw(st.integers(1_000_000_000, 4_000_000_000))}
    vmi: JSON = {
        "apiVersion": "kubevirt.io/v1",
        "kind": "VirtualMachineInstance",
        "metadata": {"name": "generated", "namespace": "default", "uid": "0d9a8b1e-2f6c-4c43-9a51-4d3c3b7a1e11"},
        "spec": spec,
        "status": status,
    }
    draw(_extras(arch, vmi, context))
    if draw(st.booleans()):
        context["memBalloonStatsPeriod"] = 10
    if draw(st.booleans()):
        context["serialConsoleLog"] = True
    return vmi, context
