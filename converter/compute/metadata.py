"""Domain identity: `<name>` is `{namespace}_{name}`."""

from __future__ import annotations

from vmi_converter.converter.common.build import BuildState
from vmi_converter.converter.common.context import Context
from vmi_converter.converter.common.vmi import JSON, name, namespace
from vmi_converter.converter.domain.model import Domain


def configure(vmi: JSON, domain: Domain, ctx: Context, state: BuildState) -> None:
    domain.name = f"{namespace(vmi)}_{name(vmi)}"
