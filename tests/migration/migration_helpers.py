"""Shared helpers for the migration tests: canonical XML comparison and small builders."""

from __future__ import annotations

from typing import Any

from lxml import etree

from vmi_converter.converter.common.safe_xml import parse_domain

JSON = dict[str, Any]

SIZE = 2028994560  # the qemu-img virtual size KubeVirt's tests mock


def canonical(xml: str) -> str:
    """C14N of `xml` without whitespace-only text (sorted attributes, explicit end tags)."""
    root = etree.fromstring(xml.encode())
    for node in root.iter():
        if node.text is not None and not node.text.strip():
            node.text = None
        if node.tail is not None and not node.tail.strip():
            node.tail = None
    return etree.tostring(root, method="c14n").decode()


def element_xml(element: etree._Element) -> str:
    return canonical(etree.tostring(element, encoding="unicode", with_tail=False))


def domain(devices: str = "", extra: str = "") -> etree._Element:
    return parse_domain(f"<domain type=\"kvm\"><name>kubevirt</name>{extra}<devices>{devices}</devices></domain>")


def vmi(name: str = "kubevirt", namespace: str = "testns", **sections: Any) -> JSON:
    """A VMI with metadata and the given top-level `spec`/`status` dicts."""
    result: JSON = {"metadata": {"name": name, "namespace": namespace}}
    result.update(sections)
    return result
