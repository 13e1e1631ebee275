"""Shared fixtures: KubeVirt's reference requests and expected domains."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]

# The build the suite is meant to run against: scripts/test runs it against the compiled build
# (`pip install .` in .venv-compiled) with VMI_CONVERTER_TEST_BUILD=compiled; the editable
# development install is pure Python.
EXPECTED_BUILD = os.environ.get("VMI_CONVERTER_TEST_BUILD", "pure")


# KubeVirt's example manifests and its domains for the reference requests, carried in the
# repository (tests/data/kubevirt/README.md says where each file comes from).
KUBEVIRT_DATA = REPO / "tests" / "data" / "kubevirt"
EXPECTED_DIR = KUBEVIRT_DATA / "expected"
EXAMPLES_DIR = KUBEVIRT_DATA / "examples"


def load_request(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXPECTED_DIR / f"{name}.json").read_text())
    return data


def expected_xml(name: str) -> str:
    return (EXPECTED_DIR / f"{name}.xml").read_text()


def fixture_names() -> list[str]:
    return sorted(p.stem for p in EXPECTED_DIR.glob("*.json"))


@pytest.fixture
def reference() -> Path:
    return KUBEVIRT_DATA


# ---------------------------------------------------------------- libvirt on every domain
# Every domain a test produces through `Conversion.xml` is checked after the test by
# the newest libvirt release's RelaxNG schema (scripts/setup-schema; the installed 9.0's when it
# was not fetched) and the installed libvirt's own parser, so new tests get both checks for free.
# A test that deliberately emits what only a newer libvirt accepts says so with
# @pytest.mark.newer_libvirt("reason"): its domains skip the 9.0 parser (and the schema, when only
# 9.0's is there).


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-snapshots",
        action="store_true",
        help="rewrite tests/data/snapshots/*.xml from the converter's current output (tests/README.md)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "newer_libvirt(reason): the domains this test produces need a libvirt newer than 9.0"
    )
    config.addinivalue_line("markers", "status_only: a randomised campaign that asserts status codes only")


def pytest_report_header() -> str:
    from libvirt_check import schema_source

    return f"domain schema: {schema_source()}"


def pytest_terminal_summary(terminalreporter: Any) -> None:
    from libvirt_check import newest_schema, schema_source

    # Said at the end too: a quiet run (-q) prints no header.
    if newest_schema() is None:
        terminalreporter.write_line(f"domain schema: {schema_source()}", yellow=True, bold=True)


# A canary for the check itself: domains produced by tests the check applies to, and domains it
# checked. A run that produced some and checked none fails at the end (pytest_sessionfinish);
# tests/test_canaries.py also proves the check fails a test whose domain libvirt refuses.
LIBVIRT_CHECK_COUNTS = {"produced": 0, "checked": 0}


@pytest.fixture(autouse=True)
def _domains_pass_libvirt(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Any:
    from libvirt_check import libvirt_parse, newest_schema, schema_errors

    from vmi_converter.converter.pipeline import Conversion

    needs_newer = request.node.get_closest_marker("newer_libvirt") is not None
    exempt = request.node.get_closest_marker("status_only") or (needs_newer and newest_schema() is None)
    produced: list[str] = []
    render = Conversion.xml.fget  # type: ignore[attr-defined]

    def recording(self: Conversion) -> str:
        xml: str = render(self)
        produced.append(xml)
        LIBVIRT_CHECK_COUNTS["produced"] += not exempt
        return xml

    monkeypatch.setattr(Conversion, "xml", property(recording))
    yield
    if exempt:
        return
    for xml in dict.fromkeys(produced):
        errors = schema_errors(xml)
        assert not errors, f"a produced domain fails libvirt's schema: {errors[:3]}\n{xml}"
        if not needs_newer:
            libvirt_parse(xml)
        LIBVIRT_CHECK_COUNTS["checked"] += 1


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if LIBVIRT_CHECK_COUNTS["produced"] and not LIBVIRT_CHECK_COUNTS["checked"]:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(
                f"tests/conftest.py: {LIBVIRT_CHECK_COUNTS['produced']} domains produced, none checked by libvirt: "
                "the every-domain check went quiet", red=True,
            )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
