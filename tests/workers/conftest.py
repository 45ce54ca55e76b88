"""A real Celery worker on the real Redis (DESIGN §3): the test command starts a redis-server
when none listens on 127.0.0.1:6379."""

from __future__ import annotations

import os
import time

import pytest
from celery.contrib.testing.worker import start_worker
from kombu import pools

from notifications.celery_app import bind

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _reset_connections(celery) -> None:
    """Forget pooled broker connections so the next use connects to the new broker URL."""
    pools.reset()
    celery._pool = None
    celery.amqp._producer_pool = None


@pytest.fixture
def celery_worker(app):
    """A worker thread consuming from Redis, bound to the test app; the queue starts empty."""
    celery = bind(app)
    previous = celery.conf.broker_url
    celery.conf.broker_url = REDIS_URL
    _reset_connections(celery)
    with celery.connection_for_write() as connection:
        connection.default_channel.queue_purge(celery.conf.task_default_queue)
    with start_worker(celery, pool="solo", perform_ping_check=False, shutdown_timeout=20):
        yield celery
    celery.conf.broker_url = previous
    _reset_connections(celery)


def wait_for(predicate, timeout: float = 15.0, interval: float = 0.05):
    """Poll until predicate() is truthy (a worker is asynchronous); return its value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("timed out waiting for the worker")
