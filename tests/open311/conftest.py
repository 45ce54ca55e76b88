"""Open311 fixtures: a sister app's Open311 key, reading and posting with it."""

from __future__ import annotations

import pytest

from tests.cases import IN_GRID
from tests.http_server import serving

BASE = "/open311/v2"


@pytest.fixture
def api_key(as_user):
    """`api_key(scopes)`: a sister app registered by the admin, and its Open311 key."""

    def make(scopes=("cases:write",)):
        admin = as_user("platform")
        app_id = admin.post("/api/v1/clients", json={"name": "市民热线小程序", "scopes": list(scopes)}).json[
            "id"
        ]
        return admin.post(f"/api/v1/clients/{app_id}/api-key").json["api_key"]

    return make


@pytest.fixture
def key(api_key):
    """The Open311 key of a sister app that posts requests and reads them back."""
    return api_key(("cases:write", "cases:read"))


class Reader:
    """Reads as the sister app whose key posted the requests (its read scope shows them)."""

    def __init__(self, client, key: str) -> None:
        self.client, self.key = client, key

    def get(self, path: str, query_string: dict | None = None):
        return self.client.get(path, query_string={"api_key": self.key, **(query_string or {})})


@pytest.fixture
def reader(client, key):
    return Reader(client, key)


@pytest.fixture
def post(client, key):
    """`post(fmt="json", **form)`: POST requests with a valid key unless one is given."""

    def send(fmt="json", **form):
        body = {
            "api_key": key,
            "service_code": "0102",
            "lat": str(IN_GRID["lat"]),
            "long": str(IN_GRID["lng"]),
            "description": "小区门口垃圾堆积",
            **form,
        }
        return client.post(f"{BASE}/requests.{fmt}", data={k: v for k, v in body.items() if v is not None})

    return send


@pytest.fixture
def http_base(app):
    """The test app on a real HTTP port (for clients that speak HTTP themselves)."""
    with serving(app) as base:
        yield base
