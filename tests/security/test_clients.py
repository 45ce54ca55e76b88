"""Sister apps: registration, client_credentials with private_key_jwt or a secret, scopes."""

from __future__ import annotations

import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from server.audit.models import AuditEntry
from tests.cases import case_body
from tests.conftest import ApiClient


@pytest.fixture
def as_app(app):
    def as_app_(token):
        return ApiClient(app.test_client(), token)
    return as_app_


def test_a_sister_app_signs_in_with_private_key_jwt_and_reports_a_case(register_app, client_token, as_app,
                                                                         as_user):
    sister = register_app(scopes=["cases:write", "cases:read"])
    answer = client_token(sister)
    assert answer.status_code == 200 and answer.json["scope"] == "cases:read cases:write"
    case = as_app(answer.json["access_token"]).post("/api/v1/cases", json=case_body())
    assert case.status_code == 201 and case.json["source"] == "client"
    assert case.json["reporter"]["key"] == f"client:{sister.id}"
    listed = as_user("dispatcher").get("/api/v1/cases").json
    assert case.json["id"] in {c["id"] for c in listed}


def test_a_sister_app_is_refused_an_endpoint_outside_its_scopes(register_app, client_token, as_app):
    token = client_token(register_app(scopes=["cases:write"])).json["access_token"]
    stats = as_app(token).get("/api/v1/stats")
    assert stats.status_code == 403 and stats.json["errors"]["reason"] == "insufficient_scope"
    assert as_app(token).get("/api/v1/supervision/board").status_code == 403
    assert as_app(token).get("/api/v1/users").status_code == 403


def test_replaying_a_client_assertion_is_refused(register_app, client_token):
    sister = register_app()
    assertion = sister.assertion()
    assert client_token(sister, assertion).status_code == 200
    replay = client_token(sister, assertion)
    assert replay.status_code == 401 and replay.json["errors"]["reason"] == "invalid_client"
    assert AuditEntry.objects(action="auth.client", detail__reason="assertion_replayed").count() == 1


@pytest.mark.parametrize("overrides", [
    {"aud": "https://elsewhere.example/token"},
    {"exp": int(time.time()) - 120},
    {"exp": int(time.time()) + 3600},  # too long-lived
    {"sub": "someone-else"},
])
def test_a_bad_client_assertion_is_401(register_app, client_token, overrides):
    sister = register_app()
    assert client_token(sister, sister.assertion(**overrides)).status_code == 401


def test_a_client_assertion_without_a_jti_is_401(register_app, client_token):
    sister = register_app()
    payload = jwt.decode(sister.assertion(), options={"verify_signature": False})
    del payload["jti"]
    assert client_token(sister, jwt.encode(payload, sister.key, algorithm="ES256")).status_code == 401


def test_an_assertion_signed_by_another_key_is_401(register_app, client_token):
    sister = register_app()
    sister.key = ec.generate_private_key(ec.SECP256R1())
    assert client_token(sister).status_code == 401


def test_a_client_asking_for_more_than_its_scopes_is_refused(register_app, client_token):
    answer = client_token(register_app(scopes=["cases:read"]), scope="cases:read stats:read")
    assert answer.status_code == 400 and answer.json["errors"]["reason"] == "invalid_scope"


def test_a_client_without_a_key_gets_a_secret_once_and_can_rotate_it(as_user, client):
    created = as_user("platform").post("/api/v1/clients",
                                    json={"name": "物联网平台", "scopes": ["stats:read"]}).json
    assert created["auth_method"] == "client_secret" and created["client_secret"].startswith("gh_")
    assert "client_secret" not in as_user("platform").get(f"/api/v1/clients/{created['id']}").json

    def token(secret):
        return client.post("/api/v1/auth/token", data={"grant_type": "client_credentials",
                                                        "client_id": created["id"], "client_secret": secret})
    assert token(created["client_secret"]).status_code == 200
    assert token("gh_wrong").status_code == 401
    rotated = as_user("platform").post(f"/api/v1/clients/{created['id']}/secret").json["client_secret"]
    assert token(created["client_secret"]).status_code == 401 and token(rotated).status_code == 200


def test_a_disabled_clients_tokens_stop_working(register_app, client_token, as_app, as_user):
    sister = register_app()
    token = client_token(sister).json["access_token"]
    as_user("platform").patch(f"/api/v1/clients/{sister.id}", json={"active": False})
    refused = as_app(token).get("/api/v1/me")
    assert refused.status_code == 401 and refused.json["errors"]["reason"] == "client_disabled"
    assert client_token(sister).status_code == 401


def test_a_private_key_is_never_accepted_as_a_clients_key(as_user):
    key = ec.generate_private_key(ec.SECP256R1())
    private_jwk = ECAlgorithm.to_jwk(key, as_dict=True)
    response = as_user("platform").post("/api/v1/clients", json={
        "name": "x", "scopes": [], "public_jwk": private_jwk})
    assert response.status_code == 422 and response.json["errors"]["reason"] == "private_key_given"


def test_registering_clients_is_for_admins_only(as_user):
    assert as_user("supervisor").post("/api/v1/clients", json={"name": "x", "scopes": []}).status_code == 403


def test_a_sister_app_manages_only_its_own_webhooks_on_its_registered_urls(register_app, client_token, as_app,
                                                                            as_user):
    sister = register_app(scopes=["webhooks"], webhook_urls=["https://ai.example.gov.cn/hooks/"])
    as_user("admin").post("/api/v1/webhooks", json={"name": "admin's", "url": "https://a.example/x",
                                                    "events": ["*"]})
    api = as_app(client_token(sister).json["access_token"])
    mine = api.post("/api/v1/webhooks", json={"name": "AI", "url": "https://ai.example.gov.cn/hooks/gridhub",
                                              "events": ["dispatch"]})
    assert mine.status_code == 201
    assert [s["id"] for s in api.get("/api/v1/webhooks").json] == [mine.json["id"]]
    elsewhere = api.post("/api/v1/webhooks", json={"name": "AI", "url": "https://evil.example/x",
                                                   "events": ["dispatch"]})
    assert elsewhere.status_code == 403 and elsewhere.json["errors"]["reason"] == "webhook_url_not_allowed"


def test_an_empty_client_patch_changes_nothing(as_user):
    created = as_user("platform").post("/api/v1/clients", json={"name": "物联网平台", "scopes": []}).json
    response = as_user("platform").patch(f"/api/v1/clients/{created['id']}", json={})
    assert response.status_code == 200 and response.json["name"] == "物联网平台"


@pytest.mark.parametrize("jwk", [{"kty": "EC", "crv": "P-256", "x": 1, "y": 2}, {"kty": "EC"},
                                 {"kty": "oct", "k": "abc"}, {"kty": 5}])
def test_a_malformed_public_key_is_422(as_user, jwk):
    response = as_user("platform").post("/api/v1/clients",
                                        json={"name": "x", "scopes": [], "public_jwk": jwk})
    assert response.status_code == 422 and as_user("platform").get("/api/v1/clients").json == []


def test_a_sister_app_with_cases_transition_withdraws_a_case_it_reported(register_app, client_token, as_app):
    token = client_token(register_app(scopes=["cases:write", "cases:transition"])).json["access_token"]
    case = as_app(token).post("/api/v1/cases", json=case_body()).json
    cancelled = as_app(token).post(f"/api/v1/cases/{case['id']}/transitions", json={"action": "cancel"})
    assert cancelled.status_code == 200 and cancelled.json["status"] == "cancelled"


def test_a_sister_app_cannot_take_a_dispatchers_step(register_app, client_token, as_app):
    token = client_token(register_app(scopes=["cases:write", "cases:transition"])).json["access_token"]
    case = as_app(token).post("/api/v1/cases", json=case_body()).json
    accepted = as_app(token).post(f"/api/v1/cases/{case['id']}/transitions", json={"action": "accept"})
    assert accepted.status_code == 403 and accepted.json["status"] == "Forbidden"


def test_without_cases_transition_a_sister_app_cannot_withdraw_its_report(register_app, client_token, as_app):
    token = client_token(register_app(scopes=["cases:write"])).json["access_token"]
    case = as_app(token).post("/api/v1/cases", json=case_body()).json
    cancelled = as_app(token).post(f"/api/v1/cases/{case['id']}/transitions", json={"action": "cancel"})
    assert cancelled.status_code == 403 and cancelled.json["errors"]["reason"] == "insufficient_scope"
