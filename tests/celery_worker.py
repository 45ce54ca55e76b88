"""A real Celery worker thread on a real broker, for any test that needs alerts delivered."""

from __future__ import annotations

import contextlib
import time

from celery.contrib.testing.worker import start_worker
from kombu import pools


def _reset_connections(celery) -> None:
    """Forget pooled broker connections so the next use connects to the new broker URL."""
    pools.reset()
    celery._pool = None
    celery.amqp._producer_pool = None


@contextlib.contextmanager
def worker_on(app, broker_url: str):
    """A worker thread consuming from `broker_url`, bound to the test app; the queue starts
    empty, and the app publishes there too."""
    celery = app.extensions["celery"]
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


def wait_for(predicate, timeout: float = 15.0, interval: float = 0.05):
    """Poll until predicate() is truthy (a worker is asynchronous); return its value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("timed out waiting for the worker")
