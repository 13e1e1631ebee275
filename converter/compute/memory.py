"""`<memory>` and, for memory hotplug, `<maxMemory>`."""

from __future__ import annotations

from vmi_converter.converter.common import quantity
from vmi_converter.converter.common.build import BuildState
from vmi_converter.converter.common.context import Context
from vmi_converter.converter.common.errors import ConversionError
from vmi_converter.converter.common.guest_resources import quantity_to_bytes, virtual_memory
from vmi_converter.converter.common.vmi import JSON, domain_spec, obj
from vmi_converter.converter.domain.model import Domain, MaxMemory, Memory

# libvirt (9.0 at least) refuses <maxMemory> without slots or with slots="0",
# where KubeVirt writes slots="0"; one slot is the smallest value it accepts.
MAX_MEMORY_SLOTS = 1


def configure(vmi: JSON, domain: Domain, ctx: Context, state: BuildState) -> None:
    memory = obj(domain_spec(vmi).get("memory"))
    guest, max_guest = memory.get("guest"), memory.get("maxGuest")
    if max_guest is None or (guest is not None and _equal(guest, max_guest)):
        amount, field = virtual_memory(vmi)
        size = quantity_to_bytes(amount, field)
        if size == 0:
            # KubeVirt's admission refuses such a VMI; its converter would emit a domain libvirt refuses.
            raise ConversionError(field, "the guest needs memory: set spec.domain.memory.guest or a memory request")
        domain.memory = Memory(value=size, unit="b")
        return
    if guest is None:
        # KubeVirt dereferences the missing guest size and crashes.
        raise ConversionError("spec.domain.memory.guest",
                              "spec.domain.memory.maxGuest requires spec.domain.memory.guest")
    maximum = quantity_to_bytes(max_guest, "spec.domain.memory.maxGuest")
    domain.max_memory = MaxMemory(value=maximum, unit="b", slots=MAX_MEMORY_SLOTS)
    domain.memory = Memory(value=quantity_to_bytes(guest, "spec.domain.memory.guest"), unit="b")


def _equal(first: object, second: object) -> bool:
    try:
        return quantity.parse(first) == quantity.parse(second)
    except quantity.QuantityError as err:
        raise ConversionError("spec.domain.memory", str(err)) from err
