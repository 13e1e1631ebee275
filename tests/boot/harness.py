"""Boot a converted domain under QEMU/TCG with libvirt's embedded QEMU driver.

No libvirtd: `qemu:///embed?root=DIR` runs the QEMU driver inside this
process, keeping its state, logs and capability cache under DIR. Before a
domain is defined, `prepare_host` creates what it points at on the host
(disk images, backing chains, ISO placeholders, socket and log directories,
loop devices for block disks) inside a work directory, re-rooting every host
path the context could not place there. What it had to change is recorded
in `Prepared`, so a test can tell a converter bug from a host fixture.
"""

from __future__ import annotations

import ctypes
import json
import os
import re
import select
import shutil
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

try:
    import libvirt
    import libvirt_qemu
except ImportError:  # pragma: no cover - scripts/setup --test installs it
    libvirt = None

QEMU_BINARY = {
    "x86_64": "qemu-system-x86_64",
    "aarch64": "qemu-system-aarch64",
    "s390x": "qemu-system-s390x",
}
QEMU_PACKAGE = {"x86_64": "qemu-system-x86", "aarch64": "qemu-system-arm", "s390x": "qemu-system-misc"}

# Debian's firmware, handed to the converter as the context's efiConfiguration.
FIRMWARE = {
    "x86_64": ("/usr/share/OVMF/OVMF_CODE_4M.fd", "/usr/share/OVMF/OVMF_VARS_4M.fd"),
    "x86_64-secure": ("/usr/share/OVMF/OVMF_CODE_4M.secboot.fd", "/usr/share/OVMF/OVMF_VARS_4M.ms.fd"),
    "aarch64": ("/usr/share/AAVMF/AAVMF_CODE.fd", "/usr/share/AAVMF/AAVMF_VARS.fd"),
}

# The context's path roots (converter.context.DEFAULT_PATHS keys) and their
# directory names inside the work directory.
CONTEXT_ROOTS = {
    "cloudInitDir": "cloud-init",
    "ignitionDir": "ignition",
    "containerDiskDir": "container-disks",
    "ephemeralDiskDir": "ephemeral-disks",
    "virtiofsSocketDir": "virtiofs",
}

# Where hard-coded host directories go inside the work directory. Short names:
# a UNIX socket path (vnc, serial) must stay under 108 bytes.
HOST_DIRS = (
    ("/var/run/kubevirt-private/", "kp/"),
    ("/var/run/kubevirt/", "k/"),
    ("/var/run/libvirt/", "l/"),
    ("/var/lib/libvirt/", "vl/"),
    ("/dev/", "dev/"),
    ("/", "h/"),
)

# Host paths the converter emits that no context root covers (KubeVirt
# hard-codes them). A boot re-roots them into the work directory; a path
# outside this list is a new hard-coded path and fails the boot test.
HARDCODED_PATHS = {
    "/var/run/kubevirt-private/<vmi-uid>/": "VNC socket virt-vnc, serial socket virt-serial0 and its log",
    "/var/run/kubevirt-private/vmi-disks/": "file images of PVCs, DataVolumes and hostDisks",
    "/var/run/kubevirt-private/secret-disks/": "secret ISOs",
    "/var/run/kubevirt-private/config-map-disks/": "configMap ISOs",
    "/var/run/kubevirt-private/service-account-disk/": "service account ISO",
    "/var/run/kubevirt-private/downwardapi-disks/": "downwardAPI ISOs",
    "/var/run/kubevirt-private/sysprep-disks/": "sysprep ISOs",
    "/var/run/kubevirt-private/libvirt/qemu/nvram/": "EFI variable store",
    "/var/lib/libvirt/qemu/nvram/": "EFI variable store (arm64 default)",
    "/var/run/kubevirt/hotplug-disks/": "hotplugged volumes",
    "/var/run/libvirt/empty-disks/": "emptyDisk images",
    "/dev/<volume>": "block PVCs and DataVolumes",
}
_HARDCODED_RE = [
    re.compile(re.escape(p).replace(re.escape("<vmi-uid>"), "[0-9a-f-]{36}").replace(re.escape("<volume>"), "[^/]+$"))
    for p in HARDCODED_PATHS
]


def hardcoded_entry(path: str) -> str | None:
    """The HARDCODED_PATHS entry that explains `path`, if any."""
    return next((entry for entry, r in zip(HARDCODED_PATHS, _HARDCODED_RE, strict=True) if r.match(path)), None)


def unknown_hardcoded(paths: list[str]) -> list[str]:
    """The paths in `paths` that no HARDCODED_PATHS entry explains."""
    return [p for p in paths if hardcoded_entry(p) is None]


# Host paths that exist on any Debian host and are used as they are.
SYSTEM_PREFIXES = ("/dev/urandom", "/dev/random", "/dev/hwrng", "/usr/share/")


DISK_MIB = 16
ISO_MIB = 1

# Embedded driver settings: no virtlogd (QEMU writes its own log), QEMU runs
# as the test's user, and no confinement, cgroups or private /dev, none of
# which a conversion decides and all of which a container may not allow.
QEMU_CONF = """\
stdio_handler = "file"
user = "+0"
group = "+0"
swtpm_user = "+0"
swtpm_group = "+0"
dynamic_ownership = 0
remember_owner = 0
security_driver = "none"
cgroup_controllers = [ ]
namespaces = [ ]
"""


def missing_emulator(arch: str) -> str | None:
    """Why a domain of this architecture cannot start here, or None."""
    binary = QEMU_BINARY.get(arch)
    if binary is None:
        return f"no QEMU emulator known for architecture {arch!r}"
    if shutil.which(binary) is None:
        return f"{binary} not installed ({QEMU_PACKAGE[arch]}): run scripts/setup-boot"
    if shutil.which("qemu-img") is None:
        return "qemu-img not installed (qemu-utils): run scripts/setup-boot"
    if libvirt is None:
        return "libvirt-python not installed: run scripts/setup --test"
    return None


def context_paths(workdir: Path) -> dict[str, str]:
    """The context's `paths` rooted in the work directory."""
    return {key: str(workdir / name) for key, name in CONTEXT_ROOTS.items()}


# --- preparing the host --------------------------------------------------------------------------


@dataclass
class Prepared:
    xml: str
    # original host path -> where the test put it (paths the context did not root)
    rewritten: dict[str, str] = field(default_factory=dict)
    # test-only edits of the domain, one line each
    edits: list[str] = field(default_factory=list)
    loop_devices: list[str] = field(default_factory=list)


@dataclass
class _Host:
    workdir: Path
    prepared: Prepared
    keep_roots: tuple[str, ...]

    def place(self, path: str) -> str:
        """Where `path` lives for this boot: unchanged inside the work dir or a system path."""
        if not path or any(path.startswith(p) for p in (*self.keep_roots, *SYSTEM_PREFIXES)):
            return path
        prefix, short = next((p, s) for p, s in HOST_DIRS if path.startswith(p))
        moved = str(self.workdir / (short + path[len(prefix) :]))
        self.prepared.rewritten[path] = moved
        return moved


def prepare_host(
    xml: str,
    workdir: Path,
    *,
    path_map: dict[str, str] | None = None,
    keep_network: bool = False,
) -> Prepared:
    """Create on the host what the domain points at; re-root paths outside `workdir`.

    `path_map` maps path prefixes to replacements before anything else
    (used to stand KubeVirt's own outputs, made with default roots, in the
    work directory). Interfaces of type ethernet are removed unless
    `keep_network`: their tap device is made by KubeVirt's network setup.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    root = etree.fromstring(xml.encode())
    prepared = Prepared(xml="")
    host = _Host(workdir, prepared, (str(workdir) + "/",))
    if path_map:
        _map_prefixes(root, path_map)
    if not keep_network:
        _drop_tapless_interfaces(root, prepared)
    _preserve_on_crash(root, prepared)
    _prepare_firmware(root, host)
    _prepare_disks(root, host)
    _prepare_chardevs(root, host)
    prepared.xml = etree.tostring(root, encoding="unicode")
    return prepared


def release_host(prepared: Prepared) -> None:
    for device in prepared.loop_devices:
        subprocess.run(["losetup", "--detach", device], check=False)


# Elements and attributes (None: element text) that hold a host path.
PATH_NODES = (
    ("//disk/source", "file"),
    ("//disk/source", "dev"),
    ("//disk//backingStore/source", "file"),
    ("//disk//backingStore/source", "dev"),
    ("//graphics/listen", "socket"),
    ("//graphics", "socket"),  # libvirt's own XML repeats the listen socket here
    ("//serial/source | //console/source | //channel/source", "path"),
    ("//serial/log | //console/log | //channel/log", "file"),
    ("/domain/os/loader", None),
    ("/domain/os/nvram", None),
    ("/domain/os/nvram", "template"),
    ("/domain/os/kernel", None),
    ("/domain/os/initrd", None),
    ("//filesystem/source", "socket"),
)


def _map_prefixes(root: etree._Element, path_map: dict[str, str]) -> None:
    for xpath, attr in PATH_NODES:
        for node in root.xpath(xpath):
            value = node.text if attr is None else node.get(attr)
            if not value:
                continue
            for old, new in path_map.items():
                if value == old or value.startswith(old.rstrip("/") + "/"):
                    value = new + value[len(old) :]
                    break
            if attr is None:
                node.text = value
            else:
                node.set(attr, value)


def _drop_tapless_interfaces(root: etree._Element, prepared: Prepared) -> None:
    for iface in root.xpath("/domain/devices/interface[@type='ethernet']"):
        if iface.find("target") is None:
            alias = iface.find("alias")
            name = alias.get("name") if alias is not None else "?"
            iface.getparent().remove(iface)
            prepared.edits.append(f"removed <interface type='ethernet'> {name} (its tap is made by the pod network)")


def _preserve_on_crash(root: etree._Element, prepared: Prepared) -> None:
    """Keep QEMU up after a guest panic so the check can ask it why (libvirt's default destroys it)."""
    if root.find("on_crash") is None:
        etree.SubElement(root, "on_crash").text = "preserve"
        prepared.edits.append("added <on_crash>preserve</on_crash>")


def _prepare_firmware(root: etree._Element, host: _Host) -> None:
    os_node = root.find("os")
    if os_node is None:
        return
    arch = os_node.find("type").get("arch", "x86_64") if os_node.find("type") is not None else "x86_64"
    for name in ("kernel", "initrd"):
        node = os_node.find(name)
        if node is not None and node.text:
            node.text = host.place(node.text)
            path = Path(node.text)
            path.parent.mkdir(parents=True, exist_ok=True)
            if not path.exists():
                path.write_bytes(stub_kernel(arch) if name == "kernel" else b"\0" * 512)
    nvram = os_node.find("nvram")
    if nvram is not None and nvram.text:
        nvram.text = host.place(nvram.text)
        Path(nvram.text).parent.mkdir(parents=True, exist_ok=True)


def stub_kernel(arch: str) -> bytes:
    """The smallest kernel QEMU loads: an empty file fails ("could not load kernel ...: No such
    file or directory"). x86 needs a Linux boot header; other machines load a raw image."""
    image = bytearray(16 * 1024)
    if arch in ("x86_64", "i686"):
        setup_sects = 4
        image[0x1F1] = setup_sects
        image[0x1FE:0x200] = b"\x55\xaa"
        image[0x202:0x206] = b"HdrS"
        struct.pack_into("<H", image, 0x206, 0x020F)  # boot protocol 2.15
        image[0x211] = 0x01  # loaded high
        struct.pack_into("<I", image, 0x22C, 0x37FFFFFF)  # highest initrd address
        entry = (setup_sects + 1) * 512
        image[entry : entry + 3] = b"\xf4\xeb\xfd"  # hlt; jmp back to hlt
    return bytes(image)


def _prepare_disks(root: etree._Element, host: _Host) -> None:
    for disk in root.xpath("/domain/devices/disk"):
        driver = disk.find("driver")
        fmt = driver.get("type", "raw") if driver is not None else "raw"
        _prepare_image(disk, fmt, disk.get("device", "disk"), host)


def _prepare_image(node: etree._Element, fmt: str, device: str, host: _Host) -> None:
    """Create the image behind `node` (a disk or a backingStore), its backing chain first."""
    source = node.find("source")
    if source is None:
        return
    backing = node.find("backingStore")
    backing_path, backing_fmt = "", ""
    if backing is not None and backing.find("source") is not None:
        fmt_node = backing.find("format")
        backing_fmt = fmt_node.get("type", "raw") if fmt_node is not None else "raw"
        _prepare_image(backing, backing_fmt, device, host)
        src = backing.find("source")
        backing_path = src.get("file") or src.get("dev") or ""
    if node.get("type") == "block":
        if source.get("dev"):  # an ejected CD-ROM has an empty <source/>
            _prepare_block(node, source, host)
        return
    path = source.get("file")
    if not path:
        return
    path = host.place(path)
    source.set("file", path)
    if not Path(path).exists():
        mib = ISO_MIB if path.endswith(".iso") or device == "cdrom" else DISK_MIB
        _qemu_img_create(Path(path), fmt, mib, backing_path, backing_fmt)


def _qemu_img_create(path: Path, fmt: str, mib: int, backing: str, backing_fmt: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    cmd = ["qemu-img", "create", "-q", "-f", fmt]
    if backing:
        cmd += ["-b", backing, "-F", backing_fmt]
    cmd += [str(path), f"{mib}M"]
    subprocess.run(cmd, check=True, capture_output=True)


def _prepare_block(node: etree._Element, source: etree._Element, host: _Host) -> None:
    """A loop device over a raw file, linked at the (re-rooted) device path.

    Without loop devices (no losetup, no /dev/loop-control) the disk becomes
    a file disk over the same image, and that edit is recorded.
    """
    dev = source.get("dev", "")
    link = Path(host.place(dev))
    image = link.with_name(link.name + ".img")
    if not image.exists():
        _qemu_img_create(image, "raw", DISK_MIB, "", "")
    if not link.exists():
        try:
            loop = subprocess.run(
                ["losetup", "--find", "--show", str(image)], check=True, capture_output=True, text=True
            ).stdout.strip()
        except (OSError, subprocess.CalledProcessError) as err:
            node.set("type", "file")
            del source.attrib["dev"]
            source.attrib.pop("name", None)
            source.set("file", str(image))
            host.prepared.edits.append(f"block disk {dev} became a file disk (no loop device: {err})")
            return
        host.prepared.loop_devices.append(loop)
        link.symlink_to(loop)
    source.set("dev", str(link))


def _prepare_chardevs(root: etree._Element, host: _Host) -> None:
    """Sockets QEMU binds and logs it writes need their directory."""
    nodes = [(n, "socket") for n in root.xpath("/domain/devices/graphics/listen[@socket]")]
    nodes += [(n, "socket") for n in root.xpath("/domain/devices/graphics[@socket]")]
    nodes += [(n, "path") for n in root.xpath("/domain/devices/*/source[@path]")]
    nodes += [(n, "file") for n in root.xpath("/domain/devices/*/log[@file]")]
    nodes += [(n, "socket") for n in root.xpath("/domain/devices/filesystem/source[@socket]")]
    for node, attr in nodes:
        path = host.place(node.get(attr))
        node.set(attr, path)
        Path(path).parent.mkdir(parents=True, exist_ok=True)


# --- KubeVirt's own outputs as a control --------------------------------------------------------


def kubevirt_reference_for_tcg(
    xml: str,
    firmware: tuple[str, str] | None,
    cross_arch: bool,
    edit: Callable[[etree._Element], None] | None = None,
) -> Prepared:
    """KubeVirt's expected domain (made for KVM) edited to what TCG on this host can run.

    These are the edits the converter makes itself from the boot test's
    context (domain type, firmware paths, cross-arch CPU) plus the VMI
    simplifications the test applies (see test_boot.CASES).
    """
    root = etree.fromstring(xml.encode())
    prepared = Prepared(xml="")
    root.set("type", "qemu")
    loader = root.find("os/loader")
    if loader is not None and firmware:
        loader.text = firmware[0]
        nvram = root.find("os/nvram")
        if nvram is not None and nvram.get("template"):
            nvram.set("template", firmware[1])
        prepared.edits.append(f"firmware: {firmware[0]}")
    if root.find("os/type").get("arch") != "x86_64":
        for timer in root.xpath("/domain/clock/timer[@name='kvmclock' or @name='hypervclock']"):
            timer.getparent().remove(timer)
            prepared.edits.append(f"removed {timer.get('name')} timer (x86 only)")
    for vpindex in root.xpath("/domain/features/hyperv/vpindex"):
        vpindex.getparent().remove(vpindex)
        prepared.edits.append("removed hyperv vpindex (QEMU 7.2 TCG refuses hv-vpindex)")
    cpu = root.find("cpu")
    if cross_arch and cpu is not None and cpu.get("mode", "").startswith("host-"):
        cpu.set("mode", "custom")
        etree.SubElement(cpu, "model").text = "max"
        cpu.insert(0, cpu[-1])
        prepared.edits.append("cpu: custom max (cross-arch TCG)")
    if edit:
        edit(root)
        prepared.edits.append(f"case edit: {edit.__name__}")
    prepared.xml = etree.tostring(root, encoding="unicode")
    return prepared


# --- the embedded driver -------------------------------------------------------------------------

_loop_lock = threading.Lock()
_loop_started = False


def _start_event_loop() -> None:
    """The embedded driver needs an event loop in this process; one daemon thread runs it."""
    global _loop_started
    with _loop_lock:
        if _loop_started:
            return
        libvirt.virEventRegisterDefaultImpl()

        def run() -> None:
            while True:
                libvirt.virEventRunDefaultImpl()

        threading.Thread(target=run, name="libvirt-event-loop", daemon=True).start()
        _loop_started = True


class QemuReaper:
    """Adopt and reap the domain QEMU processes the embedded driver starts.

    A domain's QEMU is daemonized, so it is re-parented to PID 1. On destroy
    libvirt waits for it by polling until its PID is gone; where PID 1 reaps
    lazily (some container inits) each destroy then waits for that init
    (1.4-1.8 s here instead of 0.2 s). As a child subreaper this process
    adopts those QEMUs instead and reaps exactly the PIDs written in the
    driver's pidfiles (domains and capability probes, both daemonized):
    never a direct child that libvirt or `subprocess` waits for itself.
    """

    PR_SET_CHILD_SUBREAPER = 36

    def __init__(self, root: Path) -> None:
        self._root = root
        self._seen: set[int] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="qemu-reaper", daemon=True)
        self.active = self._set_subreaper(1)
        if self.active:
            self._thread.start()

    def _set_subreaper(self, on: int) -> bool:
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            return bool(libc.prctl(self.PR_SET_CHILD_SUBREAPER, on, 0, 0, 0) == 0)
        except (OSError, AttributeError):
            return False

    def _daemon_pids(self) -> set[int]:
        """PIDs from the driver's pidfiles: domains (run/qemu) and capability probes (lib/qemu/qmp-*)."""
        for pidfile in self._root.glob("run/qemu/*.pid"):
            self._note(pidfile)
        for pidfile in self._root.glob("lib/qemu/qmp-*/*.pid"):
            self._note(pidfile)
        return self._seen

    def _note(self, pidfile: Path) -> None:
        if pidfile.name != "driver.pid":
            with suppress(OSError, ValueError):
                self._seen.add(int(pidfile.read_text().strip()))

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            for pid in list(self._daemon_pids()):
                try:
                    done, _ = os.waitpid(pid, os.WNOHANG)
                except ChildProcessError:  # gone, or not (yet) adopted by this process
                    done = pid if not Path(f"/proc/{pid}").exists() else 0
                if done:
                    self._seen.discard(pid)

    def close(self) -> None:
        if self.active:
            self._stop.set()
            self._thread.join()
            self._set_subreaper(0)


@dataclass
class BootRecord:
    name: str
    arch: str
    stages: dict[str, float]
    prepared: Prepared


# every boot of this test run, for the summary
BOOT_LOG: list[BootRecord] = []


class BootFailure(Exception):
    """libvirt or QEMU refused to start a domain (the message ends with QEMU's log)."""


@dataclass
class BootResult:
    state: int
    # seconds per stage: define, start, check, destroy, undefine
    stages: dict[str, float]
    qemu_status: str

    @property
    def seconds(self) -> float:
        return sum(self.stages.values())


class Stopwatch:
    def __init__(self) -> None:
        self.stages: dict[str, float] = {}
        self._last = time.monotonic()

    def lap(self, stage: str) -> None:
        now = time.monotonic()
        self.stages[stage] = now - self._last
        self._last = now


class EmbeddedQemu:
    """One embedded QEMU driver rooted in `root` (libvirt allows one per process)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "etc").mkdir(parents=True, exist_ok=True)
        (root / "etc" / "qemu.conf").write_text(QEMU_CONF)
        self.reaper = QemuReaper(root)
        _start_event_loop()
        libvirt.registerErrorHandler(lambda *_: None, None)
        self.conn = libvirt.open(f"qemu:///embed?root={root}")

    def close(self) -> None:
        self.conn.close()
        self.reaper.close()

    def qemu_log(self, name: str) -> str:
        log = self.root / "log" / "qemu" / f"{name}.log"
        return log.read_text(errors="replace") if log.exists() else ""

    def boot(
        self, xml: str, settle: float = 0.2, while_running: Callable[[libvirt.virDomain], None] | None = None
    ) -> BootResult:
        """Define, start, check it runs, destroy, undefine; time each stage.

        The check asks QEMU itself (QMP query-status) after `settle` seconds,
        so a QEMU that starts and then dies on its own device setup fails.
        `while_running` gets the running domain after the check (stage "flows").
        Raises libvirt.libvirtError when libvirt refuses the definition and
        BootFailure (QEMU's log appended) when the domain does not run.
        """
        watch = Stopwatch()
        dom = self.conn.defineXML(xml)
        watch.lap("define")
        name = dom.name()
        try:
            dom.create()
            watch.lap("start")
            time.sleep(settle)
            state, _reason = dom.state()
            reply = libvirt_qemu.qemuMonitorCommand(dom, '{"execute": "query-status"}', 0)
            status = str(json.loads(reply)["return"]["status"])
            watch.lap("check")
            if while_running is not None:
                while_running(dom)
                watch.lap("flows")
        except libvirt.libvirtError as err:
            raise BootFailure(f"{err}\n--- QEMU log ---\n{self.qemu_log(name)}") from err
        finally:
            if dom.isActive():
                dom.destroy()
                watch.lap("destroy")
            dom.undefineFlags(libvirt.VIR_DOMAIN_UNDEFINE_NVRAM)
            watch.lap("undefine")
        return BootResult(state, watch.stages, status)


class SecondHost:
    """Another embedded libvirt, in a child process (libvirt opens one embedded driver per process).

    It shares the first driver's QEMU capability cache (`seed`): the same host, the same
    emulators, so each architecture is probed once per run, not once per driver.
    """

    CAPABILITIES = Path("cache/qemu/capabilities")
    ANSWER_TIMEOUT = 120  # seconds; a paused start takes about one

    def __init__(self, root: Path, seed: Path) -> None:
        self._root, self._seed = root, seed
        script = Path(__file__).with_name("second_host.py")
        self._process = subprocess.Popen(
            [sys.executable, str(script), str(root)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )

    def _share_capabilities(self) -> None:
        target = self._root / self.CAPABILITIES
        target.mkdir(parents=True, exist_ok=True)
        for cached in (self._seed / self.CAPABILITIES).glob("*.xml"):
            if not (target / cached.name).exists():
                shutil.copy2(cached, target / cached.name)

    def start_paused(self, xml: str) -> dict[str, object]:
        """Define and start `xml` paused there, then destroy and undefine it: second_host.start_paused's answer."""
        assert self._process.stdin is not None and self._process.stdout is not None
        self._share_capabilities()
        self._process.stdin.write(json.dumps({"xml": xml}) + "\n")
        self._process.stdin.flush()
        ready, _, _ = select.select([self._process.stdout], [], [], self.ANSWER_TIMEOUT)
        if not ready:  # a hung libvirt must fail the test, not stall the run
            self._process.kill()
            raise BootFailure(f"the second libvirt did not answer within {self.ANSWER_TIMEOUT} s")
        line = self._process.stdout.readline()
        if not line:
            raise BootFailure(f"the second libvirt exited ({self._process.wait()})")
        answer: dict[str, object] = json.loads(line)
        return answer

    def close(self) -> None:
        if self._process.stdin is not None:
            self._process.stdin.close()
        try:
            self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()


@contextmanager
def embedded_qemu(root: Path) -> Iterator[EmbeddedQemu]:
    driver = EmbeddedQemu(root)
    try:
        yield driver
    finally:
        driver.close()


def running(state: int) -> bool:
    return bool(state == libvirt.VIR_DOMAIN_RUNNING)
