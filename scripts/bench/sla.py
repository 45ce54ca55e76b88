"""SLA deadline computations and the SLA sweep, each against a naive baseline in the same run.

1. Deadlines: `WorkCalendar.add` (a cumulative working-minute table + bisection) and a whole
   phase clock (`workflows.sla.start_clock`: deadline, yellow, two escalation points) against
   a minute-by-minute walk through the statutory calendar and office hours. Both give the
   same moments (checked on every baseline sample).
2. Sweep: `server.supervision.sweep.sweep` over N open cases of which 1 % are due, on a
   SecantusDB server of the run (or MONGODB_URI), against a scan that loads every open case and
   checks its clocks in Python. Reports time, documents read, and documents the database
   examined for the sweep's query (explain).

    python scripts/bench/sla.py [--deadlines 100000] [--cases 100000]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import time
from datetime import UTC, datetime, timedelta

from bson import ObjectId

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", ".."))

from scripts.bench.common import database  # noqa: E402
from server import Config, create_app  # noqa: E402
from server.cases.models import Case  # noqa: E402
from server.supervision.sweep import SweepResult, _tick, sweep  # noqa: E402
from tests.clock import SH, naive_add_working_minutes  # noqa: E402
from workflows import (
    sla,  # noqa: E402
    sla_policy,  # noqa: E402
)
from workflows.calendar import WorkCalendar  # noqa: E402

HOTLINE = sla_policy.Profile(
    code="sd12345", name="山东12345",
    rules=(sla_policy.Rule({"handle": sla_policy.Limit(5, "wd")}),),
    warn=sla_policy.Point(offset=sla_policy.Limit(1, "wd")),
    escalate=(sla_policy.Point(offset=sla_policy.Limit(1, "wd")),
              sla_policy.Point(offset=sla_policy.Limit(3, "wd"))))


def samples(count: int, seed: int = 7) -> list[tuple[datetime, int]]:
    """Random starts across 2026 (minute precision) and limits from 30 min to 5 wd."""
    rng = random.Random(seed)
    year = datetime(2026, 1, 1, tzinfo=SH)
    return [(year + timedelta(minutes=rng.randrange(0, 330 * 24 * 60)),
             rng.choice((30, 60, 120, 240, 420, 840, 2100))) for _ in range(count)]


def bench_deadlines(count: int, baseline_count: int) -> dict[str, float]:
    cal = WorkCalendar()
    work = samples(count)
    cal.add(work[0][0], 1, "wh")  # build the first year's table outside the timing
    started = time.perf_counter()
    for start, minutes in work:
        cal.add(start, minutes / 60, "wh")
    add_rate = count / (time.perf_counter() - started)

    limit = sla_policy.Limit(5, "wd")
    started = time.perf_counter()
    for start, _ in work:
        sla.start_clock("handle", limit, start=start, profile=HOTLINE, cal=cal)
    clock_rate = count / (time.perf_counter() - started)

    naive = work[:baseline_count]
    started = time.perf_counter()
    expected = [naive_add_working_minutes(start, minutes) for start, minutes in naive]
    naive_rate = len(naive) / (time.perf_counter() - started)
    mismatches = sum(cal.add(start, minutes / 60, "wh") != moment
                     for (start, minutes), moment in zip(naive, expected, strict=True))
    return {"add_per_s": add_rate, "clock_per_s": clock_rate, "naive_per_s": naive_rate,
            "mismatches": mismatches}


def seed_open_cases(count: int, due_share: float, now: datetime) -> int:
    """Open in-progress cases with a running 12345 handle clock; `due_share` of them have a
    yellow card due by `now`, the rest are checked again in the future."""
    cal = WorkCalendar()
    collection = Case._get_collection()
    collection.drop()  # indexes are built after the load
    due = int(count * due_share)
    batch = []
    for i in range(count):
        start = now - timedelta(days=5) if i < due else now
        clock = sla.start_clock("handle", sla_policy.Limit(5, "wd"), start=start, profile=HOTLINE,
                                cal=cal)
        summary = sla.summary({"handle": clock})
        batch.append({
            "_id": ObjectId(), "code": f"371083-20261123-{i:06d}", "status": "in_progress",
            "category": "0102", "priority": "normal", "source": "grid_worker",
            "description": "x", "location": {"type": "Point", "coordinates": [121.525, 36.915]},
            "region_path": ["371083", "371083001", "371083001001", "371083001001001"],
            "grid": "371083001001001", "reporter": "user:x", "version": 1, "history": [],
            "sla_profile": "sd12345", "deadlines": {"handle": clock.to_doc()},
            "sla": {k: summary[k] for k in ("due_at", "warn_at", "phases", "paused")},
            "next_sla_check_at": summary["next_check_at"], "created_at": start,
        })
        if len(batch) == 5000:
            collection.insert_many(batch)
            batch = []
    if batch:
        collection.insert_many(batch)
    Case.ensure_indexes()
    return due


def naive_scan(now: datetime) -> tuple[int, int]:
    """The baseline a sweep must beat: read every open case, ask its clocks, and write the
    due ones exactly as the sweep does."""
    read = due = 0
    result = SweepResult()
    for raw in Case._get_collection().find({"status": {"$nin": ["closed", "rejected",
                                                                 "cancelled", "merged"]}},
                                           projection={"history": False}):
        read += 1
        clocks = {p: sla.Clock.from_doc(d) for p, d in (raw.get("deadlines") or {}).items()}
        if sla.fire(clocks, now)[1]:
            due += 1
            _tick(Case.objects.exclude("history").get(id=raw["_id"]), now, result)
    return read, due


def bench_sweep(count: int, uri: str) -> dict[str, float]:
    app = create_app(Config, {"MONGODB_URI": uri, "MONGODB_DB": "gridhub_bench_sla",
                              "TESTING": True})
    with app.app_context():
        now = datetime(2026, 11, 27, 10, 30, tzinfo=SH).astimezone(UTC)
        due = seed_open_cases(count, 0.01, now)
        started = time.perf_counter()
        scan_read, scan_due = naive_scan(now)
        scan_s = time.perf_counter() - started
        seed_open_cases(count, 0.01, now)  # the same cases again, nothing fired yet
        explained = Case._get_collection().find({"next_sla_check_at": {"$lte": now}}).sort(
            "next_sla_check_at", 1).explain().get("executionStats", {})
        started = time.perf_counter()
        result = sweep(now=now)
        sweep_s = time.perf_counter() - started
        again = sweep(now=now)
        Case._get_collection().database.client.drop_database("gridhub_bench_sla")
    return {"cases": count, "due": due, "sweep_s": sweep_s, "sweep_read": result.read,
            "sweep_examined": explained.get("totalDocsExamined", -1),
            "notices": result.notices, "second_run_read": again.read, "scan_s": scan_s,
            "scan_read": scan_read, "scan_due": scan_due}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deadlines", type=int, default=100_000)
    parser.add_argument("--baseline", type=int, default=300, help="naive samples (slow)")
    parser.add_argument("--cases", type=int, default=100_000)
    args = parser.parse_args()

    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}")
    d = bench_deadlines(args.deadlines, args.baseline)
    print(f"deadlines: WorkCalendar.add {d['add_per_s']:,.0f}/s, whole clock "
          f"{d['clock_per_s']:,.0f}/s, naive minute walk {d['naive_per_s']:,.1f}/s "
          f"-> {d['add_per_s'] / d['naive_per_s']:,.0f}x faster "
          f"({d['mismatches']} mismatches in {args.baseline} checked)")
    with database() as (uri, backend):
        print(f"database: {backend}")
        s = bench_sweep(args.cases, uri)
    print(f"sweep: {s['cases']:,} open cases, {s['due']:,} due: {s['sweep_s']:.2f} s, read "
          f"{s['sweep_read']:,} documents (the query examined {s['sweep_examined']:,}), "
          f"{s['notices']:,} notices; second run read "
          f"{s['second_run_read']}; naive scan {s['scan_s']:.2f} s reading {s['scan_read']:,} "
          f"-> {s['scan_s'] / s['sweep_s']:.1f}x")
    print(json.dumps({**{k: round(v, 3) for k, v in d.items()},
                      **{k: round(v, 3) for k, v in s.items()}}))


if __name__ == "__main__":
    main()
