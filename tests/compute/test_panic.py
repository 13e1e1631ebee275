"""Panic device configurator: ported from KubeVirt compute/panic_devices_test.go and converter_test.go."""

from __future__ import annotations

from lxml import etree
from raw_convert import with_minimal_memory

from vmi_converter.converter.common.build import BuildState
from vmi_converter.converter.common.context import Context
from vmi_converter.converter.common.vmi import JSON
from vmi_converter.converter.compute import panic
from vmi_converter.converter.domain.xmlmodel import to_xml
from vmi_converter.converter.pipeline import convert, new_domain


def _panics(vmi: JSON) -> list[str]:
    domain = new_domain()
    panic.configure(vmi, domain, Context(), BuildState())
    assert domain.devices is not None
    return [to_xml(p, "panic") for p in domain.devices.panics]


# KubeVirt: compute/panic_devices_test.go "Should not configure panic devices when none are specified in VMI"
def test_no_panic_devices() -> None:
    assert _panics({"spec": {"domain": {}}}) == []


# KubeVirt: compute/panic_devices_test.go "Should configure multiple panic devices when multiple are ..."
def test_multiple_panic_devices() -> None:
    vmi = {"spec": {"domain": {"devices": {"panicDevices": [
        {"model": "hyperv"}, {"model": "isa"}, {"model": "pvpanic"},
    ]}}}}
    assert _panics(vmi) == [f'<panic model="{m}"/>\n' for m in ("hyperv", "isa", "pvpanic")]


def test_panic_device_without_model() -> None:
    assert _panics({"spec": {"domain": {"devices": {"panicDevices": [{}]}}}}) == ["<panic/>\n"]


# KubeVirt: converter_test.go "should use panic devices if requested"
def test_convert_panic_device() -> None:
    vmi = {"metadata": {"name": "testvmi", "namespace": "mynamespace"},
           "spec": {"domain": {"devices": {"panicDevices": [{"model": "hyperv"}]}}}}
    xml = convert(with_minimal_memory(vmi), {"allowEmulation": True}).xml
    devices = etree.fromstring(xml.encode()).find("devices")
    assert devices is not None
    # The whole element: its attributes, no children, no text.
    assert [(dict(p.attrib), list(p), p.text) for p in devices.iter("panic")] == [({"model": "hyperv"}, [], None)]
