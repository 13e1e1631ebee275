"""Domain identity: `<name>` is `{namespace}_{name}`."""

from __future__ import annotations

from converter.context import Context
from converter.domain.model import Domain
from converter.vmi import JSON, name, namespace


def configure(vmi: JSON, domain: Domain, ctx: Context) -> None:
    domain.name = f"{namespace(vmi)}_{name(vmi)}"
