"""docs/ARCHITECTURE.md carries the transition table as the code has it."""

from __future__ import annotations

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "transition_table.py"


def _script():
    spec = importlib.util.spec_from_file_location("transition_table", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_transition_table_in_the_architecture_doc_is_current():
    script = _script()
    document = script.DOC.read_text(encoding="utf-8")
    assert script.rewritten(document) == document, (
        "the workflow table changed: run `python scripts/transition_table.py --write`")


def test_the_generated_table_has_a_row_per_action():
    from workflows.case_table import ACTIONS

    rows = _script().table().splitlines()[2:]
    assert [row.split("`")[1] for row in rows] == list(ACTIONS)
