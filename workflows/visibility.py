"""What leaves the back office: a history entry as the reporter (and anyone outside the back
office — a follower, a sister app, the public) may read it. Pure; reads the action table."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from workflows.case_table import ACTIONS

# History entries that are not workflow actions, and whether the reporter sees them.
EVENT_REPORTER_FACING: Mapping[str, bool] = {
    "report": True, "sla.warning": False, "sla.overdue": False, "sla.escalated": False,
    "evaluation.reminder": False, "support.priority_raised": False,
}


def public_entry(entry: Mapping[str, Any]) -> dict[str, Any] | None:
    """An entry as anyone outside the back office may read it — the reporter, a follower, a
    sister app, the public: None for back-office traffic (supervision, extensions, SLA cards);
    otherwise no staff names, the note only when public, and only the payload fields written
    for the reporter. The one rule for every such view (history, timeline, Open311, webhooks)."""
    action = str(entry.get("action") or "")
    spec = ACTIONS.get(action)
    if not (spec.reporter_facing if spec else EVENT_REPORTER_FACING.get(action, False)):
        return None
    payload = entry.get("payload") or {}
    public = spec.public_fields if spec else ()
    return {
        "seq": entry.get("seq"), "action": action, "from": entry.get("from"), "to": entry.get("to"),
        "actor": {"roles": list((entry.get("actor") or {}).get("roles") or ())},
        "note": entry.get("note") if entry.get("note_visibility") == "public" else None,
        "note_visibility": "public",
        "payload": {k: payload[k] for k in public if k in payload},
        "at": entry.get("at"),
    }
