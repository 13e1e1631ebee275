"""Explain: for every emitted element, the rule and the inputs that produced it.

The pipeline records an Origin on each element as it is built (configurators
may name the VMI fields and context facts they read; the pipeline stamps the
rule of the step that created it), so explaining is a walk over the finished
tree, not a second conversion that guesses.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from converter.domain.xmlmodel import Element, Origin, iter_children


@dataclass(frozen=True, slots=True)
class Explanation:
    xpath: str
    origin: Origin

    def as_json(self) -> dict[str, object]:
        return {
            "xpath": self.xpath,
            "rule": self.origin.rule,
            "fields": list(self.origin.fields),
            "facts": list(self.origin.facts),
            "note": self.origin.note,
        }


def explanations(root: Element) -> list[Explanation]:
    """One entry per element below `root`, in document order, with its XPath."""
    return list(_walk(root, f"/{root.TAG}"))


def _walk(element: Element, path: str) -> Iterator[Explanation]:
    totals = Counter(name for name, _ in iter_children(element))
    seen: Counter[str] = Counter()
    for name, sub in iter_children(element):
        seen[name] += 1
        step = f"{name}[{seen[name]}]" if totals[name] > 1 else name
        sub_path = f"{path}/{step}"
        if sub.origin is not None:
            yield Explanation(sub_path, sub.origin)
        yield from _walk(sub, sub_path)
