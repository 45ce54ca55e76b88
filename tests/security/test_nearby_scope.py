"""Finding 9 of the security review: /cases/nearby gives a caller who may not read a case only
what the duplicate prompt needs — never its id, code or address."""

from __future__ import annotations

HERE = {"lat": 36.915, "lng": 121.525}


def nearby_as(as_user, username):
    response = as_user(username).get("/api/v1/cases/nearby", query_string={**HERE, "category": "0102"})
    assert response.status_code == 200, response.json
    return response.json


def test_a_resident_gets_no_id_code_or_address_of_someone_elses_case(as_user, report):
    report("gridworker", location=HERE, address="胜利街12号 王家")
    (other,) = nearby_as(as_user, "resident")
    assert (other["id"], other["code"], other["address"], other["readable"]) == (None, None, None, False)


def test_a_resident_is_told_the_status_distance_and_community_of_someone_elses_case(as_user, report):
    report("gridworker", location=HERE)
    (other,) = nearby_as(as_user, "resident")
    assert (other["status"], other["distance_m"], other["place"]) == ("reported", 0, "胜利街社区")


def test_a_resident_gets_the_id_and_address_of_their_own_case(as_user, report):
    mine = report("resident", location=HERE, address="胜利街12号")
    (own,) = nearby_as(as_user, "resident")
    assert (own["id"], own["address"], own["readable"]) == (mine["id"], "胜利街12号", True)


def test_a_handler_outside_the_case_gets_no_id_of_it(as_user, report):
    report("gridworker", location=HERE)
    (other,) = nearby_as(as_user, "handler")
    assert other["id"] is None and other["address"] is None
