"""The SLA sweep on a real worker over Redis, with the clock moved forward."""

from __future__ import annotations

import threading

import time_machine

from server.cases.models import Case
from server.supervision.sweep import RETRY_FAILED_AFTER, sweep
from server.supervision.tasks import sla_sweep
from tests.celery_worker import wait_for
from tests.clock import at

SLA_EVENTS = ("sla.warning", "sla.overdue", "sla.escalated")


def sla_history(case_id):
    entries = Case.objects.get(id=case_id).history
    return [(e["action"], e["payload"].get("phase"), e["payload"].get("level"))
            for e in entries if e["action"] in SLA_EVENTS]


def test_yellow_red_and_escalations_happen_once_each_on_a_real_worker(
        celery_worker, case_in, hotline_county, as_user):
    with time_machine.travel(at(2026, 11, 23, 10), tick=False):
        case = case_in("in_progress")  # handle: 5 wd, due Mon 30 Nov 10:00
    steps = [(at(2026, 11, 27, 10, 1), ("sla.warning", "handle", 0)),
             (at(2026, 11, 30, 10, 1), ("sla.overdue", "handle", 0)),
             (at(2026, 12, 1, 10, 1), ("sla.escalated", "handle", 1)),
             (at(2026, 12, 3, 10, 1), ("sla.escalated", "handle", 2))]
    for moment, expected in steps:
        with time_machine.travel(moment):
            sla_sweep.delay()
            wait_for(lambda expected=expected: expected in sla_history(case["id"]))
            sla_sweep.delay()  # a second run, right after: nothing more
            sla_sweep.delay()
    with time_machine.travel(at(2026, 12, 4, 10)):
        sla_sweep.delay()
        wait_for(lambda: Case.objects.get(id=case["id"]).next_sla_check_at is None)
    assert sla_history(case["id"]) == [step[1] for step in steps]
    stored = Case.objects.get(id=case["id"])
    assert stored.escalation_level == 2
    assert stored.flags["overdue"] and stored.flags["due"]
    assert [e["seq"] for e in stored.history] == list(range(1, stored.version + 1))
    with time_machine.travel(at(2026, 12, 4, 10)):
        row, = as_user("supervisor").get("/api/v1/supervision/board",
                                         query_string={"level": 2}).json
    assert (row["id"], row["light"], row["escalation_level"]) == (case["id"], "red", 2)


def test_a_suspension_with_an_end_is_resumed_by_the_sweep(celery_worker, case_in, as_user):
    with time_machine.travel(at(2026, 11, 23, 10), tick=False):
        case = case_in("in_progress")
        as_user("supervisor").post(f"/api/v1/cases/{case['id']}/transitions", json={
            "action": "suspend", "reason": "等待汛期结束", "duration_wd": 1})
    with time_machine.travel(at(2026, 11, 24, 10, 1)):
        sla_sweep.delay()
        wait_for(lambda: Case.objects.get(id=case["id"]).status == "in_progress")
    resumed = Case.objects.get(id=case["id"]).history[-1]
    assert resumed["action"] == "resume" and resumed["actor"]["key"] == "system"


def test_two_sweeps_at_once_give_each_notice_once(app, case_in, hotline_county):
    with time_machine.travel(at(2026, 11, 23, 10), tick=False):
        cases = [case_in("in_progress") for _ in range(6)]
    late = at(2026, 12, 4, 10)
    results = []

    def run():
        with app.app_context():
            results.append(sweep(now=late))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for case in cases:
        assert len(sla_history(case["id"])) == 4
    assert sum(r.notices for r in results) == 6 * 4


def test_the_sweep_reads_only_the_cases_that_are_due(case_in, hotline_county):
    with time_machine.travel(at(2026, 11, 23, 10), tick=False):
        case_in("in_progress")
        case_in("closed")
    assert sweep(now=at(2026, 11, 23, 11)).read == 0
    assert sweep(now=at(2026, 11, 27, 10, 1)).read == 1


def test_a_case_the_sweep_cannot_process_does_not_stop_the_others(case_in, hotline_county,
                                                                   caplog):
    with time_machine.travel(at(2026, 11, 23, 10), tick=False):
        poisoned, *good = [case_in("in_progress") for _ in range(3)]
    # A damaged clock that sorts first: every pass would meet it before the others.
    Case.objects(id=poisoned["id"]).update_one(set__deadlines={"handle": {"limit": "broken"}},
                                               set__next_sla_check_at=at(2026, 11, 20, 10))
    late = at(2026, 11, 27, 10, 1)
    result = sweep(now=late)
    assert (result.read, result.failed, result.notices) == (3, 1, 2)
    assert all(sla_history(case["id"]) == [("sla.warning", "handle", 0)] for case in good)
    assert Case.objects.get(id=poisoned["id"]).next_sla_check_at == late + RETRY_FAILED_AFTER
    assert poisoned["code"] in caplog.text
