"""Memory configurator and KubeVirt's byte/mebibyte helpers.

Ported from KubeVirt compute/memory_test.go and converter_test.go ("should
calculate mebibyte from a quantity"), plus the Go-quantity rounding cases the
port reproduces.
"""

from __future__ import annotations

from typing import Any

import pytest

from vmi_converter.converter.common.build import BuildState
from vmi_converter.converter.common.context import Context
from vmi_converter.converter.common.errors import ConversionError
from vmi_converter.converter.common.guest_resources import quantity_to_bytes, quantity_to_mebibytes
from vmi_converter.converter.common.vmi import JSON
from vmi_converter.converter.compute import memory
from vmi_converter.converter.domain.model import Domain
from vmi_converter.converter.domain.xmlmodel import to_xml
from vmi_converter.converter.pipeline import new_domain


def _vmi(memory_spec: JSON | None = None, requests: JSON | None = None, limits: JSON | None = None) -> JSON:
    domain: JSON = {}
    if memory_spec is not None:
        domain["memory"] = memory_spec
    resources = {k: v for k, v in (("requests", requests), ("limits", limits)) if v}
    if resources:
        domain["resources"] = resources
    return {"spec": {"domain": domain}}


def _configure(vmi: JSON) -> Domain:
    domain = new_domain()
    memory.configure(vmi, domain, Context(), BuildState())
    return domain


def _memory_xml(domain: Domain) -> str:
    out = to_xml(domain.memory, "memory") if domain.memory is not None else ""
    return out + (to_xml(domain.max_memory, "maxMemory") if domain.max_memory is not None else "")


def _bytes(value: int) -> str:
    return f'<memory unit="b">{value}</memory>\n'


# KubeVirt: compute/memory_test.go "should calculate memory in bytes"
@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        pytest.param("64M", 64 * 1000 * 1000, id="specifying memory 64M"),
        pytest.param("64Mi", 64 * 1024 * 1024, id="specifying memory 64Mi"),
        pytest.param("3G", 3 * 1000 * 1000 * 1000, id="specifying memory 3G"),
        pytest.param("3Gi", 3 * 1024 * 1024 * 1024, id="specifying memory 3Gi"),
        pytest.param("45Gi", 45 * 1024 * 1024 * 1024, id="specifying memory 45Gi"),
        pytest.param("2780Gi", 2780 * 1024 * 1024 * 1024, id="specifying memory 2780Gi"),
        pytest.param("451231", 451231, id="specifying memory 451231 bytes"),
        pytest.param("2222222200m", 2222222, id="specifying float memory"),
    ],
)
def test_memory_in_bytes(amount: str, expected: int) -> None:
    assert _memory_xml(_configure(_vmi(requests={"memory": amount}))) == _bytes(expected)


# KubeVirt: compute/memory_test.go "should fail when memory size is negative"
def test_negative_memory_fails() -> None:
    domain = new_domain()
    with pytest.raises(ConversionError, match="Memory size '-45Gi' must be greater than or equal to 0") as err:
        memory.configure(_vmi(requests={"memory": "-45Gi"}), domain, Context(), BuildState())
    assert err.value.field == "spec.domain.resources.requests.memory"
    assert domain.memory is None


# KubeVirt: compute/memory_test.go "maxGuest and guest memory settings"
@pytest.mark.parametrize(
    ("memory_spec", "expected"),
    [
        pytest.param({"guest": "32Mi"}, _bytes(32 * 1024 * 1024), id="maxGuest is missing"),
        pytest.param({"guest": "32Mi", "maxGuest": "32Mi"}, _bytes(32 * 1024 * 1024),
                     id="maxGuest equal to guest memory"),
        pytest.param({"guest": "32Mi", "maxGuest": "128Mi"},
                     _bytes(32 * 1024 * 1024) + f'<maxMemory unit="b" slots="1">{128 * 1024 * 1024}</maxMemory>\n',
                     id="maxGuest greater than guest memory"),
    ],
)
def test_max_guest(memory_spec: JSON, expected: str) -> None:
    assert _memory_xml(_configure(_vmi(memory_spec))) == expected


# KubeVirt: compute/memory_test.go "guest memory and resource requests/limits settings"
@pytest.mark.parametrize(
    ("vmi", "expected"),
    [
        pytest.param(_vmi({"guest": "512Mi"}), 512 * 1024 * 1024,
                     id="provided by domain spec directly (guest memory takes precedence over limits)"),
        pytest.param(_vmi(limits={"memory": "256Mi"}), 256 * 1024 * 1024,
                     id="provided by resources limits (no guest memory, no request)"),
        pytest.param(_vmi(requests={"memory": "64Mi"}, limits={"memory": "256Gi"}), 64 * 1024 * 1024,
                     id="provided by resources requests (request takes precedence over limit when both set)"),
        pytest.param(_vmi(requests={"memory": "128Mi"}), 128 * 1024 * 1024,
                     id="provided by resources requests only"),
        pytest.param(_vmi({"guest": "123Mi"}, requests={"memory": "100Mi"}), 128974848,
                     id="provided by guest memory and resources requests (guest memory takes precedence)"),
    ],
)
def test_guest_memory_source(vmi: JSON, expected: int) -> None:
    assert _memory_xml(_configure(vmi)) == _bytes(expected)


# KubeVirt panics on maxGuest without guest (nil dereference in compute/memory.go).
def test_max_guest_without_guest_is_an_error() -> None:
    with pytest.raises(ConversionError, match=r"maxGuest requires spec\.domain\.memory\.guest") as err:
        _configure(_vmi({"maxGuest": "128Mi"}, requests={"memory": "64Mi"}))
    assert err.value.field == "spec.domain.memory.guest"


def test_no_memory_at_all_is_refused() -> None:
    # KubeVirt would emit <memory>0</memory>, which libvirt refuses.
    with pytest.raises(ConversionError) as err:
        _configure(_vmi())
    assert (err.value.field, err.value.message) == (
        "spec.domain.resources.requests.memory",
        "the guest needs memory: set spec.domain.memory.guest or a memory request",
    )


# KubeVirt: converter_test.go "should calculate mebibyte from a quantity"
@pytest.mark.parametrize(
    ("amount", "mebibytes"),
    [
        pytest.param("0M", 0, id="when 0M is given"),
        pytest.param("0", 0, id="when 0 is given"),
        pytest.param("1", 1, id="when 1 is given"),
        pytest.param("1M", 1, id="when 1M is given"),
        pytest.param("3M", 3, id="when 3M is given"),
        pytest.param("100M", 95, id="when 100M is given"),
        pytest.param("1Mi", 1, id="when 1Mi is given"),
        pytest.param("2G", 1907, id="when 2G are given"),
        pytest.param("2Gi", 2 * 1024, id="when 2Gi are given"),
        pytest.param("2780Gi", 2780 * 1024, id="when 2780Gi are given"),
    ],
)
def test_quantity_to_mebibytes(amount: str, mebibytes: int) -> None:
    assert quantity_to_mebibytes(amount, "f") == mebibytes


# KubeVirt: converter_test.go "should fail calculating mebibyte if the quantity is less than 0"
def test_negative_quantity_to_mebibytes_fails() -> None:
    with pytest.raises(ConversionError, match="Memory size '-2G' must be greater than or equal to 0"):
        quantity_to_mebibytes("-2G", "f")


# Go keeps some whole amounts only as a decimal (a fraction, a milli unit, a large binary
# multiple); KubeVirt then takes Value()-1 bytes.
@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        pytest.param("1.5Gi", 1610612735, id="fractional binary amount"),
        pytest.param("1000m", 0, id="whole amount in milli units"),
        pytest.param("1.5", 1, id="fraction rounds up then minus one"),
        pytest.param("1e3", 1000, id="decimal exponent"),
        pytest.param("1Ti", 2**40, id="binary amount kept as an integer"),
        pytest.param("100Ti", 100 * 2**40 - 1, id="large binary amount kept as a decimal"),
        pytest.param("123456789012345678", 123456789012345678, id="18 digits fit an int64"),
        pytest.param("1234567890123456789", 1234567890123456788, id="19 digits are a decimal"),
        pytest.param(1024, 1024, id="JSON number"),
    ],
)
def test_go_quantity_rounding(amount: Any, expected: int) -> None:
    assert quantity_to_bytes(amount, "f") == expected


def test_invalid_quantity_names_the_field() -> None:
    with pytest.raises(ConversionError, match="quantities must match") as err:
        _configure(_vmi({"guest": "lots"}))
    assert err.value.field == "spec.domain.memory.guest"
