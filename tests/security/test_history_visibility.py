"""Finding 2 of the security review: staff notes and back-office traffic stay in the back
office. Residents and sister apps read a case's history as written for the reporter."""

from __future__ import annotations

import pytest

from tests.cases import CLOSED_LOOP

INTERNAL = "内部：该居民系上访重点人员，勿回访"


@pytest.fixture
def residents_case(report, transition):
    """A resident's case accepted with an internal note, supervised, and dispatched with a
    note written for the reporter."""
    case = report("resident")
    for username, body in (
            ("dispatcher", {"action": "accept", "note": INTERNAL}),
            ("supervisor", {"action": "supervise", "note": "内部督办：抓紧"}),
            ("dispatcher", {"action": "dispatch", "department": "371083-cgj",
                            "note": "已安排城管中队处理", "note_visibility": "public"})):
        assert transition(case["id"], username, body).status_code == 200
    return case


def history_as(as_user, case, username):
    response = as_user(username).get(f"/api/v1/cases/{case['id']}/history")
    assert response.status_code == 200, response.json
    return response.json


def test_a_resident_does_not_read_staff_notes_or_supervision_in_the_history(as_user, residents_case):
    history = history_as(as_user, residents_case, "resident")
    assert [e["action"] for e in history] == ["report", "accept", "dispatch"]
    assert INTERNAL not in str(history) and "督办" not in str(history)


def test_a_resident_reads_a_note_staff_marked_public(as_user, residents_case):
    dispatch = history_as(as_user, residents_case, "resident")[-1]
    assert dispatch["note"] == "已安排城管中队处理"


def test_a_resident_does_not_see_staff_names_in_the_history(as_user, residents_case):
    history = history_as(as_user, residents_case, "resident")
    assert all(set(e["actor"]) == {"roles"} for e in history)
    assert "指挥中心" not in str(history) and "user:" not in str(history)


def test_a_residents_timeline_shows_the_public_note_and_never_the_internal_one(
        as_user, residents_case):
    timeline = as_user("resident").get(f"/api/v1/cases/{residents_case['id']}/timeline").json
    texts = [event["text"] for event in timeline["events"]]
    assert any("已安排城管中队处理" in text for text in texts)
    assert INTERNAL not in str(timeline)


def test_staff_read_the_whole_history_with_internal_notes(as_user, residents_case):
    history = history_as(as_user, residents_case, "supervisor")
    assert [e["action"] for e in history] == ["report", "accept", "supervise", "dispatch"]
    assert history[1]["note"] == INTERNAL and history[1]["note_visibility"] == "internal"


def test_a_handler_reads_the_residents_name_masked_in_the_history(as_user, residents_case):
    report = history_as(as_user, residents_case, "handler")[0]
    assert report["actor"]["name"] == "居****"


def test_a_dispatcher_with_pii_read_reads_the_residents_name_in_the_history(as_user, residents_case):
    assert history_as(as_user, residents_case, "dispatcher")[0]["actor"]["name"] == "居民王女士"


def test_a_sister_app_reads_its_own_case_history_without_staff_notes(
        app, register_app, client_token, transition):
    sister = register_app(scopes=("cases:write", "cases:read"))
    token = client_token(sister).json["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    client = app.test_client()
    body = {"category": "0102", "description": "视频识别：暴露垃圾",
            "location": {"lat": 36.915, "lng": 121.525}}
    case = client.post("/api/v1/cases", json=body, headers=headers).json
    for username, step in CLOSED_LOOP[:2]:
        assert transition(case["id"], username, {**step, "note": INTERNAL}).status_code == 200
    history = client.get(f"/api/v1/cases/{case['id']}/history", headers=headers).json
    assert [e["action"] for e in history] == ["report", "accept", "dispatch"]
    assert INTERNAL not in str(history)


def test_a_note_visibility_other_than_internal_or_public_is_422(case_in, transition):
    response = transition(case_in("reported")["id"], "dispatcher",
                          {"action": "accept", "note": "x", "note_visibility": "everyone"})
    assert response.status_code == 422
