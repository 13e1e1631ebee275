"""KubeVirt's user aliases: a device made from the VMI's disk, interface, input... NAME is aliased
`ua-NAME`, which is how the launcher (and every flow) finds the VMI part a device came from."""

from __future__ import annotations

from typing import Any

from vmi_converter.converter.domain.model import Alias

USER_ALIAS_PREFIX = "ua-"


def user_alias(name: Any) -> Alias:
    """The alias of a device made from the VMI part `name`; KubeVirt prefixes even an empty name."""
    return Alias(name=USER_ALIAS_PREFIX + str(name or ""))


def user_alias_name(alias: Any) -> str | None:
    """The VMI part's name in a user alias, None when `alias` is not one."""
    if isinstance(alias, str) and alias.startswith(USER_ALIAS_PREFIX):
        return alias[len(USER_ALIAS_PREFIX):]
    return None


def device_name(alias: Any) -> str:
    """A device's name as KubeVirt compares them: a user alias without its prefix, any other alias as is."""
    text = "" if alias is None else str(alias)
    found = user_alias_name(text)
    return text if found is None else found
