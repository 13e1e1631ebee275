"""`vmi-converter convert`: one file to stdout, many files to a directory."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import EXPECTED_DIR, expected_xml, load_request
from libvirt_check import assert_same_domain

from vmi_converter.server.cli import main
from vmi_converter.server.convert_cli import PROGRESS_FROM
from vmi_converter.server.info import version

KINDS_REFUSAL = (
    "expected a VirtualMachineInstance, VirtualMachine, VirtualMachinePool or VirtualMachineInstanceReplicaSet, "
    "or a List of them, got 'Pod'"
)


def test_one_request_file_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["convert", str(EXPECTED_DIR / "golden-amd64.json")]) == 0
    assert_same_domain(capsys.readouterr().out, expected_xml("golden-amd64"))


def test_yaml_vmi_with_separate_context(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    request = load_request("vmi-fedora")
    vmi = tmp_path / "fedora.yaml"
    vmi.write_text(yaml.safe_dump(request["vmi"]))
    context = tmp_path / "context.json"
    context.write_text(json.dumps(request["context"]))
    assert main(["convert", "--context", str(context), str(vmi)]) == 0
    assert_same_domain(capsys.readouterr().out, expected_xml("vmi-fedora"))


def test_rejected_file_exits_1_with_the_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"vmi": {"kind": "Pod"}}))
    assert main(["convert", str(bad)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"{bad}: vmi.kind: " + KINDS_REFUSAL + "\n"


def test_batch_writes_xml_and_err_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    bad = tmp_path / "broken.yaml"
    bad.write_text("spec: [unclosed")
    files = [str(EXPECTED_DIR / f"{n}.json") for n in ("golden-amd64", "golden-s390x")] + [str(bad)]
    assert main(["convert", "--out-dir", str(out), *files]) == 1
    assert sorted(p.name for p in out.iterdir()) == ["broken.err", "golden-amd64.xml", "golden-s390x.xml"]
    assert (out / "broken.err").read_text().startswith("neither JSON nor YAML")
    assert capsys.readouterr().err == f"converted 2, rejected 1: see {out}/broken.err\n"
    for name in ("golden-amd64", "golden-s390x"):
        assert_same_domain((out / f"{name}.xml").read_text(), expected_xml(name))


def test_batch_of_good_files_exits_0(tmp_path: Path) -> None:
    files = [str(EXPECTED_DIR / f"{n}.json") for n in ("golden-arm64", "vmi-fedora")]
    assert main(["convert", "--out-dir", str(tmp_path), *files]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["golden-arm64.xml", "vmi-fedora.xml"]


def test_several_files_need_out_dir(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["convert", "a.json", "b.json"]) == 2
    assert "--out-dir" in capsys.readouterr().err


def test_unknown_fields_are_reported_on_stderr(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    request = load_request("golden-s390x")
    request["vmi"]["spec"]["domain"]["cpuu"] = {"cores": 2}
    path = tmp_path / "typo.json"
    path.write_text(json.dumps(request))
    assert main(["convert", str(path)]) == 0
    captured = capsys.readouterr()
    assert captured.err == f"{path}: warning: spec.domain.cpuu: unknown field, ignored\n"
    assert_same_domain(captured.out, expected_xml("golden-s390x"))


def test_a_wrongly_typed_field_is_refused_with_its_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    request = load_request("golden-amd64")
    request["vmi"]["spec"]["domain"]["devices"]["disks"][0]["dedicatedIOThread"] = "yes"
    path = tmp_path / "typed.json"
    path.write_text(json.dumps(request))
    assert main(["convert", str(path)]) == 1
    assert capsys.readouterr().err == (
        f"{path}: spec.domain.devices.disks[0].dedicatedIOThread: expected a boolean, got a string\n"
    )


def test_batch_summary_names_the_first_rejections(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    names = []
    for index in range(5):
        path = tmp_path / f"bad{index}.json"
        path.write_text(json.dumps({"vmi": {"kind": "Pod"}}))
        names.append(str(path))
    out = tmp_path / "out"
    assert main(["convert", "--out-dir", str(out), str(EXPECTED_DIR / "vmi-fedora.json"), *names]) == 1
    assert capsys.readouterr().err == (
        f"converted 1, rejected 5: see {out}/bad0.err, {out}/bad1.err, {out}/bad2.err and 2 more\n"
    )


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_long_batch_shows_progress_on_a_terminal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = [str(EXPECTED_DIR / "vmi-fedora.json")] * PROGRESS_FROM
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert main(["convert", "--out-dir", str(tmp_path), *files]) == 0
    written = terminal.getvalue()
    steps = [f"\r\x1b[K[{n}/{PROGRESS_FROM}] {files[0]}" for n in range(1, PROGRESS_FROM + 1)]
    assert written == "".join(steps) + "\r\x1b[K" + f"converted {PROGRESS_FROM}, rejected 0\n"


def test_short_batch_or_no_terminal_shows_no_progress(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    files = [str(EXPECTED_DIR / "vmi-fedora.json")] * PROGRESS_FROM
    assert main(["convert", "--out-dir", str(tmp_path), *files]) == 0
    assert capsys.readouterr().err == f"converted {PROGRESS_FROM}, rejected 0\n"


def test_version_flag(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out == f"vmi-converter {version()}\n"


@pytest.mark.parametrize(
    "command", ["serve", "convert", "context", "explain", "migratable-xml", "hotplug-disk", "version", "health"]
)
def test_every_subcommand_help_shows_an_example(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main([command, "--help"])
    out = capsys.readouterr().out
    assert "example" in out
    assert f"vmi-converter {command}" in out.split("example", 1)[1]


def test_convert_imports_only_what_it_runs() -> None:
    """A one-file `convert` in a fresh interpreter converts without loading grpc, the server, the flows or
    the explainer (they belong to other subcommands; protobuf stays: the JSON VMI is checked against its
    descriptors)."""
    script = (
        "import sys\n"
        "from vmi_converter.server.cli import main\n"
        f"code = main(['convert', {str(EXPECTED_DIR / 'golden-amd64.json')!r}])\n"
        "loaded = [m for m in sys.modules if m.split('.')[0] == 'grpc'\n"
        "          or m in ('vmi_converter.server.app', 'vmi_converter.server.service',\n"
        "                   'vmi_converter.server.flows', 'vmi_converter.converter.explain')]\n"
        "print(code, loaded, file=sys.stderr)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.stderr == "0 []\n"
    assert_same_domain(result.stdout, expected_xml("golden-amd64"))
