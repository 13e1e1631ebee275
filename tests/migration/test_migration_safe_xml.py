"""Untrusted domain XML: hostile and malformed documents are rejected quickly, before any rewriting."""

from __future__ import annotations

import pytest
from migration_helpers import vmi

from vmi_converter.converter.common import safe_xml
from vmi_converter.converter.common.errors import ConversionError
from vmi_converter.converter.common.safe_xml import MAX_DOMAIN_XML_BYTES, parse_domain
from vmi_converter.converter.migration import migratable_xml, migratable_xml_from_request
from vmi_converter.converter.migration import source as source_stage
from vmi_converter.converter.migration.xml_edit import serialize

_XXE = """<?xml version="1.0"?>
<!DOCTYPE domain [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<domain type="kvm"><name>&xxe;</name></domain>"""

_BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<domain><name>&lol9;</name></domain>"""

_EXTERNAL_DTD = '<!DOCTYPE domain SYSTEM "http://example.invalid/domain.dtd"><domain/>'
_PARAMETER_ENTITY = '<!DOCTYPE d [<!ENTITY % p SYSTEM "http://example.invalid/x">%p;]><domain/>'


def _must_not_run(*_: object) -> None:
    raise AssertionError("the expensive work started before the document was rejected")


def _rejected(xml: object, match: str, before_parsing: bool = False) -> ConversionError:
    """Rejected on domainXml before any rewriting starts (and, if asked, before lxml parses it)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(source_stage, "configure_local_disks", _must_not_run)
        if before_parsing:
            patch.setattr(safe_xml, "parser", _must_not_run)
        with pytest.raises(ConversionError, match=match) as err:
            migratable_xml(xml, vmi())  # type: ignore[arg-type]
    assert err.value.field == "domainXml"
    return err.value


@pytest.mark.parametrize("xml", [
    pytest.param(_XXE, id="external entity (XXE)"),
    pytest.param(_BILLION_LAUGHS, id="billion laughs"),
    pytest.param(_EXTERNAL_DTD, id="external DTD"),
    pytest.param(_PARAMETER_ENTITY, id="parameter entity"),
])
def test_documents_with_doctype_or_entities_are_rejected(xml: str) -> None:
    _rejected(xml, "must not contain a DOCTYPE or entity declarations", before_parsing=True)


def test_oversized_document_is_rejected() -> None:
    padding = "<!--" + "x" * MAX_DOMAIN_XML_BYTES + "-->"
    _rejected(f"<domain>{padding}</domain>", f"larger than {MAX_DOMAIN_XML_BYTES} bytes", before_parsing=True)


def test_size_cap_counts_utf8_bytes() -> None:
    text = "é" * (MAX_DOMAIN_XML_BYTES // 2 + 1)  # fewer characters than the cap, more bytes
    _rejected(f"<domain><name>{text}</name></domain>", "larger than")


@pytest.mark.parametrize(("xml", "match"), [
    pytest.param("<domain><name>x</domain>", "malformed domain XML", id="mismatched tag"),
    pytest.param("<domain>", "malformed domain XML", id="unterminated"),
    pytest.param("<domain><name>&undefined;</name></domain>", "malformed domain XML", id="undefined entity"),
    pytest.param("not xml", "malformed domain XML", id="plain text"),
    pytest.param("<domain/><domain/>", "malformed domain XML", id="two roots"),
    pytest.param("", "domain XML is empty", id="empty"),
    pytest.param("<network><name>x</name></network>", "expected a <domain> root element", id="wrong root"),
    pytest.param('<domain xmlns="http://example.com"/>', "expected a <domain> root element", id="namespaced root"),
    pytest.param(b"<domain/>", "expected the domain XML as a string", id="bytes"),
    pytest.param(None, "expected the domain XML as a string", id="none"),
])
def test_malformed_documents_are_rejected(xml: object, match: str) -> None:
    _rejected(xml, match)


def test_deep_nesting_is_rejected() -> None:
    depth = 100_000
    _rejected("<domain>" + "<a>" * depth + "</a>" * depth + "</domain>", "malformed domain XML")


def test_live_xml_is_checked_too() -> None:
    with pytest.raises(ConversionError, match="must not contain a DOCTYPE") as err:
        migratable_xml("<domain/>", vmi(), live_xml=_XXE)
    assert err.value.field == "liveXml"


def test_request_helper_rejects_hostile_xml() -> None:
    with pytest.raises(ConversionError, match="DOCTYPE"):
        migratable_xml_from_request({"domainXml": _BILLION_LAUGHS, "vmi": {}})


def test_xml_declaration_is_accepted_and_dropped() -> None:
    root = parse_domain('<?xml version="1.0" encoding="UTF-8"?>\n<domain type="kvm"/>')
    assert serialize(root) == '<domain type="kvm"></domain>'


def test_comments_and_non_ascii_text_survive() -> None:
    root = parse_domain("<domain><!-- note --><title>caf\u00e9 \u2603</title></domain>")
    assert serialize(root) == "<domain>\n  <!-- note -->\n  <title>caf\u00e9 \u2603</title>\n</domain>"
