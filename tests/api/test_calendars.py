"""County calendars: own days and office hours (admin), the uncovered-year report."""

import json
from datetime import date

import pytest
import time_machine

from server.catalog.calendars import calendar_for, uncovered_years
from server.cli import cli

NOTICE_2027 = [{"date": "2027-01-01", "workday": False, "note": "元旦"},
               {"date": "2027-02-07", "workday": True, "note": "春节调休上班"}]


def test_an_admin_loads_a_new_years_notice_and_the_calendar_uses_it(as_user):
    response = as_user("admin").put("/api/v1/calendars/371083/days",
                                    json={"days": NOTICE_2027, "replace_year": 2027})
    assert response.status_code == 200
    assert [d["date"] for d in response.json["days"]] == ["2027-01-01", "2027-02-07"]
    calendar = calendar_for("371083001001001")
    assert not calendar.is_workday(date(2027, 1, 1))
    assert calendar.is_workday(date(2027, 2, 7))  # a Sunday


def test_replacing_a_year_drops_that_years_old_days(as_user):
    admin = as_user("admin")
    admin.put("/api/v1/calendars/371083/days", json={"days": NOTICE_2027})
    body = admin.put("/api/v1/calendars/371083/days", json={
        "days": [{"date": "2027-05-03", "workday": False}], "replace_year": 2027}).json
    assert [d["date"] for d in body["days"]] == ["2027-05-03"]


@pytest.mark.parametrize(("body", "status"), [
    ({"days": [{"date": "2027-02-30", "workday": False}]}, 422),
    ({"days": [{"date": "2027-01-01"}]}, 422),
    ({"days": []}, 422),
    ({"days": [{"date": "2028-01-01", "workday": False}], "replace_year": 2027}, 422),
])
def test_a_bad_override_is_refused(as_user, body, status):
    assert as_user("admin").put("/api/v1/calendars/371083/days",
                                json=body).status_code == status


def test_only_a_county_has_a_calendar(as_user):
    assert as_user("admin").get("/api/v1/calendars/371083001").status_code == 404


def test_only_an_admin_changes_a_calendar(as_user):
    response = as_user("supervisor").put("/api/v1/calendars/371083/days",
                                         json={"days": NOTICE_2027})
    assert response.status_code == 403


@pytest.mark.parametrize("hours", [[["09:00", "08:00"]], [["9am", "12:00"]],
                                   [["09:00", "12:00"], ["11:00", "14:00"]]])
def test_bad_office_hours_are_refused(as_user, hours):
    response = as_user("admin").put("/api/v1/calendars/371083/office-hours",
                                    json={"office_hours": hours})
    assert response.status_code == 422


def test_office_hours_are_set_per_county(as_user):
    body = as_user("admin").put("/api/v1/calendars/371083/office-hours",
                                json={"office_hours": [["08:30", "12:00"], ["14:00", "18:00"]]})
    assert body.json["office_hours"] == [["08:30", "12:00"], ["14:00", "18:00"]]
    assert calendar_for("371083").day_minutes == 450


def test_readyz_reports_a_year_the_statutory_calendar_does_not_cover(client):
    with time_machine.travel("2026-12-01T10:00:00+08:00"):
        assert client.get("/readyz").json["calendar"]["uncovered_years"] == [2027]
    assert uncovered_years(today=date(2025, 6, 1)) == []


def test_the_cli_loads_a_notice_from_a_file(app, demo, tmp_path):
    path = tmp_path / "2027.json"
    path.write_text(json.dumps(NOTICE_2027), encoding="utf-8")
    result = app.test_cli_runner().invoke(cli, ["load-calendar", "371083", str(path),
                                                "--year", "2027"])
    assert result.exit_code == 0, result.output
    assert "2 day(s)" in result.output


def test_the_cli_refuses_a_file_with_a_bad_date(app, demo, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps([{"date": "2027-13-01", "workday": False}]))
    result = app.test_cli_runner().invoke(cli, ["load-calendar", "371083", str(path)])
    assert result.exit_code != 0


def test_the_uncovered_year_is_logged_once_not_on_every_probe(app, client, caplog):
    app.extensions.pop("gridhub_reported_gaps", None)
    with time_machine.travel("2026-12-01T10:00:00+08:00"):
        for _ in range(3):
            client.get("/readyz")
    assert sum("no data for 2027" in r.getMessage() for r in caplog.records) == 1
