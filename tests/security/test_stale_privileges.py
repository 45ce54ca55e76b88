"""Finding 7 of the security review: a token stops asserting what is no longer true — a
deactivated, demoted or re-passworded user's access and refresh tokens stop at once."""

from __future__ import annotations

import pytest

from server.auth.models import User
from server.demo import DEMO_PASSWORD
from tests.factories import staff_of


@pytest.fixture
def signed_in(client, demo):
    """`signed_in(username)`: (access token headers, refresh token) of a password sign-in."""
    def sign_in(username):
        answer = client.post("/api/v1/auth/token", json={
            "grant_type": "password", "username": username, "password": DEMO_PASSWORD}).json
        return {"Authorization": f"Bearer {answer['access_token']}"}, answer["refresh_token"]
    return sign_in


@pytest.fixture
def second_admin(demo):
    return staff_of("371083", "admin")


def change(as_user, user, **fields):
    response = as_user("admin").patch(f"/api/v1/users/{user.id}", json=fields)
    assert response.status_code == 200, response.json


def test_a_deactivated_admins_token_cannot_create_a_user(client, as_user, signed_in, second_admin):
    headers, _ = signed_in(second_admin.username)
    change(as_user, second_admin, active=False)
    response = client.post("/api/v1/users", headers=headers, json={
        "username": "ghost", "name": "某人", "role": "dispatcher", "org": "371083",
        "password": "long-enough-123"})
    assert response.status_code == 401 and response.json["errors"]["reason"] == "token_stale"
    assert User.objects(username="ghost").first() is None


def test_a_demoted_admins_token_cannot_read_the_audit_trail(client, as_user, signed_in, second_admin):
    headers, _ = signed_in(second_admin.username)
    change(as_user, second_admin, role="supervisor", org="371083")
    assert client.get("/api/v1/audit", headers=headers).status_code == 401


def test_a_password_reset_ends_the_users_refresh_tokens(client, as_user, signed_in):
    _, refresh = signed_in("gridworker")
    change(as_user, User.objects.get(username="gridworker"), password="a-new-password-123")
    response = client.post("/api/v1/auth/token", json={"grant_type": "refresh_token",
                                                        "refresh_token": refresh})
    assert response.status_code == 401 and response.json["errors"]["reason"] == "invalid_grant"


def test_a_password_reset_ends_the_users_access_tokens(client, as_user, signed_in):
    headers, _ = signed_in("gridworker")
    change(as_user, User.objects.get(username="gridworker"), password="a-new-password-123")
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_a_change_of_name_keeps_the_users_tokens(client, as_user, signed_in):
    headers, _ = signed_in("gridworker")
    change(as_user, User.objects.get(username="gridworker"), name="新名字")
    assert client.get("/api/v1/me", headers=headers).status_code == 200


def test_a_new_sign_in_after_the_change_works(client, as_user, signed_in, second_admin):
    change(as_user, second_admin, role="supervisor", org="371083")
    headers, _ = signed_in(second_admin.username)
    assert client.get("/api/v1/me", headers=headers).status_code == 200


def test_a_change_made_by_another_process_stops_the_token_within_five_seconds(
        app, client, signed_in, monkeypatch):
    from server.extensions.cache import TTLCache
    now = [1000.0]
    monkeypatch.setitem(app.extensions, "gridhub_user_state", TTLCache(5.0, clock=lambda: now[0]))
    headers, _ = signed_in("gridworker")
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    User.objects(username="gridworker").update_one(set__active=False)  # another API process
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    now[0] += 5.0
    assert client.get("/api/v1/me", headers=headers).status_code == 401
