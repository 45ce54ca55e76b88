"""The demo county's open cases (issue 20): every state and every SLA light before anyone files
a case, filed and walked by the case service."""

from __future__ import annotations

from server.cases.models import Case
from server.demo_cases import CASES, seed_demo_cases


def test_the_demo_has_a_case_in_every_state(demo):
    assert seed_demo_cases() == len(CASES)
    assert {c.status for c in Case.objects} == {
        "reported", "accepted", "dispatched", "in_progress", "suspended", "handled", "closed"}


def test_the_demo_board_shows_every_light_and_an_escalation(demo, as_user):
    seed_demo_cases()
    counts = as_user("supervisor").get("/api/v1/supervision/board/counts").json
    assert all(counts[light] >= 1 for light in ("red", "yellow", "green", "paused")), counts
    escalated = as_user("supervisor").get("/api/v1/supervision/board", query_string={"level": 2}).json
    assert escalated and all(row["light"] == "red" for row in escalated)
    assert all(row["time_left"].startswith(("超期 ", "已超期")) for row in escalated)


def test_a_demo_case_has_photos_before_and_after(demo, as_user):
    seed_demo_cases()
    handled = Case.objects.get(status="handled")
    photos = as_user("dispatcher").get(f"/api/v1/cases/{handled.id}").json["photos"]
    assert [p["stage"] for p in photos] == ["before", "after"]


def test_loading_the_demo_cases_again_adds_nothing(demo):
    seed_demo_cases()
    assert seed_demo_cases() == 0 and Case.objects.count() == len(CASES)


def test_the_demo_has_a_callback_open_from_a_dissatisfied_evaluation(demo, as_user):
    seed_demo_cases()
    task, = as_user("supervisor").get("/api/v1/supervision/callbacks").json
    assert task["comment"] == "小广告清理后第二天又贴上了" and task["status"] == "open"
