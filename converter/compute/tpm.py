"""TPM device (KubeVirt compute/tpm.go): an emulated TPM 2.0, persistent on request."""

from __future__ import annotations

from vmi_converter.converter.common.build import BuildState
from vmi_converter.converter.common.context import Context
from vmi_converter.converter.common.devices import devices_of
from vmi_converter.converter.common.vmi import JSON, devices
from vmi_converter.converter.domain.model import TPM, Domain, TPMBackend


def configure(vmi: JSON, domain: Domain, ctx: Context, state: BuildState) -> None:
    tpm = devices(vmi).get("tpm")
    if not isinstance(tpm, dict) or tpm.get("enabled") is False:
        # A `tpm` entry means a TPM unless it is explicitly disabled.
        return
    persistent = tpm.get("persistent") is True
    # A persistent TPM also switches to tpm-crb, the model KubeVirt prefers going forward.
    devices_of(domain).tpms = [
        TPM(
            model="tpm-crb" if persistent else "tpm-tis",
            backend=TPMBackend(
                type="emulator",
                version="2.0",
                persistent_state="yes" if persistent else None,
            ),
        )
    ]
