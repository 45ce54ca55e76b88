"""A worker process killed with SIGKILL in the middle of a push batch, then started again:
every notification is delivered exactly once (DESIGN §8).

Everything here is a separate process, as in production: the database (the session's database
server, in a database of this test's own), the Redis broker, the worker (`gridhub worker`), and
the fake FCM it pushes to. The test plays beat's part by sending the delivery
recovery task."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis
from bson import ObjectId
from celery import Celery
from pymongo import MongoClient

from server.inbox.models import Device, Notification
from tests.celery_worker import wait_for
from tests.clock import child_env

BROKER = os.environ.get("TEST_KILL_REDIS_URL", "redis://127.0.0.1:6379/14")
PUSHES = 1000
LEASE_SECONDS = 3


@pytest.fixture
def shared_db(database_uri):
    """The session's database server, and a database of this test's own: (client, uri, name)."""
    name = f"killed_{os.getpid()}"
    client = MongoClient(database_uri)
    client.drop_database(name)
    yield client, database_uri, name
    client.drop_database(name)
    client.close()


@pytest.fixture
def broker():
    """Redis database 14, emptied before and after (a killed worker's unacknowledged message
    would otherwise come back in a later run)."""
    redis.Redis.from_url(BROKER).flushdb()
    yield Celery("probe", broker=BROKER)
    redis.Redis.from_url(BROKER).flushdb()


@pytest.fixture
def worker_process(shared_db, fake_fcm, tmp_path):
    """Start `gridhub worker` (solo pool, one process: SIGKILL takes all of it)."""
    _, uri, name = shared_db
    env = {**os.environ, "MONGODB_URI": uri, "GRIDHUB_MONGODB_DB": name,
           "CELERY_BROKER_URL": BROKER, "GRIDHUB_FCM_CREDENTIALS": fake_fcm.credentials,
           "GRIDHUB_FCM_ENDPOINT": fake_fcm.url,
           "GRIDHUB_DELIVERY_LEASE_SECONDS": str(LEASE_SECONDS)}
    started = []

    def start() -> subprocess.Popen:
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / "gridhub"), "worker", "--pool", "solo",
             "--without-heartbeat", "--without-mingle", "--without-gossip", "--loglevel", "WARNING"],
            env=child_env(env), stdout=tmp_path.joinpath("worker.log").open("a"),
            stderr=subprocess.STDOUT)
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait()


def _seed(db) -> list[str]:
    """PUSHES users with one phone each, and a pending push notification for each of them."""
    now = datetime.now(UTC)
    users = [str(ObjectId()) for _ in range(PUSHES)]
    db.devices.insert_many([Device(user=user, platform="android", token=f"phone-{i:05d}-" + "k" * 24)
                            .to_mongo().to_dict() for i, user in enumerate(users)])
    documents = [Notification(event_key=f"case:{'0' * 24}:{i + 1}", recipient=user, channel="fcm",
                              case="0" * 24, case_code="RS2026000001", seq=i + 1, type="dispatch",
                              title="新派遣案件待签收", body="案件 RS2026000001（暴露垃圾）",
                              data={"case_id": "0" * 24, "type": "dispatch"},
                              status="pending", next_attempt_at=now, created_at=now)
                 .to_mongo().to_dict() for i, user in enumerate(users)]
    return [str(ident) for ident in db.notifications.insert_many(documents).inserted_ids]


def test_a_worker_killed_mid_batch_and_restarted_delivers_every_push_exactly_once(
        shared_db, broker, worker_process, fake_fcm):
    client, _, name = shared_db
    db = client[name]
    ids = _seed(db)
    for start in range(0, len(ids), 500):
        broker.send_task("gridhub.deliver", args=[ids[start:start + 500]])
    fake_fcm.set(latency=0.3)
    worker = worker_process()
    wait_for(lambda: len(fake_fcm.received()) >= 300 and fake_fcm.in_flight > 0, timeout=120)
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait()
    before_restart = len(fake_fcm.received())
    assert 300 <= before_restart < PUSHES
    assert db.notifications.count_documents({"status": "sending"}) > 0  # claims left by the dead

    fake_fcm.set(latency=0.0)
    worker_process()

    def all_sent() -> bool:
        broker.send_task("gridhub.recover_deliveries")  # beat's part, every 30 s in production
        return db.notifications.count_documents({"status": "sent"}) == PUSHES

    wait_for(all_sent, timeout=120, interval=1.0)
    received = Counter(message["data"]["notification_id"] for message in fake_fcm.received())
    assert set(received) == set(ids) and set(received.values()) == {1}
