"""The reference emitter: interprets the declarations, element by element.

The model is emitted by the straight-line functions of `vmi_converter.converter.domain.emitters`,
generated from the same declarations. This walker says what they must produce in
the plainest terms; tests/domain/test_emitters.py holds them to it. It is not on
the conversion path (it is about three times slower).
"""

from __future__ import annotations

from vmi_converter.converter.domain.declare import ATTR, CHILD, CHILDREN, FLAG, TEXT, TEXT_CHILD, Element
from vmi_converter.converter.domain.escape import attr_value, text_value


def walk_to_xml(el: Element, tag: str | None = None) -> str:
    """Serialise an element like `xmlmodel.to_xml` (pretty-printed, two-space indent)."""
    out: list[str] = []
    _emit(el, tag or el.TAG, out, "")
    return "".join(out)


def _emit(el: Element, tag: str, out: list[str], indent: str) -> None:
    head = f"{indent}<{tag}"
    if el.NS:
        head += f' xmlns="{el.NS}"'
    inner = indent + "  "
    body: list[str] = []  # the lines of the child elements
    content = None  # the element's own text
    for spec in el.SPEC:
        value = getattr(el, spec.attr)
        if spec.kind == ATTR and value is not None:
            head += f' {spec.name}="{attr_value(value)}"'
        elif spec.kind == TEXT:
            content = value
        elif spec.kind == CHILD and value is not None:
            _emit(value, spec.name, body, inner)
        elif spec.kind == CHILDREN:
            for item in value:
                _emit(item, spec.name, body, inner)
        elif spec.kind == FLAG and value:
            body.append(f"{inner}<{spec.name}/>\n")
        elif spec.kind == TEXT_CHILD and value is not None:
            body.append(f"{inner}<{spec.name}>{text_value(value)}</{spec.name}>\n")
    if body:  # child elements win over text: no element of the model has both
        out += [f"{head}>\n", *body, f"{indent}</{tag}>\n"]
    elif content is not None:
        out.append(f"{head}>{text_value(content)}</{tag}>\n")
    else:
        out.append(f"{head}/>\n")
