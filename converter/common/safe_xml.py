"""The one parser for XML a request carries (a live domain, a ready-made `<hostdev>`).

It comes from a libvirt or a launcher we do not control, so it is parsed without DTDs, entities or
network access, with libxml2's default depth and size limits, and after a size cap.
"""

from __future__ import annotations

from lxml import etree

from vmi_converter.converter.common.errors import ConversionError

MAX_DOMAIN_XML_BYTES = 4 * 1024 * 1024
# Declarations that would let a document define entities (XXE, billion laughs).
_FORBIDDEN_MARKUP = ("<!DOCTYPE", "<!ENTITY")


def parser() -> etree.XMLParser:
    """A parser that resolves no entities, loads no DTD and reaches no network."""
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False)


def parse_domain(text: object, field: str = "domainXml") -> etree._Element:
    """The `<domain>` root of `text`, or a ConversionError on `field` for anything unsafe or malformed."""
    data = _bounded_bytes(text, field)
    if any(marker.encode() in data for marker in _FORBIDDEN_MARKUP):
        raise ConversionError(field, "domain XML must not contain a DOCTYPE or entity declarations")
    try:
        root = etree.fromstring(data, parser())
    except etree.XMLSyntaxError as err:
        raise ConversionError(field, f"malformed domain XML: {err}") from err
    docinfo = root.getroottree().docinfo
    if getattr(docinfo, "doctype", "") or docinfo.internalDTD is not None:
        raise ConversionError(field, "domain XML must not contain a DOCTYPE or entity declarations")
    if root.tag != "domain":
        raise ConversionError(field, f"expected a <domain> root element, got <{root.tag}>")
    return root


def _bounded_bytes(text: object, field: str) -> bytes:
    if not isinstance(text, str):
        raise ConversionError(field, "expected the domain XML as a string")
    # Characters never outnumber UTF-8 bytes: reject oversized input before encoding it.
    if len(text) > MAX_DOMAIN_XML_BYTES:
        raise ConversionError(field, f"domain XML is larger than {MAX_DOMAIN_XML_BYTES} bytes")
    data = text.encode("utf-8", errors="surrogatepass")
    if len(data) > MAX_DOMAIN_XML_BYTES:
        raise ConversionError(field, f"domain XML is larger than {MAX_DOMAIN_XML_BYTES} bytes")
    if not data.strip():
        raise ConversionError(field, "domain XML is empty")
    return data
