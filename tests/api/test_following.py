"""Me too (附议 / 关注, issue 19): a resident shown a possible duplicate follows it instead of
filing; followers hear its steps; staff see how many follow, nobody sees who; past a count a
normal case is raised to urgent once, in the history."""

from __future__ import annotations

import time

from notifications.fanout import fan_out
from server.auth.models import User
from server.cases import following, service
from server.cases.models import Case
from server.inbox.models import Notification
from tests.cases import IN_GRID
from tests.factories import CaseFactory, UserFactory, principal_of

FOLLOW = "/api/v1/cases/follow"


def ref_from_nearby(client, case):
    near = client.get("/api/v1/cases/nearby", query_string={
        "lat": IN_GRID["lat"], "lng": IN_GRID["lng"], "category": case["category"]}).json
    found, = [n for n in near if n["status"] == case["status"]]
    assert found["id"] is None and found["code"] is None  # the follower may not read the case
    return found["follow_ref"]


def test_a_resident_follows_a_nearby_case_through_its_ref_and_sees_only_its_outline(demo, as_user):
    case = CaseFactory()  # the grid worker's
    resident = as_user("resident")
    answer = resident.post(FOLLOW, json={"ref": ref_from_nearby(resident, case)})
    assert answer.status_code == 201
    assert answer.json == {"code": case["code"], "category": "0102", "category_name": "暴露垃圾",
                           "status": "reported", "status_label": "待受理", "place": "胜利街社区",
                           "following": True}
    assert resident.post(FOLLOW, json={"ref": ref_from_nearby(resident, case)}).status_code == 200
    assert Case.objects.get(id=case["id"]).follower_count == 1


def test_a_follower_hears_the_steps_as_the_case_they_follow(demo, as_user):
    case = CaseFactory()
    resident = as_user("resident")
    resident.post(FOLLOW, json={"ref": ref_from_nearby(resident, case)})
    service.apply_transition(principal=principal_of("dispatcher"), case_id=case["id"],
                             action="accept", payload={})
    fan_out(case["id"], Case.objects.get(id=case["id"]).version)
    user = User.objects.get(username="resident")
    notice, = Notification.objects(recipient=str(user.id), channel="inbox")
    assert notice.title == "您关注的问题已受理" and case["code"] in notice.body


def test_staff_see_the_follower_count_and_nobody_sees_who(demo, as_user):
    case = CaseFactory()
    resident = as_user("resident")
    resident.post(FOLLOW, json={"ref": ref_from_nearby(resident, case)})
    staff = as_user("dispatcher").get(f"/api/v1/cases/{case['id']}").json
    assert staff["follower_count"] == 1 and "followers" not in staff
    mine = CaseFactory(reporter="resident")
    assert as_user("resident").get(f"/api/v1/cases/{mine['id']}").json["follower_count"] is None


def test_followers_past_the_threshold_raise_a_normal_case_to_urgent_once(app, demo):
    app.config["FOLLOWERS_TO_RAISE"] = 2
    try:
        case = CaseFactory()
        for _ in range(3):
            follower = UserFactory(role="resident")
            following.follow(principal=principal_of(follower.username),
                             ref=following.follow_ref(case["id"]))
    finally:
        app.config["FOLLOWERS_TO_RAISE"] = 5
    stored = Case.objects.get(id=case["id"])
    raised = [e for e in stored.history if e["action"] == "support.priority_raised"]
    assert stored.priority == "urgent" and len(raised) == 1
    assert raised[0]["payload"] == {"followers": 2, "priority": "urgent"}


def test_a_forged_or_expired_ref_is_422(demo, as_user):
    case = CaseFactory()
    resident = as_user("resident")
    forged = resident.post(FOLLOW, json={"ref": "not-a-ref"})
    assert forged.status_code == 422 and forged.json["errors"]["reason"] == "invalid_ref"
    old = following.follow_ref(case["id"], now=time.time() - 2 * following.REF_SECONDS)
    expired = resident.post(FOLLOW, json={"ref": old})
    assert expired.status_code == 422 and expired.json["errors"]["reason"] == "ref_expired"


def test_following_ones_own_or_a_closed_case_is_409(demo, as_user):
    own, closed = CaseFactory(reporter="resident"), CaseFactory(closed=True)
    resident = as_user("resident")
    for case, reason in ((own, "own_case"), (closed, "case_closed")):
        answer = resident.post(FOLLOW, json={"ref": following.follow_ref(case["id"])})
        assert answer.status_code == 409 and answer.json["errors"]["reason"] == reason


def test_staff_other_than_grid_workers_do_not_follow(demo, as_user):
    case = CaseFactory()
    answer = as_user("dispatcher").post(FOLLOW, json={"ref": following.follow_ref(case["id"])})
    assert answer.status_code == 403


def test_a_follower_lists_and_stops_following(demo, as_user):
    case = CaseFactory()
    resident = as_user("resident")
    resident.post(FOLLOW, json={"ref": following.follow_ref(case["id"])})
    assert [c["code"] for c in resident.get("/api/v1/me/follows").json] == [case["code"]]
    assert resident.delete(f"/api/v1/me/follows/{case['code']}").status_code == 204
    assert resident.get("/api/v1/me/follows").json == []
    assert Case.objects.get(id=case["id"]).follower_count == 0
