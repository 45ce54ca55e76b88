"""Finding 13 of the security review: dates at the ends of the calendar are a 4xx, not a 500."""

from __future__ import annotations

import pytest

YEAR_1 = "0001-01-01T00:00:00+08:00"
YEAR_9999 = "9999-12-31T23:59:59+08:00"


@pytest.mark.parametrize(("path", "name", "value"), [
    ("/api/v1/cases", "created_from", YEAR_1),
    ("/api/v1/cases", "created_to", YEAR_1),
    ("/api/v1/cases", "created_to", YEAR_9999),
    ("/api/v1/audit", "since", YEAR_1),
    ("/api/v1/audit", "until", YEAR_9999),
])
def test_an_api_date_at_the_end_of_the_calendar_is_422(as_user, path, name, value):
    response = as_user("admin").get(path, query_string={name: value})
    assert response.status_code == 422 and name in response.json["errors"]["query"]


@pytest.mark.parametrize(("name", "value"), [("start_date", YEAR_1), ("end_date", YEAR_9999)])
def test_an_open311_date_at_the_end_of_the_calendar_is_400(app, anonymous, demo, monkeypatch,
                                                           name, value):
    monkeypatch.setitem(app.config, "OPEN311_PUBLIC_REGIONS", ["371083"])
    response = anonymous.get("/open311/v2/requests.json", query_string={name: value})
    assert response.status_code == 400 and "1970" in response.json[0]["description"]


def test_a_suspension_until_year_9999_is_422(case_in, transition):
    response = transition(case_in("in_progress")["id"], "supervisor",
                          {"action": "suspend", "reason": "x", "until": YEAR_9999})
    assert response.status_code == 422
