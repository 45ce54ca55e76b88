"""Two API processes and one worker on one database server, as production runs them.

Each process is a real `gridhub` command with its own connection pool; they share the
session's database server (in a database of this module's own) and a Redis broker. Whatever
the requests race on is decided by the database: the version of a case, the unique index of
an Idempotency-Key.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import redis
from pymongo import MongoClient

from server.extensions.dbserver import free_port
from tests.clock import clock_free
from tests.processes import wait_ready

GRIDHUB = str(Path(sys.executable).parent / "gridhub")
BROKER = os.environ.get("TEST_MULTI_REDIS_URL", "redis://127.0.0.1:6379/12")
BODY = {"category": "0102", "description": "两个进程同时收到的上报",
        "location": {"lat": 36.915, "lng": 121.525}}


def call(base, path, body=None, token=None, headers=None):
    request = urllib.request.Request(
        base + path, data=json.dumps(body).encode() if body is not None else None,
        headers={"Content-Type": "application/json", **(headers or {}),
                 **({"Authorization": f"Bearer {token}"} if token else {})})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.fixture(scope="module")
def cluster(database_uri, tmp_path_factory):
    """(two API base URLs, a client on the shared database, its name)."""
    name = f"multi_{os.getpid()}"
    logs = tmp_path_factory.mktemp("multi")
    env = clock_free({**os.environ, "MONGODB_URI": database_uri, "GRIDHUB_MONGODB_DB": name,
                     "CELERY_BROKER_URL": BROKER, "GRIDHUB_RATE_LIMITS_ENABLED": "false"})
    redis.Redis.from_url(BROKER).flushdb()
    subprocess.run([GRIDHUB, "seed-demo", "--no-cases"], env=env, check=True, capture_output=True,
                   timeout=120)
    processes, bases = [], []
    for n in range(2):
        port = free_port()
        processes.append(subprocess.Popen([GRIDHUB, "run", "--port", str(port)], env=env,
                                          stdout=(logs / f"api{n}.log").open("w"),
                                          stderr=subprocess.STDOUT))
        bases.append(f"http://127.0.0.1:{port}")
    processes.append(subprocess.Popen(
        [GRIDHUB, "worker", "--pool", "solo", "--without-heartbeat", "--without-mingle",
         "--without-gossip", "--loglevel", "WARNING"], env=env,
        stdout=(logs / "worker.log").open("w"), stderr=subprocess.STDOUT))
    client = MongoClient(database_uri)
    try:
        for n, base in enumerate(bases):
            wait_ready(base, (logs / f"api{n}.log").read_text)
        yield bases, client, name
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        client.drop_database(name)
        client.close()
        redis.Redis.from_url(BROKER).flushdb()


def login(base, username):
    status, body = call(base, "/api/v1/auth/token", {"grant_type": "password", "username": username,
                                                     "password": "demo-password"})
    assert status == 200, body
    return body["access_token"]


def test_concurrent_transitions_on_one_case_through_two_processes_let_exactly_one_win(cluster):
    (a, b), client, name = cluster
    status, case = call(a, "/api/v1/cases", BODY, login(a, "gridworker"))
    assert status == 201, case
    token = login(b, "dispatcher")
    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(lambda n: call((a, b)[n % 2], f"/api/v1/cases/{case['id']}/transitions",
                                               {"action": "accept"}, token), range(10)))
    statuses = sorted(status for status, _ in answers)
    assert statuses == [200] + [409] * 9, answers
    stored = client[name].cases.find_one({"code": case["code"]})
    assert stored["status"] == "accepted"
    assert [entry["action"] for entry in stored["history"]] == ["report", "accept"]


def test_concurrent_replays_of_one_idempotency_key_through_two_processes_make_one_case(cluster):
    (a, b), client, name = cluster
    token = login(a, "gridworker")
    headers = {"Idempotency-Key": f"multi-{time.time_ns()}"}
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda n: call((a, b)[n % 2], "/api/v1/cases", BODY, token, headers),
                                range(8)))
    assert {status for status, _ in answers} <= {200, 201}, answers
    assert len({body["id"] for _, body in answers}) == 1
    assert [status for status, _ in answers].count(201) == 1
    stored = client[name].cases.count_documents(
        {"idempotency_key": {"$gte": "user:", "$lt": "user:\uffff"}, "idempotency_hash": {"$ne": None},
         "code": answers[0][1]["code"]})
    assert stored == 1
    assert client[name].cases.count_documents(
        {"idempotency_key": {"$exists": True, "$ne": None}}) == 1


def test_the_worker_delivers_a_dispatch_made_through_either_process_to_the_handlers_inbox(cluster):
    (a, b), client, name = cluster
    status, case = call(a, "/api/v1/cases", BODY, login(a, "gridworker"))
    assert status == 201
    dispatcher = login(b, "dispatcher")
    path = f"/api/v1/cases/{case['id']}/transitions"
    assert call(b, path, {"action": "accept"}, dispatcher)[0] == 200
    assert call(a, path, {"action": "dispatch", "department": "371083-cgj"}, dispatcher)[0] == 200
    handler = login(a, "handler")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        status, inbox = call(b, "/api/v1/me/notifications", token=handler)
        mine = [n for n in inbox if n.get("case_code") == case["code"] and n["type"] == "dispatch"]
        if mine:
            break
        time.sleep(0.2)
    assert len(mine) == 1, inbox
