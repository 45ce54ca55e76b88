"""Patrol position intake (issue 18): POST /patrols/{id}/points in batches of 100, in
positions per second, against a bare insert_many of the same documents into a collection with
the same indexes, on the same database server, in the same run.

The API path pays the edge (token, validation of every position), the coordinate conversion,
the grid lookup of each position, the flags and figures, the idempotent insert and the
patrol's conditional update; the baseline pays only the insert. A patrol's positions are sent
in order, one batch after another, as a phone does.

    python scripts/bench/patrol_points.py [--batches 50] [--size 100] [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta

from mongoengine.connection import get_db

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", ".."))

from scripts.bench.common import database  # noqa: E402
from scripts.bench.intake import logging_off  # noqa: E402
from server import Config, create_app  # noqa: E402
from server.auth.models import User  # noqa: E402
from server.auth.principals import user_claims  # noqa: E402
from server.auth.tokens import issue_access_token  # noqa: E402
from server.demo import seed_demo  # noqa: E402
from server.patrols.models import Patrol, PatrolPoint  # noqa: E402


def batches(count: int, size: int, start: datetime) -> list[list[dict]]:
    """A walk around the demo grid worker's grid: one position every 5 s, ~1.4 m/s."""
    out, n = [], 0
    for _ in range(count):
        batch = []
        for _ in range(size):
            step = n % 400
            lng = 121.521 + 0.00008 * (step if step < 200 else 400 - step)
            lat = 36.911 + 0.00001 * (n % 700)
            batch.append({"lat": round(lat, 6), "lng": round(lng, 6), "accuracy_m": 8.0,
                          "at": (start + timedelta(seconds=5 * n)).isoformat()})
            n += 1
        out.append(batch)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=50)
    parser.add_argument("--size", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with database() as (uri, backend):
        results = run(uri, args)
    med = {k: statistics.median(v) for k, v in results.items()}
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, backend: {backend}")
    print(f"{args.rounds} rounds x {args.batches} batches of {args.size} positions, median:")
    print(f"  POST /patrols/{{id}}/points  {med['api']:8.0f} positions/s   "
          f"bare insert_many {med['bare']:8.0f} positions/s   "
          f"ratio {med['bare'] / med['api']:.2f}x slower")
    per_batch = {k: args.size / v * 1000 for k, v in med.items()}
    print(f"  per batch: {per_batch['api']:.1f} ms (bare {per_batch['bare']:.1f} ms)")
    print(json.dumps({k: round(v) for k, v in med.items()}))


def run(uri: str, args) -> dict[str, list[float]]:
    app = create_app(Config, {"MONGODB_URI": uri, "MONGODB_DB": "gridhub_bench_patrols",
                              "RATE_LIMITS_ENABLED": False})
    logging_off()
    results: dict[str, list[float]] = {"api": [], "bare": []}
    with app.app_context():
        db = get_db()
        for name in db.list_collection_names():
            db.drop_collection(name)
        seed_demo()
        PatrolPoint.ensure_indexes()
        bare = db["bare_patrol_points"]
        for name, info in PatrolPoint._get_collection().index_information().items():
            if name != "_id_":
                bare.create_index(info["key"], name=name)
        user = User.objects.get(username="gridworker")
        token = issue_access_token(subject=f"user:{user.id}", claims=user_claims(user))[0]
        headers = {"Authorization": f"Bearer {token}"}
        client = app.test_client()
        for round_ in range(args.rounds):
            Patrol.objects.delete()
            PatrolPoint.objects.delete()
            bare.delete_many({})
            started = datetime.now(UTC) - timedelta(seconds=5 * args.batches * args.size + 60)
            patrol = client.post("/api/v1/patrols", headers=headers).json
            Patrol.objects(id=patrol["id"]).update_one(set__started_at=started)
            walk = batches(args.batches, args.size, started + timedelta(seconds=10))
            begin = time.perf_counter()
            for n, batch in enumerate(walk):
                answer = client.post(f"/api/v1/patrols/{patrol['id']}/points", json={"points": batch},
                                     headers={**headers, "Idempotency-Key": f"r{round_}-b{n}"})
                assert answer.status_code == 201, answer.json
            results["api"].append(args.batches * args.size / (time.perf_counter() - begin))
            stored = list(PatrolPoint._get_collection().find({}, projection={"_id": 0}))
            documents = [[{**doc, "patrol": "bare"} for doc in stored[i:i + args.size]]
                         for i in range(0, len(stored), args.size)]
            begin = time.perf_counter()
            for chunk in documents:
                bare.insert_many(chunk, ordered=False)
            results["bare"].append(len(stored) / (time.perf_counter() - begin))
        db.client.drop_database("gridhub_bench_patrols")
    return results


if __name__ == "__main__":
    main()
