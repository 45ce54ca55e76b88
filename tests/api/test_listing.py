"""GET /cases: data scope, filters and pagination."""

import json

import pytest

from tests.factories import handler_of, staff_of


def ids(response):
    return {c["id"] for c in response.json}


def test_a_handler_sees_only_what_is_dispatched_to_their_department(case_in, report, as_user):
    dispatched = case_in("dispatched")
    report()
    assert ids(as_user("handler").get("/api/v1/cases")) == {dispatched["id"]}


def test_a_resident_sees_only_their_own_requests(report, as_user):
    mine = report("resident", category="9003")
    report("gridworker")
    assert ids(as_user("resident").get("/api/v1/cases")) == {mine["id"]}


def test_a_grid_worker_sees_the_cases_of_their_grid(report, as_user):
    in_grid = report("resident", category="9003")
    report("resident", location={"lat": 36.915, "lng": 121.545})  # 府前路第一网格
    assert ids(as_user("gridworker").get("/api/v1/cases")) == {in_grid["id"]}


def test_a_town_supervisor_sees_the_town_and_not_the_next_one(report, as_user):
    town_case = report()
    report("resident", location={"lat": 36.915, "lng": 121.505})  # 夏村镇
    staff_of("371083001", "supervisor", username="town-sup")
    assert ids(as_user("town-sup").get("/api/v1/cases")) == {town_case["id"]}


def test_a_case_outside_the_scope_is_404_on_get(report, as_user):
    case = report("resident", category="9003")
    handler_of("371083-zjj", username="zjj")
    assert as_user("zjj").get(f"/api/v1/cases/{case['id']}").status_code == 404
    assert as_user("zjj").get(f"/api/v1/cases/{case['id']}/history").status_code == 404


@pytest.mark.parametrize(("query", "expected"), [
    ("status=accepted", {"a"}),
    ("category=9003", {"r"}),
    ("source=resident", {"r"}),
    ("priority=urgent", {"a"}),
    ("region=371083001001", {"a", "r"}),
    ("grid=371083001001001", {"a", "r"}),
    ("department=371083-cgj", set()),
])
def test_the_list_filters_narrow_the_result(report, case_in, as_user, query, expected):
    made = {"a": case_in("accepted", priority="urgent"),
            "r": report("resident", category="9003")}
    got = ids(as_user("dispatcher").get(f"/api/v1/cases?{query}"))
    assert got == {made[k]["id"] for k in expected}


def test_q_searches_code_and_description_and_treats_regex_characters_literally(report, as_user):
    case = report(description="井盖(破损).*")
    report(description="别的事")
    client = as_user("dispatcher")
    assert ids(client.get("/api/v1/cases", query_string={"q": "(破损).*"})) == {case["id"]}
    assert ids(client.get("/api/v1/cases", query_string={"q": case["code"][-6:]})) == {case["id"]}
    assert ids(client.get("/api/v1/cases", query_string={"q": ".*"})) == {case["id"]}
    assert client.get("/api/v1/cases", query_string={"q": "[a-z]+"}).json == []


def test_mine_lists_what_the_caller_reported(report, as_user):
    mine = report("gridworker")
    report("resident", category="9003")
    assert ids(as_user("gridworker").get("/api/v1/cases?mine=true")) == {mine["id"]}


def test_created_range_filters_by_time(report, as_user):
    report()
    client = as_user("dispatcher")
    assert len(client.get("/api/v1/cases?created_from=2000-01-01T00:00:00%2B08:00").json) == 1
    assert client.get("/api/v1/cases?created_to=2000-01-01T00:00:00%2B08:00").json == []


def test_pagination_metadata_comes_in_the_x_pagination_header(report, as_user):
    for _ in range(3):
        report()
    response = as_user("dispatcher").get("/api/v1/cases?page=2&page_size=2")
    assert len(response.json) == 1
    meta = json.loads(response.headers["X-Pagination"])
    assert (meta["total"], meta["total_pages"], meta["page"]) == (3, 2, 2)


def test_the_list_is_newest_first(report, as_user):
    first, second = report(), report()
    listed = [c["id"] for c in as_user("dispatcher").get("/api/v1/cases").json]
    assert listed == [second["id"], first["id"]]


@pytest.mark.parametrize("query", ["page_size=101", "page=0", "status=open", "mine=perhaps",
                                   "grid=12", "created_from=yesterday"])
def test_a_bad_list_parameter_is_422(as_user, query):
    response = as_user("dispatcher").get(f"/api/v1/cases?{query}")
    assert response.status_code == 422
    assert response.json["errors"]["reason"] == "validation_error"


def test_a_page_far_beyond_the_end_is_an_empty_list(report, as_user):
    report()
    response = as_user("dispatcher").get("/api/v1/cases?page=100000000000000000&page_size=100")
    assert response.status_code == 200
    assert response.json == []


def test_q_with_control_characters_is_422(as_user):
    response = as_user("dispatcher").get("/api/v1/cases", query_string={"q": "a\x00b"})
    assert response.status_code == 422
