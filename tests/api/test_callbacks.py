"""回访 (issue 19): a 不满意 evaluation opens a callback task for the supervisors of the case's
region, due in working days, tracked until done — explained, or reopened through the workflow."""

from __future__ import annotations

import time_machine

from server.cases import service
from server.cases.models import Callback, Case
from tests.clock import at
from tests.factories import CaseFactory, principal_of, staff_of

FRIDAY_AFTERNOON = at(2026, 11, 27, 16)
MONDAY_MORNING = at(2026, 11, 30, 10)  # within the reopen window of that Friday, whenever this runs
CALLBACKS = "/api/v1/supervision/callbacks"


def dissatisfied(comment="问题没有解决，垃圾又堆起来了", moment=FRIDAY_AFTERNOON):
    with time_machine.travel(moment, tick=False):  # closed and rated on a known Friday
        case = CaseFactory(reporter="resident", closed=True)
        service.apply_transition(principal=principal_of("resident"), case_id=case["id"],
                                 action="evaluate", payload={"rating": "dissatisfied", "note": comment})
    return case


def test_a_dissatisfied_evaluation_opens_a_callback_due_in_two_working_days(demo, as_user):
    case = dissatisfied()
    task, = as_user("supervisor").get(CALLBACKS).json
    assert (task["case_code"], task["comment"], task["status"]) == (
        case["code"], "问题没有解决，垃圾又堆起来了", "open")
    # Closed, rated and counted under time travel to a known Friday: holds whatever day it runs
    assert task["due_at"] == "2026-12-01T16:00:00+08:00"  # Fri 16:00 + 2 working days: Tue


def test_a_satisfied_evaluation_opens_none(demo):
    case = CaseFactory(reporter="resident", closed=True)
    service.apply_transition(principal=principal_of("resident"), case_id=case["id"],
                             action="evaluate", payload={"rating": "satisfied"})
    assert Callback.objects.count() == 0


def test_a_callback_explained_is_done_and_leaves_the_list(demo, as_user):
    dissatisfied()
    supervisor = as_user("supervisor")
    task, = supervisor.get(CALLBACKS).json
    done = supervisor.post(f"{CALLBACKS}/{task['id']}/done",
                           json={"outcome": "explained", "note": "已电话说明：清运频次已增加"})
    assert done.status_code == 200 and done.json["status"] == "done"
    assert supervisor.get(CALLBACKS).json == []
    assert [t["outcome"] for t in supervisor.get(CALLBACKS, query_string={"status": "done"}).json] == [
        "explained"]


def reopened(as_user):
    """A 不满意 case whose callback reopened it, on the Monday after."""
    case = dissatisfied()
    with time_machine.travel(MONDAY_MORNING, tick=True):
        supervisor = as_user("supervisor")
        task, = supervisor.get(CALLBACKS).json
        done = supervisor.post(f"{CALLBACKS}/{task['id']}/done",
                               json={"outcome": "reopened", "note": "居民反映仍有堆放，重新交办"})
    assert done.status_code == 200, done.json
    return case


def test_a_callback_reopened_reopens_the_case(demo, as_user):
    case = reopened(as_user)
    assert Case.objects.get(id=case["id"]).status == "dispatched"
    assert Case.objects.get(id=case["id"]).history[-1]["action"] == "reopen"


def test_a_dissatisfied_case_reopened_and_closed_again_counts_as_resolved(demo, as_user):
    case = reopened(as_user)
    with time_machine.travel(MONDAY_MORNING, tick=True):
        for username, action, payload in [("handler", "sign", {}),
                                          ("handler", "handle", {"result": "已清运并加装围挡"}),
                                          ("gridworker", "verify_pass", {})]:
            service.apply_transition(principal=principal_of(username), case_id=case["id"],
                                     action=action, payload=payload)
        total = as_user("supervisor").get("/api/v1/stats", query_string={
            "from": "2026-11-27", "to": "2026-11-27"}).json["total"]
    assert (total["dissatisfied"], total["redone"], total["redone_resolved"],
            total["redone_resolve_rate"]) == (1, 1, 1, 100.0)


def test_a_dissatisfied_case_reopened_but_not_yet_closed_is_not_resolved(demo, as_user):
    reopened(as_user)
    with time_machine.travel(MONDAY_MORNING, tick=True):
        total = as_user("supervisor").get("/api/v1/stats", query_string={
            "from": "2026-11-27", "to": "2026-11-27"}).json["total"]
    assert (total["redone"], total["redone_resolved"], total["redone_resolve_rate"]) == (1, 0, 0.0)


def test_a_callback_done_twice_is_409(demo, as_user):
    dissatisfied()
    supervisor = as_user("supervisor")
    task, = supervisor.get(CALLBACKS).json
    body = {"outcome": "explained", "note": "已说明"}
    supervisor.post(f"{CALLBACKS}/{task['id']}/done", json=body)
    again = supervisor.post(f"{CALLBACKS}/{task['id']}/done", json=body)
    assert again.status_code == 409 and again.json["errors"]["reason"] == "callback_done"


def test_another_towns_supervisor_neither_sees_nor_completes_it(demo, as_user):
    dissatisfied()
    task, = as_user("supervisor").get(CALLBACKS).json
    other = as_user(staff_of("371083002", "supervisor").username)
    assert other.get(CALLBACKS).json == []
    answer = other.post(f"{CALLBACKS}/{task['id']}/done", json={"outcome": "explained", "note": "x"})
    assert answer.status_code == 404


def test_residents_and_handlers_do_not_see_callbacks(demo, as_user):
    dissatisfied()
    assert as_user("resident").get(CALLBACKS).status_code == 403
    assert as_user("handler").get(CALLBACKS).status_code == 403


def test_a_bad_outcome_or_an_empty_note_is_422(demo, as_user):
    dissatisfied()
    supervisor = as_user("supervisor")
    task, = supervisor.get(CALLBACKS).json
    for body in ({"outcome": "ignored", "note": "x"}, {"outcome": "explained", "note": " "}):
        assert supervisor.post(f"{CALLBACKS}/{task['id']}/done", json=body).status_code == 422


def test_a_reopen_the_workflow_refuses_leaves_the_callback_open(demo, as_user):
    case = dissatisfied()
    with time_machine.travel(MONDAY_MORNING, tick=True):  # in the window: refused for its department
        supervisor = as_user("supervisor")
        task, = supervisor.get(CALLBACKS).json
        refused = supervisor.post(f"{CALLBACKS}/{task['id']}/done", json={
            "outcome": "reopened", "note": "重新交办", "department": "371083-nosuch"})
        assert refused.status_code == 422
        assert Case.objects.get(id=case["id"]).status == "closed"
        assert [t["status"] for t in supervisor.get(CALLBACKS).json] == ["open"]
