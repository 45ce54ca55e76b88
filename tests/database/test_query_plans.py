"""Every query the API and the workers issue on a hot path is answered from an index.

The queries are not retyped here: the hot paths run against a few thousand documents while
the test records every command this process sends, and each recorded read is then explained
(`executionStats`) on the same server. A query fails when its plan is a COLLSCAN or when it
examines more than FACTOR times the documents it returns (plus SLACK). Paging is left out of
the explanation (no limit, no skip): what is checked is that the filter is selective on an
index, whatever page is asked for.

On SecantusDB 0.7.0b3, explain reports a COLLSCAN for every filter of more than one field
(`{_id, version}`, `{scope, status}`) although its executor uses an index for them (measured:
constant time from 4,000 to 40,000 documents; docs/DATABASE.md, "Known differences"). There, and
only there, such a query is judged by the best plan among the collection's indexes (each one
hinted in turn; each branch of an `$or` on its own, as MongoDB's OR plan does): what is checked
is that an index serves the query, which is what MongoDB's planner then chooses. On a MongoDB
(TEST_MONGODB_URI) the planner's own choice is judged.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from bson import ObjectId
from pymongo import MongoClient
from pymongo.errors import NetworkTimeout, OperationFailure

from notifications import delivery
from server.auth.models import User
from server.inbox.models import Notification
from server.supervision.sweep import sweep
from server.timeutil import now_utc
from tests.conftest import commands
from tests.factories import insert_cases

FACTOR = 3
SLACK = 25
HOT = {"cases", "notifications", "devices", "users", "audit"}
GRIDS = ["371083001001001", "371083001001002", "371083001002001", "371083001002002"]


def grid_path(grid: str) -> tuple[str, ...]:
    return (grid[:6], grid[:9], grid[:12], grid)


@pytest.fixture
def crowded(demo):
    """1,600 cases over grids, states, categories and departments, half of them old; 1,000
    notifications of other people; the grid worker's own 20."""
    day = now_utc() - timedelta(days=1)
    for n, grid in enumerate(GRIDS):
        for status in ("reported", "accepted", "in_progress", "closed"):
            for category, department in (("0102", "371083-cgj"), ("0301", "371083-zjj")):
                insert_cases(50, region_path=grid_path(grid), category=category,
                             department=department, status=status,
                             day=day - timedelta(days=40 * (n % 2)))
    worker = str(User.objects.get(username="gridworker").id)
    now = now_utc()
    Notification._get_collection().insert_many([
        {"event_key": f"case:{ObjectId()}:{i}", "recipient": worker if i < 20 else str(ObjectId()),
         "channel": "inbox" if i % 2 else "fcm", "case": "0" * 24, "case_code": "x", "seq": i,
         "type": "dispatch", "title": "新派遣案件待签收", "body": "x", "data": {},
         "status": "pending" if i % 4 == 0 else "sent", "next_attempt_at": now,
         "created_at": now - timedelta(minutes=i)} for i in range(1000)])
    return worker


def run_hot_paths(as_user, report, worker) -> None:
    dispatcher, handler = as_user("dispatcher"), as_user("handler")
    for params in ({}, {"status": "accepted"}, {"category": "0301"}, {"grid": GRIDS[2]},
                   {"department": "371083-zjj"}, {"region": "371083001002"},
                   {"priority": "urgent"}, {"source": "resident"}, {"assignee": str(ObjectId())},
                   {"created_from": (now_utc() - timedelta(days=3)).isoformat()}):
        assert dispatcher.get("/api/v1/cases", query_string=params).status_code == 200
    assert handler.get("/api/v1/cases").status_code == 200
    assert as_user("gridworker").get("/api/v1/cases", query_string={"mine": "true"}).status_code == 200
    supervisor = as_user("supervisor")
    for path in ("/api/v1/supervision/board", "/api/v1/supervision/board/counts"):
        assert supervisor.get(path).status_code == 200
    assert supervisor.get("/api/v1/supervision/board",
                          query_string={"category": "03"}).status_code == 200
    gridworker = as_user("gridworker")
    assert gridworker.get("/api/v1/me/notifications").status_code == 200
    assert gridworker.get("/api/v1/me/notifications/unread-count").status_code == 200
    report(headers={"Idempotency-Key": "plan-1"})  # duplicates, idempotency look-up
    sweep(now=now_utc())
    pending = Notification.objects(status="pending").only("id").limit(50)
    delivery.claim([str(n.id) for n in pending], now_utc())


def explainable(command: dict) -> dict | None:
    """The command to explain (paging dropped), or None if it is not a read or write of a hot
    collection."""
    name = next(iter(command))
    collection = command[name]
    if not isinstance(collection, str) or collection not in HOT:
        return None
    if name == "find":
        return {"find": collection, "filter": command.get("filter", {}),
                **({"sort": command["sort"]} if command.get("sort") else {})}
    if name == "aggregate":
        pipeline = [stage for stage in command["pipeline"]
                    if not {"$limit", "$skip"} & set(stage)]
        return {"aggregate": collection, "pipeline": pipeline, "cursor": {}}
    if name == "count":
        return {"count": collection, "query": command.get("query", {})}
    if name in ("update", "delete"):
        key = "updates" if name == "update" else "deletes"
        return {name: collection, key: command[key][:1]}
    if name == "findAndModify":
        return {"findAndModify": collection, "query": command.get("query", {}),
                "update": command.get("update"), **({"upsert": True} if command.get("upsert") else {})}
    return None


def as_find(command: dict) -> dict | None:
    """The find that selects the same documents as a command (for hinted explains)."""
    name = next(iter(command))
    if name == "find":
        return {"find": command["find"], "filter": command.get("filter", {})}
    if name == "aggregate":
        first = command["pipeline"][0] if command["pipeline"] else {}
        if "$geoNear" in first:  # the same selection as a $near find
            near = first["$geoNear"]
            return {"find": command["aggregate"], "filter": {
                **near.get("query", {}), near["key"]: {"$near": {
                    "$geometry": near["near"], "$maxDistance": near["maxDistance"]}}}}
        return {"find": command["aggregate"], "filter": first.get("$match", {})} \
            if "$match" in first else None
    if name == "count":
        return {"find": command["count"], "filter": command.get("query", {})}
    if name in ("update", "delete"):
        return {"find": command[name],
                "filter": command["updates" if name == "update" else "deletes"][0]["q"]}
    if name == "findAndModify":
        return {"find": command["findAndModify"], "filter": command.get("query", {})}
    return None


def branches(query: dict) -> list[dict]:
    """An `$or` (at the top or inside the top `$and`) as its branches, each with the rest of
    the filter; any other filter as itself."""
    if "$or" in query:
        rest = {k: v for k, v in query.items() if k != "$or"}
        return [{**rest, **branch} for branch in query["$or"]]
    clauses = query.get("$and")
    if isinstance(clauses, list):
        for n, clause in enumerate(clauses):
            if isinstance(clause, dict) and set(clause) == {"$or"}:
                rest = clauses[:n] + clauses[n + 1:]
                return [{"$and": [*rest, branch]} for branch in clause["$or"]]
    return [query]


UNBOUNDED = {"$ne", "$nin", "$exists", "$not"}  # conditions that cannot bound an index scan


def mentioned(query) -> set[str]:
    """The field names a filter bounds (at any depth of $and / $or): not those it only
    constrains by $ne / $nin / $exists / $not, whose index could only be walked whole."""
    if isinstance(query, list):
        return set().union(*map(mentioned, query)) if query else set()
    if not isinstance(query, dict):
        return set()
    names = set()
    for key, value in query.items():
        if key in ("$and", "$or"):
            names |= mentioned(value)
        elif not (isinstance(value, dict) and value and set(value) <= UNBOUNDED):
            names.add(key)
    return names


def best_hinted(db, command: dict) -> tuple[str, int] | None:
    """(stage, documents examined) of the best index for the command's filter, its `$or`
    branches summed; None when some branch has no index that serves it."""
    find = as_find(command)
    if find is None:
        return None
    indexes = [(ix["name"], next(iter(ix["key"]))) for ix in db[find["find"]].list_indexes()]
    total = 0
    for branch in branches(find["filter"]):
        plans = []
        fields = mentioned(branch)
        for index in (name for name, first in indexes if first in fields):
            try:
                explained = db.command("explain", {"find": find["find"], "filter": branch,
                                                   "hint": index, "maxTimeMS": 20_000},
                                       verbosity="executionStats")
            except OperationFailure:  # an index this filter cannot use ($near needs its geo index)
                continue
            except NetworkTimeout:  # slower than any index that serves the filter would be
                continue
            stage, examined, _ = stats_of(explained)
            if stage != "COLLSCAN":
                plans.append(examined)
        if not plans:
            return None
        total += min(plans)
    return "IXSCAN", total


def judge(db, command: dict) -> tuple[str, int, int]:
    explained = db.command("explain", command, verbosity="executionStats")
    stage, examined, returned = stats_of(explained)
    if stage == "COLLSCAN" and explained.get("serverInfo", {}).get("host") == "secantus":
        best = best_hinted(db, command)  # see the module's note
        if best is not None:
            stage, examined = best
    return stage, examined, returned


def stats_of(explained: dict) -> tuple[str, int, int]:
    """(winning stage, documents examined, documents returned) of an explain answer."""
    stats = explained.get("executionStats")
    plan = explained.get("queryPlanner", {}).get("winningPlan", {})
    if stats is None and explained.get("stages"):
        cursor = explained["stages"][0].get("$cursor", {})
        stats, plan = cursor.get("executionStats", {}), cursor.get("queryPlanner", {}).get(
            "winningPlan", {})
    stage = plan.get("stage")
    while plan.get("inputStage") and stage in ("FETCH", "SORT", "PROJECTION_SIMPLE",
                                               "PROJECTION_DEFAULT", "LIMIT", "UPDATE", "DELETE"):
        plan = plan["inputStage"]
        stage = plan.get("stage")
    return stage, stats.get("totalDocsExamined", 0), stats.get("nReturned", 0)


def test_every_hot_query_is_an_index_scan(app, as_user, report, crowded):
    commands.recording = []
    try:
        run_hot_paths(as_user, report, crowded)
    finally:
        recorded, commands.recording = commands.recording, None
    # Explains on a connection of their own that gives up after 30 s (SecantusDB once took
    # minutes over a hinted walk of a whole index; a stuck explain must not stall the suite).
    client = MongoClient(app.config["MONGODB_URI"], socketTimeoutMS=30_000)
    db = client[app.config["MONGODB_DB"]]
    seen, problems = set(), []
    for command in recorded:
        target = explainable(command)
        if target is None or repr(target) in seen:
            continue
        seen.add(repr(target))
        stage, examined, returned = judge(db, target)
        if stage == "COLLSCAN" or examined > FACTOR * returned + SLACK:
            problems.append(f"{stage} examined {examined} returned {returned}: {target}")
    client.close()
    assert len(seen) > 20  # the hot paths really ran
    assert not problems, "\n".join(problems)
