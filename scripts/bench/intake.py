"""Per-request cost of POST /cases and of one transition, against a bare Flask route.

Both run in this process through the WSGI app (Flask's test client) on the same database
server (a SecantusDB server of the run by default, MONGODB_URI when set: common.py). The bare
routes do the same single insert / conditional update with nothing else, so the ratio is what
gridhub's edge, auth, validation, rules and routing cost on top of the unavoidable write.

    python scripts/bench/intake.py [--requests 200] [--rounds 7]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from datetime import UTC, datetime

from bson import ObjectId
from flask import Flask, request
from mongoengine.connection import get_db

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", ".."))

from scripts.bench.common import database  # noqa: E402
from server import Config, create_app  # noqa: E402
from server.auth.models import User  # noqa: E402
from server.auth.principals import user_claims  # noqa: E402
from server.auth.tokens import issue_access_token  # noqa: E402
from server.cases.models import Case  # noqa: E402
from server.demo import seed_demo  # noqa: E402

BODY = {"category": "0102", "description": "路边暴露垃圾", "address": "胜利街12号",
        "location": {"lat": 36.915, "lng": 121.525}}


def bare_app() -> Flask:
    """The baseline: parse JSON, one write, a JSON answer — nothing else.

    Its collection has the same indexes as `cases`, so the write itself costs the same.
    """
    bare = Flask("bare")
    cases = get_db()["bare_cases"]
    for name, info in Case._get_collection().index_information().items():
        if name != "_id_":
            options = {k: v for k, v in info.items() if k in ("unique", "sparse")}
            cases.create_index(info["key"], name=name, **options)

    @bare.post("/bare/cases")
    def create():
        body = request.get_json()
        now = datetime.now(UTC)
        doc = {"code": str(ObjectId()), "status": "reported", "version": 1, "created_at": now,
               "history": [], **body}
        cases.insert_one(doc)
        return {"id": str(doc["_id"]), "status": "reported"}, 201

    @bare.post("/bare/cases/<case_id>/transitions")
    def transition(case_id):
        body = request.get_json()
        version = int(request.headers["X-Version"])
        result = cases.update_one(
            {"_id": ObjectId(case_id), "version": version},
            {"$set": {"status": body["action"]}, "$inc": {"version": 1},
             "$push": {"history": {"action": body["action"], "at": datetime.now(UTC)}}})
        return ({"id": case_id}, 200) if result.matched_count else ({"error": "conflict"}, 409)

    return bare


def timed(calls) -> float:
    """Seconds per call for a list of zero-argument callables, run in order."""
    start = time.perf_counter()
    for call in calls:
        call()
    return (time.perf_counter() - start) / len(calls)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()

    with database() as (uri, backend):
        results = run(uri, args)
    report_results(results, backend, args)


def run(uri: str, args) -> dict[str, list[float]]:
    app = create_app(Config, {"MONGODB_URI": uri, "MONGODB_DB": "gridhub_bench",
                              "RATE_LIMITS_ENABLED": False})
    logging_off()
    with app.app_context():
        db = get_db()
        for name in db.list_collection_names():
            db.drop_collection(name)
        seed_demo()
        client, bare = app.test_client(), bare_app().test_client()

        def headers(username):
            user = User.objects.get(username=username)
            token = issue_access_token(subject=f"user:{user.id}", claims=user_claims(user))[0]
            return {"Authorization": f"Bearer {token}"}

        worker, dispatcher = headers("gridworker"), headers("dispatcher")

        def report():
            response = client.post("/api/v1/cases", json=BODY, headers=worker)
            assert response.status_code == 201, response.json
            return response.json["id"]

        def bare_report():
            response = bare.post("/bare/cases", json=BODY)
            assert response.status_code == 201
            return response.json["id"]

        def accept(case_id):
            return lambda: _ok(client.post(f"/api/v1/cases/{case_id}/transitions",
                                           json={"action": "accept"}, headers=dispatcher))

        def bare_accept(case_id):
            return lambda: _ok(bare.post(f"/bare/cases/{case_id}/transitions",
                                         json={"action": "accepted"}, headers={"X-Version": "1"}))

        for _ in range(min(50, args.requests)):  # warm up both paths
            report(), bare_report()
        results: dict[str, list[float]] = {k: [] for k in
                                           ("report", "bare_insert", "transition", "bare_update")}
        for _ in range(args.rounds):
            # Start each round from empty collections: both sides are measured on collections
            # of the same, bounded size.
            for collection in (Case._get_collection(), db["bare_cases"]):
                collection.delete_many({})
            n = args.requests
            results["report"].append(timed([report] * n))
            results["bare_insert"].append(timed([bare_report] * n))
            ours = [report() for _ in range(n)]
            theirs = [bare_report() for _ in range(n)]
            results["transition"].append(timed([accept(i) for i in ours]))
            results["bare_update"].append(timed([bare_accept(i) for i in theirs]))
        db.client.drop_database("gridhub_bench")
    return results


def report_results(results: dict[str, list[float]], backend: str, args) -> None:
    med = {k: statistics.median(v) * 1e6 for k, v in results.items()}
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, backend: {backend}")
    print(f"{args.rounds} rounds x {args.requests} requests, median per request:")
    print(f"  POST /cases              {med['report']:8.0f} us   "
          f"bare insert route {med['bare_insert']:6.0f} us   "
          f"ratio {med['report'] / med['bare_insert']:.2f}x")
    print(f"  POST /cases/{{id}}/transitions (accept) {med['transition']:6.0f} us   "
          f"bare update route {med['bare_update']:6.0f} us   "
          f"ratio {med['transition'] / med['bare_update']:.2f}x")
    print(json.dumps({k: round(v) for k, v in med.items()}))


def _ok(response) -> None:
    assert response.status_code == 200, response.json


def logging_off() -> None:
    import logging

    logging.getLogger().setLevel(logging.ERROR)


if __name__ == "__main__":
    main()
