"""Mixed load against gridhub under gunicorn, with a bare baseline measured in the same run.

gridhub runs in gunicorn with 2 processes (threads each) on one database server — a SecantusDB
server of the run, or MONGODB_URI — as production runs several processes on one MongoDB
(docs/DEPLOYMENT.md). Requests are sent
open-loop at each offered rate (a request's latency counts from the moment it was due, so a
stalled server is not hidden by a stalled client). The mix, per request:

    30 % report with a photo (upload, then POST /cases — timed separately as `upload` and `report`)
    20 % list cases · 10 % read a case · 15 % transition (accept a new report) · 15 % board · 10 % stats

The baseline is a bare Flask app under the same gunicorn settings doing one insert or one read
per request on the same database server, at the same rates.

    python scripts/bench/load.py [--rates 10,20,40] [--seconds 20] [--workers 2] [--threads 8]
"""

from __future__ import annotations

import argparse
import collections
import io
import os
import platform
import queue
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests
from PIL import Image

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, ROOT)

from scripts.bench.common import database  # noqa: E402

MIX = [("report", 30), ("list", 20), ("get", 10), ("transition", 15), ("board", 15), ("stats", 10)]
IN_GRID = {"lat": 36.915, "lng": 121.525}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(factory: str, workers: int, threads: int, uri: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", str(workers), "--threads", str(threads),
         "-b", f"127.0.0.1:{port}", "--log-level", "warning", "--no-control-socket",
         f"scripts.bench.load_app:{factory}()"],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": ROOT, "MONGODB_URI": uri,
                       "GRIDHUB_MONGODB_DB": "gridhub_bench_load"})
    base = f"http://127.0.0.1:{port}"
    probe = "/readyz" if factory == "gridhub" else "/bare"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if requests.get(base + probe, timeout=5).ok:
                return process, base
        except requests.RequestException:  # not listening yet, or still seeding the demo county
            time.sleep(0.5)
    process.kill()
    raise SystemExit(f"gunicorn ({factory}) did not start")


def photo() -> bytes:
    image = Image.new("RGB", (1600, 1200), (90, 140, 60))
    for x in range(0, 1600, 160):
        image.paste((200, 180, 40), (x, 400, x + 80, 800))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


class Gridhub:
    """The mixed workload's operations; each returns [(name, ok)] for the calls it made."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.local = threading.local()
        self.photo = photo()
        self.reported: queue.SimpleQueue[str] = queue.SimpleQueue()
        self.cases: list[str] = []
        self.tokens = {u: self.token(u) for u in ("gridworker", "dispatcher", "supervisor")}

    def token(self, username: str) -> str:
        answer = requests.post(f"{self.base}/api/v1/auth/token", json={
            "grant_type": "password", "username": username, "password": "demo-password"}, timeout=30)
        answer.raise_for_status()
        return answer.json()["access_token"]

    def call(self, method: str, path: str, user: str, **kwargs) -> requests.Response:
        session = getattr(self.local, "session", None) or requests.Session()
        self.local.session = session
        headers = {"Authorization": f"Bearer {self.tokens[user]}", **kwargs.pop("headers", {})}
        return session.request(method, self.base + path, headers=headers, timeout=30, **kwargs)

    def run(self, op: str, timed) -> None:
        if op == "report":
            upload = timed("upload", lambda: self.call("POST", "/api/v1/attachments", "gridworker",
                                                        files={"file": ("p.jpg", self.photo, "image/jpeg")}))
            if upload is None or upload.status_code != 201:
                return
            body = {"category": "0102", "description": "负载测试：暴露垃圾", "location": IN_GRID,
                    "attachments": [upload.json()["id"]]}
            created = timed("report", lambda: self.call("POST", "/api/v1/cases", "gridworker", json=body))
            if created is not None and created.status_code == 201:
                self.reported.put(created.json()["id"])
                self.cases.append(created.json()["id"])
        elif op == "list":
            timed("list", lambda: self.call("GET", "/api/v1/cases", "dispatcher", params={"page_size": 20}))
        elif op == "get" and self.cases:
            case_id = random.choice(self.cases)
            timed("get", lambda: self.call("GET", f"/api/v1/cases/{case_id}", "dispatcher"))
        elif op == "transition":
            try:
                case_id = self.reported.get_nowait()
            except queue.Empty:
                return
            timed("transition", lambda: self.call("POST", f"/api/v1/cases/{case_id}/transitions",
                                                  "dispatcher", json={"action": "accept"}))
        elif op == "board":
            timed("board", lambda: self.call("GET", "/api/v1/supervision/board", "supervisor"))
        elif op == "stats":
            timed("stats", lambda: self.call("GET", "/api/v1/stats", "supervisor",
                                             params={"group_by": "department"}))


class Bare:
    def __init__(self, base: str) -> None:
        self.base = base
        self.local = threading.local()

    def run(self, op: str, timed) -> None:
        session = getattr(self.local, "session", None) or requests.Session()
        self.local.session = session
        if op in ("report", "transition"):
            timed("bare insert", lambda: session.post(self.base + "/bare", json={"description": "x"},
                                                      timeout=30))
        else:
            timed("bare read", lambda: session.get(self.base + "/bare", timeout=30))


def drive(target, rate: float, seconds: float, clients: int) -> dict[str, list]:
    """Open loop: one operation due every 1/rate s; latency counted from when it was due."""
    results: dict[str, list] = collections.defaultdict(list)
    lock = threading.Lock()
    names, weights = zip(*MIX, strict=True)
    rng = random.Random(7)

    def one(op: str, due: float) -> None:
        def timed(name, send):
            # The report is sent once its photo is up: timed from then; the rest from when due.
            started = time.perf_counter() if name == "report" else due
            try:
                response = send()
                ok = response.status_code < 400
            except requests.RequestException:
                response, ok = None, False
            with lock:
                results[name].append((time.perf_counter() - started, ok))
            return response
        target.run(op, timed)

    with ThreadPoolExecutor(max_workers=clients) as pool:
        start = time.perf_counter()
        for i in range(int(rate * seconds)):
            due = start + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            pool.submit(one, rng.choices(names, weights)[0], due)
    return results


def summary(samples: list, seconds: float) -> str:
    latencies = sorted(s[0] * 1000 for s in samples)
    errors = sum(1 for s in samples if not s[1])
    q = statistics.quantiles(latencies, n=100, method="inclusive") if len(latencies) > 1 else latencies * 99
    return (f"{len(samples):>6} {len(samples) / seconds:>7.1f} {q[49]:>8.1f} {q[94]:>8.1f} {q[98]:>8.1f} "
            f"{100 * errors / max(1, len(samples)):>6.2f}%")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="10,20,40", help="offered requests per second, in steps")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn processes")
    parser.add_argument("--threads", type=int, default=8, help="gunicorn threads per process")
    parser.add_argument("--clients", type=int, default=64, help="client threads (open loop)")
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}; "
          f"gunicorn {args.workers} processes × {args.threads} threads; {args.seconds:.0f} s per rate")
    with database() as (uri, backend):
        print(f"database: {backend}")
        seed(uri)
        run(uri, args)


def seed(uri: str) -> None:
    """The demo county, loaded once before the server processes start."""
    from server import Config, create_app
    from server.demo import seed_demo

    app = create_app(Config, {"MONGODB_URI": uri, "MONGODB_DB": "gridhub_bench_load"})
    with app.app_context():
        from mongoengine.connection import get_db

        get_db().client.drop_database("gridhub_bench_load")
        seed_demo()


def run(uri: str, args) -> None:
    servers = [serve("gridhub", args.workers, args.threads, uri)]
    try:
        servers.append(serve("bare", args.workers, args.threads, uri))
        hub, bare = Gridhub(servers[0][1]), Bare(servers[1][1])
        drive(hub, 10, 3, args.clients)  # warm-up: caches, indexes, first token checks
        print(f"{'rate/s':>6} {'operation':<12} {'count':>6} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} "
              f"{'p99 ms':>8} {'errors':>7}")
        for rate in (float(r) for r in args.rates.split(",")):
            for target in (hub, bare):
                results = drive(target, rate, args.seconds, args.clients)
                for name in sorted(results):
                    print(f"{rate:>6.0f} {name:<12} {summary(results[name], args.seconds)}", flush=True)
    finally:
        for process, _ in servers:
            process.terminate()
            process.wait(timeout=20)


if __name__ == "__main__":
    main()
