"""Checks every emitted domain against libvirt itself.

Two real components: libvirt's RelaxNG schema (what `virt-xml-validate`
uses) and libvirt's own parser (the `test:///default` driver: define, dump,
undefine). The schema is the newest libvirt release's, fetched by
`scripts/setup-schema` into .cache/libvirt-schemas/VERSION; without it the
installed libvirt's (9.0) is used and `schema_source()` says so. The parser is
always the installed libvirt. Comparing two domains after libvirt parsed both ignores what
libvirt treats as equal (element order, `<x></x>` vs `<x/>`, defaults it
fills in), which is the rule the expected KubeVirt outputs are held to.
"""

from __future__ import annotations

import difflib
import functools
import re
from pathlib import Path

from lxml import etree

REPO = Path(__file__).resolve().parents[1]
NEWEST_SCHEMAS = REPO / ".cache" / "libvirt-schemas"
INSTALLED_SCHEMA = Path("/usr/share/libvirt/schemas/domain.rng")
QEMU_NS = "http://libvirt.org/schemas/domain/qemu/1.0"

try:
    import libvirt
except ImportError:  # pragma: no cover - CI installs it
    libvirt = None


def _version_key(version: str) -> list[int]:
    return [int(part) for part in re.findall(r"\d+", version)]


@functools.cache
def newest_schema() -> Path | None:
    """domain.rng of the newest libvirt release scripts/setup-schema fetched, if any."""
    fetched = [d for d in NEWEST_SCHEMAS.glob("*") if (d / "domain.rng").is_file()]
    if not fetched:
        return None
    return max(fetched, key=lambda d: _version_key(d.name)) / "domain.rng"


def schema_source() -> str:
    """Which schema the checks use, for the test report."""
    newest = newest_schema()
    if newest is not None:
        return f"libvirt {newest.parent.name} schema ({newest.parent.relative_to(REPO)})"
    return (
        f"FELL BACK to the installed libvirt's schema ({INSTALLED_SCHEMA}): run scripts/setup-schema "
        "to validate against the newest libvirt release"
    )


@functools.cache
def _schema() -> etree.RelaxNG:
    return etree.RelaxNG(etree.parse(str(newest_schema() or INSTALLED_SCHEMA)))


@functools.cache
def _connection():  # type: ignore[no-untyped-def]
    assert libvirt is not None, "libvirt-python is required (pip install libvirt-python)"
    libvirt.registerErrorHandler(lambda *_: None, None)
    return libvirt.open("test:///default")


def schema_errors(xml: str) -> list[str]:
    """libvirt's RelaxNG verdict: an empty list when the domain is valid."""
    schema = _schema()
    if schema.validate(etree.fromstring(xml.encode())):
        return []
    return [str(e) for e in schema.error_log]


def _fill_launcher_supplied(xml: str) -> str:
    """Fill in, identically on both sides, what the launcher supplies later and libvirt needs now.

    - libvirt draws a random MAC for an interface without one (the launcher adds the pod's);
    - a pflash `<loader>` without a path (no EFI firmware in the test context) is refused.
    """
    root = etree.fromstring(xml.encode())
    for index, interface in enumerate(root.xpath("/domain/devices/interface")):
        if interface.find("mac") is None:
            etree.SubElement(interface, "mac", address=f"52:54:00:00:00:{index:02x}")
    for loader in root.xpath("/domain/os/loader[not(normalize-space())]"):
        loader.text = "/usr/share/AAVMF/AAVMF_CODE.fd"
    return etree.tostring(root, encoding="unicode")


def libvirt_parse(xml: str) -> str:
    """The domain as libvirt reads it back (inactive definition)."""
    conn = _connection()
    dom = conn.defineXML(_fill_launcher_supplied(xml))
    try:
        return str(dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE))
    finally:
        dom.undefine()


def qemu_args(xml: str) -> list[str]:
    """`<qemu:commandline>` arguments, which the test driver does not keep."""
    root = etree.fromstring(xml.encode())
    return [a.get("value", "") for a in root.iter(f"{{{QEMU_NS}}}arg")]


def fix_kubevirt_output(xml: str) -> str:
    """KubeVirt's output minus what libvirt's schema rejects (we leave those out).

    - empty `<bios>`, `<baseBoard>`, `<chassis>` in `<sysinfo>`;
    - a `name` attribute on a block disk's `<source dev=...>`;
    - `<maxMemory slots="0">`, which libvirt 9.0 refuses: we emit `slots="1"` (docs/differences.md).
    """
    root = etree.fromstring(xml.encode())
    for section in root.xpath("/domain/sysinfo/bios|/domain/sysinfo/baseBoard|/domain/sysinfo/chassis"):
        if len(section) == 0:
            section.getparent().remove(section)
    for source in root.xpath("//disk/source[@dev][@name]"):
        del source.attrib["name"]
    for max_memory in root.xpath("/domain/maxMemory[@slots='0']"):
        max_memory.set("slots", "1")
    return etree.tostring(root, encoding="unicode")


def assert_same_domain(ours: str, kubevirt: str) -> None:
    """Fail with a diff unless both domains are equal once libvirt parsed them."""
    assert not schema_errors(ours), f"not valid under libvirt's schema: {schema_errors(ours)[:3]}\n{ours}"
    expected = fix_kubevirt_output(kubevirt)
    assert qemu_args(ours) == qemu_args(expected)
    got, want = libvirt_parse(ours), libvirt_parse(expected)
    if got != want:
        diff = "\n".join(difflib.unified_diff(want.splitlines(), got.splitlines(), "kubevirt", "ours", lineterm=""))
        raise AssertionError(f"domains differ after libvirt parsed both:\n{diff}")
