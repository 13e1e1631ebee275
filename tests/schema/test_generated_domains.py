"""Every domain converted from a broadly generated VMI is valid under the newest libvirt schema.

VMIs come from vmi_strategies (every capability, amd64/arm64/s390x). A conversion either produces a
domain that libvirt's newest RelaxNG schema accepts, or is refused with one of the clear errors below.
`SCHEMA_EXAMPLES=3000 python -m pytest tests/schema` runs a larger, randomised campaign; CI runs a
fixed, derandomised sample. The installed libvirt 9.0 does not know several features the generated
domains use (passt's vhostuser, iommufd, TDX, per-disk iothreads...), so they skip its parser.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from libvirt_check import newest_schema, schema_errors
from vmi_strategies import generated_request

from vmi_converter.converter.common.errors import ConversionError
from vmi_converter.converter.pipeline import convert

EXAMPLES = int(os.environ.get("SCHEMA_EXAMPLES", "300"))

# The refusals a generated VMI may meet: a LUN on a file-backed volume (docs/differences.md), and KubeVirt's
# own for dedicated CPUs with an IOThreads policy but no disk that gets an IOThread.
ALLOWED_REFUSALS = ("is of type lun. Not compatible with a file based disk", "domain is missing IOThreads")

pytestmark = [
    pytest.mark.newer_libvirt("generated domains use features libvirt 9.0 does not know"),
    pytest.mark.skipif(newest_schema() is None, reason="needs the newest libvirt schema: run scripts/setup-schema"),
]


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize="SCHEMA_EXAMPLES" not in os.environ,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(request=generated_request())
def test_generated_domain_is_valid(request: tuple[dict[str, Any], dict[str, Any]]) -> None:
    vmi, context = request
    try:
        xml = convert(vmi, context).xml
    except ConversionError as err:
        assert err.message.endswith(ALLOWED_REFUSALS), f"{err.field}: {err.message}"
        return
    errors = schema_errors(xml)
    assert not errors, f"invalid under the newest libvirt schema: {errors[:3]}\n{xml}"
