"""Machine reporters: a video-AI platform posting detections from its cameras at a steady rate
(200 a minute from 10 devices for 5 minutes by default). Prints how many cases the detections
became (sightings de-duplicated per device), how many were refused below the minimum confidence
or filed straight into 受理, and the latency (p50, p99) — as ratios to a grid worker's plain
report measured in the same run, on the same database.

    python scripts/bench/detections.py [--minutes 5] [--rate 200] [--devices 10]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import time

from mongoengine.connection import get_db

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", ".."))

from scripts.bench.common import database  # noqa: E402
from server import Config, create_app  # noqa: E402
from server.auth.models import Client, User  # noqa: E402
from server.auth.principals import user_claims  # noqa: E402
from server.auth.tokens import issue_access_token  # noqa: E402
from server.cases.models import Case  # noqa: E402
from server.demo import seed_demo  # noqa: E402

RULES = {"min_confidence": 0.5, "auto_accept": 0.92, "window_minutes": 30, "radius_m": 50}
CATEGORIES = ("0102", "0102", "0102", "0201", "0503")  # mostly 暴露垃圾, some 小广告, 乱停放
ORIGIN = (36.9110, 121.5210)  # south-west of 胜利街第一网格; devices ~80 m apart inside it


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=5)
    parser.add_argument("--rate", type=int, default=200, help="detections a minute")
    parser.add_argument("--devices", type=int, default=10)
    args = parser.parse_args()
    with database() as (uri, backend):
        run(uri, backend, args)


def run(uri: str, backend: str, args) -> None:
    import logging

    app = create_app(Config, {"MONGODB_URI": uri, "MONGODB_DB": "gridhub_bench_detections",
                              "RATE_LIMITS_ENABLED": False})
    logging.getLogger().setLevel(logging.ERROR)
    with app.app_context():
        db = get_db()
        for name in db.list_collection_names():
            db.drop_collection(name)
        seed_demo(whole_county=False)
        camera = Client(name="乳山视频AI平台", scopes=["cases:write"], detection=RULES).save()
        token = issue_access_token(subject=f"client:{camera.id}", claims={
            "roles": ["client"], "scope": "cases:write", "name": camera.name})[0]
        worker = User.objects.get(username="gridworker")
        worker_token = issue_access_token(subject=f"user:{worker.id}", claims=user_claims(worker))[0]
        client = app.test_client()
        rng = random.Random(20261201)
        devices = [(f"cam-{i:02d}", ORIGIN[0] + 0.0008 * (i % 5), ORIGIN[1] + 0.0010 * (i // 5))
                   for i in range(args.devices)]

        def plain() -> float:
            start = time.perf_counter()
            answer = client.post("/api/v1/cases", headers={"Authorization": f"Bearer {worker_token}"},
                                 json={"category": "0104", "description": "道路不洁",
                                       "location": {"lat": 36.9150, "lng": 121.5250}})
            assert answer.status_code == 201, answer.json
            return time.perf_counter() - start

        baseline = [plain() for _ in range(max(20, args.rate // 10))]
        outcomes = {201: 0, 200: 0, 422: 0}
        latencies: list[float] = []
        total = max(1, int(args.minutes * args.rate))
        interval, began = 60.0 / args.rate, time.perf_counter()
        for n in range(total):
            wait = began + n * interval - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            device, lat, lng = devices[n % len(devices)]
            body = {"category": rng.choice(CATEGORIES), "description": "AI识别", "device": device,
                    "confidence": round(rng.uniform(0.35, 0.99), 2),
                    "location": {"lat": lat + rng.uniform(-0.00008, 0.00008),
                                 "lng": lng + rng.uniform(-0.00008, 0.00008)}}
            start = time.perf_counter()
            answer = client.post("/api/v1/cases", json=body, headers={"Authorization": f"Bearer {token}"})
            latencies.append(time.perf_counter() - start)
            assert answer.status_code in outcomes, answer.json
            outcomes[answer.status_code] += 1
        elapsed = time.perf_counter() - began
        machine_cases = Case.objects(source="client")
        filed, accepted = machine_cases.count(), machine_cases.filter(status="accepted").count()
        base50 = statistics.median(baseline)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, backend: {backend}")
    print(f"{total} detections from {args.devices} devices at {args.rate}/min over {elapsed:.0f} s "
          f"(rules {RULES})")
    print(f"  cases created      {filed:6d}   ({filed / total:.1%} of detections)")
    print(f"  sightings added    {outcomes[200]:6d}   refused below min_confidence {outcomes[422]:5d}"
          f"   filed into 受理 {accepted:5d}")
    print(f"  latency p50 {statistics.median(latencies) * 1e3:7.1f} ms   p99 "
          f"{percentile(latencies, 99) * 1e3:7.1f} ms   "
          f"(plain report p50 {base50 * 1e3:.1f} ms: ratios {statistics.median(latencies) / base50:.2f}x, "
          f"{percentile(latencies, 99) / base50:.2f}x)")


if __name__ == "__main__":
    main()
