"""The standalone `<disk>` documents handed to libvirt's attach, detach and update calls.

Detach and update start from the running domain's own `<disk>` element, so
whatever libvirt reported (children our model does not know, `source@index`)
reaches libvirt unchanged; libvirt finds the disk to detach by `target@dev`.
Attach renders the converted disk. Nothing is lower-cased: element names
such as `dataStore` and values such as serials and paths are case-sensitive.
"""

from __future__ import annotations

import copy

from lxml import etree

from vmi_converter.converter.domain.model import Disk
from vmi_converter.converter.domain.xmlmodel import to_xml
from vmi_converter.converter.hotplug.diff import MediumChange

RAW = "raw"


def attach_xml(disk: Disk) -> str:
    return to_xml(disk, "disk")


def detach_xml(element: etree._Element) -> str:
    return _standalone(copy.deepcopy(element))


def update_xml(change: MediumChange) -> str:
    """The running CD-ROM with the new medium: the drive's other settings must stay as they are."""
    disk = copy.deepcopy(change.live.element)
    source = etree.fromstring(to_xml(change.source, "source"))
    _replace_source(disk, source)
    # The backing chain described the old medium.
    for backing in disk.findall("backingStore"):
        disk.remove(backing)
    disk.set("type", "file" if change.source.file else "block")
    driver = disk.find("driver")
    if driver is None:
        driver = etree.Element("driver")
        disk.insert(0, driver)
    driver.set("type", RAW)
    return _standalone(disk)


def _replace_source(disk: etree._Element, source: etree._Element) -> None:
    old = disk.find("source")
    if old is not None:
        disk.replace(old, source)
        for extra in disk.findall("source")[1:]:
            disk.remove(extra)
        return
    driver = disk.find("driver")
    disk.insert(0 if driver is None else disk.index(driver) + 1, source)


def _standalone(disk: etree._Element) -> str:
    """One `<disk>` document: no tail, no namespace declarations it does not use, re-indented."""
    disk.tail = None
    for node in disk.iter():
        if len(node) and node.text is not None and not node.text.strip():
            node.text = None
        if node is not disk and node.tail is not None and not node.tail.strip():
            node.tail = None
    etree.cleanup_namespaces(disk)
    etree.indent(disk, space="  ")
    return etree.tostring(disk, encoding="unicode") + "\n"
