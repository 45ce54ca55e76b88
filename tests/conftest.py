"""Fixtures: one app per session on mongomock (or TEST_MONGODB_URI), a clean database per test."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

import pytest
from mongoengine.connection import get_db

from server import TestConfig, create_app
from server.auth.models import User
from server.auth.passwords import hash_password
from server.auth.principals import user_claims
from server.auth.tokens import issue_access_token
from server.catalog import calendars, sla_profiles
from server.catalog import service as catalog
from server.demo import DEMO_PASSWORD, seed_demo
from server.grids.service import grid_index

pytest_plugins = ["tests.cases", "tests.push", "tests.redis_server"]

DEMO_HASH = hash_password(DEMO_PASSWORD)


def pytest_sessionfinish(session, exitstatus):
    """Stop the rate limiter's in-memory expiry timers (limits' MemoryStorage), which are not
    daemon threads. Under libfaketime (`faketime … make test`) a timed wait on a lock never
    times out, so the run would finish its tests and then hang at exit waiting for them."""
    for thread in threading.enumerate():
        if isinstance(thread, threading.Timer):
            thread.cancel()


@pytest.fixture(scope="session")
def app():
    override = {"MONGODB_DB": f"gridhub_test_{os.getpid()}"}
    if os.environ.get("TEST_MONGODB_URI"):
        override["MONGODB_URI"] = os.environ["TEST_MONGODB_URI"]
    app = create_app(TestConfig, override)
    with app.app_context():
        yield app
        if app.config["MONGODB_URI"]:
            get_db().client.drop_database(app.config["MONGODB_DB"])


@pytest.fixture(autouse=True)
def clean_db(app):
    yield
    db = get_db()
    for name in db.list_collection_names():
        # Empty, not drop: mongoengine creates each collection's indexes once per process.
        db[name].delete_many({})
    grid_index.reset()
    catalog.clear_cache()
    calendars.clear_cache()
    sla_profiles.clear_cache()
    app.extensions["gridhub_keyring"].clear()
    app.extensions["gridhub_verified"].clear()
    app.extensions["gridhub_user_state"].clear()
    app.extensions["gridhub_limiter"].reset()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def demo(app):
    """The demo county's town centre (8 grids) with its six demo users."""
    seed_demo(password_hash=DEMO_HASH, whole_county=False)


class ApiClient:
    """A test client that sends one principal's bearer token with every request."""

    def __init__(self, client, token: str | None) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def _call(self, method: str, path: str, headers: dict | None = None, **kwargs):
        return self.client.open(path, method=method, headers={**self.headers, **(headers or {})},
                                **kwargs)

    def get(self, path, **kwargs):
        return self._call("GET", path, **kwargs)

    def post(self, path, **kwargs):
        return self._call("POST", path, **kwargs)

    def patch(self, path, **kwargs):
        return self._call("PATCH", path, **kwargs)

    def put(self, path, **kwargs):
        return self._call("PUT", path, **kwargs)

    def delete(self, path, **kwargs):
        return self._call("DELETE", path, **kwargs)


def token_for(username: str) -> str:
    user = User.objects.get(username=username)
    return issue_access_token(subject=f"user:{user.id}", claims=user_claims(user))[0]


@pytest.fixture
def as_user(app, demo) -> Callable[[str], ApiClient]:
    """`as_user("dispatcher")`: a client signed in as that demo (or factory-made) user."""
    return lambda username: ApiClient(app.test_client(), token_for(username))


@pytest.fixture
def anonymous(app) -> ApiClient:
    return ApiClient(app.test_client(), None)
