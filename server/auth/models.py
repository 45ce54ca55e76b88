"""Users and our signing keys."""

from __future__ import annotations

from datetime import UTC, datetime

from mongoengine import (
    BooleanField,
    DateTimeField,
    DictField,
    Document,
    ListField,
    StringField,
)

from workflows.case_machine import ROLES


def utcnow() -> datetime:
    return datetime.now(UTC)


class User(Document):
    """A person: staff bound to a region node or a department, or a resident."""

    username = StringField(required=True, unique=True, regex=r"^[A-Za-z0-9_.@-]{2,64}$")
    password_hash = StringField()
    name = StringField(required=True, max_length=64)
    phone = StringField(regex=r"^1\d{10}$")
    role = StringField(required=True, choices=ROLES)
    org = StringField()  # a region code or a department code
    org_kind = StringField(choices=("region", "department"))
    grids = ListField(StringField())  # extra grids a grid worker covers, besides `org`
    active = BooleanField(default=True)
    created_at = DateTimeField(default=utcnow)

    meta = {"collection": "users", "indexes": ["org", "role"]}


class SigningKey(Document):
    """An asymmetric key we sign access tokens with; its public half is published as a JWK."""

    kid = StringField(primary_key=True)
    alg = StringField(required=True, choices=("ES256", "RS256"))
    private_pem = StringField(required=True)
    public_jwk = DictField(required=True)
    active = BooleanField(default=True)
    created_at = DateTimeField(default=utcnow)

    meta = {"collection": "signing_keys", "indexes": [("active", "-created_at")]}
