"""Users and our signing keys."""

from __future__ import annotations

from mongoengine import (
    BooleanField,
    DateTimeField,
    DictField,
    Document,
    IntField,
    ListField,
    StringField,
)

from server.pii import SealedValue
from server.timeutil import now_utc
from workflows.case_table import ROLES

UPDATE_CHANNELS = ("inbox", "push", "sms")


class User(Document):
    """A person: staff bound to a region node or a department, or a resident."""

    username = StringField(required=True, unique=True, regex=r"^[A-Za-z0-9_.@-]{2,64}$")
    password_hash = StringField()
    name = StringField(required=True, max_length=64)
    # Personal data sealed at rest with a keyed digest for exact lookup (server/pii.py).
    phone_sealed = StringField()
    phone_digest = StringField()
    id_number_sealed = StringField()
    id_number_digest = StringField()
    hub_subject = StringField()  # a resident's identity at the hub's SSO (token exchange)
    auth_level = IntField()  # the hub's authentication level at the last sign-in (1–3)
    role = StringField(required=True, choices=ROLES)
    org = StringField()  # a region code or a department code
    org_kind = StringField(choices=("region", "department"))
    grids = ListField(StringField())  # extra grids a grid worker covers, besides `org`
    active = BooleanField(default=True)
    # Bumped by every change of what a token asserts (role, node, grids, state, password): a
    # token carrying an older version is refused at once (`tv` claim).
    token_version = IntField(default=0)
    # The channels on which the user hears how their own reports go (受理, 派遣, 办结 …):
    # /me/preferences. SMS is asked for, and then used for urgent cases only.
    case_update_channels = ListField(StringField(choices=UPDATE_CHANNELS),
                                     default=lambda: ["inbox", "push"])
    created_at = DateTimeField(default=now_utc)

    meta = {"collection": "users", "indexes": [
        "org", "role", "phone_digest",
        {"fields": ["hub_subject"], "unique": True, "sparse": True}]}

    phone = SealedValue()  # clear-text views of the sealed fields above
    id_number = SealedValue()


class SigningKey(Document):
    """An asymmetric key we sign access tokens with; its public half is published as a JWK."""

    kid = StringField(primary_key=True)
    alg = StringField(required=True, choices=("ES256", "RS256"))
    private_pem = StringField(required=True)
    public_jwk = DictField(required=True)
    active = BooleanField(default=True)  # false once retired by a rotation
    created_at = DateTimeField(default=now_utc)
    retired_at = DateTimeField()  # still published and honoured until its tokens expired

    meta = {"collection": "signing_keys", "indexes": [("active", "-created_at")]}


class LoginThrottle(Document):
    """Password attempts per username and source address — kept whether or not the user
    exists, so that a lockout reveals nothing about which usernames are real."""

    username = StringField(primary_key=True)  # "<lower-cased username>|<source address>"
    failures = IntField(default=0)
    locked_until = DateTimeField()
    updated_at = DateTimeField(default=now_utc)

    meta = {"collection": "login_throttle"}


class RefreshToken(Document):
    """An opaque refresh token, stored as its SHA-256. Each use spends it and issues the next of
    its family; presenting a spent one again revokes the whole family (it was stolen)."""

    token_hash = StringField(required=True, unique=True)
    family = StringField(required=True)
    subject = StringField(required=True)  # "user:<id>"
    scope = StringField(default="")
    created_at = DateTimeField(required=True, default=now_utc)
    expires_at = DateTimeField(required=True)
    spent_at = DateTimeField()
    revoked_at = DateTimeField()

    meta = {"collection": "refresh_tokens", "indexes": ["family", "subject", "expires_at"]}


class RevokedToken(Document):
    """An access token revoked before its expiry (logout), by `jti`, kept until it expires."""

    jti = StringField(primary_key=True)
    expires_at = DateTimeField(required=True)

    meta = {"collection": "revoked_tokens", "indexes": [{"fields": ["expires_at"], "expireAfterSeconds": 0}]}


SCOPES = ("cases:read", "cases:write", "cases:transition", "stats:read", "hub:read", "webhooks")


class Client(Document):
    """A sister app (video-AI, IoT platform, another hub app) that calls us with its own token.

    It authenticates with a secret (stored as an argon2 hash, shown once) or with
    `private_key_jwt` against its registered public JWK."""

    name = StringField(required=True, max_length=100)
    scopes = ListField(StringField(choices=SCOPES))
    secret_hash = StringField()
    public_jwk = DictField()
    webhook_urls = ListField(StringField(max_length=2048))  # where its webhooks may point
    # Open311's api_key (GeoReport v2 clients send it in the form): SHA-256 of a high-entropy
    # key shown once; looked up by its hash.
    api_key_hash = StringField()
    # A machine reporter's rules (video AI, IoT): min_confidence to file at all, auto_accept
    # (file into 受理 as its own action) from this confidence, and the window (minutes) and
    # radius (m) in which a device's same detection is a sighting of its open case.
    detection = DictField()
    active = BooleanField(default=True)
    created_by = StringField()
    created_at = DateTimeField(required=True, default=now_utc)

    meta = {"collection": "clients",
            "indexes": [{"fields": ["api_key_hash"], "unique": True, "sparse": True}]}


class UsedAssertion(Document):
    """A client assertion's `jti`, kept until the assertion expires: each is good once."""

    key = StringField(primary_key=True)  # "<client id>:<jti>"
    expires_at = DateTimeField(required=True)

    meta = {"collection": "used_assertions",
            "indexes": [{"fields": ["expires_at"], "expireAfterSeconds": 0}]}
