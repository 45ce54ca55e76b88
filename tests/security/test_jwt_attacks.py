"""Access-token verification under attack (DESIGN §7): every forgery is 401."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from server.auth.models import User
from server.auth.principals import user_claims
from server.auth.tokens import keyring


@pytest.fixture
def forge(app, demo):
    """forge(**claim overrides, header=..., key=..., alg=...) -> a token signed with our key."""
    user = User.objects.get(username="dispatcher")

    def forge_(header=None, key=None, alg=None, **overrides):
        kid, our_alg, private = keyring().signing_key(app.config["JWT_ALGORITHM"])
        now = int(time.time())
        claims = {**user_claims(user), "iss": app.config["JWT_ISSUER"],
                  "aud": app.config["JWT_AUDIENCE"], "sub": f"user:{user.id}", "iat": now, "nbf": now,
                  "exp": now + 600, "jti": secrets.token_urlsafe(8), **overrides}
        return jwt.encode(claims, key or private, algorithm=alg or our_alg,
                          headers={"kid": kid, **(header or {})})
    return forge_


def me(client, token):
    return client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_an_honest_token_is_accepted(client, forge):
    assert me(client, forge()).status_code == 200


def _kid(header: str) -> str:
    return json.loads(base64.urlsafe_b64decode(header + "=="))["kid"]


def test_alg_none_is_401(client, forge):
    header, payload, _ = forge().split(".")
    unsigned = f"{_b64({'alg': 'none', 'typ': 'JWT', 'kid': _kid(header)})}.{payload}."
    assert me(client, unsigned).status_code == 401


def test_hs256_signed_with_our_public_key_is_401(client, forge, app):
    _, _, private = keyring().signing_key(app.config["JWT_ALGORITHM"])
    public_pem = private.public_key().public_bytes(serialization.Encoding.PEM,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo)
    header, payload, _ = forge().split(".")
    forged_header = _b64({"alg": "HS256", "typ": "JWT", "kid": _kid(header)})
    signature = hmac.new(public_pem, f"{forged_header}.{payload}".encode(), hashlib.sha256).digest()
    token = f"{forged_header}.{payload}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"
    assert me(client, token).status_code == 401


def test_an_unknown_kid_is_401(client, forge):
    assert me(client, forge(header={"kid": "not-ours"})).status_code == 401


def test_a_key_of_someone_else_under_our_kid_is_401(client, forge):
    assert me(client, forge(key=ec.generate_private_key(ec.SECP256R1()), alg="ES256")).status_code == 401


def test_a_tampered_payload_is_401(client, forge):
    header, payload, signature = forge().split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["roles"] = ["admin"]
    assert me(client, f"{header}.{_b64(claims)}.{signature}").status_code == 401


# Times as offsets from the moment the token is forged (not from collection: a long run
# would let "+120 s" pass).
@pytest.mark.parametrize("overrides", [
    {"exp": -60},  # expired beyond the 30 s leeway
    {"aud": "someone-else"},
    {"iss": "https://evil.example"},
    {"nbf": 120},
    {"iat": 120},
    {"sub": "robot:1"},
])
def test_a_token_with_a_wrong_claim_is_401(client, forge, overrides):
    now = int(time.time())
    claims = {k: now + v if k in ("exp", "nbf", "iat") else v for k, v in overrides.items()}
    assert me(client, forge(**claims)).status_code == 401


@pytest.mark.parametrize("missing", ["exp", "iss", "aud", "sub", "jti", "iat"])
def test_a_token_missing_a_required_claim_is_401(client, forge, missing):
    token = forge()
    claims = jwt.decode(token, options={"verify_signature": False})
    claims.pop(missing)
    header = jwt.get_unverified_header(token)
    resigned = jwt.encode(claims, keyring().signing_key(header["alg"])[2], algorithm=header["alg"],
                          headers={"kid": header["kid"]})
    assert me(client, resigned).status_code == 401


def test_a_token_just_past_expiry_is_accepted_within_the_leeway(client, forge):
    assert me(client, forge(exp=int(time.time()) - 10)).status_code == 200


def test_a_revoked_token_is_401(client, forge):
    token = forge()
    assert client.post("/api/v1/auth/logout", headers={"Authorization": f"Bearer {token}"}).status_code == 204
    assert me(client, token).json["errors"]["reason"] == "token_revoked"


@pytest.mark.parametrize("value", ["Bearer", "Bearer ", "Basic abc", "Bearer a.b", "Bearer ....",
                                   "Bearer " + "a" * 5000])
def test_garbage_in_the_authorization_header_is_401(client, demo, value):
    assert client.get("/api/v1/me", headers={"Authorization": value}).status_code == 401
