"""Per-worker assessment (考核, issue 18): indicators summed over a period from patrols,
check-ins, reported cases, visits and logs; points by the county's rules in force each day;
grouped and ranked; exported; rules versioned and validated; seen in scope only."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from server.patrols import service
from server.patrols.models import CheckIn, Patrol, PointRules, Visit, WorkLog
from tests.clock import at
from tests.factories import CaseFactory, principal_of, staff_of

MONDAY = at(2026, 11, 23, 9, 0)  # a working week: Mon 23 – Fri 27 November 2026
PERIOD = {"from": "2026-11-23", "to": "2026-11-27"}
GRID = "371083001001001"


def worker_id():
    return principal_of("gridworker").id


def patrol_on(day_offset, hours=2.0, distance=3000.0, inside=2400.0, grids=(GRID,)):
    """An ended patrol of the demo grid worker (written as the service leaves one)."""
    start = MONDAY + timedelta(days=day_offset)
    Patrol(worker=worker_id(), scope=["371083", "user:" + worker_id()], status="ended",
           started_at=start, ended_at=start + timedelta(hours=hours), last_activity_at=start,
           duration_s=hours * 3600, distance_m=distance, inside_m=inside,
           grids_visited=list(grids), created_day=start.date().isoformat()).save()


def checkin_on(day_offset):
    moment = MONDAY + timedelta(days=day_offset)
    CheckIn(worker=worker_id(), grid=GRID, day=moment.date().isoformat(), at=moment,
            lng=121.525, lat=36.915).save()


def assessed(as_user, username="supervisor", **query):
    answer = as_user(username).get("/api/v1/stats/workers", query_string={**PERIOD, **query})
    assert answer.status_code == 200, answer.json
    return answer.json


def mine(body):
    return next(r for r in body["rows"] if r["key"] == worker_id())


def test_a_week_of_work_sums_to_the_workers_indicators_and_points(as_user, demo):
    for day in range(3):
        patrol_on(day)
        checkin_on(day)
    with time_machine.travel(MONDAY + timedelta(hours=1), tick=False):
        CaseFactory(reporter="gridworker")
    Visit(worker=worker_id(), subject="张大爷家", purpose="独居老人", visited_at=MONDAY,
          day="2026-11-23", scope=["371083"], created_at=MONDAY).save()
    WorkLog(worker=worker_id(), day="2026-11-23", text="巡查", created_at=MONDAY,
            updated_at=MONDAY, scope=["371083"]).save()
    row = mine(assessed(as_user))
    assert (row["patrol_days"], row["patrol_hours"], row["distance_km"]) == (3, 6.0, 9.0)
    assert row["inside_share"] == 0.8 and row["grid_coverage"] == 1.0
    assert (row["checkin_days"], row["missed_checkin_days"]) == (3, 2)
    assert (row["events_found"], row["visits"], row["logs"]) == (1, 1, 1)
    # defaults: 1 per patrol hour, 2 per event, 1 per visit, 0.5 per log, −2 per missed day
    assert row["points"] == 6 + 2 + 1 + 0.5 - 4 and row["rank_in_town"] == 1


def test_patrol_hours_count_up_to_the_days_cap_of_the_rules_in_force(as_user, demo):
    PointRules(county="371083", effective_from="2026-11-01",
               rules={"per_patrol_hour": 1, "patrol_hours_cap_per_day": 4,
                      "per_missed_checkin_day": 0}).save()
    PointRules(county="371083", effective_from="2026-11-25",
               rules={"per_patrol_hour": 3, "patrol_hours_cap_per_day": 4,
                      "per_missed_checkin_day": 0}).save()
    patrol_on(0, hours=6)  # Monday: capped at 4 h, 1 point each
    patrol_on(3, hours=2)  # Thursday: the new version, 3 points an hour
    assert mine(assessed(as_user))["points"] == 4 + 6


def test_workers_are_ranked_within_their_town(as_user, demo):
    other = staff_of("371083001001002", "grid_worker")
    patrol_on(0, hours=5)
    rows = assessed(as_user)["rows"]
    ranks = {r["name"]: r["rank_in_town"] for r in rows}
    assert ranks[other.name] == 2 and mine({"rows": rows})["rank_in_town"] == 1


def test_the_assessment_groups_by_community_and_town(as_user, demo):
    patrol_on(0)
    towns = assessed(as_user, group_by="town")["rows"]
    assert [(t["key"], t["name"]) for t in towns] == [("371083001", "城区街道")]
    assert towns[0]["patrol_hours"] == 2.0 and towns[0]["workers"] >= 1


def test_the_assessment_exports_as_csv_with_chinese_headers(as_user, demo):
    patrol_on(0)
    answer = as_user("supervisor").get("/api/v1/stats/workers/export",
                                       query_string={**PERIOD, "format": "csv"})
    text = answer.data.decode("utf-8-sig")
    assert answer.status_code == 200 and text.startswith("名称,街道（镇）,社区")
    assert "胜利街网格员" in text


def test_a_worker_sees_only_their_own_row(as_user, demo):
    staff_of("371083001001002", "grid_worker")
    rows = assessed(as_user, username="gridworker")["rows"]
    assert [r["key"] for r in rows] == [worker_id()]


def test_another_towns_supervisor_cannot_ask_for_this_town(as_user, demo):
    other = staff_of("371083002", "supervisor")
    answer = as_user(other.username).get("/api/v1/stats/workers",
                                         query_string={**PERIOD, "region": "371083001"})
    assert answer.status_code == 403
    assert GRID not in str(assessed(as_user, username=other.username)["rows"])


@pytest.mark.parametrize("username", ["resident", "handler"])
def test_residents_and_departments_have_no_worker_assessment(as_user, demo, username):
    assert as_user(username).get("/api/v1/stats/workers").status_code == 403


@pytest.mark.parametrize("query", [
    {"from": "2026-11-30", "to": "2026-11-01"}, {"from": "2025-01-01", "to": "2026-11-01"},
    {"group_by": "grid_cell"},
])
def test_a_bad_period_or_grouping_is_refused(as_user, demo, query):
    assert as_user("supervisor").get("/api/v1/stats/workers", query_string=query).status_code == 422


# --- the rules ---------------------------------------------------------------------------------------
def test_an_admin_adds_a_version_of_the_rules(as_user, demo):
    answer = as_user("admin").put("/api/v1/point-rules/371083", json={
        "effective_from": "2099-01-01", "rules": {"per_visit": 3}})
    assert answer.status_code == 200
    version, = answer.json["versions"]
    assert version["effective_from"] == "2099-01-01" and version["rules"]["per_visit"] == 3


@pytest.mark.parametrize("rules", [{"per_nap": 1}, {"per_visit": "three"},
                                   {"patrol_hours_cap_per_day": 30}, {"per_visit": 1e9}])
def test_a_points_rule_that_does_not_parse_is_refused_and_nothing_is_stored(as_user, demo, rules):
    answer = as_user("admin").put("/api/v1/point-rules/371083", json={
        "effective_from": "2099-01-01", "rules": rules})
    assert answer.status_code == 422 and answer.json["errors"]["reason"] in (
        "invalid_point_rules", "validation_error")
    assert PointRules.objects.count() == 0


def test_a_version_already_in_force_is_not_rewritten(as_user, demo):
    PointRules(county="371083", effective_from="2026-01-01", rules={"per_visit": 1}).save()
    answer = as_user("admin").put("/api/v1/point-rules/371083", json={
        "effective_from": "2026-01-01", "rules": {"per_visit": 9}})
    assert answer.status_code == 409 and PointRules.objects.get().rules == {"per_visit": 1}


def test_only_an_admin_of_the_county_sets_rules(as_user, demo):
    assert as_user("supervisor").put("/api/v1/point-rules/371083", json={
        "effective_from": "2099-01-01", "rules": {}}).status_code == 403


def test_service_patrols_carry_their_duration_for_the_assessment(as_user, demo):
    patrol = service.start(principal=principal_of("gridworker"), now=MONDAY)
    service.end(principal=principal_of("gridworker"), patrol_id=patrol["id"],
                now=MONDAY + timedelta(hours=1, minutes=30))
    assert Patrol.objects.get().duration_s == 5400
