"""Print the catalogue of `errors.reason` codes the API answers with, read from the code.

    python scripts/error_catalogue.py           # print it
    python scripts/error_catalogue.py --write   # put it into docs/ERRORS.md

Every `raise SomeError("消息", reason="code")` in server/ and workflows/ is found (AST), with its
HTTP status (from the exception class), its Chinese message and the modules raising it.
tests/unit/test_architecture_doc.py checks docs/ERRORS.md is current.
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.generated import GeneratedBlock  # noqa: E402

DOC = ROOT / "docs" / "ERRORS.md"
STATUS = {"GridhubError": 400, "BadRequest": 400, "Unauthorized": 401, "Forbidden": 403,
          "NotFound": 404, "Conflict": 409, "InvalidTransition": 409, "PreconditionFailed": 412,
          "PayloadTooLarge": 413, "UnsupportedMediaType": 415, "Unprocessable": 422,
          "PayloadError": 422, "TooManyRequests": 429, "ServiceUnavailable": 503}

# Raised without a `reason`, the workflow's errors carry their class's (the server's generic
# ones are listed by hand in docs/ERRORS.md).
CLASS_REASON = {"InvalidTransition": "invalid_transition", "PayloadError": "invalid_payload"}


def _callee(call: ast.Call) -> str | None:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)


def _constants(node: ast.expr) -> list[str]:
    """The reason strings an expression can give: a constant, or either side of `a if c else b`."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _constants(node.body) + _constants(node.orelse)
    return []


def _message(call: ast.Call) -> str | None:
    if call.args and isinstance(call.args[0], ast.Constant):
        return str(call.args[0].value)
    if call.args and isinstance(call.args[0], ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "…" for v in call.args[0].values)
    return None


def found() -> dict[str, dict]:
    codes: dict[str, dict] = defaultdict(lambda: {"status": set(), "messages": set(),
                                                  "where": set()})
    for package in ("server", "workflows"):
        for path in sorted((ROOT / package).rglob("*.py")):
            module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.Call) or _callee(node) not in STATUS:
                    continue
                given = next((k.value for k in node.keywords if k.arg == "reason"), None)
                reasons = _constants(given) if given is not None else [
                    CLASS_REASON[_callee(node)]] if _callee(node) in CLASS_REASON else []
                for reason in reasons:
                    entry = codes[reason]
                    entry["status"].add(STATUS[_callee(node)])
                    if message := _message(node):
                        entry["messages"].add(message)
                    entry["where"].add(module)
    return dict(codes)


def table() -> str:
    lines = ["| reason | status | message (when) | raised in |", "|---|---|---|---|"]
    for reason, entry in sorted(found().items(), key=lambda item: (min(item[1]["status"]), item[0])):
        status = ", ".join(str(s) for s in sorted(entry["status"]))
        messages = "；".join(sorted(entry["messages"])).replace("|", "\\|").replace("\n", " ") or "—"
        where = ", ".join(f"`{m}`" for m in sorted(entry["where"]))
        lines.append(f"| `{reason}` | {status} | {messages} | {where} |")
    return "\n".join(lines)


BLOCK = GeneratedBlock(DOC, "error-catalogue", table)


if __name__ == "__main__":
    BLOCK.main()
