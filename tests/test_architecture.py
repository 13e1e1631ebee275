"""The converter's import graph: no cycles, no imports of another module's private names, no imports
hidden inside functions (the usual way to paper over a cycle). Read from the sources, so a new module
is checked as soon as it exists."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

CONVERTER = Path(__file__).resolve().parents[1] / "converter"
PACKAGE = "vmi_converter.converter"


def _modules() -> dict[str, ast.Module]:
    found = {}
    for path in sorted(CONVERTER.rglob("*.py")):
        parts = path.relative_to(CONVERTER).with_suffix("").parts
        name = ".".join((PACKAGE, *parts)).removesuffix(".__init__")
        found[name] = ast.parse(path.read_text(), str(path))
    return found


MODULES = _modules()


def _imports(tree: ast.AST) -> Iterator[tuple[str, str]]:
    """(module imported from, name) for every `from vmi_converter.converter... import name`."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(PACKAGE):
            for alias in node.names:
                yield node.module, alias.name


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {name: set() for name in MODULES}
    for name, tree in MODULES.items():
        for module, imported in _imports(tree):
            target = f"{module}.{imported}"
            graph[name].add(target if target in MODULES else module)
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle, or [] (depth-first search, iterative)."""
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    for start in graph:
        if start in state:
            continue
        path, stack = [start], [iter(sorted(graph[start]))]
        state[start] = 1
        while stack:
            step = next(stack[-1], None)
            if step is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(step) == 1:
                return [*path[path.index(step):], step]
            elif step not in state and step in graph:
                state[step] = 1
                path.append(step)
                stack.append(iter(sorted(graph[step])))
    return []


def test_the_converter_has_no_import_cycle() -> None:
    assert _cycle(_graph()) == []


def test_the_cycle_finder_finds_one() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_no_module_imports_another_modules_private_names() -> None:
    private = [
        f"{name} imports {module}.{imported}"
        for name, tree in MODULES.items()
        for module, imported in _imports(tree)
        if imported.startswith("_") and module != name
    ]
    assert private == []


def test_no_imports_inside_functions() -> None:
    hidden = [
        f"{name}: {function.name}"
        for name, tree in MODULES.items()
        for function in ast.walk(tree)
        if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef)
        for node in ast.walk(function)
        if isinstance(node, ast.Import | ast.ImportFrom)
    ]
    assert hidden == []


def test_compute_and_network_do_not_import_each_other() -> None:
    def area(module: str) -> str:
        return module.removeprefix(PACKAGE + ".").split(".")[0]

    sideways = sorted(
        f"{name} -> {target}"
        for name, targets in _graph().items()
        for target in targets
        if {area(name), area(target)} == {"compute", "network"}
    )
    assert sideways == []
