"""`gridhub run` as a new user starts it: a real HTTP server on the embedded database."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.clock import clock_free


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_run(data_dir, *args: str) -> tuple[subprocess.Popen, str]:
    """`gridhub run` as `make run` starts it (no MONGODB_URI: the embedded database)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("MONGODB_URI", "CELERY_BROKER_URL")}
    env.update(GRIDHUB_SLA_SWEEP_SECONDS="1", GRIDHUB_DATA_DIR=str(data_dir))
    process = subprocess.Popen(
        [sys.executable, "-c", "from server.cli import cli; cli()", "run", "--port", str(port),
         *args], env=clock_free(env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{base}/readyz", timeout=1)
            return process, base
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.1)
    process.kill()
    pytest.fail("gridhub run did not start:\n" + process.stdout.read())


def stop_run(process: subprocess.Popen) -> str:
    process.terminate()
    output, _ = process.communicate(timeout=30)
    return output


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    process, base = start_run(tmp_path_factory.mktemp("embedded"))
    yield base
    stop_run(process)


def call(base, path, body=None, token=None, method=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def login(base, username):
    status, body = call(base, "/api/v1/auth/token",
                        {"grant_type": "password", "username": username,
                         "password": "demo-password"})
    assert status == 200, body
    return body["access_token"]


def test_the_embedded_server_walks_a_case_through_the_closed_loop(server):
    tokens = {u: login(server, u) for u in ("gridworker", "dispatcher", "handler", "supervisor")}
    status, case = call(server, "/api/v1/cases",
                        {"category": "0102", "description": "路边暴露垃圾",
                         "location": {"lat": 36.915, "lng": 121.525}}, tokens["gridworker"])
    assert status == 201, case
    steps = [("dispatcher", {"action": "accept"}),
             ("dispatcher", {"action": "dispatch", "department": "371083-cgj"}),
             ("handler", {"action": "sign"}),
             ("handler", {"action": "handle", "result": "已清理"}),
             ("gridworker", {"action": "verify_pass"})]
    for username, body in steps:
        status, case = call(server, f"/api/v1/cases/{case['id']}/transitions", body,
                            tokens[username])
        assert status == 200, case
    assert case["status"] == "closed"
    status, history = call(server, f"/api/v1/cases/{case['id']}/history",
                           token=tokens["supervisor"])
    assert [e["action"] for e in history] == ["report", "accept", "dispatch", "sign", "handle",
                                              "verify_pass"]


def test_the_embedded_worker_brings_a_dispatch_to_the_handlers_inbox(server):
    tokens = {u: login(server, u) for u in ("gridworker", "dispatcher", "handler")}
    status, case = call(server, "/api/v1/cases",
                        {"category": "0102", "description": "路边暴露垃圾",
                         "location": {"lat": 36.915, "lng": 121.525}}, tokens["gridworker"])
    for body in ({"action": "accept"}, {"action": "dispatch", "department": "371083-cgj"}):
        assert call(server, f"/api/v1/cases/{case['id']}/transitions", body, tokens["dispatcher"])[0] == 200
    deadline, inbox = time.monotonic() + 20, []
    while time.monotonic() < deadline and not inbox:
        time.sleep(0.2)
        inbox = [n for n in call(server, "/api/v1/me/notifications", token=tokens["handler"])[1]
                 if n["case"] == case["id"]]
    assert [n["title"] for n in inbox] == ["新派遣案件待签收"]


def test_the_embedded_server_answers_bad_input_with_the_envelope(server):
    token = login(server, "gridworker")
    status, body = call(server, "/api/v1/cases", {"category": "0102"}, token)
    assert status == 422
    assert body["errors"]["reason"] == "validation_error"


def test_the_embedded_worker_and_beat_give_yellow_cards_on_their_own(server):
    admin, worker = login(server, "admin"), login(server, "gridworker")
    profile = {"code": "one-minute", "name": "一分钟受理",
               "rules": [{"limits": {"accept": {"amount": 1, "unit": "min"}}}],
               "warn": {"percent": 1}}
    assert call(server, "/api/v1/sla-profiles", profile, login(server, "platform"))[0] == 201
    assert call(server, "/api/v1/regions/371083/sla-profile", {"profile": "one-minute"}, admin,
                method="PUT")[0] == 200
    status, case = call(server, "/api/v1/cases",
                        {"category": "0102", "description": "路边暴露垃圾",
                         "location": {"lat": 36.915, "lng": 121.525}}, worker)
    assert status == 201, case
    deadline = time.monotonic() + 20
    actions: list[str] = []
    while time.monotonic() < deadline and "sla.warning" not in actions:
        time.sleep(0.3)
        actions = [e["action"] for e in call(server, f"/api/v1/cases/{case['id']}/history",
                                             token=worker)[1]]
    assert actions == ["report", "sla.warning"]


def test_a_case_filed_before_a_restart_is_there_after_it_and_fresh_starts_empty(tmp_path):
    process, base = start_run(tmp_path)
    status, case = call(base, "/api/v1/cases", {"category": "0102", "description": "重启前的上报",
                                                "location": {"lat": 36.915, "lng": 121.525}},
                        login(base, "gridworker"))
    assert status == 201, case
    first = stop_run(process)
    assert process.returncode == 0
    assert "embedded database stopped" in first and "demo county 乳山市 loaded" in first

    process, base = start_run(tmp_path)
    status, kept = call(base, f"/api/v1/cases/{case['id']}", token=login(base, "dispatcher"))
    second = stop_run(process)
    assert (status, kept["code"]) == (200, case["code"])
    assert "kept across restarts" in second and "loaded" not in second

    process, base = start_run(tmp_path, "--fresh")
    status, _ = call(base, f"/api/v1/cases/{case['id']}", token=login(base, "dispatcher"))
    stop_run(process)
    assert status == 404


def readme_walk() -> str:
    """The README's curl walk through the closed loop, as a user would paste it."""
    text = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    return text.split("A walk through the closed loop with curl", 1)[1].split("```sh\n", 1)[1] \
        .split("```", 1)[0]


def test_the_readmes_walk_closes_a_new_case_each_time_it_is_run(server):
    host = server.removeprefix("http://")
    runs = [subprocess.run(["bash", "-euc", readme_walk().replace("localhost:5000", host)],
                           capture_output=True, text=True, timeout=120) for _ in range(2)]
    histories = [json.loads(run.stdout.strip().splitlines()[-1]) for run in runs]
    assert [[entry["action"] for entry in history] for history in histories] == [
        ["report", "accept", "dispatch", "sign", "handle", "verify_pass"]] * 2
    cases = [json.loads(run.stdout.splitlines()[0])["id"] for run in runs]  # accept's answer
    assert cases[0] != cases[1]  # two cases, not the first one answered again
