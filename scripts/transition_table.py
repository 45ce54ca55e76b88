"""Print the case workflow's transition table (from `workflows/case_table.py`) as Markdown.

    python scripts/transition_table.py           # print it
    python scripts/transition_table.py --write   # put it into docs/ARCHITECTURE.md

The table in docs/ARCHITECTURE.md sits between two markers and is checked to be current by
tests/unit/test_architecture_doc.py: change the table in code, run `--write`.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.generated import GeneratedBlock  # noqa: E402
from workflows.case_table import ACTIONS, STATE_LABELS, State  # noqa: E402

DOC = ROOT / "docs" / "ARCHITECTURE.md"
RELATIONS = {"reporter": "上报人本人", "department": "承办部门", "grid": "本网格"}


def _state(state: State) -> str:
    return f"{state.value} {STATE_LABELS[state]}"


def _who(spec) -> str:
    people = []
    for permit in spec.permits:
        role = permit.role or "任何角色"
        people.append(f"{role}（{RELATIONS[permit.relation.value]}）" if permit.relation else role)
    return ", ".join(people)


def _target(spec) -> str:
    if spec.target is not None:
        return _state(spec.target)
    return "挂起前的状态" if spec.name == "resume" else "不变"


def table() -> str:
    order = list(State)
    lines = ["| action | 操作 | from | to | who | required | one of | optional | reporter sees |",
             "|---|---|---|---|---|---|---|---|---|"]
    for spec in ACTIONS.values():
        sources = ", ".join(_state(s) for s in sorted(spec.sources, key=order.index))
        seen = ("yes" + (f" ({', '.join(spec.public_fields)})" if spec.public_fields else "")
                if spec.reporter_facing else "no")
        lines.append(f"| `{spec.name}` | {spec.label} | {sources} | {_target(spec)} | {_who(spec)} | "
                     f"{', '.join(spec.required) or '—'} | {', '.join(spec.one_of) or '—'} | "
                     f"{', '.join(spec.optional) or '—'} | {seen} |")
    return "\n".join(lines)


BLOCK = GeneratedBlock(DOC, "transition-table", table)


if __name__ == "__main__":
    BLOCK.main()
