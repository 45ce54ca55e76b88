"""Who is calling: the principal built from a verified access token."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app, request

from server.auth.tokens import verify_access_token
from server.errors import Unauthorized
from workflows.history import Actor


@dataclass(frozen=True)
class Principal:
    kind: str  # "user" or "client"
    id: str
    name: str
    roles: frozenset[str]
    org: str | None = None
    org_kind: str | None = None
    grids: frozenset[str] = frozenset()
    scopes: frozenset[str] = frozenset()
    level: int = 0  # hub authentication level of a resident (0: not through the hub)
    county: str | None = None  # the county of a staff member's node (None: residents, platform)

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.id}"

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    def actor(self) -> Actor:
        return Actor(key=self.key, roles=self.roles, name=self.name, org=self.org,
                     grids=self.grids)


def county_of(org: str | None, org_kind: str | None) -> str | None:
    """The county (six-digit code) a node belongs to: a region's first six digits, a
    department's county."""
    if not org:
        return None
    if org_kind == "region":
        return org[:6]
    from server.organisation.models import Department

    department = Department.objects(code=org).only("region").first()
    return department.region if department else None


def user_claims(user) -> dict:
    """The claims that make a user's principal (DESIGN §7)."""
    grids = set(user.grids or ())
    if user.role == "grid_worker" and user.org:
        grids.add(user.org)
    claims = {"roles": [user.role], "org": user.org, "org_kind": user.org_kind,
              "county": county_of(user.org, user.org_kind), "tv": user.token_version or 0,
              "grids": sorted(grids), "name": user.name, "scope": ""}
    if user.auth_level:  # a resident signed in through the hub: its authentication level
        claims["level"] = user.auth_level
    return claims


def principal_from_claims(claims: dict) -> Principal:
    kind, _, ident = str(claims["sub"]).partition(":")
    if kind not in ("user", "client") or not ident:
        raise Unauthorized("令牌主体无效", reason="invalid_token")
    return Principal(
        kind=kind, id=ident, name=str(claims.get("name") or ""),
        roles=frozenset(claims.get("roles") or ()), org=claims.get("org"),
        org_kind=claims.get("org_kind"), grids=frozenset(claims.get("grids") or ()),
        scopes=frozenset(str(claims.get("scope") or "").split()),
        level=claims["level"] if isinstance(claims.get("level"), int) else 0,
        county=claims.get("county") if isinstance(claims.get("county"), str) else None,
    )


def _client_active(client_id: str) -> bool:
    from bson import ObjectId
    from bson.errors import InvalidId

    from server.auth.models import Client

    try:
        return Client.objects(id=ObjectId(client_id), active=True).only("id").first() is not None
    except InvalidId:
        return False


USER_STATE_SECONDS = 5.0


def _user_current(user_id: str, token_version: Any) -> bool:
    """The user still exists, is active, and nothing the token asserts has changed since."""
    from bson import ObjectId
    from bson.errors import InvalidId

    from server.auth.models import User

    if not isinstance(token_version, int):
        return False
    try:
        user = User.objects(id=ObjectId(user_id)).only("active", "token_version").first()
    except InvalidId:
        return False
    # Read by `_id` alone, judged here: one index look-up on every server.
    return user is not None and user.active and (user.token_version or 0) == token_version


def authenticate() -> Principal:
    """The principal of the current request; Unauthorized without a valid bearer token."""
    cached = request.environ.get("gridhub.principal")
    if cached is not None:
        return cached
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("缺少访问令牌", reason="missing_token",
                           headers={"WWW-Authenticate": 'Bearer realm="gridhub"'})
    claims = verify_access_token(token.strip())
    principal = principal_from_claims(claims)
    if principal.kind == "client" and not _client_active(principal.id):
        raise Unauthorized("接入应用已停用", reason="client_disabled")
    # A deactivated, demoted or re-passworded user's token stops at once in the process that
    # made the change (it clears this cache) and within USER_STATE_SECONDS in every other: one
    # indexed read per user and process in that time, not one per request.
    if principal.kind == "user":
        version = claims.get("tv", 0)
        current = current_app.extensions["gridhub_user_state"].get(
            f"{principal.id}:{version}", lambda: _user_current(principal.id, version))
        if not current:
            raise Unauthorized("登录已失效，请重新登录", reason="token_stale")
    request.environ["gridhub.claims"] = claims
    request.environ["gridhub.principal"] = principal
    return principal
