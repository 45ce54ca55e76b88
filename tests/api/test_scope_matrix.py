"""Data scope, as a matrix: who can list, get and act on which case."""

import pytest

from tests.factories import UserFactory, handler_of, staff_of

GRID_A = "371083001001001"
GRID_B = "371083001002001"  # same town, other community
POINTS = {GRID_A: {"lat": 36.915, "lng": 121.525}, GRID_B: {"lat": 36.915, "lng": 121.545},
          "xiacun": {"lat": 36.915, "lng": 121.505}}


@pytest.fixture
def cases(as_user, report, transition):
    """One case per place, reported by a resident and dispatched to 城管局 (except xiacun)."""
    made = {}
    for place, point in POINTS.items():
        case = report("resident", category="9003", location=point)
        if place != "xiacun":
            transition(case["id"], "dispatcher", {"action": "accept"})
            transition(case["id"], "dispatcher",
                       {"action": "dispatch", "department": "371083-cgj"})
        made[place] = case["id"]
    return made


@pytest.fixture
def people(demo):
    UserFactory(username="worker-b", role="grid_worker", org=GRID_B, org_kind="region")
    staff_of("371083001", "supervisor", username="town-sup")
    staff_of("371083002", "supervisor", username="xiacun-sup")
    handler_of("371083-zjj", username="zjj-handler")


# who -> the places whose case they see
SEES = {
    "gridworker": {GRID_A},
    "worker-b": {GRID_B},
    "town-sup": {GRID_A, GRID_B},
    "xiacun-sup": {"xiacun"},
    "handler": {GRID_A, GRID_B},
    "zjj-handler": set(),
    "supervisor": {GRID_A, GRID_B, "xiacun"},
    "admin": {GRID_A, GRID_B, "xiacun"},
}


@pytest.mark.parametrize("username", sorted(SEES))
def test_the_list_holds_exactly_the_cases_in_scope(as_user, cases, people, username):
    listed = {c["id"] for c in as_user(username).get("/api/v1/cases").json}
    assert listed == {cases[place] for place in SEES[username]}


@pytest.mark.parametrize("username", sorted(SEES))
@pytest.mark.parametrize("place", sorted(POINTS))
def test_a_case_outside_the_scope_cannot_be_read(as_user, cases, people, username, place):
    client = as_user(username)
    expected = 200 if place in SEES[username] else 404
    assert client.get(f"/api/v1/cases/{cases[place]}").status_code == expected
    assert client.get(f"/api/v1/cases/{cases[place]}/history").status_code == expected
    assert client.get(f"/api/v1/cases/{cases[place]}/actions").status_code == expected


def test_a_grid_worker_cannot_act_on_another_grids_case(as_user, cases, people, transition):
    response = transition(cases[GRID_B], "gridworker",
                          {"action": "supervise", "note": "x"})
    assert response.status_code == 403  # grid workers never supervise: refused before lookup
    response = transition(cases[GRID_B], "gridworker", {"action": "verify_pass"})
    assert response.status_code == 404


def test_a_town_supervisor_cannot_act_outside_the_town(as_user, cases, people, transition):
    response = transition(cases["xiacun"], "town-sup", {"action": "supervise", "note": "x"})
    assert response.status_code == 404
    assert transition(cases[GRID_A], "town-sup",
                      {"action": "supervise", "note": "x"}).status_code == 200


def test_a_handler_cannot_sign_for_another_department(as_user, cases, people, transition):
    assert transition(cases[GRID_A], "zjj-handler", {"action": "sign"}).status_code == 404
    assert transition(cases[GRID_A], "handler", {"action": "sign"}).status_code == 200
