"""A real Celery worker on the real Redis (DESIGN §3): the test command starts a redis-server
when none listens on 127.0.0.1:6379."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
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


class RedisServer:
    """A redis-server of the test's own, on a free port, that the test may stop and restart."""

    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"], stdout=subprocess.DEVNULL)
        wait_for(self._answers, timeout=10)

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False


@pytest.fixture
def own_redis():
    server = RedisServer()
    server.start()
    yield server
    server.stop()


def wait_for(predicate, timeout: float = 15.0, interval: float = 0.05):
    """Poll until predicate() is truthy (a worker is asynchronous); return its value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("timed out waiting for the worker")
