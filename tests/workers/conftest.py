"""A real Celery worker on the real Redis (DESIGN §3): the test command starts a redis-server
when none listens on 127.0.0.1:6379."""

from __future__ import annotations

import contextlib
import time

import pytest
from celery.contrib.testing.worker import start_worker
from kombu import pools

from notifications.celery_app import bind
from tests.redis_server import REDIS_URL


def _reset_connections(celery) -> None:
    """Forget pooled broker connections so the next use connects to the new broker URL."""
    pools.reset()
    celery._pool = None
    celery.amqp._producer_pool = None


@contextlib.contextmanager
def worker_on(app, broker_url: str):
    """A worker thread consuming from `broker_url`, bound to the test app; the queue starts
    empty, and the app publishes there too."""
    celery = bind(app)
    previous = celery.conf.broker_url
    celery.conf.broker_url = broker_url
    _reset_connections(celery)
    with celery.connection_for_write() as connection:
        connection.default_channel.queue_purge(celery.conf.task_default_queue)
    try:
        with start_worker(celery, pool="solo", perform_ping_check=False, shutdown_timeout=20):
            yield celery
    finally:
        celery.conf.broker_url = previous
        _reset_connections(celery)


@pytest.fixture
def celery_worker(app):
    """A worker thread on the real Redis."""
    with worker_on(app, REDIS_URL) as celery:
        yield celery


def wait_for(predicate, timeout: float = 15.0, interval: float = 0.05):
    """Poll until predicate() is truthy (a worker is asynchronous); return its value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("timed out waiting for the worker")
