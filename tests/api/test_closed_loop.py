"""The demo walk of the issue: report → accept → dispatch → sign → handle → verify → close."""

import pytest

from tests.cases import CLOSED_LOOP


def test_a_case_goes_through_the_whole_closed_loop_over_http(report, transition, as_user):
    case = report("gridworker")
    for username, body in CLOSED_LOOP:
        response = transition(case["id"], username, body)
        assert response.status_code == 200, response.json
    assert response.json["status"] == "closed"
    assert response.json["version"] == 1 + len(CLOSED_LOOP)


def test_the_history_lists_each_step_in_order_with_actor_and_time(case_in, as_user):
    case = case_in("closed")
    history = as_user("supervisor").get(f"/api/v1/cases/{case['id']}/history").json
    assert [e["action"] for e in history] == ["report", *[b["action"] for _, b in CLOSED_LOOP]]
    assert [e["seq"] for e in history] == list(range(1, 7))
    assert [e["actor"]["name"] for e in history] == [
        "胜利街网格员", "指挥中心受理员", "指挥中心受理员", "城管局处置员", "城管局处置员",
        "胜利街网格员"]
    assert all(e["at"].endswith("+08:00") for e in history)
    assert [e["at"] for e in history] == sorted(e["at"] for e in history)


def test_each_history_entry_carries_its_chinese_label(case_in, as_user):
    case = case_in("closed")
    history = as_user("supervisor").get(f"/api/v1/cases/{case['id']}/history").json
    assert [e["label"] for e in history] == ["上报", "受理立案", "派遣", "签收", "处置反馈", "核查通过"]


WRONG_ROLES = [(0, "handler"), (0, "gridworker"), (0, "supervisor"), (1, "supervisor"),
               (1, "handler"), (2, "dispatcher"), (2, "gridworker"), (3, "supervisor"),
               (3, "gridworker"), (4, "handler"), (4, "resident")]


@pytest.mark.parametrize(("step", "wrong_user"), WRONG_ROLES)
def test_each_step_attempted_by_a_wrong_role_is_403_forbidden(case_in, transition, step,
                                                               wrong_user):
    states = ["reported", "accepted", "dispatched", "in_progress", "handled"]
    case = case_in(states[step])
    response = transition(case["id"], wrong_user, CLOSED_LOOP[step][1])
    assert response.status_code == 403
    assert response.json["errors"]["reason"] == "forbidden"
    assert response.json["errors"]["why"] == "role_not_allowed"
    assert "无权" in response.json["message"]


def test_a_wrong_role_gets_the_same_403_for_a_case_that_does_not_exist(as_user):
    response = as_user("handler").post("/api/v1/cases/0123456789abcdef01234567/transitions",
                                       json={"action": "accept"})
    assert response.status_code == 403


def test_an_action_not_allowed_in_the_current_state_is_409_listing_the_allowed_ones(
        report, transition):
    case = report()
    response = transition(case["id"], "dispatcher",
                          {"action": "dispatch", "department": "371083-cgj"})
    assert response.status_code == 409
    assert response.json["errors"]["reason"] == "invalid_transition"
    assert response.json["errors"]["allowed"] == ["accept", "reject", "merge"]
    assert response.json["errors"]["status"] == "reported"
