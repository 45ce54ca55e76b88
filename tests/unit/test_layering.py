"""The layering of docs/ARCHITECTURE.md, checked on the source: one-way imports, no cycle,
small modules. Read from the files (no import runs), so it costs milliseconds."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("server", "workflows", "notifications")
MAX_LINES = 400


def _name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def modules() -> dict[str, Path]:
    return {_name(path): path for package in PACKAGES for path in (ROOT / package).rglob("*.py")}


def imports(path: Path, *, top_level_only: bool = False) -> set[str]:
    """Our modules `path` imports (`from a.b import c` names a.b.c when c is a module)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else ast.walk(tree)
    found = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                found.add(full if full in modules() else node.module)
    return {name for name in found if name in modules()}


def test_workflows_import_nothing_of_ours_but_workflows():
    wrong = {name: sorted(i for i in imports(path) if not i.startswith("workflows"))
             for name, path in modules().items() if name.startswith("workflows")}
    assert {name: found for name, found in wrong.items() if found} == {}


def test_views_read_no_other_packages_models():
    wrong = {}
    for name, path in modules().items():
        if not name.startswith("server.") or not name.rsplit(".", 1)[-1].endswith("views"):
            continue
        package = name.split(".")[1]
        foreign = sorted(i for i in imports(path)
                         if i.endswith(".models") and i.split(".")[1] != package)
        if foreign:
            wrong[name] = foreign
    assert wrong == {}


def test_notifications_never_import_the_app_factory():
    wrong = {name: "server" for name, path in modules().items()
             if name.startswith("notifications") and "server" in imports(path)}
    assert wrong == {}


def test_no_two_modules_import_each_other_through_any_path():
    """Module-level imports form no cycle (a subpackage import runs its parent packages too;
    the `server` package root, the app factory, is the one parent every module may run)."""
    graph = {}
    for name, path in modules().items():
        found = imports(path, top_level_only=True)
        for module in list(found):
            parts = module.split(".")
            found |= {".".join(parts[:i]) for i in range(2, len(parts))}
        graph[name] = found & set(modules()) - {name}
    assert _cycles(graph) == []


def test_no_module_is_longer_than_400_lines():
    long = {name: n for name, path in modules().items()
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
