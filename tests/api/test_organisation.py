"""Users and departments (admin)."""

import pytest

from server.auth.models import User

NEW_HANDLER = {"username": "zhang.wei", "password": "a-long-password", "name": "张伟",
               "phone": "13812345678", "role": "handler", "org": "371083-zjj"}


def test_an_admin_adds_a_handler_who_can_then_sign_in(as_user, client):
    response = as_user("admin").post("/api/v1/users", json=NEW_HANDLER)
    assert response.status_code == 201
    assert response.json["org_kind"] == "department"
    assert "password" not in response.json
    token = client.post("/api/v1/auth/token", json={
        "grant_type": "password", "username": "zhang.wei", "password": "a-long-password"})
    assert token.status_code == 200


@pytest.mark.parametrize(("change", "reason"), [
    ({"role": "handler", "org": "371083"}, "invalid_org"),
    ({"role": "grid_worker", "org": "371083-cgj"}, "invalid_org"),
    ({"role": "grid_worker", "org": "371083001"}, "invalid_org"),  # a town is too high
    ({"role": "dispatcher", "org": None}, "invalid_org"),
    ({"role": "resident", "org": "371083"}, "invalid_org"),
    ({"username": "handler"}, "duplicate"),
    ({"password": "short"}, "validation_error"),
    ({"phone": "12345"}, "validation_error"),
    ({"role": "grid_worker", "org": "371083001001001", "grids": ["371083009009009"]},
     "invalid_grids"),
])
def test_a_user_whose_node_does_not_fit_the_role_is_refused(as_user, change, reason):
    body = {k: v for k, v in {**NEW_HANDLER, **change}.items() if v is not None}
    response = as_user("admin").post("/api/v1/users", json=body)
    assert response.json["errors"]["reason"] == reason
    assert User.objects(username=body["username"]).count() == (1 if reason == "duplicate" else 0)


def test_a_disabled_user_cannot_sign_in(as_user, client):
    user_id = as_user("admin").post("/api/v1/users", json=NEW_HANDLER).json["id"]
    as_user("admin").patch(f"/api/v1/users/{user_id}", json={"active": False})
    token = client.post("/api/v1/auth/token", json={
        "grant_type": "password", "username": "zhang.wei", "password": "a-long-password"})
    assert token.status_code == 401


def test_moving_a_user_checks_the_new_node(as_user):
    user_id = as_user("admin").post("/api/v1/users", json=NEW_HANDLER).json["id"]
    response = as_user("admin").patch(f"/api/v1/users/{user_id}",
                                      json={"role": "grid_worker", "org": "371083001001002"})
    assert (response.json["role"], response.json["org_kind"]) == ("grid_worker", "region")
    bad = as_user("admin").patch(f"/api/v1/users/{user_id}", json={"org": "371083-cgj"})
    assert bad.json["errors"]["reason"] == "invalid_org"


@pytest.mark.parametrize("username", ["dispatcher", "supervisor", "handler", "resident"])
def test_only_admins_see_and_change_users(as_user, username):
    client = as_user(username)
    assert client.get("/api/v1/users").status_code == 403
    assert client.post("/api/v1/users", json=NEW_HANDLER).status_code == 403


def test_the_user_list_filters_by_role(as_user):
    body = as_user("admin").get("/api/v1/users?role=handler").json
    assert [u["username"] for u in body] == ["handler"]


def test_departments_are_listed_for_dispatching(as_user):
    body = as_user("dispatcher").get("/api/v1/departments").json
    assert "371083-cgj" in [d["code"] for d in body]


def test_an_admin_adds_and_retires_a_department(as_user):
    admin = as_user("admin")
    created = admin.post("/api/v1/departments", json={
        "code": "371083-slj", "name": "乳山市水利局", "region": "371083", "domain": "水利"})
    assert created.status_code == 201
    admin.patch("/api/v1/departments/371083-slj", json={"active": False})
    listed = [d["code"] for d in as_user("dispatcher").get("/api/v1/departments").json]
    assert "371083-slj" not in listed


@pytest.mark.parametrize(("body", "reason"), [
    ({"code": "371083-cgj", "name": "重复", "region": "371083"}, "duplicate"),
    ({"code": "371083-x", "name": "x", "region": "999999"}, "unknown_region"),
    ({"code": "371083-x", "name": "x", "region": "371083", "parent": "nope"}, "unknown_parent"),
    ({"code": "371083-x", "name": "x", "region": "371083",
      "duty_officials": ["0123456789abcdef01234567"]}, "unknown_users"),
    ({"code": "X!", "name": "x", "region": "371083"}, "validation_error"),
])
def test_a_bad_department_is_refused(as_user, body, reason):
    assert as_user("admin").post("/api/v1/departments",
                                 json=body).json["errors"]["reason"] == reason
