"""The context's facts are read by type: a wrong type is refused naming its context path."""

from __future__ import annotations

from typing import Any

import pytest

from vmi_converter.converter.common.context import context_from_dict
from vmi_converter.converter.common.errors import ConversionError


@pytest.mark.parametrize(
    ("context", "field", "message"),
    [
        (
            {"hypervisorDeviceAvailable": "false"},
            "context.hypervisorDeviceAvailable",
            "expected a boolean, got str 'false'",
        ),
        ({"memBalloonStatsPeriod": -5}, "context.memBalloonStatsPeriod", "expected a non-negative integer, got int -5"),
        ({"isBlockPVC": {"data": "yes"}}, 'context.isBlockPVC["data"]', "expected a boolean, got str 'yes'"),
        ({"cpuSet": [0, "1"]}, "context.cpuSet[1]", "expected a non-negative integer, got str '1'"),
        ({"disksInfo": []}, "context.disksInfo", "expected a JSON object, got list []"),
        ({"diskFacts": {"data": 3}}, 'context.diskFacts["data"]', "expected a JSON object, got int 3"),
    ],
)
def test_wrongly_typed_fact_is_refused_naming_it(context: dict[str, Any], field: str, message: str) -> None:
    with pytest.raises(ConversionError) as err:
        context_from_dict(context)
    assert (err.value.field, err.value.message) == (field, message)


def test_typed_facts_are_read() -> None:
    ctx = context_from_dict(
        {"hypervisorDeviceAvailable": True, "isBlockPVC": {"data": True}, "memBalloonStatsPeriod": 10, "cpuSet": [2, 3]}
    )
    assert (ctx.hypervisor_device_available, ctx.is_block_pvc, ctx.mem_balloon_stats_period, ctx.cpu_set) == (
        True, {"data": True}, 10, [2, 3])


def test_null_keeps_the_default() -> None:
    ctx = context_from_dict({"hypervisorDeviceAvailable": None, "memBalloonStatsPeriod": None})
    assert (ctx.hypervisor_device_available, ctx.mem_balloon_stats_period) == (False, 0)
