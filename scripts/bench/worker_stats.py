"""Per-worker assessment (issue 18): GET /stats/workers over 100 grid workers × 90 days, against
one bare aggregation pass over the same period's patrols (a `$match` and a `$group` by worker,
the largest of the seven sources the assessment sums), same database server, same run.

The seeded month: for each worker and day a patrol, a check-in on working days, a work log; a
visit every third day; a reported case every fifth day.

    python scripts/bench/worker_stats.py [--workers 100] [--days 90] [--rounds 5]
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

from bson import ObjectId
from mongoengine.connection import get_db

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", ".."))

from scripts.bench.common import database  # noqa: E402
from scripts.bench.intake import logging_off  # noqa: E402
from server import Config, create_app  # noqa: E402
from server.auth.models import User  # noqa: E402
from server.auth.principals import user_claims  # noqa: E402
from server.auth.tokens import issue_access_token  # noqa: E402
from server.demo import GRIDS, seed_demo  # noqa: E402
from server.documents import ensure_indexes  # noqa: E402


def seed(workers: int, days: int, first: datetime) -> list[str]:
    db = get_db()
    grids = sorted(GRIDS)
    ids = []
    users = []
    for n in range(workers):
        ident = ObjectId()
        ids.append(str(ident))
        users.append({"_id": ident, "username": f"bench-worker-{n}", "name": f"网格员{n}",
                      "role": "grid_worker", "org": grids[n % len(grids)], "org_kind": "region",
                      "active": True, "grids": [], "token_version": 0})
    db["users"].insert_many(users)
    patrols, checkins, logs, visits, cases = [], [], [], [], []
    for n, ident in enumerate(ids):
        grid = grids[n % len(grids)]
        scope = [grid[:6], grid[:9], grid[:12], grid, f"user:{ident}"]
        for d in range(days):
            start = first + timedelta(days=d, hours=1)
            day = (first + timedelta(days=d)).date().isoformat()
            patrols.append({"worker": ident, "scope": scope, "status": "ended", "started_at": start,
                            "ended_at": start + timedelta(hours=2), "last_activity_at": start,
                            "duration_s": 7200.0, "distance_m": 3500.0, "inside_m": 3000.0,
                            "grids_visited": [grid], "created_day": day, "version": 2})
            if (first + timedelta(days=d)).weekday() < 5:
                checkins.append({"worker": ident, "grid": grid, "day": day, "at": start,
                                 "lng": 121.525, "lat": 36.915, "scope": scope})
            logs.append({"worker": ident, "day": day, "text": "巡查", "created_at": start,
                         "updated_at": start, "scope": scope, "version": 1})
            if d % 3 == 0:
                visits.append({"worker": ident, "subject": "走访户", "purpose": "独居老人",
                               "visited_at": start, "day": day, "scope": scope, "created_at": start})
            if d % 5 == 0:
                cases.append({"code": f"B-{ident}-{d}", "status": "closed", "category": "0102",
                              "reporter": f"user:{ident}", "created_day": day, "created_at": start,
                              "flags": {"self_handled": d % 10 == 0}, "history": [],
                              "region_path": scope[:4], "scope": scope})
    for name, documents in (("patrols", patrols), ("checkins", checkins), ("worklogs", logs),
                            ("visits", visits), ("cases", cases)):
        for i in range(0, len(documents), 2000):
            db[name].insert_many(documents[i:i + 2000], ordered=False)
    return ids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=100)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with database() as (uri, backend):
        results = run(uri, args)
    med = {k: statistics.median(v) * 1000 for k, v in results.items()}
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, backend: {backend}")
    print(f"{args.workers} workers x {args.days} days, {args.rounds} rounds, median:")
    print(f"  GET /stats/workers (per worker)   {med['workers']:8.1f} ms")
    print(f"  GET /stats/workers (per town)     {med['towns']:8.1f} ms")
    print(f"  bare $group of the patrols        {med['bare']:8.1f} ms   "
          f"ratio {med['workers'] / med['bare']:.2f}x")
    print(json.dumps({k: round(v, 1) for k, v in med.items()}))


def run(uri: str, args) -> dict[str, list[float]]:
    app = create_app(Config, {"MONGODB_URI": uri, "MONGODB_DB": "gridhub_bench_workers",
                              "RATE_LIMITS_ENABLED": False})
    logging_off()
    results: dict[str, list[float]] = {"workers": [], "towns": [], "bare": []}
    with app.app_context():
        db = get_db()
        for name in db.list_collection_names():
            db.drop_collection(name)
        seed_demo(whole_county=False)
        ensure_indexes()
        first = datetime(2026, 8, 1, tzinfo=UTC)
        ids = seed(args.workers, args.days, first)
        last = first + timedelta(days=args.days - 1)
        period = {"from": first.date().isoformat(), "to": last.date().isoformat()}
        admin = User.objects.get(username="admin")
        token = issue_access_token(subject=f"user:{admin.id}", claims=user_claims(admin))[0]
        headers = {"Authorization": f"Bearer {token}"}
        client = app.test_client()

        def timed(call) -> float:
            begin = time.perf_counter()
            call()
            return time.perf_counter() - begin

        def ask(group_by):
            answer = client.get("/api/v1/stats/workers", headers=headers,
                                query_string={**period, "group_by": group_by})
            assert answer.status_code == 200, answer.json
            assert group_by != "worker" or len(answer.json["rows"]) >= args.workers

        def bare():
            list(db["patrols"].aggregate([
                {"$match": {"worker": {"$in": ids}, "status": "ended",
                            "created_day": {"$gte": period["from"], "$lte": period["to"]}}},
                {"$group": {"_id": "$worker", "s": {"$sum": "$duration_s"}}}]))

        ask("worker"), bare()  # warm
        for _ in range(args.rounds):
            results["workers"].append(timed(lambda: ask("worker")))
            results["towns"].append(timed(lambda: ask("town")))
            results["bare"].append(timed(bare))
        db.client.drop_database("gridhub_bench_workers")
    return results


if __name__ == "__main__":
    main()
