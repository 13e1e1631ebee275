"""Memory backing configurator: ported from KubeVirt compute/memory_backing_test.go and converter_test.go."""

from __future__ import annotations

from dataclasses import replace

import pytest
from raw_convert import raw_convert

from vmi_converter.converter.common.arch import AMD64, ARCHES, ARM64, S390X
from vmi_converter.converter.common.build import BuildState
from vmi_converter.converter.common.context import Context
from vmi_converter.converter.common.vmi import JSON
from vmi_converter.converter.compute import memory_backing
from vmi_converter.converter.domain.xmlmodel import to_xml
from vmi_converter.converter.pipeline import new_domain

HUGEPAGES: JSON = {"memory": {"hugepages": {"pageSize": "2Mi"}}}
VIRTIOFS: JSON = {"devices": {"filesystems": [{"name": "test-pvc", "virtiofs": {}}]}}
PASST: JSON = {"devices": {"interfaces": [{"name": "default", "passtBinding": {}}]}}


def _vmi(*parts: JSON, annotations: dict[str, str] | None = None) -> JSON:
    domain: JSON = {}
    for part in parts:
        domain.update(part)
    return {"metadata": {"annotations": annotations or {}}, "spec": {"domain": domain}}


def _backing(*children: str) -> str:
    return "<memoryBacking>\n" + "".join(f"  {c}\n" for c in children) + "</memoryBacking>\n"


HUGE, SHARED, MEMFD = "<hugepages/>", '<access mode="shared"/>', '<source type="memfd"/>'


# KubeVirt: compute/memory_backing_test.go "should configure memory backing"
@pytest.mark.parametrize(
    ("vmi", "memfd_supported", "expected"),
    [
        pytest.param(_vmi(), True, None, id="no hugepages, virtiofs, or passt"),
        pytest.param(_vmi(HUGEPAGES), True, _backing(HUGE, MEMFD), id="hugepages"),
        pytest.param(_vmi(HUGEPAGES, annotations={"kubevirt.io/memfd": "false"}), True, _backing(HUGE),
                     id="hugepages with memfd annotation false"),
        pytest.param(_vmi(VIRTIOFS), True, _backing(MEMFD, SHARED), id="virtiofs"),
        pytest.param(_vmi(PASST), True, _backing(MEMFD, SHARED), id="passt"),
        pytest.param(_vmi(HUGEPAGES, VIRTIOFS), True, _backing(HUGE, MEMFD, SHARED), id="hugepages with virtiofs"),
        pytest.param(_vmi(HUGEPAGES), False, _backing(HUGE), id="hugepages without memfd support"),
        pytest.param(_vmi(VIRTIOFS), False, _backing(SHARED), id="virtiofs without memfd support"),
    ],
)
def test_memory_backing(vmi: JSON, memfd_supported: bool, expected: str | None) -> None:
    domain = new_domain()
    memory_backing.configure(vmi, domain, Context(arch=replace(ARCHES[AMD64], memfd=memfd_supported)), BuildState())
    got = to_xml(domain.memory_backing, "memoryBacking") if domain.memory_backing is not None else None
    assert got == expected


# KubeVirt: converter_test.go DescribeTable "should convert hugepages"
@pytest.mark.parametrize(
    ("arch", "expect_memfd"),
    [
        pytest.param(AMD64, True, id="with memfd on amd64"),
        pytest.param(ARM64, True, id="with memfd on arm64"),
        pytest.param(S390X, False, id="without memfd on s390x"),
    ],
)
def test_converter_hugepages(arch: str, expect_memfd: bool) -> None:
    vmi = {"metadata": {"name": "testvmi", "namespace": "mynamespace"},
           "spec": {"domain": {"memory": {"hugepages": {}}, "resources": {"requests": {"memory": "8192Ki"}}}}}
    domain = raw_convert(vmi, {"architecture": arch, "allowEmulation": True})
    assert to_xml(domain.memory, "memory") == '<memory unit="b">8388608</memory>\n'
    expected = _backing(HUGE, MEMFD) if expect_memfd else _backing(HUGE)
    assert to_xml(domain.memory_backing, "memoryBacking") == expected
