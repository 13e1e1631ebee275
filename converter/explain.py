"""Explain: for every emitted element, the rule and the inputs that produced it.

Explaining runs the real pipeline (`pipeline.build`) with the VMI and the
context wrapped in recorders: every VMI field and context fact a stage reads
is noted, and after each stage the elements it created are stamped with the
stage's rule and what it read. Elements that carry a user alias (`ua-NAME`)
keep only the reads of the VMI list items of that name (the disk and its
volume, the interface and its network...). Fields that KubeVirt's defaulting
filled in rather than the VMI are named in the note. Nothing is guessed after
the fact: an element is explained by the stage that built it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from lxml import etree

from vmi_converter.converter import pipeline
from vmi_converter.converter.common.aliases import user_alias_name
from vmi_converter.converter.common.context import Context, context_from_dict, observed_context
from vmi_converter.converter.common.errors import ConversionError
from vmi_converter.converter.common.vmi import JSON, copy_json
from vmi_converter.converter.domain.model import KUBEVIRT_NS, QEMU_NS, Domain
from vmi_converter.converter.domain.xmlmodel import ATTR, Element, Origin, iter_child_elements, iter_children, to_xml

# The prefixes of the explanation XPaths' namespaced steps (`/domain/metadata/kubevirt:kubevirt/kubevirt:uid`,
# `/domain/qemu:commandline`); a caller passes this map to its XPath engine (lxml: `namespaces=`).
NAMESPACES = {"kubevirt": KUBEVIRT_NS, "qemu": QEMU_NS}
_PREFIXES = {uri: prefix for prefix, uri in NAMESPACES.items()}


@dataclass(frozen=True, slots=True)
class Explanation:
    xpath: str
    origin: Origin

    def as_json(self) -> dict[str, object]:
        return {
            "xpath": self.xpath,
            "fields": list(self.origin.fields),
            "facts": list(self.origin.facts),
            "rule": self.origin.rule,
            "note": self.origin.note,
        }


@dataclass(slots=True)
class Explained:
    """An explained conversion, or the explanation of its rejection."""

    domain: Domain | None
    explanations: list[Explanation]
    warnings: list[str]
    error: ConversionError | None = None
    error_rule: str = ""
    error_fields: tuple[str, ...] = ()

    def as_json(self) -> dict[str, object]:
        result: dict[str, object] = {
            "domainXml": to_xml(self.domain) if self.domain is not None else "",
            "explanations": [e.as_json() for e in self.explanations],
            "warnings": list(self.warnings),
        }
        if self.domain is not None:
            result["namespaces"] = dict(NAMESPACES)
        if self.error is not None:
            result["rejection"] = {
                "rule": self.error_rule,
                "field": self.error.field,
                "fields": list(self.error_fields),
                "message": self.error.message,
            }
        return result


def explain(vmi: JSON, context: JSON | Context | None = None) -> Explained:
    """Convert like `pipeline.convert`, recording where every element came from."""
    ctx = context if isinstance(context, Context) else context_from_dict(context)
    defaulted = pipeline.prepare(vmi, ctx)
    recorder = _Recorder(_changed_paths(copy_json(vmi), defaulted), defaulted)
    traced_vmi = _traced(defaulted, "", recorder)
    traced_ctx = _tracing_context(ctx, recorder)
    observer = _Observer(recorder)
    try:
        conversion = pipeline.build(traced_vmi, traced_ctx, observer)
    except ConversionError as err:
        fields = tuple(dict.fromkeys([err.field, *_leaves(recorder.fields)]))
        return Explained(None, [], [], err, err.rule, fields)
    domain = conversion.domain
    return Explained(domain, explanations(domain, observer.plain), conversion.warnings)


PlainOrigins = dict[tuple[int, str], Origin]


def explanations(root: Element, plain: PlainOrigins | None = None) -> list[Explanation]:
    """One entry per element from `root` down, in document order, with its XPath.

    Steps in a namespace carry its prefix from NAMESPACES, so the XPaths resolve with that map.
    `plain` holds the origins of flag and text children (`<readonly/>`,
    `<name>`), keyed by (id of their element, XML name).
    """
    path = f"/{root.TAG}"
    head = [Explanation(path, root.origin)] if root.origin is not None else []
    return head + list(_walk(root, path, plain or {}, root.NS))


def _walk(element: Element, path: str, plain: PlainOrigins, default_ns: str | None) -> Iterator[Explanation]:
    """`default_ns`: the namespace `element`'s unprefixed children are in (an `xmlns=` up the tree)."""
    children = list(iter_child_elements(element))
    totals = Counter(name for name, _ in children)
    seen: Counter[str] = Counter()
    for name, sub in children:
        seen[name] += 1
        namespace = sub.NS if sub is not None and sub.NS else default_ns
        qualified = name if ":" in name or namespace is None else f"{_PREFIXES[namespace]}:{name}"
        step = f"{qualified}[{seen[name]}]" if totals[name] > 1 else qualified
        sub_path = f"{path}/{step}"
        origin = plain.get((id(element), name), element.origin) if sub is None else sub.origin
        if origin is not None:
            yield Explanation(sub_path, origin)
        if sub is not None:
            yield from _walk(sub, sub_path, plain, namespace)


# ---------------------------------------------------------------- recording reads


class _Recorder:
    def __init__(self, defaulted_paths: set[str], vmi: JSON) -> None:
        self.fields: set[str] = set()
        self.facts: set[str] = set()
        self.defaulted_paths = defaulted_paths
        self.vmi = vmi

    def reset(self) -> None:
        self.fields, self.facts = set(), set()

    def note(self, path: str) -> None:
        (self.facts if path.startswith("context.") else self.fields).add(path)


class _Key(str):
    """A key of a traced dict: notes its path whenever a lookup finds it.

    Compiled (mypyc) code reads a dict-typed value with the C dict functions, which skip the
    methods a dict subclass overrides; but every lookup that finds a key compares the stored key
    with the one asked for, and that comparison calls this `__eq__`, compiled or not.
    """

    __slots__ = ("_path", "_recorder")
    _path: str
    _recorder: _Recorder

    def __new__(cls, key: str, path: str, recorder: _Recorder) -> _Key:
        self = super().__new__(cls, key)
        self._path, self._recorder = path, recorder
        return self

    def __eq__(self, other: object) -> bool:
        equal = str.__eq__(self, other)
        if equal is True:
            self._recorder.note(self._path)
        return equal

    __hash__ = str.__hash__


class _TracingDict(dict[str, Any]):
    """A read-only view of a VMI object that notes the path of every key read.

    Built whole ahead of the run (`_traced`): its keys are `_Key`s and its values traced in turn,
    so reads that bypass these methods still reach recording keys and traced values.
    """

    def __init__(self, data: dict[str, Any], path: str, recorder: _Recorder) -> None:
        super().__init__(data)
        self._path, self._recorder = path, recorder

    def _note(self, key: object) -> None:
        self._recorder.note(_child_path(self._path, key))

    def get(self, key: str, default: Any = None) -> Any:
        return self[key] if key in self.keys() else default

    def __getitem__(self, key: str) -> Any:
        self._note(key)
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        self._note(key)  # also a key that is absent: its absence was read
        return super().__contains__(key)

    def items(self) -> Any:
        pairs = list(super().items())
        for key, _ in pairs:
            self._note(key)
        return pairs

    def values(self) -> Any:
        return [v for _, v in self.items()]


def _child_path(path: str, key: object) -> str:
    if path.startswith("context."):
        return f'{path}["{key}"]'
    return f"{path}.{key}" if path else str(key)


def _traced(value: Any, path: str, recorder: _Recorder) -> Any:
    """A traced copy of JSON data: dicts keyed by recording keys, lists of traced items (reading
    an item is not a read by itself; reading its fields is)."""
    if isinstance(value, dict):
        items: dict[str, Any] = {}
        for key, sub in value.items():
            sub_path = _child_path(path, key)
            items[_Key(key, sub_path, recorder)] = _traced(sub, sub_path, recorder)
        return _TracingDict(items, path, recorder)
    if isinstance(value, list):
        return [_traced(item, f"{path}[{index}]", recorder) for index, item in enumerate(value)]
    return value


def _tracing_context(ctx: Context, recorder: _Recorder) -> Context:
    """A copy of the context whose fact reads are noted (dict facts also per key)."""

    def record(_attr: str, fact: str, value: Any) -> Any:
        if isinstance(value, dict):
            return _traced(value, fact, recorder)
        recorder.facts.add(fact)
        return value

    return observed_context(ctx, record)


# ---------------------------------------------------------------- stamping elements


class _Observer:
    def __init__(self, recorder: _Recorder) -> None:
        self.recorder = recorder
        self.plain: PlainOrigins = {}
        self.attributes: dict[int, tuple[object, ...]] = {}
        self.item_names: dict[str, Any] = {}

    def __call__(self, rule: str, domain: Domain) -> None:
        fields, facts = _leaves(self.recorder.fields), _leaves(self.recorder.facts)
        if rule == "domain":  # the skeleton reads nothing; earlier reads only chose the stages
            fields, facts = [], []
        if domain.origin is None:
            domain.origin = Origin(rule, note="the domain; its type is set by the hypervisor rule")
        skeleton = "part of every KubeVirt domain" if rule == "domain" else ""
        stage = _Stage(rule, fields, facts, Origin(rule, tuple(fields), tuple(facts), skeleton))
        self._visit(domain, stage)
        self.recorder.reset()

    def _visit(self, element: Element, stage: _Stage) -> None:
        """One walk per stage: stamp new elements, new flag/text children, and changed attributes."""
        self._note_changed_attributes(element, stage)
        for name, sub in iter_child_elements(element):
            if sub is None:
                self.plain.setdefault((id(element), name), stage.plain_origin)
                continue
            if sub.origin is None:
                self._stamp(sub, stage)
            self._visit(sub, stage)

    def _note_changed_attributes(self, element: Element, stage: _Stage) -> None:
        """A later stage that changes attributes of an earlier element (e.g. the host cache/IO
        rules on a disk driver) is added to that element's explanation."""
        names = _attribute_names(type(element))
        now = tuple(getattr(element, a) for a, _ in names)
        before = self.attributes.get(id(element))
        self.attributes[id(element)] = now
        origin = element.origin
        if before is None or before == now or origin is None or origin.rule == stage.rule:
            return
        changed = ", ".join(f"{xml}={new}" for (_, xml), old, new in zip(names, before, now, strict=True) if old != new)
        note = "; ".join(filter(None, [origin.note, f"{changed} set by {stage.rule}"]))
        facts = tuple(dict.fromkeys(origin.facts + tuple(stage.facts)))
        element.origin = Origin(origin.rule, origin.fields, facts, note)

    def _stamp(self, element: Element, stage: _Stage) -> None:
        own = _fields_of_alias(element, stage.fields, self.recorder.vmi, self.item_names)
        facts = _facts_of_alias(element, stage.facts)
        defaulted = [f for f in own if _is_defaulted(f, self.recorder.defaulted_paths)]
        note = f"defaulted by KubeVirt's VMI defaults: {', '.join(defaulted)}" if defaulted else ""
        if not own and not facts and stage.rule == "domain":
            note = "part of every KubeVirt domain"
        _inherit(element, Origin(stage.rule, tuple(own), tuple(facts), note))


@dataclass(frozen=True, slots=True)
class _Stage:
    rule: str
    fields: list[str]
    facts: list[str]
    plain_origin: Origin  # for flag and text children that appeared in this stage


_ATTRIBUTE_NAMES: dict[type[Element], tuple[tuple[str, str], ...]] = {}


def _attribute_names(cls: type[Element]) -> tuple[tuple[str, str], ...]:
    """(python name, XML name) of the class's attributes."""
    names = _ATTRIBUTE_NAMES.get(cls)
    if names is None:
        names = _ATTRIBUTE_NAMES[cls] = tuple((s.attr, s.name) for s in cls.SPEC if s.kind == ATTR)
    return names


def _inherit(element: Element, origin: Origin) -> None:
    element.origin = origin
    for _, sub in iter_children(element):
        if sub.origin is None:
            _inherit(sub, origin)


_INDEXED = re.compile(r"^(.*?\[\d+\])")


def _fields_of_alias(element: Element, fields: list[str], vmi: JSON, item_names: dict[str, Any]) -> list[str]:
    """For an element with a user alias, only the reads of VMI list items with that name."""
    name = _alias_name(element)
    if name is None:
        return fields
    kept = []
    for path in fields:
        match = _INDEXED.match(path)
        if match is None:
            kept.append(path)
            continue
        item_path = match.group(1)
        if item_path not in item_names:
            item = _lookup(vmi, item_path)
            item_names[item_path] = item.get("name") if isinstance(item, dict) else None
        item_name = item_names[item_path]
        if isinstance(item_name, str) and (item_name == name or name.endswith(f"-{item_name}")):
            kept.append(path)
    return kept


_KEYED_FACT = re.compile(r'^context\.\w+\["(.*?)"\]')


def _facts_of_alias(element: Element, facts: list[str]) -> list[str]:
    """For an element with a user alias, drop per-volume/per-interface facts about other names."""
    name = _alias_name(element)
    if name is None:
        return facts
    return [f for f in facts if (m := _KEYED_FACT.match(f)) is None or m.group(1) == name or name.endswith(m.group(1))]


def _alias_name(element: Element) -> str | None:
    alias = getattr(getattr(element, "alias", None), "name", None)
    return user_alias_name(alias)


def _lookup(vmi: JSON, path: str) -> Any:
    value: Any = vmi
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", path):
        if part.startswith("["):
            index = int(part[1:-1])
            value = value[index] if isinstance(value, list) and index < len(value) else None
        else:
            value = value.get(part) if isinstance(value, dict) else None
    return value


def _leaves(paths: set[str]) -> list[str]:
    """The most specific paths: drop each path that another one extends."""
    ordered = sorted(paths)
    return [p for i, p in enumerate(ordered) if not any(q.startswith((p + ".", p + "[")) for q in ordered[i + 1 :])]


def _is_defaulted(path: str, defaulted: set[str]) -> bool:
    return path in defaulted or any(path.startswith((d + ".", d + "[")) for d in defaulted)


def _changed_paths(before: Any, after: Any, path: str = "") -> set[str]:
    """Paths that defaulting added or changed."""
    if isinstance(before, dict) and isinstance(after, dict):
        changed: set[str] = set()
        for key, value in after.items():
            sub = f"{path}.{key}" if path else key
            changed |= {sub} if key not in before else _changed_paths(before[key], value, sub)
        return changed
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        changed = set()
        for index, (old, new) in enumerate(zip(before, after, strict=True)):
            changed |= _changed_paths(old, new, f"{path}[{index}]")
        return changed
    return set() if before == after else {path}


# ---------------------------------------------------------------- reading it in a terminal


def render_commented(explained: Explained) -> str:
    """The domain XML with a short comment before each element whose origin differs from its parent's."""
    if explained.domain is None:
        return ""
    root = etree.fromstring(to_xml(explained.domain).encode())
    by_path = {e.xpath: e.origin for e in explained.explanations}
    for node, path in _lxml_paths(root, f"/{root.tag}"):
        origin = by_path.get(path)
        parent = node.getparent()
        parent_origin = by_path.get(path.rsplit("/", 1)[0]) if parent is not None else None
        previous = node.getprevious()
        while previous is not None and not isinstance(previous.tag, str):
            previous = previous.getprevious()
        previous_origin = by_path.get(_path_of(previous, path)) if previous is not None else None
        if origin is None or origin in (parent_origin, previous_origin):
            continue
        comment = etree.Comment(f" {_summary(origin)} ")
        if parent is None:
            root.addprevious(comment)
        else:
            node.addprevious(comment)
    etree.indent(root, space="  ")
    head = "".join(etree.tostring(c, encoding="unicode") + "\n" for c in _preceding(root))
    return head + etree.tostring(root, encoding="unicode") + "\n"


def _path_of(sibling: Any, path: str) -> str:
    """The XPath of `sibling`, the element before the one at `path` in the same parent."""
    parent_path = path.rsplit("/", 1)[0]
    name = _qualified(sibling.tag)
    same = [c for c in sibling.getparent() if isinstance(c.tag, str) and _qualified(c.tag) == name]
    if len(same) == 1:
        return f"{parent_path}/{name}"
    return f"{parent_path}/{name}[{same.index(sibling) + 1}]"


def _preceding(root: Any) -> list[Any]:
    siblings: list[Any] = []
    node = root.getprevious()
    while node is not None:
        siblings.insert(0, node)
        node = node.getprevious()
    return siblings


def _lxml_paths(node: Any, path: str) -> Iterator[tuple[Any, str]]:
    yield node, path
    children = [c for c in node if isinstance(c.tag, str)]
    totals = Counter(_qualified(c.tag) for c in children)
    seen: Counter[str] = Counter()
    for child in children:
        name = _qualified(child.tag)
        seen[name] += 1
        step = f"{name}[{seen[name]}]" if totals[name] > 1 else name
        yield from _lxml_paths(child, f"{path}/{step}")


def _qualified(tag: str) -> str:
    """An lxml `{uri}local` tag as the explanation XPaths write it (`prefix:local`)."""
    uri, _, local = tag[1:].rpartition("}") if tag.startswith("{") else ("", "", tag)
    return f"{_PREFIXES[uri]}:{local}" if uri in _PREFIXES else local


def _summary(origin: Origin) -> str:
    parts = [origin.rule]
    if origin.fields:
        parts.append(", ".join(origin.fields))
    if origin.facts:
        parts.append("facts: " + ", ".join(origin.facts))
    if origin.note:
        parts.append(origin.note)
    # "--" may not appear inside an XML comment.
    return " | ".join(parts).replace("--", "- -")
