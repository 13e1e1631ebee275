"""The generated emitters: fresh, and the same output as the reference walker.

`converter/domain/emitters.py` is generated from the model's declarations
(`python -m vmi_converter.converter.domain.codegen`); `vmi_converter.converter.domain.walker` interprets
the same declarations. Both must agree on every reference domain, on every
domain parsed back from KubeVirt's XML, and on every class filled completely.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from conftest import EXPECTED_DIR, expected_xml, fixture_names, load_request
from lxml import etree

from vmi_converter.converter.domain import codegen, model
from vmi_converter.converter.domain.declare import (
    ATTR,
    CHILD,
    CHILDREN,
    FLAG,
    TEXT,
    TEXT_CHILD,
    Element,
    child,
    element,
    resolve_specs,
)
from vmi_converter.converter.domain.emitters import EMITTERS
from vmi_converter.converter.domain.walker import walk_to_xml
from vmi_converter.converter.domain.xmlmodel import XMLValueError, from_element, to_xml
from vmi_converter.converter.pipeline import convert

MODEL_CLASSES = codegen.model_classes()


def test_generated_module_is_fresh() -> None:
    """Fails after a change to the model or the generator: run `python -m vmi_converter.converter.domain.codegen`."""
    assert codegen.TARGET.read_text() == codegen.render()


def test_every_model_class_has_its_emitter() -> None:
    assert set(EMITTERS) == set(MODEL_CLASSES)
    assert len(MODEL_CLASSES) == 149


@pytest.mark.parametrize("name", fixture_names())
def test_reference_domain_emits_as_the_walker_does(name: str) -> None:
    request = load_request(name)
    domain = convert(request["vmi"], request["context"]).domain
    assert to_xml(domain) == walk_to_xml(domain)


@pytest.mark.parametrize("name", sorted(p.stem for p in EXPECTED_DIR.glob("*.xml")))
def test_parsed_reference_domain_round_trips(name: str) -> None:
    """KubeVirt's XML parsed into the model emits the same with both emitters, and parses back equal."""
    parsed = from_element(model.Domain, etree.fromstring(expected_xml(name).encode()))
    emitted = to_xml(parsed)
    assert emitted == walk_to_xml(parsed)
    assert from_element(model.Domain, etree.fromstring(emitted.encode())) == parsed


def _filled(cls: type[Element], seed: int) -> Element:
    """An instance with every field set: attributes and text alternate between strings needing
    escapes and integers, every child present, lists of two, every flag on."""
    values: dict[str, Any] = {}
    for number, spec in enumerate(cls.SPEC, start=seed):
        if spec.kind in (ATTR, TEXT, TEXT_CHILD):
            values[spec.attr] = number if number % 2 else f'v{number} & "q" <t>\n\t'
        elif spec.kind == FLAG:
            values[spec.attr] = True
        elif spec.kind == CHILD:
            assert spec.cls is not None
            values[spec.attr] = _filled(spec.cls, number + 1)
        elif spec.kind == CHILDREN:
            assert spec.cls is not None
            values[spec.attr] = [_filled(spec.cls, number + 1), _filled(spec.cls, number + 2)]
    return cls(**values)


@pytest.mark.parametrize("cls", MODEL_CLASSES, ids=lambda cls: cls.__name__)
def test_filled_class_emits_as_the_walker_does(cls: type[Element]) -> None:
    filled = _filled(cls, 0)
    assert to_xml(filled, "x") == walk_to_xml(filled, "x")
    empty = cls()
    assert to_xml(empty, "x") == walk_to_xml(empty, "x")


def test_kubevirt_metadata_carries_its_namespace() -> None:
    metadata = model.Metadata(kubevirt=model.KubeVirtMetadata(uid="u-1"))
    expected = '<metadata>\n  <kubevirt xmlns="http://kubevirt.io">\n    <uid>u-1</uid>\n  </kubevirt>\n</metadata>\n'
    assert to_xml(metadata, "metadata") == walk_to_xml(metadata, "metadata") == expected


@pytest.mark.parametrize("value", ["bell\x07", "a\ud800b", "\ufffe"])
def test_both_emitters_refuse_what_xml_cannot_carry(value: str) -> None:
    entry = model.Entry(name="x", value=value)
    with pytest.raises(XMLValueError) as generated:
        to_xml(entry, "entry")
    with pytest.raises(XMLValueError) as walked:
        walk_to_xml(entry, "entry")
    assert generated.value.message == walked.value.message == f"value {value!r} contains characters XML cannot carry"


def test_child_classes_come_from_the_annotations() -> None:
    spec = {s.attr: s for s in model.Disk.SPEC}
    assert (spec["source"].kind, spec["source"].name, spec["source"].cls) == (CHILD, "source", model.DiskSource)
    assert (spec["backing_store"].name, spec["backing_store"].cls) == ("backingStore", model.BackingStore)
    devices = {s.attr: s for s in model.Devices.SPEC}
    assert (devices["disks"].kind, devices["disks"].name, devices["disks"].cls) == (CHILDREN, "disk", model.Disk)


def test_an_annotation_naming_no_model_class_is_refused() -> None:
    @element()
    class Lonely(Element):
        part: Missing | None = child()  # type: ignore[name-defined]  # noqa: F821

    with pytest.raises(TypeError) as raised:
        resolve_specs({"Lonely": Lonely})
    assert str(raised.value) == "Lonely.part: 'Missing | None' names no model class (want `X | None` or `list[X]`)"


def test_an_element_outside_the_model_has_no_emitter() -> None:
    @element()
    class Stray(Element):
        pass

    with pytest.raises(TypeError) as raised:
        to_xml(Stray(), "stray")
    assert str(raised.value) == "Stray is not a class of vmi_converter.converter.domain.model"


def test_spec_follows_the_field_declarations() -> None:
    """Every XML field is in the spec, in declaration order, with a kind both emitters know."""
    for cls in MODEL_CLASSES:
        xml_fields = [f.name for f in dataclasses.fields(cls) if "xml" in f.metadata]
        assert [s.attr for s in cls.SPEC] == xml_fields
        assert {s.kind for s in cls.SPEC} <= {ATTR, CHILD, CHILDREN, FLAG, TEXT_CHILD, TEXT}
