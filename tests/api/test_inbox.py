"""Fan-out of case events into the in-app inbox, and the inbox API (DESIGN §8)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from bson import ObjectId

from notifications.fanout import fan_out
from server.auth.models import User
from server.cases import events
from server.cases.models import Case
from server.inbox.models import Notification
from server.supervision.sweep import sweep
from tests.clock import from_now
from tests.factories import staff_of


def user_id(username):
    return str(User.objects.get(username=username).id)


def fan_out_last(case_id):
    """Run the fan-out of a case's newest history entry, as the worker would."""
    case = Case.objects.get(id=case_id)
    fan_out(case_id, case.version)
    return case.version


def inbox(username):
    return list(Notification.objects(recipient=user_id(username), channel="inbox"))


def test_a_dispatch_lands_in_the_departments_handler_inbox(case_in):
    case = case_in("dispatched")
    fan_out_last(case["id"])
    notice, = inbox("handler")
    assert (notice.type, notice.title, notice.status) == ("dispatch", "新派遣案件待签收", "sent")
    assert case["code"] in notice.body and "暴露垃圾" in notice.body and "胜利街12号" in notice.body
    assert "办理期限" in notice.body
    assert notice.data["link"] == f"gridhub://cases/{case['id']}"


def test_a_redelivered_event_creates_nothing_new(case_in):
    case = case_in("dispatched")
    seq = fan_out_last(case["id"])
    first = Notification.objects(event_key=f"case:{case['id']}:{seq}").count()  # handler, reporter
    assert fan_out(case["id"], seq).created == 0
    assert Notification.objects(event_key=f"case:{case['id']}:{seq}").count() == first == 2


def test_a_handled_case_goes_to_the_dispatchers_and_the_grid_worker(case_in):
    case = case_in("handled")
    fan_out_last(case["id"])
    assert [n.type for n in inbox("dispatcher")] == ["handle"]
    assert [n.title for n in inbox("gridworker")] == ["案件已处置，请核查"]


def test_the_actor_is_not_told_of_their_own_action(case_in, as_user):
    case = case_in("in_progress")
    as_user("handler").post(f"/api/v1/cases/{case['id']}/transitions",
                            json={"action": "return", "reason": "不属本部门"})
    fan_out_last(case["id"])
    assert inbox("handler") == [] and [n.type for n in inbox("dispatcher")] == ["return"]


def test_closing_asks_the_reporter_for_an_evaluation(case_in):
    case = case_in("closed", reporter="resident")
    fan_out_last(case["id"])
    assert [n.title for n in inbox("resident")] == ["您反映的问题已办结，请评价"]


def test_an_overdue_case_alerts_handler_dispatcher_and_town_supervisor(case_in, hotline_county):
    town = staff_of("371083001", "supervisor")
    case = case_in("in_progress")
    sweep(now=Case.objects.get(id=case["id"]).sla["due_at"] + timedelta(minutes=1))
    history = Case.objects.get(id=case["id"]).history
    overdue = next(e["seq"] for e in history if e["action"] == "sla.overdue")
    fan_out(case["id"], overdue)
    notified = {n.recipient for n in Notification.objects(event_key=f"case:{case['id']}:{overdue}")}
    assert notified == {user_id("handler"), user_id("dispatcher"), str(town.id)}
    assert Notification.objects(event_key=f"case:{case['id']}:{overdue}").first().urgent


def test_an_event_of_an_unknown_case_or_seq_does_nothing(case_in):
    case = case_in("dispatched")
    assert fan_out(str(ObjectId()), 1).created == 0 and fan_out(case["id"], 99).created == 0
    assert Notification.objects.count() == 0


# --- publishing and the relay ----------------------------------------------------------------
def test_a_transition_with_the_broker_down_succeeds_and_the_relay_publishes_later(
        app, case_in, monkeypatch):
    celery = app.extensions["celery"]
    sent = []

    def broken(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(celery, "send_task", broken)
    case = case_in("dispatched")
    stored = Case.objects.get(id=case["id"])
    assert stored.publish_pending_since is not None and stored.published_seq == 0
    monkeypatch.setattr(celery, "send_task",
                        lambda name, args, *rest, **options: sent.append(list(args)))
    assert events.relay(now=from_now(hours=1)) == stored.version
    assert sent == [[case["id"], seq] for seq in range(1, stored.version + 1)]
    stored.reload()
    assert stored.publish_pending_since is None and stored.published_seq == stored.version
    assert events.relay(now=from_now(hours=1)) == 0


def test_a_published_transition_leaves_nothing_for_the_relay(case_in):
    case = case_in("dispatched")
    stored = Case.objects.get(id=case["id"])
    assert stored.publish_pending_since is None and stored.published_seq == stored.version


# --- the inbox API ---------------------------------------------------------------------------
@pytest.fixture
def handler_inbox(case_in, as_user):
    """Two dispatches in the handler's inbox; returns the handler's client."""
    for _ in range(2):
        fan_out_last(case_in("dispatched")["id"])
    return as_user("handler")


def test_my_inbox_lists_newest_first_with_an_unread_count(handler_inbox):
    listed = handler_inbox.get("/api/v1/me/notifications")
    assert listed.status_code == 200 and len(listed.json) == 2
    assert listed.json[0]["created_at"] >= listed.json[1]["created_at"]
    assert handler_inbox.get("/api/v1/me/notifications/unread-count").json == {"unread": 2}


def test_marking_one_read_filters_it_out_of_unread(handler_inbox):
    first = handler_inbox.get("/api/v1/me/notifications").json[0]
    read = handler_inbox.post(f"/api/v1/me/notifications/{first['id']}/read")
    assert read.status_code == 200 and read.json["read_at"] is not None
    unread = handler_inbox.get("/api/v1/me/notifications", query_string={"unread": "true"}).json
    assert [n["id"] for n in unread] != [first["id"]] and len(unread) == 1
    assert handler_inbox.get("/api/v1/me/notifications/unread-count").json == {"unread": 1}


def test_marking_all_read_empties_the_badge(handler_inbox):
    assert handler_inbox.post("/api/v1/me/notifications/read-all").json == {"marked": 2}
    assert handler_inbox.get("/api/v1/me/notifications/unread-count").json == {"unread": 0}


def test_someone_elses_notification_is_not_found(handler_inbox, as_user):
    first = handler_inbox.get("/api/v1/me/notifications").json[0]
    assert as_user("dispatcher").post(
        f"/api/v1/me/notifications/{first['id']}/read").status_code == 404
    assert as_user("dispatcher").get("/api/v1/me/notifications").json == []


def test_a_bad_notification_id_or_filter_is_refused(handler_inbox):
    assert handler_inbox.post("/api/v1/me/notifications/nope/read").status_code == 404
    assert handler_inbox.get("/api/v1/me/notifications",
                             query_string={"unread": "maybe"}).status_code == 422


def test_the_inbox_needs_a_signed_in_user(anonymous):
    assert anonymous.get("/api/v1/me/notifications").status_code == 401
