"""Granting and revoking tokens (DESIGN §7): password with lockout, refresh-token rotation
with reuse detection, logout. Every attempt is audited."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import has_request_context, request
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from server.audit.service import record
from server.auth import clients, identity
from server.auth.models import LoginThrottle, RefreshToken, RevokedToken, User
from server.auth.passwords import verify_password
from server.auth.principals import Principal, county_of, user_claims
from server.auth.tokens import issue_access_token
from server.errors import GridhubError, ServiceUnavailable, Unauthorized
from server.timeutil import aware, now_utc

MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
REFRESH_TTL = timedelta(days=30)




def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _tokens(user: User, *, family: str | None = None) -> dict[str, Any]:
    """An access token and the next refresh token of `family` (a new family by default)."""
    family = family or secrets.token_urlsafe(12)
    claims = {**user_claims(user), "sid": family}
    access, ttl = issue_access_token(subject=f"user:{user.id}", claims=claims)
    refresh = secrets.token_urlsafe(32)
    RefreshToken(token_hash=_hash(refresh), family=family, subject=f"user:{user.id}",
                 expires_at=now_utc() + REFRESH_TTL).save()
    return {"access_token": access, "token_type": "Bearer", "expires_in": ttl,
            "refresh_token": refresh, "scope": ""}


def _throttle_key(username: str) -> str:
    """Attempts are counted per username *and* source address: a stranger elsewhere cannot lock
    a user out of their own sign-in (the per-username rate limit still caps the total)."""
    source = request.remote_addr if has_request_context() else None
    return f"{username}|{source or '-'}"


def _attempt(key: str) -> bool:
    """Count an attempt before the password is checked — atomically, so that parallel guesses
    cannot all pass a check made before any of them failed. True when it may go on: at most
    MAX_FAILURES attempts per lock period are ever checked."""
    now = now_utc()
    collection = LoginThrottle._get_collection()
    collection.update_one(  # a lock that has run out, or a count gone quiet, starts afresh
        {"_id": key, "$or": [{"locked_until": {"$lte": now}},
                             {"locked_until": None, "updated_at": {"$lte": now - LOCKOUT}}]},
        {"$set": {"failures": 0}, "$unset": {"locked_until": ""}})
    # The key's document is made first, on its own: an upserting increment raced by another
    # can fail on MongoDB (duplicate key) and, on SecantusDB, apply but answer no document
    # (docs/DATABASE.md, #11) — retrying it would count one attempt twice.
    try:
        collection.update_one({"_id": key}, {"$setOnInsert": {"failures": 0, "updated_at": now}},
                              upsert=True)
    except DuplicateKeyError:
        pass  # another attempt made it
    raw = collection.find_one_and_update(
        {"_id": key}, {"$inc": {"failures": 1}, "$set": {"updated_at": now}},
        return_document=ReturnDocument.AFTER)
    if raw is None:  # removed meanwhile (an expired lock cleared): this attempt is not checked
        return False
    locked = aware(raw.get("locked_until"))
    return raw["failures"] <= MAX_FAILURES and not (locked is not None and locked > now)


def _fail(key: str) -> bool:
    """A checked attempt failed; True when it was the last one allowed (the key is locked)."""
    collection = LoginThrottle._get_collection()
    raw = collection.find_one({"_id": key}, projection={"failures": True})
    if raw is None or raw["failures"] < MAX_FAILURES:
        return False
    collection.update_one({"_id": key}, {"$set": {"locked_until": now_utc() + LOCKOUT}})
    return True


def password_grant(*, username: str, password: str) -> dict[str, Any]:
    """Exchange a username and password for tokens. Unknown user, wrong password and disabled
    account answer alike; five failures lock the username for 15 minutes (whether it exists
    or not, so the lock tells nothing either)."""
    key = username.lower()
    throttle = _throttle_key(key)
    if not _attempt(throttle):
        record("auth.login", result="failure", target=f"username:{key}", status=401, reason="locked")
        raise Unauthorized("登录失败次数过多，请 15 分钟后再试", reason="locked")
    user = User.objects(username=username).first()
    ok = verify_password(user.password_hash if user else None, password)
    county = county_of(user.org, user.org_kind) if user else None  # whose admin reads the entry
    if not ok or user is None or not user.active:
        locked = _fail(throttle)
        record("auth.login", result="failure", target=f"username:{key}", status=401, county=county,
               reason="locked" if locked else "invalid_grant")
        raise Unauthorized("用户名或密码错误", reason="invalid_grant")
    LoginThrottle.objects(username=throttle).delete()
    record("auth.login", result="success", actor=f"user:{user.id}", target=f"username:{key}",
           status=200, county=county)
    return _tokens(user)


def refresh_grant(*, refresh_token: str) -> dict[str, Any]:
    """Spend a refresh token for new tokens; a spent one presented again revokes its family."""
    now = now_utc()
    stored = RefreshToken.objects(token_hash=_hash(refresh_token)).first()
    if stored is None or stored.revoked_at is not None or aware(stored.expires_at) <= now:
        record("auth.refresh", result="failure", status=401, reason="invalid_grant")
        raise Unauthorized("刷新令牌无效或已过期", reason="invalid_grant")
    spent = RefreshToken.objects(id=stored.id, spent_at=None, revoked_at=None).update_one(set__spent_at=now)
    if not spent:
        revoked = RefreshToken.objects(family=stored.family, revoked_at=None).update(set__revoked_at=now)
        record("auth.refresh", result="failure", actor=stored.subject, target=f"family:{stored.family}",
               status=401, reason="refresh_reuse", revoked=revoked)
        raise Unauthorized("刷新令牌已被使用，该登录会话已全部注销", reason="invalid_grant")
    user = User.objects(id=stored.subject.partition(":")[2]).first()
    if user is None or not user.active:
        record("auth.refresh", result="failure", actor=stored.subject, status=401, reason="inactive")
        raise Unauthorized("刷新令牌无效或已过期", reason="invalid_grant")
    record("auth.refresh", result="success", actor=stored.subject, target=f"family:{stored.family}",
           status=200)
    return _tokens(user, family=stored.family)


def end_sessions(*, user_id: str) -> int:
    """Revoke every refresh family of a user (password, role, node or state changed)."""
    return RefreshToken.objects(subject=f"user:{user_id}", revoked_at=None).update(
        set__revoked_at=now_utc())


def logout(*, claims: dict[str, Any]) -> None:
    """Revoke this access token (by jti, until it would expire) and its refresh family."""
    RevokedToken._get_collection().update_one(
        {"_id": claims["jti"]},
        {"$setOnInsert": {"expires_at": datetime.fromtimestamp(claims["exp"], UTC)}}, upsert=True)
    revoked = 0
    if claims.get("sid"):
        revoked = RefreshToken.objects(family=claims["sid"], revoked_at=None).update(
            set__revoked_at=now_utc())
    record("auth.logout", result="success", actor=str(claims["sub"]), status=204,
           target=f"family:{claims.get('sid')}", refresh_revoked=revoked)


ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"


def exchange_grant(*, subject_token: str, subject_token_type: str) -> dict[str, Any]:
    """RFC 8693: a resident's hub SSO ticket for our tokens, vouched for by the identity
    provider; the resident's account is created on first sign-in."""
    idp = identity.provider()
    if idp is None:
        raise GridhubError("未配置统一身份认证，不支持令牌交换", reason="unsupported_grant_type")
    if subject_token_type != identity.TICKET_TOKEN_TYPE:
        raise GridhubError(f"subject_token_type 须为 {identity.TICKET_TOKEN_TYPE}",
                           reason="invalid_request")
    try:
        who = idp.validate(subject_token)
    except identity.InvalidTicket as exc:
        record("auth.exchange", result="failure", status=401, reason="invalid_grant", detail=str(exc))
        raise Unauthorized("统一身份认证票据无效、已过期或已使用", reason="invalid_grant") from exc
    except identity.ProviderUnavailable as exc:
        record("auth.exchange", result="failure", status=503, reason="idp_unavailable", detail=str(exc))
        raise ServiceUnavailable("统一身份认证服务暂不可用，请稍后重试", reason="idp_unavailable",
                                 headers={"Retry-After": "5"}) from exc
    user = identity.resident_for(who)
    record("auth.exchange", result="success", actor=f"user:{user.id}", status=200,
           target=f"hub:{who.subject}", level=who.level)
    return {**_tokens(user), "issued_token_type": ACCESS_TOKEN_TYPE}


CLIENT_FIELDS = ("client_id", "client_secret", "client_assertion_type", "client_assertion", "scope")


def grant(body: dict[str, Any]) -> dict[str, Any]:
    """Tokens for a token request, by its grant type (password, refresh_token,
    client_credentials, RFC 8693 token exchange)."""
    kind = body["grant_type"]
    if kind.endswith(":token-exchange"):
        return exchange_grant(subject_token=body["subject_token"],
                              subject_token_type=body["subject_token_type"])
    if kind == "refresh_token":
        return refresh_grant(refresh_token=body["refresh_token"])
    if kind == "client_credentials":
        return clients.client_credentials_grant(**{k: body.get(k) for k in CLIENT_FIELDS})
    return password_grant(username=body["username"], password=body["password"])


def me(principal: Principal) -> dict[str, Any]:
    """Who a token belongs to, with the user's own phone number (their own data, in clear)."""
    user = User.objects(id=principal.id).only("phone_sealed").first() \
        if principal.kind == "user" else None
    return {"id": principal.id, "kind": principal.kind, "name": principal.name,
            "roles": sorted(principal.roles), "org": principal.org,
            "org_kind": principal.org_kind, "grids": sorted(principal.grids),
            "level": principal.level, "phone": user.phone if user else None}
