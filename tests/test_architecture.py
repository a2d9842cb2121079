"""The package's shape (ARCHITECTURE.md): imports run one way, from the command
line down to the core, with no cycle and no private name taken from another module,
counting every import (also those inside functions and under TYPE_CHECKING); no
file over 800 lines; at most 12 modules at the top."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "pipeline"
#: Highest first: a module may import its own layer and the layers below it.
LAYERS = ("cli", "serve", "run", "archive", "render", "review", "translate", "terms", "read", "core")
MAX_LINES = 800


def module_files() -> dict[str, Path]:
    modules = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


MODULES = module_files()


def imports_of(module: str) -> list[tuple[str, str | None]]:
    """``(imported module, name or None)`` for every import of ``module`` from the package."""
    path = MODULES[module]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, None) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
                base = ".".join(anchor[: len(anchor) - node.level + 1] + ([base] if base else []))
            for alias in node.names:
                full = f"{base}.{alias.name}"
                found.append((full, None) if full in MODULES else (base, alias.name))
    out = []
    for target, name in found:
        while target and target not in MODULES:
            target = target.rpartition(".")[0]
        if target and target != module:
            out.append((target, name))
    return out


GRAPH = {module: {target for target, _ in imports_of(module)} for module in MODULES}


def layer(module: str) -> str:
    return module.split(".")[1] if module.count(".") else ""


def test_no_import_cycle_counting_imports_inside_functions():
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles = []

    def visit(module: str) -> None:  # Tarjan's strongly connected components
        index[module] = low[module] = len(index)
        stack.append(module)
        for target in GRAPH[module]:
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            component = []
            while True:
                top = stack.pop()
                component.append(top)
                if top == module:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in MODULES:
        if module not in index:
            visit(module)
    assert cycles == []


def test_no_private_name_is_imported_from_another_module():
    private = [f"{module} imports {target}.{name}" for module in MODULES for target, name in imports_of(module)
               if name and name.startswith("_") and not name.startswith("__")]
    assert private == []


@pytest.mark.parametrize("module", sorted(m for m in MODULES if layer(m) in LAYERS))
def test_imports_run_down_the_layers(module):
    """cli → serve → run → archive → render → review → translate → terms → read →
    core: a stage never imports run or cli, nor a stage above it; nothing imports
    the test helpers (pipeline.testing)."""
    own = LAYERS.index(layer(module))
    upward = sorted(t for t in GRAPH[module] if layer(t) in LAYERS and LAYERS.index(layer(t)) < own)
    assert upward == []
    assert not any(layer(t) == "testing" for t in GRAPH[module])


def test_every_top_level_module_has_its_place():
    top = sorted(m for m in MODULES if m.count(".") == 1)
    assert len(top) <= 12
    assert set(map(layer, top)) <= set(LAYERS) | {"__main__", "testing"}


def test_no_file_over_800_lines():
    sizes = {str(path.relative_to(PACKAGE)): len(path.read_text(encoding="utf-8").splitlines())
             for path in PACKAGE.rglob("*") if path.suffix in {".py", ".js", ".css", ".j2"}}
    assert {name: n for name, n in sizes.items() if n > MAX_LINES} == {}


def test_package_inits_name_their_public_names_in_a_few_lines():
    inits = [path for path in PACKAGE.rglob("__init__.py") if path.parent != PACKAGE]
    assert len(inits) >= 9
    for path in inits:
        assert len(path.read_text(encoding="utf-8").splitlines()) <= 40, path
