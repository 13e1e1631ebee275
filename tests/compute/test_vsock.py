"""VSOCK configurator: ported from KubeVirt compute/vsock_test.go and converter_test.go."""

from __future__ import annotations

import pytest
from raw_convert import with_minimal_memory

from vmi_converter.converter.common.build import BuildState
from vmi_converter.converter.common.context import Context, context_from_dict
from vmi_converter.converter.common.errors import ConversionError
from vmi_converter.converter.common.vmi import JSON
from vmi_converter.converter.compute import vsock
from vmi_converter.converter.domain.xmlmodel import to_xml
from vmi_converter.converter.pipeline import convert, new_domain


def _vsock_xml(vmi: JSON, ctx: Context) -> str | None:
    domain = new_domain()
    vsock.configure(vmi, domain, ctx, BuildState())
    assert domain.devices is not None
    return None if domain.devices.vsock is None else to_xml(domain.devices.vsock, "vsock")


# KubeVirt: compute/vsock_test.go "Should not configure VSOCK when VSOCKCID is absent"
def test_no_vsock_without_cid() -> None:
    assert _vsock_xml({"spec": {}}, Context()) is None


# KubeVirt: compute/vsock_test.go "Should configure VSOCK when VSOCKCID is present in global mode"
def test_vsock_global_mode_uses_allocated_cid() -> None:
    ctx = context_from_dict({"vsockNamespaceMode": "global"})
    assert _vsock_xml({"status": {"VSOCKCID": 50}}, ctx) == (
        '<vsock model="virtio-non-transitional">\n  <cid auto="no" address="50"/>\n</vsock>\n'
    )


# KubeVirt: compute/vsock_test.go "Should configure VSOCK when VSOCKCID is present in local mode"
def test_vsock_local_mode_uses_local_cid() -> None:
    ctx = context_from_dict({"vsockNamespaceMode": "local"})
    assert _vsock_xml({"status": {"VSOCKCID": 1234}}, ctx) == (
        '<vsock model="virtio-non-transitional">\n  <cid auto="no" address="3"/>\n</vsock>\n'
    )


# KubeVirt: converter_test.go "should add VSOCK section when present" (the model ignores transitional).
@pytest.mark.parametrize("transitional", [True, False],
                         ids=["use virtio transitional", "use virtio non-transitional"])
def test_convert_adds_vsock(transitional: bool) -> None:
    vmi = {
        "metadata": {"name": "t", "namespace": "ns"},
        "spec": {"domain": {"devices": {"autoattachVSOCK": True, "useVirtioTransitional": transitional}}},
        "status": {"VSOCKCID": 100},
    }
    domain = convert(with_minimal_memory(vmi), {"allowEmulation": True, "useVirtioTransitional": transitional}).domain
    assert domain.devices is not None and domain.devices.vsock is not None
    assert to_xml(domain.devices.vsock, "vsock") == (
        '<vsock model="virtio-non-transitional">\n  <cid auto="no" address="100"/>\n</vsock>\n'
    )


def test_invalid_cid_is_rejected() -> None:
    with pytest.raises(ConversionError, match="invalid VSOCK CID") as err:
        _vsock_xml({"status": {"VSOCKCID": "fifty"}}, Context())
    assert err.value.field == "status.VSOCKCID"
