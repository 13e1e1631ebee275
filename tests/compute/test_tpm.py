"""TPM configurator: ported from KubeVirt compute/tpm_test.go and converter_test.go "TPM"."""

from __future__ import annotations

from typing import Any

import pytest
from raw_convert import with_minimal_memory

from vmi_converter.converter.common.build import BuildState
from vmi_converter.converter.common.context import Context
from vmi_converter.converter.compute import tpm
from vmi_converter.converter.domain.xmlmodel import to_xml
from vmi_converter.converter.pipeline import convert, new_domain

TIS = '<tpm model="tpm-tis">\n  <backend type="emulator" version="2.0"/>\n</tpm>\n'
CRB = '<tpm model="tpm-crb">\n  <backend type="emulator" version="2.0" persistent_state="yes"/>\n</tpm>\n'


def _tpms(spec_tpm: Any) -> list[str]:
    vmi = {"spec": {"domain": {"devices": {} if spec_tpm is None else {"tpm": spec_tpm}}}}
    domain = new_domain()
    tpm.configure(vmi, domain, Context(), BuildState())
    assert domain.devices is not None
    return [to_xml(t, "tpm") for t in domain.devices.tpms]


# KubeVirt: compute/tpm_test.go
def test_no_tpm_when_unspecified() -> None:
    # "Should not configure a TPM device when TPM is unspecified in VMI"
    assert _tpms(None) == []


def test_non_persistent_tpm() -> None:
    # "Should configure a TPM device when non-persistent TPM is specified in VMI"
    assert _tpms({"persistent": False}) == [TIS]


def test_persistent_tpm_uses_crb() -> None:
    # "Should configure a TPM device when persistent TPM is specified in VMI"
    assert _tpms({"persistent": True}) == [CRB]


# KubeVirt: converter_test.go Context("TPM") DescribeTable("should"), through the whole pipeline.
@pytest.mark.parametrize(
    ("spec_tpm", "expected"),
    [
        pytest.param({}, [TIS], id="be enabled within domain when empty device provided in VMI"),
        pytest.param({"enabled": True}, [TIS],
                     id="be enabled within domain when device provided and explicitly enabled in VMI"),
        pytest.param({"persistent": True}, [CRB],
                     id="be enabled within domain when device provided in VMI with persistent=true"),
        pytest.param(None, [], id="not be present within domain when nil in VMI"),
        pytest.param({"enabled": False, "persistent": True}, [],
                     id="not be present within domain when explicitly disabled in VMI"),
    ],
)
def test_convert_tpm(spec_tpm: Any, expected: list[str]) -> None:
    devices = {} if spec_tpm is None else {"tpm": spec_tpm}
    vmi = {"metadata": {"name": "t", "namespace": "ns"}, "spec": {"domain": {"devices": devices}}}
    domain = convert(with_minimal_memory(vmi), {"allowEmulation": True}).domain
    assert domain.devices is not None
    assert [to_xml(t, "tpm") for t in domain.devices.tpms] == expected
