"""`<features>`: ACPI, APIC, SMM, Hyper-V enlightenments, KVM hidden, PV spinlocks, vmport, PMU."""

from __future__ import annotations

import re
from typing import Any

from vmi_converter.converter.common.build import BuildState
from vmi_converter.converter.common.context import Context
from vmi_converter.converter.common.devices import on_off
from vmi_converter.converter.common.errors import ConversionError
from vmi_converter.converter.common.vmi import JSON, domain_spec, obj
from vmi_converter.converter.domain.model import (
    Domain,
    FeatureHyperv,
    FeatureKVM,
    FeaturePVSpinlock,
    Features,
    FeatureSpinlocks,
    FeatureState,
    FeatureVendorID,
    SyNICTimer,
    TLBFlush,
)

_FIELD = "spec.domain.features"
# Hyper-V enlightenments that are plain on/off toggles: (VMI field, model attribute).
_HYPERV_TOGGLES = (
    ("relaxed", "relaxed"), ("reset", "reset"), ("runtime", "runtime"), ("synic", "synic"),
    ("vapic", "vapic"), ("vpindex", "vpindex"), ("frequencies", "frequencies"),
    ("reenlightenment", "reenlightenment"), ("ipi", "ipi"), ("evmcs", "evmcs"),
)


def configure(vmi: JSON, domain: Domain, ctx: Context, state: BuildState) -> None:
    features = domain.features = Features()
    source = domain_spec(vmi).get("features")
    if not isinstance(source, dict):
        return
    _convert(source, features)
    if ctx.use_launch_security_tdx:
        features.pmu = FeatureState(state="off")
    if ctx.arch.vmport:
        features.vmport = FeatureState(state="off")


def _convert(source: JSON, features: Features) -> None:
    features.acpi = _enabled(source.get("acpi"))
    features.smm = source.get("smm") is not None and _enabled(source["smm"])
    features.apic = source.get("apic") is not None and _enabled(source["apic"])
    if source.get("hyperv") is not None:
        features.hyperv = _hyperv(obj(source["hyperv"]))
    elif source.get("hypervPassthrough") is not None:
        features.hyperv = _hyperv_passthrough(obj(source["hypervPassthrough"]))
    if source.get("kvm") is not None:
        features.kvm = FeatureKVM(hidden=FeatureState(state=on_off(obj(source["kvm"]).get("hidden") is True)))
    if source.get("pvspinlock") is not None:
        features.pvspinlock = FeaturePVSpinlock(state=_state(source["pvspinlock"]))


def _enabled(feature: Any) -> bool:
    """A feature whose `enabled` is unset counts as enabled."""
    return obj(feature).get("enabled") is not False


def _state(feature: Any) -> str:
    """`on` unless the feature says enabled: false (flat: it runs for every Hyper-V enlightenment)."""
    return "off" if obj(feature).get("enabled") is False else "on"


def _hyperv_passthrough(passthrough: JSON) -> FeatureHyperv | None:
    enabled = passthrough.get("enabled")
    if enabled is None:
        # KubeVirt dereferences the unset flag and crashes.
        raise ConversionError(f"{_FIELD}.hypervPassthrough.enabled",
                              "hypervPassthrough requires enabled to be set to true or false")
    return FeatureHyperv(mode="passthrough") if enabled is True else None


def _hyperv(source: JSON) -> FeatureHyperv:
    hyperv = FeatureHyperv()
    for key, attribute in _HYPERV_TOGGLES:
        if source.get(key) is not None:
            setattr(hyperv, attribute, FeatureState(state=_state(source[key])))
    if source.get("spinlocks") is not None:
        spinlocks = obj(source["spinlocks"])
        hyperv.spinlocks = FeatureSpinlocks(state=_state(spinlocks), retries=spinlocks.get("spinlocks"))
    if source.get("vendorid") is not None:
        vendor = obj(source["vendorid"])
        hyperv.vendor_id = FeatureVendorID(state=_state(vendor), value=_vendor_id(vendor))
    if source.get("synictimer") is not None:
        timer = obj(source["synictimer"])
        hyperv.synic_timer = SyNICTimer(state=_state(timer), direct=_optional_state(timer.get("direct")))
    if source.get("tlbflush") is not None:
        flush = obj(source["tlbflush"])
        hyperv.tlbflush = TLBFlush(state=_state(flush), direct=_optional_state(flush.get("direct")),
                                   extended=_optional_state(flush.get("extended")))
    return hyperv


def _optional_state(feature: Any) -> FeatureState | None:
    return FeatureState(state=_state(feature)) if feature is not None else None


_VENDOR_ID = re.compile(r"^[^,]{1,12}$")


def _vendor_id(vendor: JSON) -> str | None:
    """libvirt needs 1 to 12 characters, no comma, when the vendor id is on (KubeVirt passes anything)."""
    value = vendor.get("vendorid") or None
    if _state(vendor) == "on" and not (isinstance(value, str) and _VENDOR_ID.match(value)):
        raise ConversionError(
            "spec.domain.features.hyperv.vendorid.vendorid",
            f"{value!r}: an enabled Hyper-V vendor id needs 1 to 12 characters and no comma",
        )
    return value
