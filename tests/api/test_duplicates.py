"""Possible duplicates on report, /cases/nearby, and merging into a primary."""

import pytest
import time_machine

from server.grids.service import distance_m

HERE = {"lat": 36.915, "lng": 121.525}
TWENTY_M_EAST = {"lat": 36.915, "lng": 121.525 + 20 / (111_320 * 0.7994)}
TWO_HUNDRED_M_EAST = {"lat": 36.915, "lng": 121.525 + 200 / (111_320 * 0.7994)}


def test_the_distance_helper_measures_metres():
    assert distance_m(HERE["lng"], HERE["lat"], TWENTY_M_EAST["lng"],
                      TWENTY_M_EAST["lat"]) == pytest.approx(20, abs=0.5)


def test_an_open_case_of_the_same_kind_nearby_is_linked_as_a_possible_duplicate(report):
    first = report(location=HERE)
    second = report(location=TWENTY_M_EAST)
    assert second["possible_duplicates"] == [first["id"]]


@pytest.mark.parametrize("other", [
    {"location": TWO_HUNDRED_M_EAST},  # beyond the 50 m radius
    {"category": "0104"},  # another 小类
])
def test_cases_further_away_or_of_another_kind_are_not_duplicates(report, other):
    report(location=HERE)
    assert report(**{"location": TWENTY_M_EAST, **other})["possible_duplicates"] == []


def test_cases_older_than_the_window_are_not_duplicates(report):
    with time_machine.travel("2026-11-01T09:00:00+08:00"):
        report(location=HERE)
    with time_machine.travel("2026-11-10T09:00:00+08:00"):
        assert report(location=TWENTY_M_EAST)["possible_duplicates"] == []


def test_closed_cases_are_not_duplicates(case_in, report):
    case_in("closed", location=HERE)
    assert report(location=TWENTY_M_EAST)["possible_duplicates"] == []


def test_nearby_lists_open_cases_nearest_first_without_personal_details(report, as_user):
    far = report(location=TWENTY_M_EAST)
    near = report(location=HERE)
    body = as_user("gridworker").get("/api/v1/cases/nearby", query_string={
        **HERE, "category": "0102"}).json
    assert [c["id"] for c in body] == [near["id"], far["id"]]
    assert body[0]["distance_m"] == 0
    assert "description" not in body[0] and "reporter" not in body[0]


@pytest.mark.parametrize("query", [{"lat": 36.9, "lng": 121.5}, {"lat": 99, "lng": 121.5,
                                                                 "category": "0102"},
                                   {"lat": 36.9, "lng": 121.5, "category": "nope"}])
def test_a_bad_nearby_query_is_422(as_user, query):
    assert as_user("resident").get("/api/v1/cases/nearby", query_string=query).status_code == 422


def test_merging_points_the_duplicate_at_the_primary_and_the_primary_lists_it(
        report, transition, as_user):
    primary = report(location=HERE)
    duplicate = report(location=TWENTY_M_EAST)
    response = transition(duplicate["id"], "dispatcher",
                          {"action": "merge", "primary": duplicate["possible_duplicates"][0]})
    assert response.json["merged_into"] == primary["id"]
    primary_now = as_user("dispatcher").get(f"/api/v1/cases/{primary['id']}").json
    assert primary_now["merged_cases"] == [duplicate["id"]]
