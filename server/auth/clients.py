"""Sister apps as OAuth clients: registration by admins, secrets, and the client_credentials
grant with `client_secret` or `private_key_jwt` (RFC 7523)."""

from __future__ import annotations

import hashlib
import secrets
import time
from datetime import UTC, datetime
from typing import Any

import jwt
from bson import ObjectId
from bson.errors import InvalidId
from flask import current_app, request
from jwt.algorithms import ECAlgorithm, RSAAlgorithm
from mongoengine.errors import NotUniqueError

from server.audit.service import record
from server.auth.models import Client, UsedAssertion
from server.auth.passwords import hash_password, verify_password
from server.auth.permissions import require_platform_admin
from server.auth.principals import Principal
from server.auth.tokens import issue_access_token
from server.errors import GridhubError, Unauthorized, Unprocessable, found

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ASSERTION_ALGORITHMS = ("RS256", "ES256")
MAX_ASSERTION_LIFETIME = 300  # seconds: an assertion must expire within five minutes


def _secret() -> str:
    return "gh_" + secrets.token_urlsafe(32)


def _check_jwk(jwk: dict[str, Any]) -> dict[str, Any]:
    """A public RSA or EC key as a JWK; never a private one."""
    if any(part in jwk for part in ("d", "p", "q", "dp", "dq", "qi")):
        raise Unprocessable("只接受公钥，不得上传私钥", reason="private_key_given")
    try:
        (RSAAlgorithm if jwk.get("kty") == "RSA" else ECAlgorithm).from_jwk(jwk)
    except (jwt.InvalidKeyError, ValueError, KeyError, TypeError) as exc:
        raise Unprocessable("公钥 JWK 无效", reason="invalid_jwk") from exc
    return jwk


# --- admin -----------------------------------------------------------------------------------
def register(*, principal: Principal, name: str, scopes: list[str], public_jwk: dict | None = None,
             webhook_urls: list[str] | None = None) -> tuple[Client, str | None]:
    """A new client; with no public key it gets a secret, returned here once."""
    require_platform_admin(principal)
    secret = None if public_jwk else _secret()
    client = Client(name=name, scopes=sorted(set(scopes)), webhook_urls=webhook_urls or [],
                    public_jwk=_check_jwk(public_jwk) if public_jwk else {},
                    secret_hash=hash_password(secret) if secret else None,
                    created_by=principal.key).save()
    return client, secret


def list_all(*, principal: Principal):
    require_platform_admin(principal)
    return Client.objects.order_by("-created_at", "-id")


def get(*, principal: Principal, client_id: ObjectId) -> Client:
    require_platform_admin(principal)
    return found(Client.objects(id=client_id).first(), "接入应用不存在")


def update(*, principal: Principal, client_id: ObjectId, **fields: Any) -> Client:
    client = get(principal=principal, client_id=client_id)
    if fields.get("public_jwk"):
        _check_jwk(fields["public_jwk"])
    if fields:
        client.modify(**fields)
    return client


def rotate_secret(*, principal: Principal, client_id: ObjectId) -> tuple[Client, str]:
    client = get(principal=principal, client_id=client_id)
    secret = _secret()
    client.modify(secret_hash=hash_password(secret))
    return client, secret


def issue_api_key(*, principal: Principal, client_id: ObjectId) -> tuple[Client, str]:
    """A new Open311 api_key for the client (the previous one stops working), shown once."""
    client = get(principal=principal, client_id=client_id)
    key = "o311_" + secrets.token_urlsafe(32)
    client.modify(api_key_hash=hashlib.sha256(key.encode()).hexdigest())
    return client, key


def by_api_key(key: str) -> Client | None:
    """The active client an Open311 api_key belongs to."""
    if not key or len(key) > 200:
        return None
    return Client.objects(api_key_hash=hashlib.sha256(key.encode()).hexdigest(), active=True).first()


def principal_of(client: Client) -> Principal:
    """The principal a client acts as (what its access token would carry)."""
    return Principal(kind="client", id=str(client.id), name=client.name, roles=frozenset({"client"}),
                     scopes=frozenset(client.scopes))


# --- the grant -------------------------------------------------------------------------------
def _refuse(client_id: str | None, reason: str, message: str = "客户端认证失败") -> Unauthorized:
    record("auth.client", result="failure", actor=f"client:{client_id}" if client_id else None,
           status=401, reason=reason)
    return Unauthorized(message, reason="invalid_client")


def _find(client_id: str | None) -> Client | None:
    try:
        return Client.objects(id=ObjectId(client_id), active=True).first() if client_id else None
    except (InvalidId, TypeError):
        return None


def _token_endpoint_urls() -> set[str]:
    """The audiences an assertion may name: our configured public token URL only — the Host
    header is the caller's to choose. Without GRIDHUB_PUBLIC_URL (a development install) the
    URL the request arrived on."""
    public = current_app.config.get("PUBLIC_URL")
    if public:
        return {public.rstrip("/") + "/api/v1/auth/token"}
    return {request.base_url}


def _assertion_client(assertion: str) -> Client:
    """The client a private_key_jwt assertion proves; its jti is spent."""
    try:
        unverified = jwt.decode(assertion, options={"verify_signature": False})
        header = jwt.get_unverified_header(assertion)
    except jwt.PyJWTError as exc:
        raise _refuse(None, "malformed_assertion") from exc
    client_id = unverified.get("iss")
    client = _find(client_id if isinstance(client_id, str) else None)
    if client is None or not client.public_jwk:
        raise _refuse(client_id if isinstance(client_id, str) else None, "unknown_client")
    if header.get("alg") not in ASSERTION_ALGORITHMS:
        raise _refuse(client_id, "bad_algorithm")
    key = (RSAAlgorithm if client.public_jwk.get("kty") == "RSA" else ECAlgorithm).from_jwk(client.public_jwk)
    try:
        claims = jwt.decode(assertion, key, algorithms=list(ASSERTION_ALGORITHMS),
                            audience=list(_token_endpoint_urls()), issuer=client_id,
                            leeway=current_app.config["JWT_LEEWAY"],
                            options={"require": ["iss", "sub", "aud", "exp", "jti"]})
    except jwt.PyJWTError as exc:
        raise _refuse(client_id, f"invalid_assertion: {type(exc).__name__}") from exc
    if claims["sub"] != client_id:
        raise _refuse(client_id, "sub_mismatch")
    if claims["exp"] - time.time() > MAX_ASSERTION_LIFETIME:
        raise _refuse(client_id, "assertion_lifetime_too_long")
    try:
        UsedAssertion(key=f"{client_id}:{claims['jti']}",
                      expires_at=datetime.fromtimestamp(claims["exp"], UTC)).save(force_insert=True)
    except NotUniqueError:
        raise _refuse(client_id, "assertion_replayed", "客户端断言已使用过（jti 重放）") from None
    return client


def client_credentials_grant(*, client_id: str | None = None, client_secret: str | None = None,
                             client_assertion_type: str | None = None, client_assertion: str | None = None,
                             scope: str | None = None) -> dict[str, Any]:
    if client_assertion:
        if client_assertion_type != ASSERTION_TYPE:
            raise _refuse(client_id, "bad_assertion_type")
        client = _assertion_client(client_assertion)
    else:
        client = _find(client_id)
        if not verify_password(client.secret_hash if client else None, client_secret or "") or client is None:
            raise _refuse(client_id, "bad_secret")
    wanted = set((scope or "").split()) or set(client.scopes)
    if not wanted <= set(client.scopes):
        record("auth.client", result="failure", actor=f"client:{client.id}", status=400,
               reason="invalid_scope", asked=sorted(wanted))
        raise GridhubError("请求的权限范围超出该应用的授权", reason="invalid_scope")  # 400, RFC 6749
    scopes = " ".join(sorted(wanted))
    token, ttl = issue_access_token(subject=f"client:{client.id}", claims={
        "roles": ["client"], "name": client.name, "scope": scopes, "org": None, "org_kind": None,
        "grids": []})
    record("auth.client", result="success", actor=f"client:{client.id}", status=200, scope=scopes)
    return {"access_token": token, "token_type": "Bearer", "expires_in": ttl, "scope": scopes}
