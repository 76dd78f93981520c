"""The core and the Streamlit helpers import one way: no cycle, counting imports inside functions.

An import stands inside a function only to defer a heavy library (DEFERRED_LIBRARIES, directly or
through a module of ours that imports one at its top), under a comment that starts "# deferred:".

The graph is read from the source with `ast` (nothing is imported), one node per module of fashion/
and ui/, one edge per import statement wherever it stands: at the top, inside a function, under
TYPE_CHECKING. A cycle is a strongly connected component of two or more modules (or a module that
imports itself). Run `python tests/test_import_cycles.py` to print the components.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
PACKAGES = ("fashion", "ui")
# Each takes a noticeable part of a second or more to import, or is needed only by an optional part
# (psycopg for PostgreSQL job records); the app's first page and the CLI need none.
DEFERRED_LIBRARIES = ("tensorflow", "keras", "cv2", "ray", "matplotlib", "pandas", "altair", "psycopg")


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
    package = package_of(path, name)
    targets = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            targets.update(import_target(node, package, modules))
    return {target for target in targets if target in modules}


def import_graph() -> dict[str, set[str]]:
    """Each module of fashion/ and ui/ with the modules of fashion/ and ui/ it imports."""
    modules = module_names()
    return {name: imported_modules(path, name, modules) for name, path in modules.items()}


def package_of(path: Path, name: str) -> str:
    """The package a module's relative imports start from (a package's own name for its __init__)."""
    return name if path.name == "__init__.py" else name.rpartition(".")[0]


def import_target(node: ast.Import | ast.ImportFrom, package: str, modules: dict[str, Path]) -> list[str]:
    """The module names one import statement loads: libraries by their full name, ours resolved."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
        base = ".".join([*anchor, base] if base else anchor)
    # from package import submodule names the submodule; from module import name, the module
    return [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names]


def top_level_imports(path: Path, name: str, modules: dict[str, Path]) -> set[str]:
    """What a module imports when it is imported: outside functions and TYPE_CHECKING blocks."""
    package = package_of(path, name)
    found: set[str] = set()

    def walk(statements: list[ast.stmt]) -> None:
        for node in statements:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                walk(node.orelse)
                continue
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                found.update(import_target(node, package, modules))
            for field in ("body", "orelse", "finalbody"):
                walk(getattr(node, field, []))
            for handler in getattr(node, "handlers", []):
                walk(handler.body)

    walk(ast.parse(path.read_text(), filename=str(path)).body)
    return found


def parent_packages(name: str) -> list[str]:
    """The packages above a dotted module name: a.b.c gives a and a.b."""
    parts = name.split(".")
    return [".".join(parts[:count]) for count in range(1, len(parts))]


def is_deferred_library(name: str) -> bool:
    """Whether a module name belongs to one of the heavy libraries."""
    return name.split(".")[0] in DEFERRED_LIBRARIES


def heavy_modules() -> set[str]:
    """Our modules that load a heavy library when imported, directly or through another of ours."""
    modules = module_names()
    imports = {name: top_level_imports(path, name, modules) for name, path in modules.items()}
    heavy = {name for name, targets in imports.items() if any(map(is_deferred_library, targets))}
    while True:
        grown = heavy | {name for name, targets in imports.items() if targets & heavy}
        # importing a.b.c runs a/__init__.py and a/b/__init__.py first
        grown |= {name for name in modules if any(package in grown for package in parent_packages(name))}
        if grown == heavy:
            return heavy
        heavy = grown


def imports_inside_functions() -> dict[tuple[str, int], tuple[list[str], str]]:
    """(file, line) -> (modules loaded, its deferral comment or '') of every import inside a function."""
    modules = module_names()
    found = {}
    for name, path in modules.items():
        package = package_of(path, name)
        lines = path.read_text().splitlines()
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            # a nested function's imports are met again from the outer one: the key keeps one
            for inner in ast.walk(node):
                if isinstance(inner, (ast.Import, ast.ImportFrom)):
                    where = (str(path.relative_to(REPOSITORY)), inner.lineno)
                    comment = deferral_comment(lines[: inner.lineno - 1], lines[inner.lineno - 1])
                    found[where] = (import_target(inner, package, modules), comment)
    return found


def deferral_comment(above: list[str], line: str) -> str:
    """The comment over a run of imports (or on the import's own line), else ''."""
    if "# deferred:" in line:
        return line[line.index("#") :]
    for previous in reversed(above):
        stripped = previous.strip()
        if not stripped or stripped.startswith(("import ", "from ")):
            continue
        return stripped if stripped.startswith("# deferred:") else ""
    return ""


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


def test_imports_inside_functions_only_defer_heavy_libraries():
    heavy = heavy_modules()
    undeferred = [
        f"{path}:{line} imports {', '.join(targets)}"
        for (path, line), (targets, _comment) in sorted(imports_inside_functions().items())
        if not all(is_deferred_library(target) or target in heavy for target in targets)
    ]
    assert undeferred == [], "move these to the top of their module"


def test_every_deferred_import_says_why():
    silent = [
        f"{path}:{line} imports {', '.join(targets)}"
        for (path, line), (targets, comment) in sorted(imports_inside_functions().items())
        if not comment
    ]
    assert silent == [], 'a "# deferred: why" comment goes above these'


def test_the_heavy_modules_are_found():
    heavy = heavy_modules()
    assert "fashion.jobs.ray_backend" in heavy  # imports Ray at its top
    assert "fashion.figures.plots" in heavy  # imports matplotlib at its top
    assert "fashion.jobs.postgres_records" in heavy  # imports psycopg at its top
    assert "fashion.i18n" not in heavy


def test_importing_the_core_loads_no_heavy_library():
    heavy = heavy_modules()
    # fashion.__main__ runs the CLI when imported
    light = sorted(name for name in module_names() if name.startswith("fashion.") and name not in heavy)
    light.remove("fashion.__main__")
    script = (
        "import importlib, sys\n"
        f"for name in {light!r}:\n    importlib.import_module(name)\n"
        f"print(sorted({{name.split('.')[0] for name in sys.modules}} & set({DEFERRED_LIBRARIES!r})))"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPOSITORY)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


if __name__ == "__main__":
    graph = import_graph()
    found = cycles(graph)
    print(f"{len(graph)} modules, {sum(len(targets) for targets in graph.values())} import edges")
    for component in found:
        print("cycle:", " <-> ".join(component))
    sys.exit(1 if found else 0)
