"""Fixtures: one app per session on a real database server — a SecantusDB server started for
the session with `:memory:` storage, or the MongoDB of TEST_MONGODB_URI — and a clean database
per test."""

from __future__ import annotations

import copy
import os
import threading
from collections.abc import Callable

import pytest
from mongoengine.connection import get_db
from pymongo import monitoring

from server import TestConfig, create_app
from server.auth.models import User
from server.auth.passwords import hash_password
from server.auth.principals import user_claims
from server.auth.tokens import issue_access_token
from server.demo import DEMO_PASSWORD, seed_demo
from server.extensions.cache import clear_all
from server.extensions.dbserver import DatabaseServer
from tests.clock import clock_free_env

pytest_plugins = ["tests.cases", "tests.push", "tests.redis_server"]

DEMO_HASH = hash_password(DEMO_PASSWORD)
WRITES = {"insert", "update", "delete", "findAndModify"}


class CommandLog(monitoring.CommandListener):
    """What this process sends to the database: the collections it wrote to since the last
    clean (the per-test clean empties only those: one round trip each instead of one per
    collection of the schema), and, while `recording` is a list, every command."""

    def __init__(self) -> None:
        self.written: set[str] = set()
        self.recording: list[dict] | None = None

    def started(self, event):
        if event.command_name in WRITES:
            self.written.add(event.command[event.command_name])
        if self.recording is not None:
            self.recording.append(copy.deepcopy(dict(event.command)))

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass


commands = CommandLog()
monitoring.register(commands)  # before any client exists: every client of this process reports


def pytest_sessionfinish(session, exitstatus):
    """Stop the rate limiter's in-memory expiry timers (limits' MemoryStorage), which are not
    daemon threads. Under libfaketime (`faketime … make test`) a timed wait on a lock never
    times out, so the run would finish its tests and then hang at exit waiting for them."""
    for thread in threading.enumerate():
        if isinstance(thread, threading.Timer):
            thread.cancel()


@pytest.fixture(scope="session")
def database_uri():
    """TEST_MONGODB_URI, or a SecantusDB server of this session (outside libfaketime: the
    server's clock is the machine's, as a real database's would be)."""
    if os.environ.get("TEST_MONGODB_URI"):
        yield os.environ["TEST_MONGODB_URI"]
        return
    server = DatabaseServer(":memory:", env=clock_free_env())
    server.start()
    yield server.uri
    server.stop()


@pytest.fixture(scope="session")
def app(database_uri):
    app = create_app(TestConfig, {"MONGODB_DB": f"gridhub_test_{os.getpid()}",
                                  "MONGODB_URI": database_uri})
    with app.app_context():
        yield app
        get_db().client.drop_database(app.config["MONGODB_DB"])


# The demo's documents (seeded once per session) and which of their collections hold them,
# untouched, right now: a test that asks for the demo after one that left them alone finds them
# in place; any write to such a collection empties it, and the next demo test restores it.
_demo_documents: dict[str, list[dict]] = {}
_resident: set[str] = set()


@pytest.fixture(autouse=True)
def clean_db(app, request):
    db = get_db()
    if _resident and "demo" not in request.fixturenames:
        for name in _resident:  # this test expects a database without the demo
            db[name].delete_many({})
        _resident.clear()
    commands.written.clear()
    yield
    if request.node.get_closest_marker("other_processes"):
        # Other processes wrote too (this process did not see their commands).
        names = set(db.list_collection_names())
    else:
        names = commands.written & set(db.list_collection_names())
    for name in names:
        # Empty, not drop: mongoengine creates each collection's indexes once per process.
        db[name].delete_many({})
    _resident.difference_update(names)
    commands.written.clear()
    clear_all()  # every per-process cache
    app.extensions["gridhub_limiter"].reset()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def demo(app):
    """The demo county's town centre (8 grids) with its demo users.

    Seeded once per session (~130 round trips); later tests get the same documents back by one
    insert per collection that is not already in place (see `clean_db`)."""
    db = get_db()
    before = set(commands.written)
    if _demo_documents:
        for name, documents in _demo_documents.items():
            if name not in _resident:
                db[name].insert_many(copy.deepcopy(documents))
    else:
        was_empty = not any(db[name].estimated_document_count()
                            for name in db.list_collection_names())
        seed_demo(password_hash=DEMO_HASH, whole_county=False)
        if not was_empty:  # something of this test's own is in there: no snapshot this time
            return
        _demo_documents.update({name: list(db[name].find()) for name in db.list_collection_names()
                                if db[name].estimated_document_count()})
    _resident.update(_demo_documents)
    commands.written.difference_update(set(_demo_documents) - before)  # not the test's writes


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
