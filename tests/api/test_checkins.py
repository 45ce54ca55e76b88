"""Check-in (签到, issue 18): inside an own grid or within the tolerance of one; one per worker,
day and grid; outside, the nearest own grid and its distance; workers only; read in scope."""

from __future__ import annotations

import pytest

from server.patrols.models import CheckIn
from tests.factories import staff_of

URL = "/api/v1/checkins"
INSIDE = {"lat": 36.915, "lng": 121.525}  # 胜利街第一网格 (121.52–121.53 E, 36.91–36.92 N)
JUST_OUTSIDE = {"lat": 36.9203, "lng": 121.525}  # ~33 m north of its edge
FAR = {"lat": 36.915, "lng": 121.545}  # 府前路第一网格, 1.3 km east


def test_a_worker_checks_in_inside_their_grid(as_user, demo):
    answer = as_user("gridworker").post(URL, json=INSIDE)
    assert answer.status_code == 201
    assert answer.json["grid"] == {"code": "371083001001001", "name": "胜利街第一网格"}
    assert answer.json["distance_m"] == 0


def test_a_second_check_in_the_same_day_in_the_same_grid_answers_the_first(as_user, demo):
    worker = as_user("gridworker")
    first = worker.post(URL, json=INSIDE)
    again = worker.post(URL, json={**INSIDE, "lat": 36.916})
    assert again.status_code == 200 and again.json["id"] == first.json["id"]
    assert CheckIn.objects.count() == 1


def test_a_check_in_just_outside_the_boundary_counts_within_the_tolerance(as_user, demo):
    answer = as_user("gridworker").post(URL, json=JUST_OUTSIDE)
    assert answer.status_code == 201 and 20 < answer.json["distance_m"] < 50


def test_a_check_in_far_from_ones_grids_names_the_nearest_and_how_far(as_user, demo):
    answer = as_user("gridworker").post(URL, json=FAR)
    assert answer.status_code == 422
    errors = answer.json["errors"]
    assert errors["reason"] == "outside_own_grids" and errors["nearest_grid"]["name"] == "胜利街第一网格"
    assert 1300 < errors["distance_m"] < 1400 and "胜利街第一网格" in answer.json["message"]
    assert CheckIn.objects.count() == 0


def test_a_gcj02_position_is_converted_before_it_is_placed(as_user, demo):
    from server.grids.coords import from_wgs84

    lat, lng = from_wgs84(lat=INSIDE["lat"], lng=INSIDE["lng"], system="gcj02")
    answer = as_user("gridworker").post(URL, json={"lat": lat, "lng": lng, "coord_system": "gcj02"})
    assert answer.status_code == 201 and answer.json["distance_m"] == 0


@pytest.mark.parametrize("username", ["dispatcher", "supervisor", "handler", "resident"])
def test_only_grid_workers_check_in(as_user, demo, username):
    assert as_user(username).post(URL, json=INSIDE).status_code == 403
    assert CheckIn.objects.count() == 0


@pytest.mark.parametrize("body", [
    {"lat": 36.915}, {"lat": "north", "lng": 121.5}, {"lat": 0, "lng": 0},
    {**INSIDE, "coord_system": "mars"}, {**INSIDE, "accuracy_m": -1},
])
def test_a_malformed_check_in_is_refused(as_user, demo, body):
    assert as_user("gridworker").post(URL, json=body).status_code == 422
    assert CheckIn.objects.count() == 0


def test_a_supervisor_reads_the_check_ins_of_their_region_and_another_town_none(as_user, demo):
    as_user("gridworker").post(URL, json=INSIDE)
    assert len(as_user("supervisor").get(URL).json) == 1
    other = staff_of("371083002", "supervisor")
    assert as_user(other.username).get(URL).json == []
