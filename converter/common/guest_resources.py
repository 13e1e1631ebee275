"""Guest vCPU topology and memory sizes, as KubeVirt's converter/vcpu helpers compute them.

Memory sizes follow Go's `resource.Quantity` closely: KubeVirt turns a quantity
into bytes with `AsInt64()`, and when the parsed quantity is not held as a
whole int64 (a fraction, a milli-unit, a large binary suffix...) it takes
`Value() - 1` instead. That rule is reproduced here, because it decides the
exact `<memory>` KubeVirt emits (e.g. "1.5Gi" is 1610612735 bytes).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from vmi_converter.converter.common import quantity
from vmi_converter.converter.common.errors import ConversionError
from vmi_converter.converter.common.vmi import JSON, domain_spec, obj

_INT64_MAX = 2**63 - 1
_INT64_MIN = -(2**63)
_MAX_INT64_DIGITS = 18
_NANO_SCALE = -9
_MEBIBYTE = 1024 * 1024

_DECIMAL_SUFFIX = {"": 0, "n": -9, "u": -6, "m": -3, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_BINARY_SUFFIX = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_PARTS = re.compile(r"^([+-]?)(\d*)(?:\.(\d*))?(.*)$")


@dataclass(frozen=True, slots=True)
class GuestTopology:
    sockets: int
    cores: int
    threads: int

    @property
    def vcpus(self) -> int:
        return self.sockets * self.cores * self.threads


def cpu_topology(vmi: JSON) -> GuestTopology:
    """sockets/cores/threads of the VMI; without any of them, sockets come from the CPU limit or request."""
    spec = obj(domain_spec(vmi).get("cpu"))
    cores, threads, sockets = (int(spec.get(key) or 0) for key in ("cores", "threads", "sockets"))
    if cores or threads or sockets:
        return GuestTopology(sockets=sockets or 1, cores=cores or 1, threads=threads or 1)
    from_resources = _sockets_from_resources(vmi)
    return GuestTopology(sockets=1 if from_resources is None else from_resources, cores=1, threads=1)


def _sockets_from_resources(vmi: JSON) -> int | None:
    """The CPU limit, else the CPU request, rounded up (sockets perform best, rhbz#1653453)."""
    resources = obj(domain_spec(vmi).get("resources"))
    for kind in ("limits", "requests"):
        amount = obj(resources.get(kind)).get("cpu")
        if amount is not None:
            return _cpu_value(amount, f"spec.domain.resources.{kind}.cpu")
    return None


def _cpu_value(amount: Any, field: str) -> int:
    try:
        return quantity.value(amount)
    except quantity.QuantityError as err:
        raise ConversionError(field, str(err)) from err


def requested_vcpus(vmi: JSON) -> int:
    """KubeVirt's CalculateRequestedVCPUs(GetCPUTopology(vmi))."""
    return cpu_topology(vmi).vcpus


def spec_vcpus(cpu: JSON) -> int:
    """hardware.GetNumberOfVCPUs: the product of the topology fields that are set (0 when none is)."""
    count = 0
    for key in ("cores", "sockets", "threads"):
        value = int(cpu.get(key) or 0)
        if value:
            count = value if count == 0 else count * value
    return count


def virtual_memory(vmi: JSON) -> tuple[Any, str]:
    """The guest memory quantity and where it came from: memory.guest, else the request, else the limit."""
    dom = domain_spec(vmi)
    guest = obj(dom.get("memory")).get("guest")
    if guest is not None:
        return guest, "spec.domain.memory.guest"
    resources = obj(dom.get("resources"))
    requested = obj(resources.get("requests")).get("memory")
    if requested is not None:
        return requested, "spec.domain.resources.requests.memory"
    limit = obj(resources.get("limits")).get("memory")
    if limit is not None:
        return limit, "spec.domain.resources.limits.memory"
    return 0, "spec.domain.resources.requests.memory"


def quantity_text(amount: Any) -> str:
    """The quantity as Go's JSON decoding sees it (numbers arrive as their text)."""
    if isinstance(amount, bool) or not isinstance(amount, (str, int, float)):
        raise quantity.QuantityError(f"quantities must be strings or numbers, not {amount!r}")
    return amount.strip() if isinstance(amount, str) else str(amount)


def quantity_to_bytes(amount: Any, field: str) -> int:
    """KubeVirt's QuantityToByte: the exact int64 when Go holds one, else Value()-1."""
    try:
        text = quantity_text(amount)
        exact = _go_exact_int64(text)
        size = exact if exact is not None else quantity.value(text) - 1
    except quantity.QuantityError as err:
        raise ConversionError(field, str(err)) from err
    if size < 0:
        raise ConversionError(field, f"Memory size '{text}' must be greater than or equal to 0")
    return size


def quantity_to_mebibytes(amount: Any, field: str) -> int:
    """KubeVirt's QuantityToMebiByte: at least 1 for any non-zero size, rounded half up."""
    size = quantity_to_bytes(amount, field)
    if size == 0:
        return 0
    if size < _MEBIBYTE:
        return 1
    return int(float(size) / _MEBIBYTE + 0.5)


def _go_exact_int64(text: str) -> int | None:
    """What Go's ParseQuantity(text).AsInt64() returns, None where it reports false."""
    quantity.parse(text)  # validates the syntax
    if text == "0":
        return 0
    match = _PARTS.match(text)
    if match is None:
        return None
    sign, whole, fraction, suffix = match.group(1), match.group(2), match.group(3) or "", match.group(4)
    num = whole.lstrip("0") or "0"
    base, exponent = _suffix(suffix)
    if base == 10:
        scale, mantissa = exponent, 1
        precision = _MAX_INT64_DIGITS - (len(num) + len(fraction))
    else:
        scale, mantissa = 0, 1 << exponent
        # Go only keeps whole binary amounts of moderate size as an int64.
        precision = 15 - len(num) - exponent * 3 // 10 - 1 if not fraction else -1
    if precision < 0:
        return None
    scale -= len(fraction)
    if scale < _NANO_SCALE:
        return None
    value = int(num + fraction) * mantissa
    if value > _INT64_MAX:
        return None
    value = -value if sign == "-" else value
    if scale < 0:
        return None
    scaled = value * 10**scale
    return scaled if _INT64_MIN <= scaled <= _INT64_MAX else None


def _suffix(suffix: str) -> tuple[int, int]:
    if suffix in _BINARY_SUFFIX:
        return 2, _BINARY_SUFFIX[suffix]
    if suffix in _DECIMAL_SUFFIX:
        return 10, _DECIMAL_SUFFIX[suffix]
    return 10, int(suffix[1:])
