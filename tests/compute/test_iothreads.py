"""IOThreads count configurator: ported from KubeVirt compute/iothreads_test.go."""

from __future__ import annotations

import pytest

from vmi_converter.converter.common.build import BuildState
from vmi_converter.converter.common.context import Context
from vmi_converter.converter.common.errors import ConversionError
from vmi_converter.converter.common.vmi import JSON
from vmi_converter.converter.compute import iothreads
from vmi_converter.converter.domain.xmlmodel import to_xml
from vmi_converter.converter.pipeline import new_domain


def _iothreads_xml(vmi: JSON) -> str | None:
    domain = new_domain()
    iothreads.configure(vmi, domain, Context(), BuildState())
    return to_xml(domain.iothreads, "iothreads") if domain.iothreads is not None else None


# KubeVirt: compute/iothreads_test.go "Should configure IOThreads in the domain when they're specified"
def test_iothreads_when_specified() -> None:
    vmi = {"spec": {"domain": {"ioThreadsPolicy": "supplementalPool", "ioThreads": {"supplementalPoolThreadCount": 4}}}}
    assert _iothreads_xml(vmi) == "<iothreads>4</iothreads>\n"


# KubeVirt: compute/iothreads_test.go "Should not configure IOThreads in the domain when they're not specified"
def test_no_iothreads_when_not_specified() -> None:
    assert _iothreads_xml({"spec": {"domain": {}}}) is None


def test_dedicated_and_shared_threads_are_counted() -> None:
    disks = [{"name": "a", "dedicatedIOThread": True}, {"name": "b"}, {"name": "c"}]
    vmi = {"spec": {"domain": {"ioThreadsPolicy": "shared", "devices": {"disks": disks}}}}
    assert _iothreads_xml(vmi) == "<iothreads>2</iothreads>\n"


# KubeVirt panics on the supplementalPool policy without its thread count (nil dereference).
@pytest.mark.parametrize("io_threads", [None, {}], ids=["without ioThreads", "without supplementalPoolThreadCount"])
def test_supplemental_pool_without_count_is_an_error(io_threads: JSON | None) -> None:
    dom: JSON = {"ioThreadsPolicy": "supplementalPool"}
    if io_threads is not None:
        dom["ioThreads"] = io_threads
    with pytest.raises(ConversionError, match="supplementalPool requires") as err:
        _iothreads_xml({"spec": {"domain": dom}})
    assert err.value.field == "spec.domain.ioThreads.supplementalPoolThreadCount"
