"""POST /cases/{id}/transitions: the unhappy paths, concurrency and the side branches."""

from concurrent.futures import ThreadPoolExecutor

import pytest

from server.cases.models import Case
from tests.clock import from_now, iso_from_now
from tests.factories import handler_of


def test_an_unknown_action_is_422_unknown_action(case_in, transition):
    response = transition(case_in("reported")["id"], "dispatcher", {"action": "approve"})
    assert response.status_code == 422
    assert response.json["errors"]["reason"] == "unknown_action"


@pytest.mark.parametrize(("state", "username", "body", "field"), [
    ("reported", "dispatcher", {"action": "reject"}, "reason"),
    ("accepted", "dispatcher", {"action": "dispatch"}, "department"),
    ("in_progress", "handler", {"action": "handle"}, "result"),
    ("in_progress", "handler", {"action": "return"}, "reason"),
    ("handled", "supervisor", {"action": "verify_fail"}, "reason"),
])
def test_a_transition_missing_its_required_field_is_422_and_changes_nothing(
        case_in, transition, state, username, body, field):
    case = case_in(state)
    response = transition(case["id"], username, body)
    assert response.status_code == 422
    assert field in response.json["errors"]["fields"]
    assert Case.objects.get(id=case["id"]).version == case["version"]


def test_dispatching_to_an_unknown_department_is_422(case_in, transition):
    response = transition(case_in("accepted")["id"], "dispatcher",
                          {"action": "dispatch", "department": "371083-nope"})
    assert response.status_code == 422
    assert response.json["errors"]["reason"] == "unknown_department"


def test_dispatching_to_an_assignee_outside_the_department_is_422(case_in, transition):
    other = handler_of("371083-zjj")
    response = transition(case_in("accepted")["id"], "dispatcher",
                          {"action": "dispatch", "department": "371083-cgj",
                           "assignee": str(other.id)})
    assert response.status_code == 422
    assert response.json["errors"]["reason"] == "invalid_assignee"


def test_a_field_of_the_wrong_type_is_422(case_in, transition):
    response = transition(case_in("in_progress")["id"], "handler",
                          {"action": "request_extension", "reason": "x", "duration_wd": "3"})
    assert response.status_code == 422


def test_a_stale_if_match_is_412_and_a_current_one_succeeds(case_in, transition):
    case = case_in("reported")
    stale = transition(case["id"], "dispatcher", {"action": "accept"},
                       headers={"If-Match": '"0"'})
    assert stale.status_code == 412
    assert stale.json["errors"]["reason"] == "stale_version"
    fresh = transition(case["id"], "dispatcher", {"action": "accept"},
                       headers={"If-Match": f'"{case["version"]}"'})
    assert fresh.status_code == 200
    assert fresh.headers["ETag"] == f'"{case["version"] + 1}"'


def test_the_etag_of_a_case_is_its_version(case_in, as_user):
    case = case_in("accepted")
    response = as_user("dispatcher").get(f"/api/v1/cases/{case['id']}")
    assert response.headers["ETag"] == '"2"'


def test_ten_concurrent_accepts_on_one_case_let_exactly_one_succeed(case_in, as_user):
    case = case_in("reported")
    clients = [as_user("dispatcher") for _ in range(10)]

    def accept(client):
        return client.post(f"/api/v1/cases/{case['id']}/transitions",
                           json={"action": "accept"}).status_code

    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = list(pool.map(accept, clients))
    assert statuses.count(200) == 1
    assert set(statuses) <= {200, 409}
    stored = Case.objects.get(id=case["id"])
    assert [e["action"] for e in stored.history] == ["report", "accept"]
    assert stored.version == 2


def test_a_replayed_transition_is_refused_as_invalid(case_in, transition):
    case = case_in("reported")
    assert transition(case["id"], "dispatcher", {"action": "accept"}).status_code == 200
    replay = transition(case["id"], "dispatcher", {"action": "accept"})
    assert replay.status_code == 409
    assert replay.json["errors"]["reason"] == "invalid_transition"


def test_a_case_outside_the_callers_scope_is_404(case_in, transition):
    case = case_in("dispatched")
    handler_of("371083-zjj", username="zjj")
    response = transition(case["id"], "zjj", {"action": "sign"})
    assert response.status_code == 404


def test_an_id_that_is_not_an_object_id_is_404(as_user):
    response = as_user("dispatcher").post("/api/v1/cases/../transitions", json={"action": "x"})
    assert response.status_code == 404
    response = as_user("dispatcher").get("/api/v1/cases/not-an-id")
    assert response.status_code == 404
    assert response.json["errors"]["reason"] == "not_found"


def test_a_handler_returns_a_case_and_the_dispatcher_sends_it_elsewhere(case_in, transition):
    case = case_in("in_progress")
    returned = transition(case["id"], "handler", {"action": "return", "reason": "非本部门职责"})
    assert (returned.json["status"], returned.json["department"]) == ("accepted", None)
    assert returned.json["return_count"] == 1
    again = transition(case["id"], "dispatcher",
                       {"action": "dispatch", "department": "371083-zjj"})
    assert again.json["department"] == "371083-zjj"


def test_a_failed_verification_sends_the_case_back_for_rework(case_in, transition):
    case = case_in("handled")
    response = transition(case["id"], "gridworker", {"action": "verify_fail", "reason": "仍有垃圾"})
    assert response.json["status"] == "in_progress"
    assert response.json["rework_count"] == 1


def test_an_extension_is_requested_and_approved(case_in, transition):
    case = case_in("in_progress")
    asked = transition(case["id"], "handler",
                       {"action": "request_extension", "reason": "需协调", "duration_wd": 3})
    assert asked.json["extension"]["status"] == "pending"
    approved = transition(case["id"], "supervisor", {"action": "approve_extension"})
    assert approved.json["extension"]["status"] == "approved"


def test_suspending_and_resuming_returns_to_the_state_left(case_in, transition):
    case = case_in("in_progress")
    suspended = transition(case["id"], "supervisor",
                           {"action": "suspend", "reason": "等待天气",
                            "until": iso_from_now(days=3)})
    assert suspended.json["status"] == "suspended"
    resumed = transition(case["id"], "dispatcher", {"action": "resume"})
    assert (resumed.json["status"], resumed.json["suspension"]) == ("in_progress", None)


def test_a_suspension_until_without_an_offset_is_422(case_in, transition):
    response = transition(case_in("in_progress")["id"], "supervisor",
                          {"action": "suspend", "reason": "x",
                           "until": from_now(days=3).replace(tzinfo=None).isoformat(timespec="seconds")})
    assert response.status_code == 422


def test_a_duplicate_is_merged_into_an_open_primary(case_in, report, transition):
    primary = case_in("accepted")
    duplicate = report()
    response = transition(duplicate["id"], "dispatcher",
                          {"action": "merge", "primary": primary["id"]})
    assert (response.json["status"], response.json["merged_into"]) == ("merged", primary["id"])


@pytest.mark.parametrize("primary_state", ["closed", "self"])
def test_merging_into_a_closed_case_or_itself_is_422(case_in, report, transition, primary_state):
    duplicate = report()
    primary = duplicate if primary_state == "self" else case_in("closed")
    response = transition(duplicate["id"], "dispatcher",
                          {"action": "merge", "primary": primary["id"]})
    assert response.status_code == 422
    assert response.json["errors"]["reason"] == "invalid_primary"


def test_the_grid_worker_self_handles_a_small_case_of_an_allowed_category(report, transition):
    case = report("gridworker", category="0201")
    response = transition(case["id"], "gridworker", {"action": "self_handle", "result": "已铲除"})
    assert response.json["status"] == "handled"


def test_self_handling_a_category_that_does_not_allow_it_is_409(report, transition):
    case = report("gridworker", category="0101")
    response = transition(case["id"], "gridworker", {"action": "self_handle", "result": "x"})
    assert response.status_code == 409
    assert response.json["errors"]["reason"] == "self_handle_not_allowed"


def test_the_reporter_evaluates_a_closed_case_once(case_in, transition):
    case = case_in("closed", reporter="resident", category="9003")
    first = transition(case["id"], "resident", {"action": "evaluate", "rating": "satisfied"})
    assert first.json["evaluation"]["rating"] == "satisfied"
    second = transition(case["id"], "resident", {"action": "evaluate", "rating": "dissatisfied"})
    assert second.status_code == 409
    assert second.json["errors"]["reason"] == "already_evaluated"


def test_a_supervisor_reopens_a_closed_case_to_its_department(case_in, transition):
    case = case_in("closed")
    response = transition(case["id"], "supervisor", {"action": "reopen", "reason": "群众再次反映"})
    assert (response.json["status"], response.json["department"]) == ("dispatched", "371083-cgj")


def test_the_reporter_cancels_a_case_not_yet_accepted(report, transition):
    case = report("resident", category="9003")
    assert transition(case["id"], "resident", {"action": "cancel"}).json["status"] == "cancelled"


def test_supervising_raises_the_level(case_in, transition):
    case = case_in("in_progress")
    response = transition(case["id"], "supervisor", {"action": "supervise", "note": "请加快"})
    assert response.json["supervision_level"] == 1


def test_the_actions_endpoint_lists_what_the_caller_may_do_now(case_in, as_user):
    case = case_in("in_progress")
    body = as_user("handler").get(f"/api/v1/cases/{case['id']}/actions").json
    assert [a["name"] for a in body["actions"]] == ["return", "request_extension", "handle"]
    assert body["actions"][2] == {"name": "handle", "label": "处置反馈", "required": ["result"],
                                  "one_of": [], "optional": ["attachments"]}
    assert as_user("dispatcher").get(f"/api/v1/cases/{case['id']}/actions").json["actions"] == [
        {"name": "suspend", "label": "挂起", "required": ["reason"],
         "one_of": ["until", "duration_wd"], "optional": []}]


def test_an_unknown_field_in_a_transition_is_422(case_in, transition):
    response = transition(case_in("reported")["id"], "dispatcher",
                          {"action": "accept", "status": "closed"})
    assert response.status_code == 422
    assert "status" in response.json["errors"]["json"]


def test_a_field_meant_for_another_action_is_422(case_in, transition):
    response = transition(case_in("reported")["id"], "dispatcher",
                          {"action": "accept", "department": "371083-cgj"})
    assert response.status_code == 422
    assert "department" in response.json["errors"]["fields"]


def test_reading_a_case_with_its_current_etag_is_304_without_a_body(case_in, as_user):
    case = case_in("accepted")
    client = as_user("dispatcher")
    unchanged = client.get(f"/api/v1/cases/{case['id']}",
                           headers={"If-None-Match": f'"{case["version"]}"'})
    assert (unchanged.status_code, unchanged.data) == (304, b"")
    assert unchanged.headers["ETag"] == f'"{case["version"]}"'
    changed = client.get(f"/api/v1/cases/{case['id']}", headers={"If-None-Match": '"1"'})
    assert changed.status_code == 200 and changed.json["version"] == case["version"]


def test_the_openapi_document_describes_the_conditional_headers(app):
    paths = app.test_client().get("/api/v1/openapi.json").json["paths"]
    read = paths["/api/v1/cases/{case_id}"]["get"]
    write = paths["/api/v1/cases/{case_id}/transitions"]["post"]
    assert "If-None-Match" in {p["name"] for p in read["parameters"]} and "304" in read["responses"]
    assert "If-Match" in {p["name"] for p in write["parameters"]} and "412" in write["responses"]
    report = paths["/api/v1/cases"]["post"]
    assert "Idempotency-Key" in {p["name"] for p in report["parameters"]}
    assert "If-Match" not in {p["name"] for p in report["parameters"]}


def test_the_transition_body_is_documented_per_action_as_the_workflow_table_has_it(app):
    from workflows.case_table import ACTIONS

    schemas = app.test_client().get("/api/v1/openapi.json").json["components"]["schemas"]
    request = schemas["TransitionRequest"]
    assert list(request["discriminator"]["mapping"]) == list(ACTIONS)
    for spec in ACTIONS.values():
        variant = schemas[f"Transition_{spec.name}"]
        assert variant["properties"]["action"]["enum"] == [spec.name]
        assert variant["required"] == ["action", *spec.required]
        assert set(variant["properties"]) == {"action", "note", "note_visibility", *spec.required,
                                              *spec.one_of, *spec.optional}
        assert variant["additionalProperties"] is False
