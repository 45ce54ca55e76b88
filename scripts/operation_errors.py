"""Which `errors.reason` codes each API operation can answer, read from the code.

    python scripts/operation_errors.py           # print what changed
    python scripts/operation_errors.py --write   # write server/examples/errors.json

Each view method of a `@blp.route` class is followed through the functions it calls (resolved
through the module's imports, transitively, in server/ and workflows/), collecting every
`raise SomeError("消息", reason="code")` on the way (the raises `scripts/error_catalogue.py`
lists). The OpenAPI document shows the result per operation and status; a request body or
query adds `validation_error`. tests/unit/test_architecture_doc.py checks the file is current.
"""

from __future__ import annotations

import ast
import json
import re
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.error_catalogue import CLASS_REASON, STATUS, _callee, _constants  # noqa: E402

OUTPUT = ROOT / "server" / "examples" / "errors.json"
METHODS = ("get", "post", "put", "patch", "delete")
Key = tuple[str, str]  # (module, function or Class.method)


class Module:
    def __init__(self, name: str, tree: ast.Module) -> None:
        self.name, self.tree = name, tree
        self.aliases: dict[str, str] = {}  # local name -> module
        self.names: dict[str, Key] = {}  # local name -> (module, function)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                for alias in node.names:
                    target = f"{node.module}.{alias.name}"
                    self.aliases[alias.asname or alias.name] = target
                    self.names[alias.asname or alias.name] = (node.module, alias.name)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    self.aliases[alias.asname or alias.name.split(".")[0]] = alias.name


def _modules() -> dict[str, Module]:
    found = {}
    for package in ("server", "workflows"):
        for path in sorted((ROOT / package).rglob("*.py")):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            name = name.removesuffix(".__init__")
            found[name] = Module(name, ast.parse(path.read_text(encoding="utf-8")))
    return found


def _functions(module: Module) -> dict[str, ast.AST]:
    defs: dict[str, ast.AST] = {}
    for node in module.tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            defs[node.name] = node
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    defs[f"{node.name}.{item.name}"] = item
    return defs


class Graph:
    def __init__(self) -> None:
        self.modules = _modules()
        self.defs = {(m.name, f): node for m in self.modules.values()
                     for f, node in _functions(m).items()}

    def raises(self, node: ast.AST) -> set[tuple[int, str]]:
        found = set()
        for call in ast.walk(node):
            if isinstance(call, ast.Call) and _callee(call) in STATUS:
                given = next((k.value for k in call.keywords if k.arg == "reason"), None)
                reasons = _constants(given) if given is not None else (
                    [CLASS_REASON[_callee(call)]] if _callee(call) in CLASS_REASON else [])
                found |= {(STATUS[_callee(call)], reason) for reason in reasons}
        return found

    def calls(self, module: Module, owner: str | None, node: ast.AST) -> set[Key]:
        keys: set[Key] = set()
        for call in ast.walk(node):
            if not isinstance(call, ast.Call):
                continue
            func = call.func
            if isinstance(func, ast.Name):
                name = func.id
                if (module.name, name) in self.defs:
                    keys.add((module.name, name))
                elif name in module.names and module.names[name] in self.defs:
                    keys.add(module.names[name])
            elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
                base, name = func.value.id, func.attr
                if base in ("self", "cls") and owner and (module.name, f"{owner}.{name}") in self.defs:
                    keys.add((module.name, f"{owner}.{name}"))
                elif base in module.aliases:
                    target = module.aliases[base]
                    if (target, name) in self.defs:
                        keys.add((target, name))
                    elif (target.rpartition(".")[0], f"{target.rpartition('.')[2]}.{name}") in self.defs:
                        keys.add((target.rpartition(".")[0], f"{target.rpartition('.')[2]}.{name}"))
        return keys

    def reasons(self, start: Key) -> set[tuple[int, str]]:
        seen, todo, found = set(), [start], set()
        while todo:
            key = todo.pop()
            if key in seen or key not in self.defs:
                continue
            seen.add(key)
            node = self.defs[key]
            found |= self.raises(node)
            owner = key[1].split(".")[0] if "." in key[1] else None
            todo.extend(self.calls(self.modules[key[0]], owner, node))
        return found


def _route(decorator: ast.expr) -> str | None:
    if (isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Attribute)
            and decorator.func.attr == "route" and decorator.args
            and isinstance(decorator.args[0], ast.Constant)):
        return decorator.args[0].value
    return None


def _prefix(module: Module) -> str:
    for call in ast.walk(module.tree):
        if isinstance(call, ast.Call) and _callee(call) == "Blueprint":
            for keyword in call.keywords:
                if keyword.arg == "url_prefix" and isinstance(keyword.value, ast.Constant):
                    return keyword.value.value
    return ""


def operations() -> dict[str, dict[str, list[str]]]:
    graph = Graph()
    result: dict[str, dict[str, list[str]]] = {}
    for module in graph.modules.values():
        prefix = _prefix(module)
        for node in module.tree.body:
            if not isinstance(node, ast.ClassDef):
                continue
            route = next((r for d in node.decorator_list if (r := _route(d))), None)
            if route is None:
                continue
            path = prefix + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name in METHODS:
                    by_status: dict[str, set[str]] = defaultdict(set)
                    for status, reason in graph.reasons((module.name, f"{node.name}.{item.name}")):
                        by_status[str(status)].add(reason)
                    result[f"{item.name.upper()} {path}"] = {
                        status: sorted(reasons) for status, reasons in sorted(by_status.items())}
    return dict(sorted(result.items()))


def rendered() -> str:
    return json.dumps(operations(), ensure_ascii=False, indent=1) + "\n"


def main() -> int:
    text = rendered()
    current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
    if "--write" in sys.argv:
        OUTPUT.write_text(text, encoding="utf-8")
        print(f"wrote {OUTPUT.relative_to(ROOT)}")
        return 0
    print("current" if text == current else "out of date: run with --write")
    return 0 if text == current else 1


if __name__ == "__main__":
    sys.exit(main())
