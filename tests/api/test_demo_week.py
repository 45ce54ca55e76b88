"""The demo grid worker's last week (issue 18): patrols with tracks, check-ins, logs and visits
on each working day, the same every time, once."""

from __future__ import annotations

import time_machine

from server.demo_patrols import seed_demo_week
from server.patrols.models import CheckIn, Patrol, Visit, WorkLog
from tests.clock import at

MONDAY = at(2026, 11, 30, 8, 0)  # the week before: Mon 23 – Fri 27 November, all working days


def test_the_demo_week_fills_each_working_day_and_only_once(demo, as_user):
    with time_machine.travel(MONDAY, tick=True):
        counts = seed_demo_week(now=MONDAY)
        assert counts == {"patrols": 5, "checkins": 5, "worklogs": 5, "visits": 5}
        assert seed_demo_week(now=MONDAY) == {}
        patrol = Patrol.objects.order_by("started_at").first()
        assert patrol.status == "ended" and 2000 < patrol.distance_m < 4000
        assert len(patrol.track) >= 5 and patrol.flagged_count == 0
        assert (CheckIn.objects.count(), WorkLog.objects.count(), Visit.objects.count()) == (5, 5, 5)
        row = next(r for r in as_user("supervisor").get("/api/v1/stats/workers", query_string={
            "from": "2026-11-23", "to": "2026-11-27"}).json["rows"] if r["name"] == "胜利街网格员")
    assert row["patrol_days"] == 5 and row["missed_checkin_days"] == 0 and row["points"] > 0
