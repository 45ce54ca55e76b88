"""Residents' single sign-on: the hub's ticket, validated server-side by an identity provider.

The hub container (爱山东-style) hands the mini-app a one-time ticket; the mini-app exchanges it
at our token endpoint (RFC 8693 token exchange) and we ask the identity provider who it belongs
to. Providers (`GRIDHUB_IDENTITY_PROVIDER`):

- `dev`: for the demo — tickets minted by `POST /api/v1/auth/dev-tickets` for demo residents,
  HMAC-signed, good for five minutes and once;
- `http`: the real hub — a signed POST to `GRIDHUB_HUB_SSO_URL` (see `HttpProvider`);
- `module:Class`: any class taking the config, with `validate(ticket) -> Identity`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import importlib
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any, Protocol

import requests
from flask import current_app
from mongoengine.errors import NotUniqueError

from server.auth.models import UsedAssertion, User
from server.errors import NotFound, Unauthorized

TICKET_TOKEN_TYPE = "urn:gridhub:params:oauth:token-type:hub-ticket"
DEV_TICKET_TTL = 300


@dataclass(frozen=True)
class Identity:
    """Who a ticket belongs to, as the hub vouches for it."""

    subject: str  # the hub's stable user id
    name: str
    phone: str | None = None
    id_number: str | None = None
    level: int = 1  # the hub's authentication level: 1 phone, 2 real name, 3 face / ID card


class InvalidTicket(Exception):
    """The provider says no: unknown, expired or spent ticket."""


class ProviderUnavailable(Exception):
    """The provider could not be asked (network, timeout, 5xx, nonsense answer)."""


class IdentityProvider(Protocol):
    def validate(self, ticket: str) -> Identity: ...


def _dev_key() -> bytes:
    from server.pii import vault

    return vault().derive(b"gridhub dev sso tickets")


class DevProvider:
    """Tickets of demo residents (users with a `hub_subject`), signed with a deployment key."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config

    @staticmethod
    def mint(subject: str) -> str:
        if User.objects(hub_subject=subject, role="resident", active=True).first() is None:
            raise NotFound("没有该演示居民", reason="unknown_subject")
        payload = {"sub": subject, "exp": int(time.time()) + DEV_TICKET_TTL,
                   "nonce": secrets.token_urlsafe(12)}
        body = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")
        signature = hmac.new(_dev_key(), body.encode(), hashlib.sha256).hexdigest()
        return f"dev.{body}.{signature}"

    def validate(self, ticket: str) -> Identity:
        prefix, _, rest = ticket.partition(".")
        body, _, signature = rest.partition(".")
        expected = hmac.new(_dev_key(), body.encode(), hashlib.sha256).hexdigest()
        if prefix != "dev" or not hmac.compare_digest(signature, expected):
            raise InvalidTicket("signature")
        try:
            payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
            subject, expires, nonce = str(payload["sub"]), int(payload["exp"]), str(payload["nonce"])
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidTicket("payload") from exc
        if expires < time.time():
            raise InvalidTicket("expired")
        _spend(f"dev-ticket:{nonce}", expires)
        user = User.objects(hub_subject=subject, role="resident").first()
        if user is None:
            raise InvalidTicket("unknown subject")
        return Identity(subject=subject, name=user.name, phone=user.phone, level=2)


def _spend(key: str, expires: int) -> None:
    from datetime import UTC, datetime

    try:
        UsedAssertion(key=key, expires_at=datetime.fromtimestamp(expires, UTC)).save(force_insert=True)
    except NotUniqueError as exc:
        raise InvalidTicket("replayed") from exc


class HttpProvider:
    """The hub's ticket service. The request is JSON
    `{app_id, ticket, timestamp, nonce, sign}` where `sign` is the hex HMAC-SHA256 with the app
    secret of `app_id + "\\n" + ticket + "\\n" + timestamp + "\\n" + nonce`; the answer is
    `{code: 0, data: {user_id, name, mobile?, id_card?, auth_level?}}` — any other `code` is a
    refused ticket. Timeouts, network errors and 5xx are "unavailable" (503 to our caller)."""

    def __init__(self, config: dict[str, Any]) -> None:
        missing = [name for name in ("HUB_SSO_URL", "HUB_SSO_APP_ID", "HUB_SSO_APP_SECRET")
                   if not config.get(name)]
        if missing:
            raise RuntimeError(f"the http identity provider needs {', '.join(missing)}")
        self.url = config["HUB_SSO_URL"]
        self.app_id = config["HUB_SSO_APP_ID"]
        self.secret = config["HUB_SSO_APP_SECRET"].encode()
        self.timeout = config.get("HUB_SSO_TIMEOUT", 5)
        self.session = requests.Session()

    def sign(self, *, ticket: str, timestamp: str, nonce: str) -> str:
        message = "\n".join((self.app_id, ticket, timestamp, nonce)).encode()
        return hmac.new(self.secret, message, hashlib.sha256).hexdigest()

    def validate(self, ticket: str) -> Identity:
        timestamp, nonce = str(int(time.time())), secrets.token_hex(12)
        body = {"app_id": self.app_id, "ticket": ticket, "timestamp": timestamp, "nonce": nonce,
                "sign": self.sign(ticket=ticket, timestamp=timestamp, nonce=nonce)}
        try:
            response = self.session.post(self.url, json=body, timeout=self.timeout)
        except requests.RequestException as exc:
            raise ProviderUnavailable(type(exc).__name__) from exc
        if response.status_code >= 500 or response.status_code in (408, 429):
            raise ProviderUnavailable(f"HTTP {response.status_code}")
        try:
            answer = response.json()
        except ValueError as exc:
            raise ProviderUnavailable("not JSON") from exc
        if not isinstance(answer, dict) or answer.get("code") != 0:
            raise InvalidTicket(str(answer.get("msg") if isinstance(answer, dict) else answer)[:200])
        data = answer.get("data")
        if not isinstance(data, dict) or not data.get("user_id") or not data.get("name"):
            raise ProviderUnavailable("answer without user_id or name")
        level = data.get("auth_level", 1)
        return Identity(subject=str(data["user_id"])[:128], name=str(data["name"])[:64],
                        phone=_or_none(data.get("mobile")), id_number=_or_none(data.get("id_card")),
                        level=level if isinstance(level, int) and 1 <= level <= 3 else 1)


def _or_none(value: Any) -> str | None:
    return str(value) if value else None


BUILTIN = {"dev": DevProvider, "http": HttpProvider}


def provider() -> IdentityProvider | None:
    """This app's identity provider (built once), or None when none is configured."""
    extensions = current_app.extensions
    if "gridhub_idp" not in extensions:
        spec = current_app.config.get("IDENTITY_PROVIDER")
        if not spec:
            instance = None
        elif spec in BUILTIN:
            instance = BUILTIN[spec](current_app.config)
        else:
            module, _, name = spec.partition(":")
            instance = getattr(importlib.import_module(module), name)(current_app.config)
        extensions["gridhub_idp"] = instance
    return extensions["gridhub_idp"]


def resident_for(identity: Identity) -> User:
    """The resident account of a hub identity, created on first sign-in and kept up to date
    with what the hub says (name, phone, ID number, authentication level)."""
    user = User.objects(hub_subject=identity.subject).first()
    if user is None:
        username = "r-" + hashlib.sha256(identity.subject.encode()).hexdigest()[:24]
        user = User(username=username, name=identity.name, role="resident",
                    hub_subject=identity.subject)
    if user.role != "resident" or not user.active:
        raise Unauthorized("该账号不能通过统一身份认证登录", reason="invalid_grant")
    user.name = identity.name
    if identity.phone:
        user.phone = identity.phone
    if identity.id_number:
        user.id_number = identity.id_number
    user.auth_level = identity.level
    try:
        return user.save()
    except NotUniqueError:  # two first sign-ins at once: the other created it
        return User.objects.get(hub_subject=identity.subject)
