"""Guest clock (KubeVirt compute/clock.go): offset, timers and the TSC frequency hint."""

from __future__ import annotations

from typing import Any

from vmi_converter.converter.common.build import BuildState
from vmi_converter.converter.common.context import Context
from vmi_converter.converter.common.devices import yes_no
from vmi_converter.converter.common.vmi import JSON, domain_spec, items, obj, status
from vmi_converter.converter.domain.model import Clock, Domain, Timer

# (VMI timer key, libvirt timer name, the timer reads tickPolicy, the timer reads track)
_TIMERS = (
    ("rtc", "rtc", True, True),
    ("pit", "pit", True, False),
    ("kvm", "kvmclock", False, False),
    ("hpet", "hpet", True, False),
    ("hyperv", "hypervclock", False, False),
)


def configure(vmi: JSON, domain: Domain, ctx: Context, state: BuildState) -> None:
    spec_clock = domain_spec(vmi).get("clock")
    if isinstance(spec_clock, dict):
        domain.clock = _clock_from_spec(spec_clock)
    frequency = tsc_frequency_hint(vmi)
    if frequency and tsc_frequency_required(vmi):
        if domain.clock is None:
            domain.clock = Clock()
        domain.clock.timers.append(Timer(name="tsc", frequency=str(frequency)))
    if domain.clock is not None and domain.clock.offset is None:
        # libvirt's schema requires an offset and its default is utc; KubeVirt leaves it out when
        # the VMI sets timers (or only the TSC frequency) without utc/timezone.
        domain.clock.offset = "utc"


def _clock_from_spec(spec_clock: JSON) -> Clock:
    clock = Clock()
    utc = spec_clock.get("utc")
    timezone = spec_clock.get("timezone")
    if isinstance(utc, dict):
        clock.offset = "utc"
        seconds = utc.get("offsetSeconds")
        # Without an offset the guest's own clock changes are reset at every boot.
        clock.adjustment = "reset" if seconds is None else str(int(seconds))
    elif timezone is not None:
        clock.offset = "timezone"
        clock.timezone = _non_empty(timezone)
    timers = obj(spec_clock.get("timer"))
    for key, name, has_tick_policy, has_track in _TIMERS:
        timer = timers.get(key)
        if not isinstance(timer, dict):
            continue
        clock.timers.append(
            Timer(
                name=name,
                tick_policy=_non_empty(timer.get("tickPolicy")) if has_tick_policy else None,
                # The VMI calls a timer's `enabled` field "present" in JSON.
                present=yes_no(timer.get("present"), True),
                track=_non_empty(timer.get("track")) if has_track else None,
            )
        )
    return clock


def tsc_frequency_hint(vmi: JSON) -> int | None:
    """The host TSC frequency virt-controller put in the status; None unless positive."""
    frequency = obj(status(vmi).get("topologyHints")).get("tscFrequency")
    if isinstance(frequency, bool) or not isinstance(frequency, int) or frequency <= 0:
        return None
    return frequency


def tsc_frequency_required(vmi: JSON) -> bool:
    """invtsc needs a fixed TSC frequency to boot; Hyper-V reenlightenment needs it to migrate."""
    return _has_invtsc(vmi) or _uses_reenlightenment(vmi)


def _has_invtsc(vmi: JSON) -> bool:
    features = items(obj(domain_spec(vmi).get("cpu")).get("features"))
    return any(
        obj(f).get("name") == "invtsc" and obj(f).get("policy") in ("require", "force")
        for f in features
    )


def _uses_reenlightenment(vmi: JSON) -> bool:
    hyperv = obj(obj(domain_spec(vmi).get("features")).get("hyperv"))
    return obj(hyperv.get("reenlightenment")).get("enabled") is True


def _non_empty(value: Any) -> str | None:
    """KubeVirt leaves empty string attributes out of the XML."""
    return str(value) if value else None
