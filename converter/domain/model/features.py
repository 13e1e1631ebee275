"""`<features>`: hypervisor features, Hyper-V enlightenments, KVM hints."""

from __future__ import annotations

from vmi_converter.converter.domain.declare import Element, Value, attr, child, element, flag


@element()
class Features(Element):
    acpi: bool = flag()
    apic: bool = flag()
    hyperv: FeatureHyperv | None = child()
    smm: bool = flag()
    kvm: FeatureKVM | None = child()
    pvspinlock: FeaturePVSpinlock | None = child()
    pmu: FeatureState | None = child()
    vmport: FeatureState | None = child()


@element()
class FeatureState(Element):
    state: Value = attr()


@element()
class FeatureHyperv(Element):
    mode: Value = attr()
    relaxed: FeatureState | None = child("relaxed")
    vapic: FeatureState | None = child("vapic")
    spinlocks: FeatureSpinlocks | None = child("spinlocks")
    vpindex: FeatureState | None = child("vpindex")
    runtime: FeatureState | None = child("runtime")
    synic: FeatureState | None = child("synic")
    synic_timer: SyNICTimer | None = child("stimer")
    reset: FeatureState | None = child("reset")
    vendor_id: FeatureVendorID | None = child("vendor_id")
    frequencies: FeatureState | None = child("frequencies")
    reenlightenment: FeatureState | None = child("reenlightenment")
    tlbflush: TLBFlush | None = child("tlbflush")
    ipi: FeatureState | None = child("ipi")
    evmcs: FeatureState | None = child("evmcs")


@element()
class FeatureSpinlocks(Element):
    state: Value = attr()
    retries: Value = attr()


@element()
class SyNICTimer(Element):
    direct: FeatureState | None = child("direct")
    state: Value = attr()


@element()
class FeatureVendorID(Element):
    state: Value = attr()
    value: Value = attr()


@element()
class TLBFlush(Element):
    direct: FeatureState | None = child("direct")
    extended: FeatureState | None = child("extended")
    state: Value = attr()


@element()
class FeatureKVM(Element):
    hidden: FeatureState | None = child("hidden")
    hint_dedicated: FeatureState | None = child("hint-dedicated")


@element()
class FeaturePVSpinlock(Element):
    state: Value = attr()
