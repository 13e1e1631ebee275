"""Launch security configurator: ported from KubeVirt compute/launch_security_test.go,
virtwrap/launchsecurity/sev_test.go and the SEV / Secure Execution / TDX cases of converter_test.go."""

from __future__ import annotations

import pytest
from raw_convert import raw_convert

from vmi_converter.converter.common.arch import AMD64, ARCHES, ARM64, S390X
from vmi_converter.converter.common.build import BuildState
from vmi_converter.converter.common.context import Context
from vmi_converter.converter.common.vmi import JSON
from vmi_converter.converter.compute import launch_security
from vmi_converter.converter.compute.launch_security import (
    SEV_POLICY_ENCRYPTED_STATE,
    SEV_POLICY_NO_DEBUG,
    SNP_POLICY_RESERVED,
    SNP_POLICY_SMT,
    sev_policy_bits,
    snp_policy_bits,
)
from vmi_converter.converter.domain.xmlmodel import to_xml
from vmi_converter.converter.pipeline import new_domain

QGS_SOCKET = "/test/qgs.socket"


def _launch_security_xml(vmi: JSON, arch: str) -> str | None:
    domain = new_domain()
    launch_security.configure(vmi, domain, Context(arch=ARCHES[arch]), BuildState())
    return to_xml(domain.launch_security, "launchSecurity") if domain.launch_security is not None else None


def _tdx_vmi() -> JSON:
    return {"metadata": {"annotations": {"kubevirt.io/qgs-socket-path": QGS_SOCKET}},
            "spec": {"domain": {"launchSecurity": {"tdx": {}}}}}


# KubeVirt: compute/launch_security_test.go "Should not configure LaunchSecurity when unspecified in the VMI"
@pytest.mark.parametrize("arch", [AMD64, ARM64, S390X], ids=["on amd64", "on arm64", "on s390x"])
def test_nothing_when_unspecified(arch: str) -> None:
    assert _launch_security_xml({"spec": {"domain": {}}}, arch) is None


# KubeVirt: compute/launch_security_test.go "should configure LaunchSecurity when specified in the VMI on amd64"
def test_sev_es() -> None:
    vmi = {"spec": {"domain": {"launchSecurity": {"sev": {"policy": {"encryptedState": True}}}}}}
    expected = '<launchSecurity type="sev">\n  <policy>0x5</policy>\n</launchSecurity>\n'
    assert _launch_security_xml(vmi, AMD64) == expected


# KubeVirt: compute/launch_security_test.go "should configure LaunchSecurity when specified in the VMI on intel"
# and "should use QGS path from annotation for TDX"
def test_tdx() -> None:
    assert _launch_security_xml(_tdx_vmi(), AMD64) == (
        f'<launchSecurity type="tdx">\n  <quoteGenerationService path="{QGS_SOCKET}"/>\n</launchSecurity>\n')


def test_sev_session_and_dh_cert() -> None:
    vmi = {"spec": {"domain": {"launchSecurity": {"sev": {"dhCert": "CERT", "session": "SESSION"}}}}}
    assert _launch_security_xml(vmi, AMD64) == (
        '<launchSecurity type="sev">\n  <dhCert>CERT</dhCert>\n  <session>SESSION</session>\n'
        "  <policy>0x1</policy>\n</launchSecurity>\n")


# KubeVirt: launchsecurity/sev_test.go "should always set NoDebug"
def test_sev_policy_always_sets_no_debug() -> None:
    assert sev_policy_bits(None) == SEV_POLICY_NO_DEBUG
    assert sev_policy_bits({}) == SEV_POLICY_NO_DEBUG
    assert sev_policy_bits({"encryptedState": False}) == SEV_POLICY_NO_DEBUG
    assert sev_policy_bits({"encryptedState": True}) != SEV_POLICY_NO_DEBUG
    assert sev_policy_bits({"encryptedState": True}) & SEV_POLICY_NO_DEBUG == SEV_POLICY_NO_DEBUG


# KubeVirt: launchsecurity/sev_test.go "should correctly set individual bits:" Entry "EncryptedState"
@pytest.mark.parametrize(("value", "bits"), [(None, SEV_POLICY_NO_DEBUG),
                                             (True, SEV_POLICY_NO_DEBUG | SEV_POLICY_ENCRYPTED_STATE),
                                             (False, SEV_POLICY_NO_DEBUG)])
def test_sev_policy_encrypted_state_bit(value: bool | None, bits: int) -> None:
    assert sev_policy_bits({} if value is None else {"encryptedState": value}) == bits


# KubeVirt: launchsecurity/sev_test.go "should correctly set SNP-specific bits set when SNP is enabled"
def test_snp_policy_bits() -> None:
    assert snp_policy_bits({}) & SNP_POLICY_SMT == SNP_POLICY_SMT
    assert snp_policy_bits({}) & SNP_POLICY_RESERVED == SNP_POLICY_RESERVED


# KubeVirt: launchsecurity/sev_test.go "should return zero when SNP policy is nil"
def test_snp_policy_bits_without_snp() -> None:
    assert snp_policy_bits(None) == 0


def _converted(launch_security_spec: JSON, arch: str, context: JSON) -> str | None:
    vmi = {"metadata": {"name": "testvmi", "namespace": "default"},
           "spec": {"architecture": arch, "domain": {
               "launchSecurity": launch_security_spec,
               "features": {"smm": {"enabled": False}},
               "firmware": {"bootloader": {"efi": {"secureBoot": False}}},
               "devices": {"rng": {}, "autoattachMemBalloon": True},
               "resources": {"requests": {"memory": "64Mi"}}}}}
    domain = raw_convert(vmi, {"architecture": arch, "allowEmulation": True, "efiConfiguration": {}, **context})
    return to_xml(domain.launch_security, "launchSecurity") if domain.launch_security is not None else None


# KubeVirt: converter_test.go "with AMD SEV LaunchSecurity": "should set LaunchSecurity domain element with 'sev'
# type and 'NoDebug' policy", "... with 'NoDebug' and 'EncryptedState' policy bits", "... 'sev-snp' type with
# 'Reserved' policy bits"
@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        pytest.param({"sev": {}}, '<launchSecurity type="sev">\n  <policy>0x1</policy>\n</launchSecurity>\n',
                     id="sev type and NoDebug policy"),
        pytest.param({"sev": {"policy": {"encryptedState": True}}},
                     '<launchSecurity type="sev">\n  <policy>0x5</policy>\n</launchSecurity>\n',
                     id="sev type with NoDebug and EncryptedState policy bits"),
        pytest.param({"snp": {}}, '<launchSecurity type="sev-snp">\n  <policy>0x30000</policy>\n</launchSecurity>\n',
                     id="sev-snp type with Reserved policy bits"),
    ],
)
def test_converter_sev(spec: JSON, expected: str) -> None:
    assert _converted(spec, AMD64, {"useLaunchSecuritySEV": True}) == expected


# KubeVirt: converter_test.go "with Secure Execution LaunchSecurity" "should not set LaunchSecurity domain element"
def test_converter_secure_execution_has_no_launch_security_element() -> None:
    assert _converted({}, S390X, {"useLaunchSecurityPV": True}) is None


# KubeVirt: converter_test.go "with Intel TDX LaunchSecurity" "should set LaunchSecurity domain element with 'tdx' type"
def test_converter_tdx() -> None:
    expected = '<launchSecurity type="tdx">\n  <quoteGenerationService/>\n</launchSecurity>\n'
    assert _converted({"tdx": {}}, AMD64, {"useLaunchSecurityTDX": True}) == expected
