"""Generated documentation is current: the transition table in docs/ARCHITECTURE.md and the
error catalogue in docs/ERRORS.md, as the code has them."""

from __future__ import annotations

import importlib.util
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"


def _script(name: str = "transition_table"):
    spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_transition_table_in_the_architecture_doc_is_current():
    assert _script().BLOCK.current(), (
        "the workflow table changed: run `python scripts/transition_table.py --write`")


def test_the_generated_table_has_a_row_per_action():
    from workflows.case_table import ACTIONS

    rows = _script().table().splitlines()[2:]
    assert [row.split("`")[1] for row in rows] == list(ACTIONS)


def test_the_error_catalogue_is_current():
    assert _script("error_catalogue").BLOCK.current(), (
        "a reason code changed: run `python scripts/error_catalogue.py --write`")


def test_the_catalogue_holds_the_workflow_and_conditional_reasons():
    reasons = _script("error_catalogue").found()
    for reason in ("invalid_transition", "stale_version", "version_conflict", "outside_grids",
                   "idempotency_mismatch", "window_closed"):
        assert reason in reasons, reason
