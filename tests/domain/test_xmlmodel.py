"""The declarative model: emission order, escaping, parse round trip."""

from __future__ import annotations

import pytest
from lxml import etree

from vmi_converter.converter.domain.model import VCPU, Alias, Disk, DiskDriver, DiskSource, DiskTarget, Domain, Entry
from vmi_converter.converter.domain.xmlmodel import XMLValueError, from_element, to_xml


def test_children_follow_declaration_order_and_flags_are_empty_elements() -> None:
    disk = Disk(
        alias=Alias(name="ua-data"),
        readonly=True,
        target=DiskTarget(bus="virtio", dev="vda"),
        source=DiskSource(file="/d.img"),
        driver=DiskDriver(name="qemu", type="raw", iothread=2),
        device="disk",
        type="file",
    )
    assert to_xml(disk) == (
        '<disk device="disk" type="file">\n'
        '  <source file="/d.img"/>\n'
        '  <target bus="virtio" dev="vda"/>\n'
        '  <driver name="qemu" type="raw" iothread="2"/>\n'
        "  <readonly/>\n"
        '  <alias name="ua-data"/>\n'
        "</disk>\n"
    )


def test_text_content_and_attributes() -> None:
    assert to_xml(VCPU(placement="static", cpus=4), "vcpu") == '<vcpu placement="static">4</vcpu>\n'


def test_special_characters_are_escaped() -> None:
    entry = Entry(name='a"<b>&', value="x < y & z > w")
    assert to_xml(entry, "entry") == '<entry name="a&quot;&lt;b&gt;&amp;">x &lt; y &amp; z &gt; w</entry>\n'
    parsed = from_element(Entry, etree.fromstring(to_xml(entry, "entry")))
    assert (parsed.name, parsed.value) == ('a"<b>&', "x < y & z > w")


def test_control_characters_are_refused() -> None:
    with pytest.raises(XMLValueError) as err:
        to_xml(Entry(name="bell\x07", value=""), "entry")
    assert str(err.value) == "value 'bell\\x07' contains characters XML cannot carry"


def test_parse_then_emit_round_trips() -> None:
    xml = (
        '<domain type="kvm">\n'
        "  <name>ns_vm</name>\n"
        "  <devices>\n"
        '    <disk device="cdrom" type="file">\n'
        '      <source file="/iso"/>\n'
        '      <target bus="sata" dev="sda" tray="closed"/>\n'
        "      <readonly/>\n"
        "    </disk>\n"
        "  </devices>\n"
        "</domain>\n"
    )
    assert to_xml(from_element(Domain, etree.fromstring(xml))) == xml


def test_lone_surrogates_are_refused() -> None:
    """JSON can carry "\\ud800"; it has no UTF-8 form, so it must not reach the XML."""
    with pytest.raises(XMLValueError) as err:
        to_xml(Entry(name="x", value="a\ud800b"), "entry")
    assert str(err.value) == "value 'a\\ud800b' contains characters XML cannot carry"
