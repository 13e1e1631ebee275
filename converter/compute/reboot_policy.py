"""Reboot policy (KubeVirt compute/reboot_policy.go): <on_reboot>."""

from __future__ import annotations

from vmi_converter.converter.common.build import BuildState
from vmi_converter.converter.common.context import Context
from vmi_converter.converter.common.vmi import JSON, domain_spec
from vmi_converter.converter.domain.model import Domain

# Without a policy libvirt's default applies: the guest reboots silently.
_ON_REBOOT = {"Terminate": "destroy", "Reboot": "restart"}


def configure(vmi: JSON, domain: Domain, ctx: Context, state: BuildState) -> None:
    policy = domain_spec(vmi).get("rebootPolicy")
    if isinstance(policy, str) and policy in _ON_REBOOT:
        domain.on_reboot = _ON_REBOOT[policy]
