"""Sister-app fixtures: clients registered through the admin API, and their tokens."""

from __future__ import annotations

import secrets
import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

TOKEN_URL = "http://localhost/api/v1/auth/token"  # the token endpoint as the test client sees it


class SisterApp:
    """A sister app with its own EC key pair, registered with `private_key_jwt`."""

    def __init__(self, registered: dict, key) -> None:
        self.id = registered["id"]
        self.key = key

    def assertion(self, **overrides) -> str:
        now = int(time.time())
        claims = {"iss": self.id, "sub": self.id, "aud": TOKEN_URL, "iat": now, "exp": now + 60,
                  "jti": secrets.token_urlsafe(16), **overrides}
        return jwt.encode(claims, self.key, algorithm="ES256")


@pytest.fixture
def register_app(as_user):
    def register(scopes=("cases:write",), **fields):
        key = ec.generate_private_key(ec.SECP256R1())
        jwk = ECAlgorithm.to_jwk(key.public_key(), as_dict=True)
        response = as_user("platform").post("/api/v1/clients", json={
            "name": "视频AI平台", "scopes": list(scopes), "public_jwk": jwk, **fields})
        assert response.status_code == 201, response.json
        return SisterApp(response.json, key)
    return register


@pytest.fixture
def client_token(client):
    def token(app: SisterApp, assertion: str | None = None, **body):
        return client.post("/api/v1/auth/token", data={
            "grant_type": "client_credentials",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion or app.assertion(), **body})
    return token


class OtherCounty:
    """A second county (芝罘区, 370602) with a department, its handler, admin and dispatcher."""

    code = "370602"
    department = "370602-cgj"

    def __init__(self) -> None:
        from server.grids.models import Region
        from server.organisation.models import Department
        from tests.factories import handler_of, staff_of

        Region(code=self.code, name="芝罘区", level="county", path=[self.code]).save()
        Department(code=self.department, name="芝罘区城管局", region=self.code).save()
        self.handler = handler_of(self.department)
        self.admin = staff_of(self.code, "admin")
        self.dispatcher = staff_of(self.code, "dispatcher")


@pytest.fixture
def other_county(demo):
    return OtherCounty()
