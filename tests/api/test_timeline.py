"""The resident's progress timeline and the reminder to evaluate."""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest
import time_machine

from server.cases.models import Case
from server.inbox.models import Notification
from server.supervision.reminders import remind_evaluations
from tests.cases import CLOSED_LOOP


@pytest.fixture
def residents_request(report):
    return report("resident", category="0102")


def advance(transition, case, steps):
    for username, body in steps:
        assert transition(case["id"], username, body).status_code == 200, body


def timeline_of(as_user, case, username="resident"):
    return as_user(username).get(f"/api/v1/cases/{case['id']}/timeline")


def test_a_new_request_shows_four_stages_none_done(as_user, residents_request):
    body = timeline_of(as_user, residents_request).json
    assert [(s["label"], s["done"]) for s in body["stages"]] == [
        ("受理", False), ("派遣", False), ("处置", False), ("结案", False)]
    assert body["events"][0]["text"] == "您的诉求已提交，等待受理"


def test_a_dispatched_request_names_the_department_in_plain_chinese(as_user, residents_request, transition):
    advance(transition, residents_request, CLOSED_LOOP[:2])
    body = timeline_of(as_user, residents_request).json
    assert [s["done"] for s in body["stages"]] == [True, True, False, False]
    assert body["events"][0]["text"] == "已派遣至乳山市城市管理局" and body["stages"][1]["at"]


def test_a_closed_request_has_every_stage_done_and_may_be_evaluated(as_user, residents_request, transition):
    advance(transition, residents_request, CLOSED_LOOP)
    body = timeline_of(as_user, residents_request).json
    assert all(s["done"] for s in body["stages"]) and body["finished"] and body["can_evaluate"]
    assert "已处置：已清理完毕" in [e["text"] for e in body["events"]]


def test_the_back_offices_internal_steps_are_not_shown(as_user, residents_request, transition):
    advance(transition, residents_request, CLOSED_LOOP[:2])
    transition(residents_request["id"], "supervisor", {"action": "supervise", "note": "请加快办理"})
    texts = [e["text"] for e in timeline_of(as_user, residents_request).json["events"]]
    assert not any("督办" in t for t in texts)


def test_a_failed_verification_takes_the_handle_stage_back(as_user, residents_request, transition):
    advance(transition, residents_request, CLOSED_LOOP[:4])
    transition(residents_request["id"], "gridworker", {"action": "verify_fail", "reason": "仍有垃圾"})
    stages = timeline_of(as_user, residents_request).json["stages"]
    assert [s["done"] for s in stages] == [True, True, False, False]


def test_someone_elses_request_is_404(as_user, report):
    case = report("gridworker")
    assert timeline_of(as_user, case).status_code == 404


def test_after_evaluating_the_request_may_not_be_evaluated_again(as_user, residents_request, transition):
    advance(transition, residents_request, CLOSED_LOOP)
    advance(transition, residents_request, [("resident", {"action": "evaluate", "rating": "satisfied"})])
    body = timeline_of(as_user, residents_request).json
    assert not body["can_evaluate"] and body["evaluation"]["rating"] == "satisfied"


# --- reminders -------------------------------------------------------------------------------
@pytest.fixture
def closed_request(residents_request, transition):
    advance(transition, residents_request, CLOSED_LOOP)
    return residents_request


def days_after_closing(case, days):
    closed = Case.objects.get(id=case["id"]).closed_at.replace(tzinfo=UTC)
    return closed + timedelta(days=days)


def test_a_reporter_who_has_not_evaluated_is_reminded_after_three_days(closed_request):
    assert remind_evaluations(now=days_after_closing(closed_request, 3.1)) == 1
    case = Case.objects.get(id=closed_request["id"])
    assert case.history[-1]["action"] == "evaluation.reminder" and case.evaluation_reminded_at


def test_the_reminder_reaches_the_residents_inbox(closed_request, as_user):
    from notifications.fanout import fan_out

    remind_evaluations(now=days_after_closing(closed_request, 3.1))
    case = Case.objects.get(id=closed_request["id"])
    fan_out(str(case.id), case.version)
    titles = [n.title for n in Notification.objects(channel="inbox")]
    assert "评价提醒：您反映的问题已办结，欢迎评价" in titles


def test_a_reporter_is_reminded_once(closed_request):
    remind_evaluations(now=days_after_closing(closed_request, 3.1))
    assert remind_evaluations(now=days_after_closing(closed_request, 4)) == 0


def test_no_reminder_before_three_days(closed_request):
    assert remind_evaluations(now=days_after_closing(closed_request, 2)) == 0


def test_no_reminder_once_the_window_has_closed(closed_request):
    assert remind_evaluations(now=days_after_closing(closed_request, 8)) == 0


def test_no_reminder_for_an_evaluated_case(closed_request, transition):
    advance(transition, closed_request, [("resident", {"action": "evaluate", "rating": "satisfied"})])
    assert remind_evaluations(now=days_after_closing(closed_request, 3.1)) == 0


def test_the_hourly_task_sends_the_reminders_due(app, closed_request):
    from server.supervision.tasks import evaluation_reminders

    with time_machine.travel(days_after_closing(closed_request, 3.5)):
        assert evaluation_reminders.apply().get() == 1


def test_an_approved_extension_shows_the_new_deadline_but_not_the_handlers_reason(as_user, demo):
    from server.cases import service
    from server.timeutil import moment_label
    from tests.factories import CaseFactory, principal_of

    case = CaseFactory(reporter="resident", steps=3)  # signed: in progress
    for username, action, payload in [
            ("handler", "request_extension", {"reason": "需采购配件", "duration_wd": 3}),
            ("supervisor", "approve_extension", {})]:
        service.apply_transition(principal=principal_of(username), case_id=case["id"],
                                 action=action, payload=payload)
    deadline = Case.objects.get(id=case["id"]).deadlines["handle"]["deadline"]
    texts = [event["text"] for event in timeline_of(as_user, case).json["events"]]
    assert texts[0] == f"因处置需要，办理期限延长至{moment_label(deadline)}"
    assert not any("需采购配件" in text for text in texts)
