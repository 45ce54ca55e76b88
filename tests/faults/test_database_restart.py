"""The database server stopped while gridhub serves, then started again: requests meanwhile get
the 503 envelope, requests after the restart succeed, and every acknowledged write is there.

Real processes: a SecantusDB server on a folder of the test's own (persistent storage), and
`gridhub run` on it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from server.extensions.dbserver import DatabaseServer, free_port
from tests.clock import clock_free, clock_free_env
from tests.e2e.test_embedded_run import call, login
from tests.processes import wait_ready

GRIDHUB = str(Path(sys.executable).parent / "gridhub")
BODY = {"category": "0102", "description": "数据库重启前后的上报",
        "location": {"lat": 36.915, "lng": 121.525}}


def test_requests_get_503_while_the_database_is_down_and_succeed_after_it_restarts(tmp_path):
    database = DatabaseServer(tmp_path / "data", port=free_port(), env=clock_free_env())
    database.start()
    port, log = free_port(), tmp_path / "api.log"
    env = clock_free({**os.environ, "MONGODB_URI": database.uri, "GRIDHUB_MONGODB_DB": "restart",
                     "GRIDHUB_RATE_LIMITS_ENABLED": "false"})
    subprocess.run([GRIDHUB, "seed-demo", "--no-cases"], env=env, check=True, capture_output=True,
                   timeout=120)
    api = subprocess.Popen([GRIDHUB, "run", "--port", str(port)], env=env,
                           stdout=log.open("w"), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, log.read_text)
        token = login(base, "gridworker")
        acknowledged = []
        for _ in range(3):
            status, case = call(base, "/api/v1/cases", BODY, token)
            assert status == 201, case
            acknowledged.append(case["code"])

        database.stop()
        status, body = call(base, "/api/v1/cases", BODY, token)
        assert status == 503
        assert body["errors"]["reason"] == "database_unavailable"
        assert body["message"] == "数据库暂时不可用，请稍后重试"

        database.start()
        status, case = call(base, "/api/v1/cases", BODY, token)
        assert status == 201, case
        acknowledged.append(case["code"])
        status, listed = call(base, "/api/v1/cases?page_size=50", token=token)
        assert status == 200
        assert sorted(c["code"] for c in listed) == sorted(acknowledged)
    finally:
        api.terminate()
        api.wait(timeout=20)
        database.stop()
