"""Push throughput and alert latency, each against a baseline in the same run.

1. Throughput: N device pushes through firebase-admin (`messaging.send_each`, configured as
   gridhub's FCM channel configures it: waves of 100 parallel requests) to the local fake FCM,
   against a plain HTTP POST loop (one keep-alive session, the same JSON bodies and bearer
   token) to the same fake, which runs in a process of its own. Also shown: 500 a call (FCM's
   maximum), a 100-thread POST pool, and a run where the fake answers after 20 ms (FCM over
   the internet) instead of at once.
2. Latency: from a dispatch transition's HTTP response to the fake's receipt of the handler's
   push, with a real Celery worker on Redis (publish → fan-out → delivery → FCM), p50/p95;
   the baseline is a no-op task's round trip through the same broker and worker.

    python scripts/bench/fanout.py [--pushes 10000] [--alerts 200]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

import requests
from firebase_admin import messaging

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
sys.path.insert(0, ROOT)

from notifications.channels import fcm  # noqa: E402
from scripts.fake_fcm import FakeFcm  # noqa: E402

BROKER = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")


def _messages(count: int) -> list[messaging.Message]:
    return [messaging.Message(token=f"bench-device-{i:06d}-" + "t" * 24,
                              notification=messaging.Notification(title="新派遣案件待签收",
                                                                  body=f"案件 RS{i:08d}"),
                              data={"case_id": f"{i:024x}", "link": f"gridhub://cases/{i:024x}"},
                              android=messaging.AndroidConfig(priority="high"))
            for i in range(count)]


def _rate(count: int, run) -> float:
    started = time.perf_counter()
    run()
    return count / (time.perf_counter() - started)


@contextlib.contextmanager
def fake_process(folder: str):
    """The fake FCM in a process of its own, as FCM is remote: (url, service-account file)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    credentials = os.path.join(folder, "sa.json")
    process = subprocess.Popen([sys.executable, os.path.join(ROOT, "scripts", "fake_fcm.py"),
                                "--port", str(port), "--credentials", credentials],
                               stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            requests.get(f"{url}/_fake/count", timeout=1)
            break
        except requests.ConnectionError:
            time.sleep(0.05)
    try:
        yield url, credentials
    finally:
        process.kill()
        process.wait()


def bench_throughput(count: int, rtt: float = 0.0) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder, fake_process(folder) as (fake_url, credentials):
        requests.post(f"{fake_url}/_fake/switches", json={"latency": rtt}, timeout=5)
        channel = fcm.FcmChannel(credentials, endpoint=fake_url, timeout=10)
        messages = _messages(count)
        messaging.send_each(messages[:1], app=channel.app)  # OAuth token outside the timing

        def through_admin(per_call: int):
            def run():
                for start in range(0, count, per_call):
                    batch = messaging.send_each(messages[start:start + per_call], app=channel.app)
                    assert batch.success_count == len(batch.responses)
            return run

        url = f"{fake_url}/v1/projects/{channel.app.project_id}/messages:send"
        token = channel.app.credential.get_access_token().access_token
        bodies = [json.dumps({"message": messaging._MessagingService.encode_message(m)})
                  for m in messages]
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        session = requests.Session()
        session.mount(fake_url, requests.adapters.HTTPAdapter(pool_maxsize=100))

        def post(body: str) -> None:
            session.post(url, data=body, headers=headers, timeout=10).raise_for_status()

        def plain_loop():
            for body in bodies:
                post(body)

        def plain_pool():
            with ThreadPoolExecutor(100) as pool:
                list(pool.map(post, bodies))

        result = {"admin_wave_per_s": _rate(count, through_admin(fcm.WAVE)),
                  "admin_500_per_s": _rate(count, through_admin(500)),
                  "plain_loop_per_s": _rate(count, plain_loop),
                  "plain_pool_per_s": _rate(count, plain_pool)}
        result["received"] = requests.get(f"{fake_url}/_fake/count", timeout=10).json()["messages"]
        return result


def bench_latency(alerts: int, uri: str) -> dict[str, float]:
    from celery.contrib.testing.worker import start_worker

    from server import TestConfig, create_app
    from server.auth.models import User
    from server.auth.principals import user_claims
    from server.auth.tokens import issue_access_token
    from server.demo import seed_demo
    from server.inbox.models import Device

    with FakeFcm() as fake, tempfile.TemporaryDirectory() as folder:
        app = create_app(TestConfig, {
            "MONGODB_URI": uri, "MONGODB_DB": "bench_fanout", "CELERY_BROKER_URL": BROKER,
            "RATE_LIMITS_ENABLED": False,
            "FCM_CREDENTIALS": fake.write_service_account(os.path.join(folder, "sa.json")),
            "FCM_ENDPOINT": fake.url})
        with app.app_context():
            seed_demo(whole_county=False)
            tokens = {}
            for name in ("gridworker", "dispatcher", "handler"):
                user = User.objects.get(username=name)
                tokens[name] = issue_access_token(subject=f"user:{user.id}", claims=user_claims(user))[0]
            handler = User.objects.get(username="handler")
            Device(user=str(handler.id), platform="android", token="bench-handler-phone-" + "p" * 24).save()
            client = app.test_client()

            def call(user: str, path: str, body: dict) -> dict:
                response = client.post(path, json=body, headers={"Authorization": f"Bearer {tokens[user]}"})
                assert response.status_code in (200, 201), response.json
                return response.json

            celery = app.extensions["celery"]
            with celery.connection_for_write() as connection:
                connection.default_channel.queue_purge(celery.conf.task_default_queue)

            @celery.task(name="bench.noop")
            def noop(sent: float) -> float:
                arrivals.append(time.time() - sent)
                return 0.0

            arrivals: list[float] = []
            latencies: list[float] = []
            with start_worker(celery, pool="solo", perform_ping_check=False, shutdown_timeout=30):
                for _ in range(alerts):
                    noop.delay(time.time())
                    deadline = time.monotonic() + 10
                    while len(arrivals) < len(latencies) + 1 and time.monotonic() < deadline:
                        time.sleep(0.001)
                    case = call("gridworker", "/api/v1/cases", {
                        "category": "0102", "description": "路边堆放暴露垃圾",
                        "location": {"lat": 36.9135, "lng": 121.5335}, "address": "胜利街12号"})
                    path = f"/api/v1/cases/{case['id']}/transitions"
                    call("dispatcher", path, {"action": "accept"})
                    call("dispatcher", path, {"action": "dispatch", "department": "371083-cgj"})
                    answered = time.time()
                    deadline = time.monotonic() + 30
                    while time.monotonic() < deadline:
                        hit = [m for m in fake.received() if m["data"]["case_id"] == case["id"]
                               and m["data"]["type"] == "dispatch"]
                        if hit:
                            latencies.append(hit[0]["received_at"] - answered)
                            break
                        time.sleep(0.002)
        return {"alerts": len(latencies), "p50_s": _percentile(latencies, 50),
                "p95_s": _percentile(latencies, 95), "max_s": max(latencies),
                "noop_p50_s": _percentile(arrivals, 50), "noop_p95_s": _percentile(arrivals, 95)}


def _percentile(values: list[float], pct: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[pct - 1] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pushes", type=int, default=10_000)
    parser.add_argument("--alerts", type=int, default=200)
    parser.add_argument("--rtt-pushes", type=int, default=1000,
                        help="pushes for the run with a 20 ms answer time, as FCM over the internet")
    args = parser.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, broker {BROKER}")
    t = bench_throughput(args.pushes)
    print(f"throughput, {args.pushes:,} pushes: firebase-admin send_each (waves of {fcm.WAVE}) "
          f"{t['admin_wave_per_s']:,.0f}/s, 500 a call {t['admin_500_per_s']:,.0f}/s; plain POST loop "
          f"{t['plain_loop_per_s']:,.0f}/s, 100-thread POST pool {t['plain_pool_per_s']:,.0f}/s "
          f"-> {t['admin_wave_per_s'] / t['plain_loop_per_s']:.2f}x the loop (aim >= 0.7), "
          f"{t['admin_wave_per_s'] / t['plain_pool_per_s']:.2f}x the pool")
    r = bench_throughput(args.rtt_pushes, rtt=0.02)
    print(f"throughput, {args.rtt_pushes:,} pushes, fake answering after 20 ms: firebase-admin "
          f"{r['admin_wave_per_s']:,.0f}/s, 500 a call {r['admin_500_per_s']:,.0f}/s; plain POST loop "
          f"{r['plain_loop_per_s']:,.0f}/s, pool {r['plain_pool_per_s']:,.0f}/s "
          f"-> {r['admin_wave_per_s'] / r['plain_loop_per_s']:.1f}x the loop, "
          f"{r['admin_wave_per_s'] / r['plain_pool_per_s']:.2f}x the pool")
    from scripts.bench.common import database

    with database() as (uri, backend):
        print(f"database: {backend}")
        lat = bench_latency(args.alerts, uri)
    print(f"latency, {lat['alerts']} dispatches: response -> fake FCM receipt p50 "
          f"{lat['p50_s'] * 1000:.0f} ms, p95 {lat['p95_s'] * 1000:.0f} ms, max {lat['max_s'] * 1000:.0f} ms "
          f"(aim p95 <= 2 s); no-op task round trip p50 {lat['noop_p50_s'] * 1000:.1f} ms, "
          f"p95 {lat['noop_p95_s'] * 1000:.1f} ms -> {lat['p95_s'] / lat['noop_p95_s']:.1f}x at p95")
    print(json.dumps({**{k: round(v, 4) for k, v in t.items()},
                      **{f"rtt_{k}": round(v, 4) for k, v in r.items()},
                      **{k: round(v, 4) for k, v in lat.items()}}))


if __name__ == "__main__":
    main()
