"""`<iothreads>`: how many IOThreads the domain gets (their use is set on the disks)."""

from __future__ import annotations

from vmi_converter.converter import iothreads
from vmi_converter.converter.context import Context
from vmi_converter.converter.domain.model import Domain, IOThreads
from vmi_converter.converter.errors import ConversionError
from vmi_converter.converter.vmi import JSON, domain_spec, obj


def configure(vmi: JSON, domain: Domain, ctx: Context) -> None:
    dom = domain_spec(vmi)
    if dom.get("ioThreadsPolicy") == iothreads.SUPPLEMENTAL_POOL and \
            obj(dom.get("ioThreads")).get("supplementalPoolThreadCount") is None:
        # KubeVirt dereferences the missing count and crashes.
        raise ConversionError("spec.domain.ioThreads.supplementalPoolThreadCount", "ioThreadsPolicy "
                              "supplementalPool requires spec.domain.ioThreads.supplementalPoolThreadCount")
    total, _ = iothreads.count_and_auto(vmi)
    if total:
        domain.iothreads = IOThreads(iothreads=total)
