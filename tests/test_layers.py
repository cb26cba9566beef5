"""The package's architecture: layers import only downwards, and no module imports in a circle.

Walks every module's imports with ``ast`` — top-level imports and imports inside functions
alike; imports under ``if TYPE_CHECKING:`` are type-only and do not count.
"""

from __future__ import annotations

import ast
from pathlib import Path

import budgetsim

PKG = Path(budgetsim.__file__).parent

# lowest first; a module may import modules of its own layer or of a lower one
LAYERS = [
    {"exceptions", "fileio", "version"},
    {"scenario"},
    {"model"},
    {"results", "solving"},
    {"analysis"},
    {"batches"},
    {"present"},
    {"library"},
    {"api"},
    {"cli"},
]


def _layer(module: str) -> int:
    top = module.split(".")[1] if module.count(".") else ""
    for i, names in enumerate(LAYERS):
        if top in names:
            return i
    if module == "budgetsim":
        return len(LAYERS)  # the package's public face sits above everything
    raise AssertionError(f"{module}: not in any layer; add it to LAYERS in {__file__}")


def _module_name(path: Path) -> str:
    rel = path.relative_to(PKG.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(node: ast.If) -> bool:
    t = node.test
    return (isinstance(t, ast.Name) and t.id == "TYPE_CHECKING") or (
        isinstance(t, ast.Attribute) and t.attr == "TYPE_CHECKING")


def _imports(path: Path, module: str) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_pkg = path.name == "__init__.py"
    out: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.startswith("budgetsim"))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".") if is_pkg else module.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.startswith("budgetsim"):
                # `from pkg import submodule` imports the submodule
                for a in node.names:
                    sub = f"{target}.{a.name}"
                    out.add(sub if (PKG.parent / Path(*sub.split("."))).with_suffix(".py").exists()
                            or (PKG.parent / Path(*sub.split(".")) / "__init__.py").exists() else target)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    out.discard(module)
    return out


def _graph() -> dict[str, set[str]]:
    graph = {}
    for path in sorted(PKG.rglob("*.py")):
        m = _module_name(path)
        graph[m] = _imports(path, m)
    return graph


def test_every_module_sits_in_a_layer():
    for m in _graph():
        _layer(m)


def test_no_import_climbs_a_layer():
    bad = []
    for m, deps in _graph().items():
        for d in deps:
            if _layer(d) > _layer(m):
                bad.append(f"{m} (layer {_layer(m)}) imports {d} (layer {_layer(d)})")
    assert not bad, "upward imports:\n" + "\n".join(sorted(bad))


def test_no_import_circle():
    graph = _graph()
    # a package's __init__ re-exporting its own modules is not a circle with them
    edges = {m: {d for d in deps if not (m.startswith(d + ".") and d in graph)} for m, deps in graph.items()}
    colour: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def dfs(u: str) -> None:
        colour[u] = 1
        stack.append(u)
        for v in sorted(edges.get(u, ())):
            if v not in graph:
                continue
            if colour.get(v) == 1:
                cycles.append(stack[stack.index(v):] + [v])
            elif v not in colour:
                dfs(v)
        stack.pop()
        colour[u] = 2

    for m in sorted(graph):
        if m not in colour:
            dfs(m)
    assert not cycles, "import circles:\n" + "\n".join(" → ".join(c) for c in cycles)


def test_core_never_imports_streamlit():
    for path in PKG.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert not any(n.split(".")[0] == "streamlit" for n in names), f"{path} imports streamlit"


def test_every_public_name_imports_from_the_package():
    import importlib

    pkg = importlib.import_module("budgetsim")
    for name in budgetsim.__all__:
        assert getattr(pkg, name) is not None, name
    # and the subpackages' own public names
    for sub in ("scenario", "model", "analysis", "batches"):
        mod = importlib.import_module(f"budgetsim.{sub}")
        for name in getattr(mod, "__all__", []):
            assert hasattr(mod, name), f"budgetsim.{sub}.{name}"
        assert mod.__doc__ and "May import" in mod.__doc__, f"budgetsim.{sub}: say what the layer may import"
