"""IOMMUFD configurator: ported from KubeVirt compute/iommufd_test.go and converter_test.go "with IOMMUFD"."""

from __future__ import annotations

import pytest
from raw_convert import with_minimal_memory

from vmi_converter.converter.common.build import BuildState
from vmi_converter.converter.common.context import context_from_dict
from vmi_converter.converter.compute import iommufd
from vmi_converter.converter.domain.xmlmodel import to_xml
from vmi_converter.converter.pipeline import convert, new_domain

ENABLED = '<iommufd enabled="yes" fdgroup="iommu"/>\n'


# KubeVirt: compute/iommufd_test.go "should set IOMMUFD on domain when enabled" / "... when disabled"
@pytest.mark.parametrize(("enabled", "expected"), [(True, ENABLED), (False, None)],
                         ids=["should set IOMMUFD on domain when enabled",
                              "should not set IOMMUFD on domain when disabled"])
def test_iommufd(enabled: bool, expected: str | None) -> None:
    domain = new_domain()
    iommufd.configure({"spec": {}}, domain, context_from_dict({"iommufdEnabled": enabled}), BuildState())
    assert (None if domain.iommufd is None else to_xml(domain.iommufd)) == expected


# KubeVirt: converter_test.go "with IOMMUFD" "should (not) set IOMMUFD on domain when IOMMUFDEnabled is ..."
@pytest.mark.parametrize(("enabled", "expected"), [(True, ENABLED), (False, None)],
                         ids=["IOMMUFDEnabled is true", "IOMMUFDEnabled is false"])
def test_convert_iommufd(enabled: bool, expected: str | None) -> None:
    vmi = {"metadata": {"name": "t", "namespace": "ns"}, "spec": {"domain": {}}}
    context = {"allowEmulation": True, "hypervisorDeviceAvailable": True, "iommufdEnabled": enabled}
    domain = convert(with_minimal_memory(vmi), context).domain
    assert (None if domain.iommufd is None else to_xml(domain.iommufd)) == expected
