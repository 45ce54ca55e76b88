"""The password grant, our JWTs and their verification (DESIGN §7)."""

import base64
import hashlib
import hmac
import json
import time

import jwt
import pytest
import time_machine
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from server.auth.models import SigningKey
from tests.conftest import ApiClient

TOKEN_URL = "/api/v1/auth/token"


def password_grant(client, username="dispatcher", password="demo-password", form=False):
    body = {"grant_type": "password", "username": username, "password": password}
    return client.post(TOKEN_URL, data=body) if form else client.post(TOKEN_URL, json=body)


def test_the_password_grant_returns_a_bearer_token(client, demo):
    response = password_grant(client)
    assert response.status_code == 200
    assert response.json["token_type"] == "Bearer"
    assert response.json["expires_in"] == 900


def test_the_token_is_signed_with_our_key_and_carries_the_claims(client, demo):
    token = password_grant(client).json["access_token"]
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "ES256"
    assert SigningKey.objects(kid=header["kid"]).count() == 1
    claims = jwt.decode(token, options={"verify_signature": False})
    assert {"iss", "aud", "sub", "exp", "iat", "jti", "roles", "org", "scope"} <= set(claims)
    assert claims["roles"] == ["dispatcher"]
    assert claims["org"] == "371083"


def test_the_token_endpoint_takes_a_form_body_too(client, demo):
    assert password_grant(client, form=True).status_code == 200


def test_the_token_works_on_the_api(client, demo):
    token = password_grant(client, "gridworker").json["access_token"]
    me = ApiClient(client, token).get("/api/v1/me").json
    assert (me["roles"], me["grids"]) == (["grid_worker"], ["371083001001001"])


@pytest.mark.parametrize(("username", "password"), [("dispatcher", "wrong"), ("nobody", "x")])
def test_a_wrong_password_and_an_unknown_user_get_the_same_401(client, demo, username, password):
    response = password_grant(client, username, password)
    assert response.status_code == 401
    assert response.json["errors"]["reason"] == "invalid_grant"
    assert response.json["message"] == "用户名或密码错误"


def test_an_unsupported_grant_type_is_422(client, demo):
    response = client.post(TOKEN_URL, json={"grant_type": "magic", "username": "a", "password": "b"})
    assert response.status_code == 422


def test_the_jwks_publishes_the_signing_key(client, demo):
    token = password_grant(client).json["access_token"]
    keys = client.get("/.well-known/jwks.json").json["keys"]
    assert [k["kid"] for k in keys] == [jwt.get_unverified_header(token)["kid"]]
    assert "d" not in keys[0]  # never the private part


def test_a_request_without_a_token_is_401_with_the_envelope(anonymous):
    response = anonymous.get("/api/v1/cases")
    assert response.status_code == 401
    assert response.json["errors"]["reason"] == "missing_token"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_an_expired_token_is_401(app, client, demo):
    token = password_grant(client).json["access_token"]
    with time_machine.travel(time.time() + 900 + 31, tick=False):
        response = ApiClient(client, token).get("/api/v1/me")
    assert response.status_code == 401
    assert response.json["errors"]["reason"] == "token_expired"


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_a_tampered_payload_is_401(client, demo):
    header, payload, signature = password_grant(client).json["access_token"].split(".")
    claims = jwt.decode(f"{header}.{payload}.{signature}", options={"verify_signature": False})
    claims["roles"] = ["admin"]
    forged = f"{header}.{_b64(claims)}.{signature}"
    assert ApiClient(client, forged).get("/api/v1/me").status_code == 401


def test_a_token_with_alg_none_is_401(client, demo):
    good = password_grant(client).json["access_token"]
    claims = jwt.decode(good, options={"verify_signature": False})
    kid = jwt.get_unverified_header(good)["kid"]
    forged = f"{_b64({'alg': 'none', 'kid': kid})}.{_b64(claims)}."
    assert ApiClient(client, forged).get("/api/v1/me").status_code == 401


def test_an_hs256_token_signed_with_our_public_key_is_401(client, demo):
    good = password_grant(client).json["access_token"]
    kid = jwt.get_unverified_header(good)["kid"]
    claims = jwt.decode(good, options={"verify_signature": False})
    public = ECAlgorithm.from_jwk(SigningKey.objects.get(kid=kid).public_jwk)
    pem = public.public_bytes(serialization.Encoding.PEM,
                              serialization.PublicFormat.SubjectPublicKeyInfo)
    signing_input = f"{_b64({'alg': 'HS256', 'typ': 'JWT', 'kid': kid})}.{_b64(claims)}"
    mac = hmac.new(pem, signing_input.encode(), hashlib.sha256).digest()
    forged = f"{signing_input}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"
    assert ApiClient(client, forged).get("/api/v1/me").status_code == 401


def test_a_token_from_a_foreign_key_is_401(client, demo):
    good = password_grant(client).json["access_token"]
    claims = jwt.decode(good, options={"verify_signature": False})
    foreign = ec.generate_private_key(ec.SECP256R1())
    kid = jwt.get_unverified_header(good)["kid"]
    forged = jwt.encode(claims, foreign, algorithm="ES256", headers={"kid": kid})
    assert ApiClient(client, forged).get("/api/v1/me").status_code == 401


def test_a_token_with_an_unknown_kid_is_401(client, demo):
    claims = jwt.decode(password_grant(client).json["access_token"],
                        options={"verify_signature": False})
    forged = jwt.encode(claims, ec.generate_private_key(ec.SECP256R1()), algorithm="ES256",
                        headers={"kid": "unknown"})
    assert ApiClient(client, forged).get("/api/v1/me").status_code == 401


def test_a_token_for_another_audience_is_401(app, client, demo):
    token = password_grant(client).json["access_token"]
    app.config["JWT_AUDIENCE"] = "someone-else"
    try:
        assert ApiClient(client, token).get("/api/v1/me").status_code == 401
    finally:
        app.config["JWT_AUDIENCE"] = "gridhub-api"


@pytest.mark.parametrize("header", ["Bearer", "Basic abc", "Bearer not.a.jwt", "Bearer a"])
def test_a_malformed_authorization_header_is_401(client, header):
    response = client.get("/api/v1/me", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json["code"] == 401


def test_a_token_verified_a_moment_ago_still_expires_on_time(client, demo):
    token = password_grant(client).json["access_token"]
    assert ApiClient(client, token).get("/api/v1/me").status_code == 200
    with time_machine.travel(time.time() + 900 + 31, tick=False):
        assert ApiClient(client, token).get("/api/v1/me").status_code == 401


def test_rs256_keys_work_when_configured(app, client, demo):
    app.config["JWT_ALGORITHM"] = "RS256"
    app.extensions["gridhub_keyring"].clear()
    try:
        token = password_grant(client).json["access_token"]
        assert jwt.get_unverified_header(token)["alg"] == "RS256"
        assert ApiClient(client, token).get("/api/v1/me").status_code == 200
    finally:
        app.config["JWT_ALGORITHM"] = "ES256"
        app.extensions["gridhub_keyring"].clear()


def test_the_jwks_holds_the_signing_key_before_anyone_has_signed_in(client, demo):
    from server.auth.models import SigningKey
    from server.auth.tokens import keyring

    SigningKey.objects.delete()
    keyring().clear()  # a deployment that has never issued a token
    published = [k["kid"] for k in client.get("/.well-known/jwks.json").json["keys"]]
    token = password_grant(client).json["access_token"]
    assert published == [jwt.get_unverified_header(token)["kid"]]
