"""No import circle in ovnparse/: between modules, and between its subpackages,
counting every import statement (function-level and TYPE_CHECKING ones too).
(That `import ovnparse` stays light: tests/views/test_html.py.)"""

from __future__ import annotations

import ast

import networkx as nx

from conftest import ROOT

PACKAGE = ROOT / "ovnparse"


def _modules() -> dict[str, ast.Module]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = ast.parse(path.read_text(), str(path))
    return out


def _imports(name: str, tree: ast.Module, known: set[str], is_package: bool) -> set[str]:
    """The ovnparse modules one module imports, wherever the statement is."""
    package = name if is_package else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                found.add(sub if sub in known else target)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return {m for m in found if m in known and m != name}


def _graph() -> nx.DiGraph:
    modules = _modules()
    known = set(modules)
    packages = {str(p.parent.relative_to(ROOT)).replace("/", ".")
                for p in PACKAGE.rglob("__init__.py")}
    graph = nx.DiGraph()
    for name, tree in modules.items():
        graph.add_node(name)
        for target in _imports(name, tree, known, name in packages):
            graph.add_edge(name, target)
    return graph


def _subpackage(module: str) -> str:
    """ovnparse.formats.ofproto.nodes -> ovnparse.formats; ovnparse.api -> itself."""
    parts = module.split(".")
    return ".".join(parts[:2])


def test_no_import_circle_between_modules():
    cycles = [c for c in nx.strongly_connected_components(_graph()) if len(c) > 1]
    assert cycles == []


def test_no_import_circle_between_subpackages():
    modules = _graph()
    packages = nx.DiGraph()
    for a, b in modules.edges:
        if _subpackage(a) != _subpackage(b):
            packages.add_edge(_subpackage(a), _subpackage(b))
    cycles = [c for c in nx.strongly_connected_components(packages) if len(c) > 1]
    assert cycles == []


def test_the_checker_sees_a_function_level_import(tmp_path):
    tree = ast.parse("def f():\n    from ..views.html import card\n")
    assert _imports("ovnparse.analysis.x", tree, {"ovnparse.views.html"}, False) == {
        "ovnparse.views.html"}
