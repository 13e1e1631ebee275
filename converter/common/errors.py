"""Errors a conversion reports to its caller."""

from __future__ import annotations


class ConversionError(Exception):
    """The VMI or context cannot be converted; `field` is the offending path.

    Paths use the Kubernetes JSON names of the request, e.g.
    `spec.domain.devices.disks[2].pciAddress` or `context.disksInfo["root"]`.
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field
        self.message = message
        self.rule = ""  # the pipeline stage that refused, filled in by the pipeline
