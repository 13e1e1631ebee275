"""Errors a conversion reports to its caller."""

from __future__ import annotations

import json
import re

from mypy_extensions import mypyc_attr


@mypyc_attr(allow_interpreted_subclasses=True)  # the domain model's XMLValueError is one (not compiled)
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


class HostProbeError(ConversionError):
    """A host probe reported in the request failed, so the launcher's operation fails.

    Not bad input: the request is well formed, but the host is not in a state the
    operation can proceed from (gRPC FAILED_PRECONDITION). `subject` is what was probed.
    """

    def __init__(self, field: str, message: str, subject: str) -> None:
        super().__init__(field, message)
        self.subject = subject


_PLAIN_KEY = re.compile(r"[A-Za-z0-9_$@:/.-]+")


def member_path(path: str, key: str) -> str:
    """`path.key`, or `path["key"]` (JSON-escaped) for a key that is not a plain name: a field path in a
    message or warning is one line and names even an empty key, whatever the key holds."""
    if _PLAIN_KEY.fullmatch(key):
        return f"{path}.{key}" if path else key
    return f"{path}[{json.dumps(key)}]"
