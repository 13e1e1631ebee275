"""The virtio device model name KubeVirt picks for an architecture."""

from __future__ import annotations

from vmi_converter.converter.common.context import Context
from vmi_converter.converter.common.vmi import JSON, devices


def virtio_model(vmi: JSON, ctx: Context) -> str:
    """`virtio-transitional`, `virtio-non-transitional`, or plain `virtio` on s390x."""
    return ctx.arch.virtio_model(devices(vmi).get("useVirtioTransitional") is True)
