"""The core and the Streamlit helpers import one way: no cycle, counting imports inside functions.

The graph is read from the source with `ast` (nothing is imported), one node per module of fashion/
and ui/, one edge per import statement wherever it stands: at the top, inside a function, under
TYPE_CHECKING. A cycle is a strongly connected component of two or more modules (or a module that
imports itself). Run `python tests/test_import_cycles.py` to print the components.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
PACKAGES = ("fashion", "ui")


def module_names() -> dict[str, Path]:
    """Every module of the packages, by dotted name (a package by its own name)."""
    modules = {}
    for package in PACKAGES:
        for path in sorted((REPOSITORY / package).rglob("*.py")):
            parts = list(path.relative_to(REPOSITORY).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


def imported_modules(path: Path, name: str, modules: dict[str, Path]) -> set[str]:
    """The project's modules that one module's import statements name, wherever they stand."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                # from package import submodule names the submodule; from module import name, the module
                submodule = f"{base}.{alias.name}"
                targets.add(submodule if submodule in modules else base)
    return {target for target in targets if target in modules}


def import_graph() -> dict[str, set[str]]:
    """Each module of fashion/ and ui/ with the modules of fashion/ and ui/ it imports."""
    modules = module_names()
    return {name: imported_modules(path, name, modules) for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of two or more modules, and modules importing themselves."""
    index: dict[str, int] = {}
    lowest: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = lowest[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in sorted(graph[node]):
            if successor not in index:
                visit(successor)
                lowest[node] = min(lowest[node], lowest[successor])
            elif successor in on_stack:
                lowest[node] = min(lowest[node], index[successor])
        if lowest[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in graph[node]:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return components


def test_the_graph_sees_imports_inside_functions():
    graph = import_graph()
    # ui.caches imports the model store only inside its cached functions
    assert "fashion.store.model_store" in graph["ui.caches"]
    assert "fashion.errors" in graph["fashion"]


def test_the_cycle_finder_finds_a_cycle_of_three():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycles_in_fashion_and_ui():
    assert cycles(import_graph()) == []


if __name__ == "__main__":
    graph = import_graph()
    found = cycles(graph)
    print(f"{len(graph)} modules, {sum(len(targets) for targets in graph.values())} import edges")
    for component in found:
        print("cycle:", " <-> ".join(component))
    sys.exit(1 if found else 0)
