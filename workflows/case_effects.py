"""What each workflow action changes on the case besides status, version and history.

Pure data: one function per action, `(case before, actor, payload, time) → (fields to set,
counters to increment)`. The case is a `case_machine.CaseSnapshot`, the actor an `Actor`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

MAX_SUPERVISION_LEVEL = 2

Effect = Callable[[Any, Any, Mapping[str, Any], datetime],
                  tuple[dict[str, Any], dict[str, int]]]

EFFECTS: Mapping[str, Effect] = {
    "accept": lambda c, a, p, now: (
        {"accepted_at": now, **{k: p[k] for k in ("category", "priority") if p.get(k)}}, {}),
    "reject": lambda c, a, p, now: ({"ended_at": now}, {}),
    "cancel": lambda c, a, p, now: ({"ended_at": now}, {}),
    "merge": lambda c, a, p, now: ({"merged_into": p["primary"], "ended_at": now}, {}),
    "self_handle": lambda c, a, p, now: (
        {"handled_at": now, "result": p["result"], "self_handled": True}, {}),
    "dispatch": lambda c, a, p, now: (
        {"department": p["department"], "assignee": p.get("assignee"), "dispatched_at": now}, {}),
    "redispatch": lambda c, a, p, now: (
        {"department": p["department"], "assignee": p.get("assignee"), "dispatched_at": now},
        {"redispatch_count": 1}),
    "sign": lambda c, a, p, now: ({"signed_at": now, "assignee": _user_id(a)}, {}),
    "return": lambda c, a, p, now: (
        {"department": None, "assignee": None, "returned_at": now}, {"return_count": 1}),
    "request_extension": lambda c, a, p, now: (
        {"extension": {"status": "pending", "reason": p["reason"], "until": p.get("until"),
                       "duration_wd": p.get("duration_wd"), "requested_by": a.key,
                       "requested_at": now}}, {}),
    "approve_extension": lambda c, a, p, now: (
        {"extension.status": "approved", "extension.decided_by": a.key,
         "extension.decided_at": now}, {"extension_count": 1}),
    "deny_extension": lambda c, a, p, now: (
        {"extension.status": "denied", "extension.decided_by": a.key,
         "extension.decided_at": now}, {}),
    "suspend": lambda c, a, p, now: (
        {"suspension": {"from": c.status.value, "since": now, "until": p.get("until"),
                        "duration_wd": p.get("duration_wd"), "reason": p["reason"]}}, {}),
    "resume": lambda c, a, p, now: ({"suspension": None}, {}),
    "supervise": lambda c, a, p, now: (
        {"supervision_level": min(MAX_SUPERVISION_LEVEL,
                                  max(c.supervision_level + 1, p.get("level") or 0))},
        {"supervise_count": 1}),
    "handle": lambda c, a, p, now: ({"handled_at": now, "result": p["result"]}, {}),
    "verify_pass": lambda c, a, p, now: ({"closed_at": now, "ended_at": now}, {}),
    "verify_fail": lambda c, a, p, now: ({"handled_at": None}, {"rework_count": 1}),
    "evaluate": lambda c, a, p, now: (
        {"evaluation": {"rating": p["rating"], "note": p.get("note"), "at": now}}, {}),
    "reopen": lambda c, a, p, now: (
        {"closed_at": None, "ended_at": None, "handled_at": None, "dispatched_at": now,
         "evaluation": None, "department": p.get("department") or c.department,
         "assignee": p.get("assignee")}, {"reopen_count": 1}),
}



def _user_id(actor: Any) -> str | None:
    kind, _, ident = actor.key.partition(":")
    return ident if kind == "user" else None
