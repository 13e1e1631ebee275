"""`vmi-converter migratable-xml | hotplug-disk | explain FILE`: the RPCs' requests from files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import EXPECTED_DIR, load_request

from vmi_converter.converter.explain import explain
from vmi_converter.server.cli import main


def test_flow_with_bad_xml_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"domainXml": "<domain", "vmi": {"metadata": {"name": "x"}}}))
    assert main(["migratable-xml", str(path)]) == 1
    assert capsys.readouterr().err.startswith(f"{path}: domainXml: ")


def test_explain_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "--json", str(EXPECTED_DIR / "vmi-fedora.json")]) == 0
    request = load_request("vmi-fedora")
    assert json.loads(capsys.readouterr().out) == explain(request["vmi"], request["context"]).as_json()


def test_explain_comments_each_part(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", str(EXPECTED_DIR / "golden-amd64.json")]) == 0
    out = capsys.readouterr().out
    assert "<!-- storage.disks | " in out
    assert "<!-- compute.clock | spec.domain.clock" in out


def test_explain_of_a_rejected_vmi(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    request = load_request("golden-arm64")
    request["vmi"]["spec"]["domain"]["devices"]["watchdog"] = {"name": "wd", "i6300esb": {"action": "reset"}}
    path = tmp_path / "wd.json"
    path.write_text(json.dumps(request))
    assert main(["explain", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(
        f"{path}: rejected by compute.watchdog: spec.domain.devices.watchdog: "
        "watchdog is not supported on architecture ARM64\n"
    )
