"""Database round trips per request in the steady state (caches warm, indexes made): what a
real deployment pays on every report and transition (docs/BENCHMARKS.md). Counted with the
command listener of the test process."""

from __future__ import annotations

from tests.cases import case_body
from tests.conftest import commands
from tests.factories import CaseFactory


def round_trips(send):
    send()  # the first request warms the per-process caches and creates indexes
    commands.recording = []
    try:
        response = send()
    finally:
        recorded, commands.recording = commands.recording, None
    assert response.status_code in (200, 201), response.json
    # Left out: the re-checks a process makes at most every few seconds whatever the traffic
    # (a user's token state every 5 s, the grids' stamp every second).
    periodic = {("find", "users"), ("find", "counters")}
    return [name for command in recorded
            if (name := next(iter(command))) != "endSessions"
            and (name, command[name]) not in periodic]


def test_a_transition_costs_six_round_trips(as_user):
    client, cases = as_user("dispatcher"), iter([CaseFactory(), CaseFactory()])
    sent = round_trips(lambda: client.post(f"/api/v1/cases/{next(cases)['id']}/transitions",
                                           json={"action": "accept"}))
    # revoked-token check, the read in scope, the history append (one conditional update), the
    # outbox mark cleared once the broker took the event, the read back by _id, the audit entry
    assert sent == ["find", "find", "update", "update", "find", "insert"]


def test_a_report_costs_six_round_trips(as_user):
    client = as_user("gridworker")
    sent = round_trips(lambda: client.post("/api/v1/cases", json=case_body()))
    # revoked-token check, the duplicate search, the day's code counter, the insert, the outbox
    # mark cleared, the audit entry
    assert sent == ["find", "aggregate", "findAndModify", "insert", "update", "insert"]


def test_a_batch_of_patrol_positions_costs_five_round_trips(as_user):
    from datetime import timedelta

    from server.patrols import service
    from tests.clock import from_now
    from tests.factories import principal_of

    patrol = service.start(principal=principal_of("gridworker"), now=from_now(minutes=-30))
    client, keys = as_user("gridworker"), iter(["b1", "b2"])
    t0 = from_now(minutes=-20)

    def send():
        key = next(keys)
        offset = 500 if key == "b2" else 0  # the second batch follows the first
        points = [{"lat": 36.915, "lng": 121.5225 + 0.00005 * i,
                   "at": (t0 + timedelta(seconds=offset + 5 * i)).isoformat()} for i in range(100)]
        return client.post(f"/api/v1/patrols/{patrol['id']}/points", json={"points": points},
                           headers={"Idempotency-Key": key})

    sent = round_trips(send)
    # revoked-token check, the patrol read in scope, the positions (one insert_many), the
    # patrol's conditional update, the audit entry — a batch of 100 costs what one report does
    assert sent == ["find", "find", "insert", "update", "insert"]
