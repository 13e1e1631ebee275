"""convert() the way KubeVirt's converter_test.go calls its converter.

Those tests apply only the generated API defaulters
(`v1.SetObjectDefaults_VirtualMachineInstance`) before converting, never the
admission webhook's defaults (CPU topology, guest memory, CPU model...). Tests
ported from there use this so their inputs mean what they meant in KubeVirt.
"""

from __future__ import annotations

from typing import Any
from unittest.mock import patch

from converter import pipeline
from converter.defaults import set_object_defaults
from converter.domain.model import Domain


def raw_convert(vmi: dict[str, Any], context: dict[str, Any] | None = None) -> Domain:
    with patch.object(pipeline, "apply_vmi_defaults", lambda vmi, arch: set_object_defaults(vmi)):
        return pipeline.convert(vmi, context or {}).domain
