"""Sign-in, lockout, refresh-token rotation and reuse, logout — and their audit trail."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from server.audit.models import AppendOnly, AuditEntry
from server.audit.service import prune
from server.demo import DEMO_PASSWORD


@pytest.fixture
def grant(client, demo):
    def grant_(**body):
        return client.post("/api/v1/auth/token", json=body)
    return grant_


def login(grant, username="dispatcher", password=DEMO_PASSWORD):
    return grant(grant_type="password", username=username, password=password)


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def audit(action):
    return [(e.result, e.detail.get("reason")) for e in AuditEntry.objects(action=action).order_by("at")]


# --- password and lockout --------------------------------------------------------------------
def test_a_password_sign_in_gives_an_access_and_a_refresh_token(grant):
    body = login(grant).json
    assert body["token_type"] == "Bearer" and body["expires_in"] == 900 and len(body["refresh_token"]) > 30


def test_five_wrong_passwords_lock_the_account_even_for_the_right_one(grant):
    for _ in range(5):
        assert login(grant, password="wrong").json["errors"]["reason"] == "invalid_grant"
    locked = login(grant)
    assert locked.status_code == 401 and locked.json["errors"]["reason"] == "locked"
    assert audit("auth.login")[-2:] == [("failure", "locked"), ("failure", "locked")]


def test_the_lock_lifts_after_fifteen_minutes(grant):
    for _ in range(5):
        login(grant, password="wrong")
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=15, seconds=1)):
        assert login(grant).status_code == 200


def test_an_unknown_username_answers_and_locks_exactly_like_a_real_one(grant):
    real = [login(grant, password="wrong").json for _ in range(6)]
    unknown = [login(grant, username="nobody", password="wrong").json for _ in range(6)]
    assert [r["errors"] for r in real] == [u["errors"] for u in unknown]
    assert [r["message"] for r in real] == [u["message"] for u in unknown]


def test_a_successful_sign_in_forgets_earlier_failures(grant):
    for _ in range(4):
        login(grant, password="wrong")
    assert login(grant).status_code == 200
    for _ in range(4):
        login(grant, password="wrong")
    assert login(grant).status_code == 200


@pytest.mark.parametrize("body", [{"grant_type": "password", "username": "dispatcher"},
                                  {"grant_type": "refresh_token"}, {"grant_type": "magic"}])
def test_a_grant_missing_its_fields_is_422(grant, body):
    response = grant(**body)
    assert response.status_code == 422 and response.json["errors"]["reason"] == "validation_error"


# --- refresh tokens ---------------------------------------------------------------------------
def test_a_refresh_token_is_rotated_on_use(grant, client):
    first = login(grant).json
    second = grant(grant_type="refresh_token", refresh_token=first["refresh_token"]).json
    assert second["refresh_token"] != first["refresh_token"]
    assert client.get("/api/v1/me", headers=bearer(second["access_token"])).status_code == 200


def test_reusing_a_spent_refresh_token_revokes_its_whole_family(grant):
    first = login(grant).json
    second = grant(grant_type="refresh_token", refresh_token=first["refresh_token"]).json
    reuse = grant(grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert reuse.status_code == 401 and reuse.json["errors"]["reason"] == "invalid_grant"
    assert grant(grant_type="refresh_token", refresh_token=second["refresh_token"]).status_code == 401
    assert ("failure", "refresh_reuse") in audit("auth.refresh")


def test_another_sessions_refresh_token_survives_a_reuse_elsewhere(grant):
    other = login(grant).json
    first = login(grant).json
    grant(grant_type="refresh_token", refresh_token=first["refresh_token"])
    grant(grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert grant(grant_type="refresh_token", refresh_token=other["refresh_token"]).status_code == 200


def test_an_unknown_refresh_token_is_401(grant):
    assert grant(grant_type="refresh_token", refresh_token="made-up").status_code == 401


def test_an_expired_refresh_token_is_401(grant):
    token = login(grant).json["refresh_token"]
    with time_machine.travel(datetime.now(UTC) + timedelta(days=31)):
        assert grant(grant_type="refresh_token", refresh_token=token).status_code == 401


# --- logout -----------------------------------------------------------------------------------
def test_logout_revokes_the_access_token_and_its_refresh_tokens(grant, client):
    tokens = login(grant).json
    assert client.get("/api/v1/me", headers=bearer(tokens["access_token"])).status_code == 200
    assert client.post("/api/v1/auth/logout", headers=bearer(tokens["access_token"])).status_code == 204
    after = client.get("/api/v1/me", headers=bearer(tokens["access_token"]))
    assert after.status_code == 401 and after.json["errors"]["reason"] == "token_revoked"
    assert grant(grant_type="refresh_token", refresh_token=tokens["refresh_token"]).status_code == 401
    assert audit("auth.logout") == [("success", None)]


# --- the audit trail --------------------------------------------------------------------------
def test_a_write_is_audited_with_actor_target_ip_and_result(report, as_user):
    case = report()
    entry = AuditEntry.objects(action="POST /api/v1/cases").first()
    assert entry.result == "success" and entry.status == 201 and entry.actor.startswith("user:")
    assert entry.ip == "127.0.0.1"
    as_user("handler").post(f"/api/v1/cases/{case['id']}/transitions", json={"action": "sign"})
    refused = AuditEntry.objects(action="POST /api/v1/cases/<objectid:case_id>/transitions").first()
    assert (refused.result, refused.status, refused.target) == ("failure", 404, f"case_id:{case['id']}")


def test_admins_read_the_audit_trail_with_filters(grant, as_user):
    login(grant, password="wrong")
    login(grant)
    listed = as_user("admin").get("/api/v1/audit?action=auth.login&result=failure").json
    assert [(e["action"], e["result"], e["detail"]["reason"]) for e in listed] == [
        ("auth.login", "failure", "invalid_grant")]


def test_the_audit_trail_is_for_admins_only(as_user):
    assert as_user("supervisor").get("/api/v1/audit").status_code == 403


def test_audit_entries_cannot_be_changed_or_deleted(grant):
    login(grant)
    entry = AuditEntry.objects.first()
    entry.result = "failure"
    with pytest.raises(AppendOnly):
        entry.save()
    with pytest.raises(AppendOnly):
        entry.delete()


def test_entries_older_than_the_retention_are_pruned(grant, app):
    login(grant)
    now, kept = datetime.now(UTC), AuditEntry.objects.count()
    assert prune(now=now) == 0 and AuditEntry.objects.count() == kept
    assert prune(now=now + timedelta(days=app.config["AUDIT_RETENTION_DAYS"], minutes=1)) == kept
    assert AuditEntry.objects.count() == 0
