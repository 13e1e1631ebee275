"""`<launchSecurity>`: AMD SEV / SEV-ES / SEV-SNP and Intel TDX (s390x Secure Execution has none)."""

from __future__ import annotations

from vmi_converter.converter.common.arch import AMD64
from vmi_converter.converter.common.build import BuildState
from vmi_converter.converter.common.context import Context
from vmi_converter.converter.common.vmi import JSON, domain_spec, obj, spec, vmi_annotations
from vmi_converter.converter.domain.model import QGS, Domain, LaunchSecurity

QGS_SOCKET_PATH_ANNOTATION = "kubevirt.io/qgs-socket-path"

# Guest policy bits of the AMD SEV and SEV-SNP firmware specifications.
SEV_POLICY_NO_DEBUG = 1 << 0
SEV_POLICY_ENCRYPTED_STATE = 1 << 2
SNP_POLICY_SMT = 1 << 16
SNP_POLICY_RESERVED = 1 << 17


def uses_launch_security(vmi: JSON) -> bool:
    """SEV/SNP or TDX requested, or any launchSecurity on an s390x VMI (Secure Execution)."""
    security = domain_spec(vmi).get("launchSecurity")
    if not isinstance(security, dict):
        return False
    if any(security.get(kind) is not None for kind in ("sev", "snp", "tdx")):
        return True
    return spec(vmi).get("architecture") == "s390x"


def sev_policy_bits(policy: JSON | None) -> int:
    """NoDebug is always set; EncryptedState (SEV-ES) on request."""
    bits = SEV_POLICY_NO_DEBUG
    if obj(policy).get("encryptedState") is True:
        bits |= SEV_POLICY_ENCRYPTED_STATE
    return bits


def snp_policy_bits(snp: JSON | None) -> int:
    return SNP_POLICY_SMT | SNP_POLICY_RESERVED if snp is not None else 0


def configure(vmi: JSON, domain: Domain, ctx: Context, state: BuildState) -> None:
    # arm64 has none; on s390x libvirt's "s390-pv" fails in a privileged pod, so the
    # launcher sets iommu="on" on every device instead.
    if not uses_launch_security(vmi) or ctx.arch.name != AMD64:
        return
    domain.launch_security = _amd64(vmi)


def _amd64(vmi: JSON) -> LaunchSecurity | None:
    security = obj(domain_spec(vmi).get("launchSecurity"))
    sev, snp = security.get("sev"), security.get("snp")
    if sev is None and snp is not None:
        return LaunchSecurity(type="sev-snp", policy=hex(snp_policy_bits(obj(snp))))
    if sev is not None:
        sev = obj(sev)
        return LaunchSecurity(type="sev", policy=hex(sev_policy_bits(obj(sev.get("policy")))),
                              dh_cert=sev.get("dhCert") or None, session=sev.get("session") or None)
    if security.get("tdx") is not None:
        path = vmi_annotations(vmi).get(QGS_SOCKET_PATH_ANNOTATION) or None
        return LaunchSecurity(type="tdx", quote_generation_service=QGS(path=path))
    return None
