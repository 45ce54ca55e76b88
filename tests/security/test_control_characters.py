"""Finding 12 of the security review: control characters are refused on input everywhere (they
broke the Open311 XML feed); the feed's own guard is in test_open311_exposure.py."""

from __future__ import annotations

import pytest

from server.cases.models import Case
from tests.cases import case_body


@pytest.mark.parametrize("body", [
    case_body(description="垃圾\x0b堆积"),
    case_body(address="胜利街\x00"),
    case_body(attributes={"note": "a\x1bb"}),
])
def test_a_report_with_a_control_character_is_422_and_nothing_is_stored(as_user, body):
    response = as_user("resident").post("/api/v1/cases", json=body)
    assert response.status_code == 422 and response.json["errors"]["reason"] == "validation_error"
    assert Case.objects.count() == 0


def test_line_breaks_and_tabs_are_text(as_user):
    response = as_user("resident").post("/api/v1/cases", json=case_body(description="第一行\n第二行\t完"))
    assert response.status_code == 201


def test_a_transition_note_with_a_control_character_is_422(case_in, transition):
    response = transition(case_in("reported")["id"], "dispatcher",
                          {"action": "accept", "note": "ok\x07"})
    assert response.status_code == 422


def test_a_query_with_a_control_character_is_422(as_user):
    response = as_user("dispatcher").get("/api/v1/cases", query_string={"department": "x\x01"})
    assert response.status_code == 422
