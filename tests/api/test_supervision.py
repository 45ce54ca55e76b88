"""The supervision board and the standard indicators (DESIGN §5, §6)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
import time_machine
from openpyxl import load_workbook

from server.cases.models import Case
from server.supervision.stats import rate
from server.supervision.sweep import sweep
from tests.clock import at
from tests.factories import insert_cases, staff_of

MONDAY = at(2026, 11, 23, 10)
FRIDAY = at(2026, 11, 27, 11)


@pytest.fixture
def monday_case(case_in, hotline_county):
    """`monday_case("in_progress")`: a case walked to a state on Mon 23 Nov 10:00 (12345
    profile: handle due Mon 30 Nov 10:00, yellow from Fri 27 Nov 10:00)."""

    def make(state, **overrides):
        with time_machine.travel(MONDAY, tick=False):
            return case_in(state, **overrides)

    return make


@pytest.fixture
def board(as_user):
    """`board(moment, username, **filters)`: the board's rows and its counts at a moment."""

    def read(moment=FRIDAY, username="supervisor", **params):
        with time_machine.travel(moment, tick=False):
            client = as_user(username)
            rows = client.get("/api/v1/supervision/board", query_string=params)
            counts = client.get("/api/v1/supervision/board/counts", query_string=params)
        assert rows.status_code == 200, rows.json
        return rows.json, counts.json

    return read


# --- board -----------------------------------------------------------------------------------
def test_the_board_lists_red_first_then_the_least_time_left(monday_case, board):
    handling = monday_case("in_progress")  # handle due Mon 30 Nov 10:00: yellow on Friday
    accepting = monday_case("reported")  # accept: 2 wh, due Mon 13:30
    dispatched = monday_case("dispatched")  # sign: 1 wd, due Tue 10:00
    rows, counts = board()
    assert [r["id"] for r in rows] == [accepting["id"], dispatched["id"], handling["id"]]
    assert [r["light"] for r in rows] == ["red", "red", "yellow"]
    assert [r["phase"] for r in rows] == ["accept", "sign", "handle"]
    assert rows[2]["remaining_minutes"] == 420 - 60
    assert counts == {"red": 2, "yellow": 1, "green": 0, "paused": 0}


def test_the_board_filters_by_light_phase_and_category(monday_case, board):
    handling = monday_case("in_progress")
    monday_case("reported", category="0201")
    assert [r["id"] for r in board(light="yellow")[0]] == [handling["id"]]
    assert [r["id"] for r in board(phase="handle")[0]] == [handling["id"]]
    assert [r["category"] for r in board(category="02")[0]] == ["0201"]
    assert board(light="green")[0] == []


def test_a_board_row_says_which_case_and_the_time_left_in_the_limits_unit(monday_case, board):
    monday_case("in_progress", description="  胜利街  12号门前\n井盖破损，夜间有行人绊倒的危险，"
                                           "请尽快处理以免发生意外事故，附近还有一所小学和菜市场")
    monday_case("reported")
    rows, _ = board()
    handling, accepting = rows[1], rows[0]
    assert handling["summary"].startswith("胜利街 12号门前 井盖破损") and handling["summary"].endswith("…")
    assert handling["place"] == "胜利街第一网格" and handling["town"]["name"]
    assert handling["source_label"] == "网格员上报" and handling["department_name"] != handling["department"]
    assert handling["time_left"] == "剩余 6 个工作小时（截止 11月30日 10:00）"
    assert accepting["time_left"] == "超期 27 个工作小时（截止 11月23日 12:00）"


def test_the_board_filters_by_urgency_and_town(monday_case, board):
    urgent = monday_case("in_progress", priority="urgent")
    monday_case("in_progress")
    assert [r["id"] for r in board(priority="urgent")[0]] == [urgent["id"]]
    assert board(region="371083002")[0] == []
    assert len(board(region=urgent["region_path"][1])[0]) == 2


def test_closed_cases_leave_the_board(monday_case, board):
    monday_case("closed")
    assert board() == ([], {"red": 0, "yellow": 0, "green": 0, "paused": 0})


def test_a_suspended_case_shows_as_paused(monday_case, board, as_user):
    case = monday_case("in_progress")
    with time_machine.travel(MONDAY, tick=False):
        as_user("supervisor").post(f"/api/v1/cases/{case['id']}/transitions",
                                   json={"action": "suspend", "reason": "待确认", "duration_wd": 3})
    rows, counts = board(light="paused")
    assert [r["light"] for r in rows] == ["paused"] and counts["paused"] == 1


def test_escalated_cases_are_found_by_level(monday_case, board):
    case = monday_case("in_progress")
    sweep(now=at(2026, 12, 1, 10, 1))
    rows, _ = board(moment=at(2026, 12, 1, 11), level=1)
    assert [(r["id"], r["escalation_level"], r["light"]) for r in rows] == [
        (case["id"], 1, "red")]


def test_a_supervision_is_recorded_with_its_level_and_note(monday_case, as_user, board):
    case = monday_case("in_progress")
    with time_machine.travel(FRIDAY, tick=False):
        response = as_user("supervisor").post(
            f"/api/v1/cases/{case['id']}/transitions",
            json={"action": "supervise", "level": 2, "note": "请于今日内处置完毕"})
    assert response.json["supervision_level"] == 2
    entry = as_user("supervisor").get(f"/api/v1/cases/{case['id']}/history").json[-1]
    assert (entry["action"], entry["note"], entry["payload"]) == (
        "supervise", "请于今日内处置完毕", {"level": 2})
    assert board()[0][0]["supervise_count"] == 1


def test_a_town_dispatcher_sees_only_the_towns_cases_on_the_board(monday_case, board):
    monday_case("in_progress")
    assert board(username=staff_of("371083002", "dispatcher").username)[0] == []


@pytest.mark.parametrize("username", ["handler", "gridworker", "resident"])
def test_the_board_is_for_supervisors_and_dispatchers(as_user, username):
    assert as_user(username).get("/api/v1/supervision/board").status_code == 403


@pytest.mark.parametrize("params", [{"light": "blue"}, {"phase": "repair"}, {"level": 3},
                                    {"page_size": 1000}, {"priority": "high"}])
def test_bad_board_filters_are_refused(as_user, params):
    response = as_user("supervisor").get("/api/v1/supervision/board", query_string=params)
    assert response.status_code == 422


# --- indicators ------------------------------------------------------------------------------
DAY = at(2026, 11, 2, 10)


def stats(as_user, **params):
    response = as_user("supervisor").get(
        "/api/v1/stats", query_string={"from": "2026-11-01", "to": "2026-11-30", **params})
    assert response.status_code == 200, response.json
    return response.json


def test_the_published_report_is_reproduced_93_72_and_75_82_percent(as_user):
    done = {"accepted": True, "dispatched": True, "due": True, "handled": True}
    insert_cases(737, **done, closed=True, ontime_handle=True, ontime_close=True)
    insert_cases(911 - 737, **done, closed=True)
    insert_cases(972 - 911, **done, status="in_progress")
    total = stats(as_user)["total"]
    assert (total["should_close"], total["closed"], total["ontime_closed"]) == (972, 911, 737)
    assert total["close_rate"] == 93.72
    assert total["ontime_close_rate"] == 75.82


def test_every_indicator_follows_its_formula(as_user):
    insert_cases(1, status="cancelled")
    insert_cases(1, status="rejected")
    insert_cases(2, accepted=True, dispatched=True, ontime_dispatch=True, ontime_sign=True,
                 due=True, handled=True, ontime_handle=True, closed=True, ontime_close=True,
                 evaluated=True, satisfied=True, handle_wm=120.0)
    insert_cases(1, status="in_progress", accepted=True, dispatched=True, due=True,
                 overdue=True, reworked=True, returned=True, extended=True)
    insert_cases(1, accepted=True, dispatched=True, ontime_sign=True, due=True, handled=True,
                 closed=True, evaluated=True, satisfied=False, handle_wm=300.0)
    total = stats(as_user)["total"]
    assert total["reported"] == 6 and total["accept_rate"] == rate(4, 5) == 80.0
    assert total["ontime_dispatch_rate"] == 50.0 and total["response_rate"] == 75.0
    assert total["ontime_handle_rate"] == 50.0 and total["close_rate"] == 75.0
    assert total["rework_rate"] == total["extension_rate"] == 25.0
    assert (total["returned"], total["overdue"]) == (1, 1)
    assert total["satisfaction_rate"] == 66.67
    assert total["avg_handle_wh"] == round((120 * 2 + 300) / 3 / 60, 2)


def test_a_rate_of_nothing_is_null_not_zero(as_user):
    total = stats(as_user)["total"]
    assert total["reported"] == 0 and total["close_rate"] is None


@pytest.mark.parametrize(("group_by", "key", "name"), [
    ("grid", "371083001001001", "胜利街第一网格"), ("town", "371083001", "城区街道"),
    ("department", "371083-cgj", "乳山市城市管理局"), ("category", "0102", "暴露垃圾"),
    ("day", "2026-11-02", "2026-11-02")])
def test_indicators_are_grouped_with_names(as_user, group_by, key, name):
    insert_cases(3, due=True, closed=True)
    groups = stats(as_user, group_by=group_by)["groups"]
    assert [(g["key"], g["name"], g["closed"]) for g in groups] == [(key, name, 3)]


def test_cases_outside_the_period_or_scope_are_not_counted(as_user):
    insert_cases(2, due=True)
    insert_cases(5, due=True, day=DAY - timedelta(days=40))
    assert stats(as_user)["total"]["should_close"] == 2
    town = staff_of("371083002", "supervisor").username
    assert as_user(town).get("/api/v1/stats", query_string={
        "from": "2026-11-01", "to": "2026-11-30"}).json["total"]["reported"] == 0


def test_a_workflow_closed_case_is_counted_by_the_real_flags(case_in, as_user):
    case_in("closed")
    today = Case.objects.first().created_day
    total = as_user("supervisor").get("/api/v1/stats", query_string={
        "from": today, "to": today}).json["total"]
    assert (total["reported"], total["closed"], total["close_rate"]) == (1, 1, 100.0)


@pytest.mark.parametrize("params", [
    {"from": "2026-11-30", "to": "2026-11-01"}, {"from": "2025-01-01", "to": "2026-11-01"},
    {"group_by": "street"}, {"from": "2026-02-30"}, {"from": "yesterday"},
    {"from": "2020-01-01"}, {"from": "2099-01-01"},
    {"from": "9999-12-30", "to": "9999-12-31"}, {"from": "0001-01-01", "to": "0001-01-02"}])
def test_a_bad_period_or_grouping_is_refused(as_user, params):
    response = as_user("supervisor").get("/api/v1/stats", query_string=params)
    assert response.status_code == 422


def test_an_unknown_region_is_not_found(as_user):
    assert as_user("supervisor").get("/api/v1/stats",
                                     query_string={"region": "371099"}).status_code == 404


@pytest.mark.parametrize("username", ["handler", "gridworker", "resident"])
def test_indicators_are_for_supervisors_and_dispatchers(as_user, username):
    assert as_user(username).get("/api/v1/stats").status_code == 403


def test_the_csv_export_has_chinese_headers_and_the_same_numbers(as_user):
    insert_cases(3, due=True, closed=True, ontime_close=True)
    insert_cases(1, due=True)
    params = {"from": "2026-11-01", "to": "2026-11-30", "group_by": "grid"}
    response = as_user("supervisor").get("/api/v1/stats/export",
                                         query_string={**params, "format": "csv"})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "gridhub-stats-20261101-20261130.csv" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert [r["名称"] for r in rows] == ["胜利街第一网格", "合计"]
    assert rows[-1]["结案率(%)"] == str(stats(as_user, group_by="grid")["total"]["close_rate"])
    assert rows[-1]["应结案数"] == "4"


def test_the_xlsx_export_holds_the_same_numbers(as_user):
    insert_cases(3, due=True, closed=True)
    insert_cases(1, due=True)
    response = as_user("supervisor").get("/api/v1/stats/export", query_string={
        "from": "2026-11-01", "to": "2026-11-30", "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.data)).active
    header, total = [c.value for c in sheet[1]], [c.value for c in sheet[2]]
    assert dict(zip(header, total, strict=True))["结案率(%)"] == 75.0


def test_an_unknown_export_format_is_refused(as_user):
    response = as_user("supervisor").get("/api/v1/stats/export", query_string={"format": "pdf"})
    assert response.status_code == 422
