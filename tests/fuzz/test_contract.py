"""Fuzzing the contract, short run: every operation, signed in as each role (and anonymous),
answers no 5xx and nothing outside its documented schema. `scripts/fuzz.py` runs long."""

from __future__ import annotations

import pytest

from scripts.fuzz import fuzz
from tests.conftest import token_for

ROLES = ["admin", "dispatcher", "supervisor", "handler", "gridworker", "resident", None]


@pytest.mark.parametrize("role", ROLES, ids=lambda role: role or "anonymous")
def test_no_operation_answers_5xx_or_outside_its_schema(app, demo, role):
    headers = {"Authorization": f"Bearer {token_for(role)}"} if role else {}
    outcomes = list(fuzz(app, headers, examples=4))
    failures = [f"{o.operation}: {o.failure}" for o in outcomes if o.failure]
    assert len(outcomes) > 60 and sum(o.calls for o in outcomes) > 200
    assert failures == [], "\n\n".join(failures)
