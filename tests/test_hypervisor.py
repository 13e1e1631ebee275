"""Hypervisor configurators: ported from KubeVirt converter/kvm/configurator_test.go (the MSHV
configurator has no KubeVirt tests; its three outcomes are covered here)."""

from __future__ import annotations

import pytest

from vmi_converter.converter.common.build import BuildState
from vmi_converter.converter.common.context import Context
from vmi_converter.converter.common.errors import ConversionError
from vmi_converter.converter.common.vmi import JSON
from vmi_converter.converter.compute import hypervisor
from vmi_converter.converter.domain.model import Domain
from vmi_converter.converter.pipeline import new_domain


def _vmi(arch: str = "") -> JSON:
    return {"spec": {"architecture": arch, "domain": {}} if arch else {"domain": {}}}


def _kvm(vmi: JSON, *, emulation: bool = True, kvm: bool = True, host: str = "", cross_arch: bool = True,
         emulators: list[str] | None = None) -> Domain:
    """KubeVirt's KvmDomainConfigurator; `host` set means NewKvmDomainConfiguratorWithCrossArch."""
    domain = new_domain()
    ctx = Context(allow_emulation=emulation, hypervisor_device_available=kvm, allow_cross_arch_emulation=cross_arch,
                  host_architecture=host, available_emulators=emulators)
    hypervisor.configure_kvm(vmi, domain, ctx, host_architecture=host)
    return domain


def _untouched(domain: Domain) -> bool:
    return domain == new_domain()


# KubeVirt: kvm/configurator_test.go "Should not modify domain type"
def test_kvm_available() -> None:
    assert _untouched(_kvm(_vmi(), emulation=False))


# KubeVirt: kvm/configurator_test.go "Should not modify domain type even when emulation is allowed"
def test_kvm_available_with_emulation_allowed() -> None:
    assert _untouched(_kvm(_vmi(), emulation=True))


# KubeVirt: kvm/configurator_test.go "Should return error when emulation is not allowed"
def test_no_kvm_no_emulation() -> None:
    with pytest.raises(ConversionError, match="kvm not present and emulation is not allowed") as err:
        _kvm(_vmi(), emulation=False, kvm=False)
    assert err.value.field == "context.hypervisorDeviceAvailable"


# KubeVirt: kvm/configurator_test.go "Should set domain type to qemu when emulation is allowed"
def test_no_kvm_with_emulation() -> None:
    assert _kvm(_vmi(), kvm=False).type == "qemu"


# KubeVirt: kvm/configurator_test.go "Should set domain type to qemu and emulator path for cross-arch"
def test_cross_arch() -> None:
    domain = _kvm(_vmi("arm64"), host="amd64")
    assert domain.type == "qemu"
    assert domain.devices is not None and domain.devices.emulator == "/usr/bin/qemu-system-aarch64"


# KubeVirt: kvm/configurator_test.go "Should return error when cross-arch feature gate is disabled"
def test_cross_arch_without_feature_gate() -> None:
    with pytest.raises(ConversionError, match="CrossArchitectureVirtualization") as err:
        _kvm(_vmi("arm64"), host="amd64", cross_arch=False)
    assert err.value.field == "context.allowCrossArchEmulation"


# KubeVirt: kvm/configurator_test.go "Should succeed for cross-arch even when useEmulation is disabled"
def test_cross_arch_without_use_emulation() -> None:
    domain = _kvm(_vmi("arm64"), host="amd64", emulation=False)
    assert domain.type == "qemu"
    assert domain.devices is not None and domain.devices.emulator == "/usr/bin/qemu-system-aarch64"


# KubeVirt: kvm/configurator_test.go "Should not trigger cross-arch when guest matches host" /
# "... when guest architecture is empty"
@pytest.mark.parametrize("guest", ["amd64", ""], ids=["guest matches host", "guest architecture is empty"])
def test_no_cross_arch(guest: str) -> None:
    assert _kvm(_vmi(guest), host="amd64").type is None


# KubeVirt: kvm/configurator_test.go "Should set correct emulator path for amd64 guest on arm64 host" /
# "Should set correct emulator path for s390x guest"
@pytest.mark.parametrize(("guest", "host", "emulator"), [("amd64", "arm64", "/usr/bin/qemu-system-x86_64"),
                                                         ("s390x", "amd64", "/usr/bin/qemu-system-s390x")])
def test_cross_arch_emulator_path(guest: str, host: str, emulator: str) -> None:
    domain = _kvm(_vmi(guest), host=host)
    assert domain.type == "qemu"
    assert domain.devices is not None and domain.devices.emulator == emulator


# KubeVirt: kvm/configurator_test.go "Should return error when emulator binary is missing"
def test_cross_arch_emulator_missing() -> None:
    with pytest.raises(ConversionError,
                       match="required emulator binary not found: /usr/bin/qemu-system-aarch64") as err:
        _kvm(_vmi("arm64"), host="amd64", emulators=["/usr/bin/qemu-system-x86_64"])
    assert err.value.field == "context.availableEmulators"


# KubeVirt: kvm/configurator_test.go "Should return error for unsupported guest architecture"
def test_cross_arch_unsupported_guest() -> None:
    with pytest.raises(ConversionError, match="unsupported guest architecture for cross-architecture emulation: "
                                              "riscv64") as err:
        _kvm(_vmi("riscv64"), host="amd64")
    assert err.value.field == "spec.architecture"


def test_configure_ignores_host_architecture_without_cross_arch_permission() -> None:
    domain = new_domain()
    ctx = Context(hypervisor_device_available=True, host_architecture="amd64")
    hypervisor.configure(_vmi("arm64"), domain, ctx, BuildState())
    assert _untouched(domain)


def test_configure_cross_arch_when_permitted() -> None:
    domain = new_domain()
    ctx = Context(hypervisor_device_available=True, host_architecture="amd64", allow_cross_arch_emulation=True)
    hypervisor.configure(_vmi("s390x"), domain, ctx, BuildState())
    assert domain.type == "qemu"


@pytest.mark.parametrize(
    ("available", "emulation", "domain_type"),
    [(True, False, "hyperv"), (False, True, "qemu")],
    ids=["MSHV present", "MSHV absent, emulation allowed"],
)
def test_mshv(available: bool, emulation: bool, domain_type: str) -> None:
    domain = new_domain()
    ctx = Context(hypervisor_name="hyperv-direct", hypervisor_device_available=available, allow_emulation=emulation)
    hypervisor.configure(_vmi(), domain, ctx, BuildState())
    assert domain.type == domain_type


def test_mshv_absent_without_emulation() -> None:
    ctx = Context(hypervisor_name="hyperv-direct")
    with pytest.raises(ConversionError, match="MSHV not present"):
        hypervisor.configure(_vmi(), new_domain(), ctx, BuildState())
