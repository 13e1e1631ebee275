"""deploy/ manifests and the Dockerfile: they parse, and what they pass the server is what it accepts."""

from __future__ import annotations

import json
import re
import shlex
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from ops_harness import REPO

from vmi_converter.server.cli import _parser, serve_config
from vmi_converter.server.config import ServerConfig, socket_path, split_host_port

DEPLOY = REPO / "deploy"


def _documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]


def _serve_args(container: dict[str, Any]) -> ServerConfig:
    args = _parser().parse_args(["serve", *container["args"]])
    return serve_config(args)


def _validated(config: ServerConfig, tmp_path: Path) -> ServerConfig:
    """Validate with the TLS files (mounted from a secret in the cluster) standing in as temporary files."""
    stand_ins = {}
    for name in ("tls_cert", "tls_key", "tls_client_ca"):
        if getattr(config, name):
            stand_in = tmp_path / name
            stand_in.write_text("pem")
            stand_ins[name] = str(stand_in)
    return config.with_changes(**stand_ins).validate()


# --- the sidecar ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pod() -> dict[str, Any]:
    (document,) = _documents(DEPLOY / "sidecar" / "pod.yaml")
    return document


def test_sidecar_pod_shares_the_socket_directory(pod: dict[str, Any]) -> None:
    assert (pod["apiVersion"], pod["kind"]) == ("v1", "Pod")
    spec = pod["spec"]
    (sidecar,) = spec["initContainers"]
    (launcher,) = spec["containers"]
    assert sidecar["restartPolicy"] == "Always"  # a native sidecar: up before the launcher, down after it
    (volume,) = spec["volumes"]
    assert "emptyDir" in volume
    mounts = {c["name"]: {m["name"]: m["mountPath"] for m in c["volumeMounts"]} for c in (sidecar, launcher)}
    assert mounts["vmi-converter"][volume["name"]] == mounts["launcher"][volume["name"]]

    config = _serve_args(sidecar)
    assert config.listen == ["unix:/var/run/vmi-converter/converter.sock"]
    assert config.workers == 1
    assert config.unix_socket_mode == 0o600
    socket_dir = str(Path(socket_path(config.listen[0])).parent)
    assert socket_dir == mounts["vmi-converter"][volume["name"]]
    env = {e["name"]: e["value"] for e in launcher["env"]}
    assert socket_path(env["VMI_CONVERTER_ADDRESS"]) == socket_path(config.listen[0])


def test_sidecar_runs_as_the_launchers_user_and_probes_the_socket(pod: dict[str, Any]) -> None:
    spec = pod["spec"]
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert "runAsUser" not in spec["initContainers"][0].get("securityContext", {})
    assert "runAsUser" not in spec["containers"][0].get("securityContext", {})
    sidecar = spec["initContainers"][0]
    listen = _serve_args(sidecar).listen[0]
    for probe in ("startupProbe", "livenessProbe"):
        command = sidecar[probe]["exec"]["command"]
        health = _parser().parse_args(command[1:])
        assert command[0] == "vmi-converter"
        assert health.target == listen
    assert sidecar["securityContext"]["readOnlyRootFilesystem"] is True
    assert sidecar["resources"]["requests"]["memory"]


# --- the service -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def all_service_docs() -> list[dict[str, Any]]:
    return _documents(DEPLOY / "service" / "vmi-converter.yaml")


@pytest.fixture(scope="module")
def service_docs(all_service_docs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """One document per kind; of the two Services, the ClusterIP one."""
    return {doc["kind"]: doc for doc in all_service_docs if doc["spec"].get("clusterIP") != "None"}


@pytest.fixture(scope="module")
def headless(all_service_docs: list[dict[str, Any]]) -> dict[str, Any]:
    (service,) = [doc for doc in all_service_docs if doc["spec"].get("clusterIP") == "None"]
    return service


def test_service_manifest_kinds(all_service_docs: list[dict[str, Any]]) -> None:
    kinds = sorted((doc["apiVersion"], doc["kind"], doc["metadata"]["name"]) for doc in all_service_docs)
    assert kinds == [
        ("apps/v1", "Deployment", "vmi-converter"),
        ("autoscaling/v2", "HorizontalPodAutoscaler", "vmi-converter"),
        ("policy/v1", "PodDisruptionBudget", "vmi-converter"),
        ("v1", "Service", "vmi-converter"),
        ("v1", "Service", "vmi-converter-headless"),
    ]


def test_images_are_the_tag_build_image_gives() -> None:
    """scripts/build-image tags vmi-converter:VERSION (pyproject.toml); the manifests run that image."""
    version = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    containers = [
        *_documents(DEPLOY / "sidecar" / "pod.yaml")[0]["spec"]["initContainers"],
        *_documents(DEPLOY / "service" / "vmi-converter.yaml")[0]["spec"]["template"]["spec"]["containers"],
    ]
    assert [c["image"] for c in containers] == [f"vmi-converter:{version}"] * 2
    script = (REPO / "scripts" / "build-image").read_text()
    assert "TAG=vmi-converter:$VERSION" in script


def test_headless_service_lists_every_pod_for_round_robin(
    service_docs: dict[str, dict[str, Any]], headless: dict[str, Any]
) -> None:
    """Clients dial the headless Service's name, which resolves to each ready pod, and balance per call."""
    deployment = service_docs["Deployment"]
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert headless["spec"]["selector"].items() <= labels.items()
    assert not headless["spec"].get("publishNotReadyAddresses", False)  # only pods whose readiness passed
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    grpc_port = split_host_port(_serve_args(container).listen[0])[1]
    (port,) = headless["spec"]["ports"]
    assert (port["port"], port["targetPort"], port["appProtocol"]) == (grpc_port, "grpc", "grpc")


def test_autoscaler_scales_the_deployment_on_cpu(service_docs: dict[str, dict[str, Any]]) -> None:
    hpa, deployment = service_docs["HorizontalPodAutoscaler"], service_docs["Deployment"]
    target = hpa["spec"]["scaleTargetRef"]
    assert (target["apiVersion"], target["kind"], target["name"]) == ("apps/v1", "Deployment", "vmi-converter")
    assert deployment["metadata"]["name"] == "vmi-converter"
    assert "replicas" not in deployment["spec"]  # the autoscaler owns the count; kubectl apply must not reset it
    (metric,) = hpa["spec"]["metrics"]
    assert metric["type"] == "Resource" and metric["resource"]["name"] == "cpu"
    assert metric["resource"]["target"]["type"] == "Utilization"
    assert 0 < metric["resource"]["target"]["averageUtilization"] <= 100
    # Utilization is relative to the request: there must be one.
    assert deployment["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]["cpu"]
    # The disruption budget keeps one pod; the autoscaler never goes below two.
    assert hpa["spec"]["minReplicas"] > service_docs["PodDisruptionBudget"]["spec"]["minAvailable"]
    assert hpa["spec"]["maxReplicas"] > hpa["spec"]["minReplicas"]


def test_deployment_arguments_are_valid_and_tls_is_on(service_docs: dict[str, dict[str, Any]], tmp_path: Path) -> None:
    (container,) = service_docs["Deployment"]["spec"]["template"]["spec"]["containers"]
    config = _validated(_serve_args(container), tmp_path)
    assert config.tls_mode == "mutual"
    assert not config.insecure
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    for path in (config.tls_cert, config.tls_key, config.tls_client_ca):
        assert path is not None
    assert _serve_args(container).tls_cert == f"{mounts['tls']}/tls.crt"
    assert _serve_args(container).tls_client_ca == f"{mounts['tls']}/ca.crt"
    assert mounts["tmp"] == "/tmp"  # the workers' metrics files, under a read-only root filesystem


def test_probes_ask_the_plaintext_health_port(service_docs: dict[str, dict[str, Any]]) -> None:
    (container,) = service_docs["Deployment"]["spec"]["template"]["spec"]["containers"]
    config = _serve_args(container)
    health_port = split_host_port(config.health_listen[0])[1]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports["grpc-health"] == health_port
    assert container["readinessProbe"]["grpc"] == {"port": health_port, "service": "kubevirt.converter.v1.Converter"}
    assert container["livenessProbe"]["grpc"] == {"port": health_port}
    assert ports["grpc"] == split_host_port(config.listen[0])[1]


def test_prometheus_annotations_match_the_metrics_port(service_docs: dict[str, dict[str, Any]]) -> None:
    template = service_docs["Deployment"]["spec"]["template"]
    (container,) = template["spec"]["containers"]
    annotations = template["metadata"]["annotations"]
    config = _serve_args(container)
    assert config.metrics_listen is not None
    metrics_port = split_host_port(config.metrics_listen)[1]
    assert annotations == {
        "prometheus.io/scrape": "true",
        "prometheus.io/port": str(metrics_port),
        "prometheus.io/path": "/metrics",
    }
    assert {p["name"]: p["containerPort"] for p in container["ports"]}["metrics"] == metrics_port


def test_resources_and_shutdown_budget(service_docs: dict[str, dict[str, Any]]) -> None:
    pod_spec = service_docs["Deployment"]["spec"]["template"]["spec"]
    (container,) = pod_spec["containers"]
    assert set(container["resources"]["requests"]) == {"cpu", "memory"}
    config = _serve_args(container)
    assert int(container["resources"]["limits"]["cpu"]) == config.workers
    # Kubernetes must not SIGKILL before the delay and the grace are over.
    assert pod_spec["terminationGracePeriodSeconds"] > config.shutdown_delay + config.grace


def test_service_selects_the_pods_and_targets_named_ports(service_docs: dict[str, dict[str, Any]]) -> None:
    deployment, service = service_docs["Deployment"], service_docs["Service"]
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= labels.items()
    assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
    port_names = {p["name"] for p in deployment["spec"]["template"]["spec"]["containers"][0]["ports"]}
    assert {p["targetPort"] for p in service["spec"]["ports"]} <= port_names
    assert {p["name"]: p.get("appProtocol") for p in service["spec"]["ports"]}["grpc"] == "grpc"


# --- the Dockerfile --------------------------------------------------------------------------


def _instructions() -> list[tuple[str, str]]:
    text = (REPO / "Dockerfile").read_text().replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "") for line in lines]


def _exec_form(value: str) -> list[str]:
    parsed: list[str] = json.loads(value)
    return parsed


def test_dockerfile_is_multi_stage_non_root_with_a_health_check(tmp_path: Path) -> None:
    instructions = _instructions()
    froms = [value for op, value in instructions if op == "FROM"]
    assert len(froms) == 2 and froms[0].endswith(" AS build")
    assert any(op == "COPY" and value.startswith("--from=build ") for op, value in instructions)
    (user,) = [value for op, value in instructions if op == "USER"]
    assert re.fullmatch(r"[1-9][0-9]*:[1-9][0-9]*", user)
    last_from = max(i for i, (op, _) in enumerate(instructions) if op == "FROM")
    runtime = instructions[last_from:]
    assert not any(op == "RUN" and "pip install" in value for op, value in runtime)  # nothing built at run time

    entrypoint = _exec_form(next(v for op, v in instructions if op == "ENTRYPOINT"))
    cmd = _exec_form(next(v for op, v in instructions if op == "CMD"))
    assert entrypoint == ["vmi-converter", "serve"]
    config = _validated(serve_config(_parser().parse_args(entrypoint[1:] + cmd)), tmp_path)
    exposed = {int(p) for op, v in instructions if op == "EXPOSE" for p in v.split()}
    listened = {
        split_host_port(a)[1] for a in [*config.listen, *config.health_listen, config.metrics_listen or ""] if a
    }
    assert exposed == listened

    healthcheck = next(v for op, v in instructions if op == "HEALTHCHECK")
    probe = _exec_form(healthcheck[healthcheck.index("CMD") + 3 :].strip())
    assert probe[:2] == ["vmi-converter", "health"]
    assert _parser().parse_args(probe[1:]).target == "127.0.0.1:" + config.health_listen[0].rpartition(":")[2]


def test_dockerignore_keeps_tests_out() -> None:
    ignored = shlex.split((REPO / ".dockerignore").read_text(), comments=True)
    assert {"tests", ".git", "bench", "deploy"} <= set(ignored)
