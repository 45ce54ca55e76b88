"""A real Celery worker on the real Redis (DESIGN §3): the test command starts a redis-server
when none listens on 127.0.0.1:6379."""

from __future__ import annotations

import pytest

from tests.celery_worker import worker_on
from tests.redis_server import REDIS_URL


@pytest.fixture
def celery_worker(app):
    """A worker thread on the real Redis."""
    with worker_on(app, REDIS_URL) as celery:
        yield celery
