"""Fan-out (DESIGN §8): one history entry → notification documents for its recipients.

Keyed by (case, seq): each document is inserted only if (event key, recipient, channel) is
new, so a redelivered or re-published event creates nothing. Inbox notifications are
delivered by being written.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bson import ObjectId
from pymongo.errors import DuplicateKeyError

from notifications import recipients, rules
from server.cases import timers
from server.cases.models import Case
from server.catalog import service as catalog
from server.inbox.models import Notification


def _deadline(case: Case, entry: dict[str, Any]) -> str | None:
    moment = (entry.get("payload") or {}).get("deadline")
    if moment is None:
        handle = (case.deadlines or {}).get("handle") or {}
        moment = handle.get("deadline") if handle.get("ended_at") is None else None
    return timers.moment_label(moment) if moment is not None else None


def fan_out(case_id: str, seq: int, *, now: datetime | None = None) -> int:
    """Create the inbox notifications of one event; return how many were new.

    Only the inbox channel exists so far; push, webhook and SMS delivery are not built yet."""
    case = Case.objects(id=ObjectId(case_id)).first()
    if case is None or not 0 < seq <= len(case.history):
        return 0
    entry = case.history[seq - 1]
    event_type = entry["action"]
    audience = recipients.resolve(rules.audiences(event_type), case)
    audience.discard((entry.get("actor") or {}).get("key", "").partition(":")[2])
    if not audience:
        return 0
    category = catalog.find(code=case.category)
    title, body = rules.text(event_type, code=case.code,
                             category=category.name if category else case.category,
                             address=case.address, deadline=_deadline(case, entry),
                             note=entry.get("note"))
    now = now or datetime.now(UTC)
    common = {"event_key": f"case:{case_id}:{seq}", "case": case_id, "case_code": case.code,
              "seq": seq, "type": event_type, "title": title, "body": body,
              "urgent": event_type in rules.URGENT or case.priority == "urgent",
              "data": {"case_id": case_id, "seq": str(seq), "type": event_type,
                       "link": f"gridhub://cases/{case_id}"},
              "attempts": 0, "created_at": now}
    collection = Notification._get_collection()
    created = 0
    for recipient in sorted(audience):
        key = {"event_key": common["event_key"], "recipient": recipient, "channel": "inbox"}
        try:
            written = collection.update_one(
                key, {"$setOnInsert": {**common, **key, "status": "sent", "sent_at": now}},
                upsert=True)
            created += written.upserted_id is not None
        except DuplicateKeyError:  # a concurrent fan-out of the same event inserted it
            pass
    return created
