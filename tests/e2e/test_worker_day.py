"""A grid worker's day in the mini-app (issue 18): check in, start a patrol, walk from the own
grid into the next (the phone's position moved step by step), lose the signal and file a report
and a visit, regain it, end the patrol, write the day's log — then the supervisor's map shows
the track and the case, and the worker's assessment reads the distance, coverage and points."""

from __future__ import annotations

import pytest

from server.cases.models import Case
from server.grids.service import distance_m
from server.patrols.models import Patrol, Visit, WorkLog
from server.timeutil import SHANGHAI
from tests.clock import from_now
from tests.e2e.conftest import until

LAT = 36.915
# 121.5286 → 121.5314 E: 0.0028° east, across 121.53 into 胜利街第二网格, 14 m a step — at one
# reading every half second under the 150 km/h past which the server flags a position
ROUTE = [round(121.5286 + 0.00014 * i, 5) for i in range(21)]


def recorded(phone) -> int:
    return int(phone.page.get_attribute(".patrol-status", "data-recorded") or 0)


def walk(phone, lngs):
    for lng in lngs:
        before = recorded(phone)
        phone.context.set_geolocation({"latitude": LAT, "longitude": lng, "accuracy": 5})
        until(phone, f"Number(document.querySelector('.patrol-status').dataset.recorded) > {before}")


@pytest.mark.usefixtures("demo")
def test_a_grid_workers_day_ends_on_the_supervisors_map_and_in_the_assessment(
        phones, photo_file, as_user):
    worker = phones("worker", user="gridworker", service_workers="allow")
    until(worker, "navigator.serviceWorker.controller !== null")
    worker.page.evaluate("localStorage.setItem('gridhub.patrol.every', '500')")
    worker.page.reload()
    worker.page.wait_for_selector("nav.tabs:not(.hidden)")
    worker.tab("走访")  # the visit purposes, kept for later without signal
    worker.page.locator("form.visit select[name=purpose] option[value=独居老人]").wait_for(state="attached")

    worker.context.set_geolocation({"latitude": LAT, "longitude": ROUTE[0], "accuracy": 5})
    worker.tab("巡查")
    worker.page.click("button[data-checkin]")
    worker.page.locator(".patrol .notice").filter(has_text="胜利街第一网格签到").wait_for()
    worker.page.click("button[data-patrol]")
    worker.page.locator(".patrol-status").filter(has_text="巡查中").wait_for()
    walk(worker, ROUTE[:10])

    worker.context.set_offline(True)  # into a lane without signal: a report and a visit
    worker.tab("上报")
    worker.page.select_option("select[name=category]", "0102")
    worker.page.fill("textarea[name=description]", "巷道内堆放建筑垃圾")
    worker.photo("form.report .photos .add", photo_file)
    worker.page.click("form.report button[type=submit]")
    worker.page.locator(".card.kept").wait_for()
    worker.tab("走访")
    worker.page.fill("input[name=subject]", "赵大爷家（独居）")
    worker.page.select_option("select[name=purpose]", "独居老人")
    worker.page.click("form.visit button[type=submit]")
    worker.page.locator(".card.kept").wait_for()
    worker.tab("巡查")
    walk(worker, ROUTE[10:15])
    worker.context.set_offline(False)  # the signal returns

    walk(worker, ROUTE[15:])
    worker.page.click("button[data-patrol]")
    worker.page.locator(".patrol-status").filter(has_text="未在巡查").wait_for()
    until(worker, "document.querySelector('.outbox').dataset.count === '0'", timeout_ms=30_000)
    worker.tab("日志")
    worker.page.fill("textarea[name=text]",
                     "上午巡查胜利街一、二网格，巷道内发现建筑垃圾已上报，走访独居老人一户。")
    worker.page.click("form.worklog button[type=submit]")
    worker.page.locator(".card.sent").wait_for()
    worker.shot("34-worker-day-log")

    patrol = Patrol.objects.get()
    expected = distance_m(ROUTE[0], LAT, ROUTE[-1], LAT)
    assert patrol.status == "ended" and patrol.flagged_count == 0
    assert patrol.distance_m == pytest.approx(expected, rel=0.02)
    case = Case.objects.get(description="巷道内堆放建筑垃圾")
    assert len(case.attachments) == 1 and Visit.objects.count() == WorkLog.objects.count() == 1

    supervisor = phones("supervisor#map", user="supervisor")
    supervisor.page.locator(".board-map[data-drawn]").wait_for()
    assert supervisor.page.locator(".board-map path[stroke='#7b3fe4']").count() >= 1
    assert "（1）" in supervisor.page.locator(".card h2").first.inner_text()  # the case
    supervisor.shot("35-supervisor-map-worker-day")

    today = from_now().astimezone(SHANGHAI).date().isoformat()
    row = next(r for r in as_user("supervisor").get("/api/v1/stats/workers", query_string={
        "from": today, "to": today}).json["rows"] if r["name"] == "胜利街网格员")
    assert row["distance_km"] == pytest.approx(expected / 1000, rel=0.02, abs=0.01)
    assert row["grid_coverage"] == 1.0 and row["checkin_days"] == 1 and row["missed_checkin_days"] == 0
    assert (row["events_found"], row["visits"], row["logs"]) == (1, 1, 1)
    # defaults: 1 a patrol hour, 2 an event found, 1 a visit, 0.5 a log
    assert row["points"] == pytest.approx(row["patrol_hours"] + 2 + 1 + 0.5, abs=0.01)
