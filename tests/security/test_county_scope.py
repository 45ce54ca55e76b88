"""Findings 5 and 6 of the security review: a county's admin administers that county only (a
platform-wide admin is the separate role `platform_admin`), and cases stay with their county's
departments."""

from __future__ import annotations

import pytest

from server.auth.models import User
from server.demo import DEMO_RESIDENT_PHONE
from tests.factories import platform_admin


def test_another_countys_admin_does_not_read_the_demo_countys_case(as_user, other_county, report):
    case = report("resident")
    response = as_user(other_county.admin.username).get(f"/api/v1/cases/{case['id']}")
    assert response.status_code == 404


def test_another_countys_admin_does_not_list_the_demo_countys_cases(as_user, other_county, report):
    report("resident")
    assert as_user(other_county.admin.username).get("/api/v1/cases").json == []


def test_a_county_admin_lists_only_the_users_of_their_county(as_user, other_county):
    listed = {u["username"] for u in as_user(other_county.admin.username).get("/api/v1/users").json}
    assert listed == {other_county.admin.username, other_county.handler.username,
                      other_county.dispatcher.username}


def test_a_county_admin_does_not_find_a_resident_by_phone(as_user, other_county):
    found = as_user(other_county.admin.username).get("/api/v1/users",
                                                     query_string={"phone": DEMO_RESIDENT_PHONE})
    assert found.status_code == 200 and found.json == []


def test_a_county_admin_cannot_reset_another_countys_workers_password(as_user, other_county):
    worker = User.objects.get(username="gridworker")
    response = as_user(other_county.admin.username).patch(f"/api/v1/users/{worker.id}",
                                                         json={"password": "taken-over-123"})
    assert response.status_code == 404
    assert User.objects.get(id=worker.id).password_hash == worker.password_hash


def test_a_county_admin_cannot_create_a_user_in_another_county(as_user, other_county):
    response = as_user(other_county.admin.username).post("/api/v1/users", json={
        "username": "intruder", "name": "某人", "role": "dispatcher", "org": "371083",
        "password": "long-enough-123"})
    assert response.status_code == 403 and response.json["errors"]["reason"] == "outside_county"
    assert User.objects(username="intruder").first() is None


def test_a_county_admin_cannot_make_a_platform_admin(as_user):
    response = as_user("admin").post("/api/v1/users", json={
        "username": "escalated", "name": "某人", "role": "platform_admin",
        "password": "long-enough-123"})
    assert response.status_code == 403 and response.json["errors"]["reason"] == "outside_county"
    assert User.objects(username="escalated").first() is None


def test_a_county_admin_cannot_move_their_own_user_to_another_county(as_user, other_county):
    dispatcher = other_county.dispatcher
    response = as_user(other_county.admin.username).patch(f"/api/v1/users/{dispatcher.id}",
                                                         json={"org": "371083"})
    assert response.status_code == 403
    assert User.objects.get(id=dispatcher.id).org == other_county.code


def test_a_county_admin_cannot_create_a_department_in_another_county(as_user, other_county):
    response = as_user(other_county.admin.username).post("/api/v1/departments", json={
        "code": "371083-fake", "name": "冒名部门", "region": "371083"})
    assert response.status_code == 403


def test_a_platform_admin_reads_every_countys_users(as_user, other_county):
    operator = platform_admin()
    listed = {u["username"] for u in as_user(operator.username).get("/api/v1/users").json}
    assert {"gridworker", "resident", other_county.handler.username} <= listed


def test_a_case_cannot_be_dispatched_to_another_countys_department(case_in, transition, other_county):
    case = case_in("accepted")
    response = transition(case["id"], "dispatcher",
                          {"action": "dispatch", "department": other_county.department})
    assert response.status_code == 422 and response.json["errors"]["reason"] == "outside_county"


def test_another_countys_handler_never_sees_a_case_refused_to_their_department(
        as_user, case_in, transition, other_county):
    case = case_in("dispatched")
    transition(case["id"], "dispatcher", {"action": "redispatch", "department": other_county.department})
    response = as_user(other_county.handler.username).get(f"/api/v1/cases/{case['id']}")
    assert response.status_code == 404


def test_a_case_cannot_be_reopened_to_another_countys_department(case_in, transition, other_county):
    case = case_in("closed")
    response = transition(case["id"], "supervisor", {"action": "reopen", "reason": "再次反映",
                                                     "department": other_county.department})
    assert response.status_code == 422


def test_a_county_admin_reads_only_their_countys_audit_trail(as_user, other_county, client):
    client.post("/api/v1/auth/token", json={"grant_type": "password", "username": "dispatcher",
                                            "password": "demo-password"})
    entries = as_user(other_county.admin.username).get("/api/v1/audit?action=auth.login").json
    assert entries == []
    own = as_user("admin").get("/api/v1/audit?action=auth.login").json
    assert [e["target"] for e in own] == ["username:dispatcher"]


# --- the county's own tree, calendar, SLA choice and hall --------------------------------------
@pytest.mark.parametrize(("method", "path", "body"), [
    ("patch", "/api/v1/regions/371083001", {"name": "改名"}),
    ("post", "/api/v1/regions/371083001/retire", None),
    ("put", "/api/v1/calendars/371083/days", {"days": [{"date": "2027-01-04", "workday": False}]}),
    ("put", "/api/v1/calendars/371083/office-hours", {"office_hours": [["08:00", "12:00"]]}),
    ("put", "/api/v1/regions/371083/sla-profile", {"profile": "sd12345"}),
    ("patch", "/api/v1/hub/halls/371083", {"name": "被改的分厅"}),
])
def test_a_county_admin_changes_nothing_of_another_countys_setup(as_user, other_county, method,
                                                                 path, body):
    outsider = as_user(other_county.admin.username)
    response = getattr(outsider, method)(path, **({"json": body} if body is not None else {}))
    assert response.status_code == 403 and response.json["errors"]["reason"] == "outside_county"


def test_a_county_admin_cannot_import_grids_of_another_county(as_user, other_county):
    square = [[[121.56, 36.90], [121.565, 36.90], [121.565, 36.905], [121.56, 36.905], [121.56, 36.90]]]
    body = {"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"code": "371083001001099", "name": "冒名网格"},
        "geometry": {"type": "Polygon", "coordinates": square}}]}
    response = as_user(other_county.admin.username).post("/api/v1/grids/import", json=body)
    assert response.status_code == 403
    assert as_user("admin").get("/api/v1/regions/371083001001099").status_code == 404


def test_a_county_admins_subscription_is_bound_to_the_county(as_user):
    created = as_user("admin").post("/api/v1/webhooks", json={
        "name": "县热线", "url": "https://hotline.example.gov.cn/x", "events": ["*"]}).json
    assert created["region"] == "371083"


def test_a_county_admin_cannot_subscribe_to_another_countys_events(as_user, other_county):
    response = as_user(other_county.admin.username).post("/api/v1/webhooks", json={
        "name": "偷听", "url": "https://spy.example.gov.cn/x", "events": ["*"], "region": "371083"})
    assert response.status_code == 403


def test_a_county_admin_does_not_see_another_countys_subscriptions(as_user, other_county):
    as_user("admin").post("/api/v1/webhooks", json={
        "name": "县热线", "url": "https://hotline.example.gov.cn/x", "events": ["*"]})
    assert as_user(other_county.admin.username).get("/api/v1/webhooks").json == []


# --- what every county shares is the platform's ------------------------------------------------
@pytest.mark.parametrize(("method", "path", "body"), [
    ("post", "/api/v1/clients", {"name": "某应用", "scopes": ["cases:read"]}),
    ("get", "/api/v1/clients", None),
    ("post", "/api/v1/categories", {"code": "0199", "name": "其他", "parent": "01"}),
    ("patch", "/api/v1/categories/0102", {"name": "改名"}),
    ("delete", "/api/v1/sla-profiles/sd12345", None),
])
def test_a_county_admin_does_not_change_what_every_county_shares(as_user, method, path, body):
    response = getattr(as_user("admin"), method)(path, **({"json": body} if body is not None else {}))
    assert response.status_code == 403


def test_the_platform_admin_registers_sister_apps(as_user):
    response = as_user("platform").post("/api/v1/clients", json={"name": "某应用", "scopes": ["cases:read"]})
    assert response.status_code == 201
