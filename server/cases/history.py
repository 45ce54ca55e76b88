"""The one writer of a case's history (全程留痕; Netflix Dispatch's `log_case_event` is the
model): every transition, SLA notice and reminder appends its entries here.

One conditional update on the version sets the fields, increments the version by the number of
entries, pushes them and marks the case as having events to publish (the outbox,
`events`); then the entries are published. An entry's `seq` is the version the case has once
it is written — checked here, so a history is always 1, 2, 3… with no gap and no repeat.
Entries are built by `workflows.history.entry` (the report's by `case_machine.report_entry`,
written with the case itself).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from bson import ObjectId

from server.cases import events
from server.cases.models import Case


def append(case_id: ObjectId, expected_version: int, entries: Sequence[Mapping[str, Any]], *,
           now: datetime, set_: Mapping[str, Any] | None = None,
           inc: Mapping[str, float] | None = None, add_to_set: Mapping[str, Any] | None = None,
           where: Mapping[str, Any] | None = None) -> bool:
    """Append `entries` to a case still at `expected_version` (and matching `where`); False
    when another writer got there first (nothing written)."""
    if not entries:
        raise ValueError("a history write appends at least one entry")
    seqs = [entry["seq"] for entry in entries]
    if seqs != list(range(expected_version + 1, expected_version + 1 + len(entries))):
        raise ValueError(f"entries {seqs} do not continue version {expected_version}")
    update: dict[str, Any] = {
        "$set": {"updated_at": now, **(set_ or {})},
        "$inc": {"version": len(entries), **(inc or {})},
        "$push": {"history": {"$each": list(entries)}},
        **events.pending_fields(now),
    }
    if add_to_set:
        update["$addToSet"] = dict(add_to_set)
    written = Case._get_collection().update_one(
        {"_id": case_id, "version": expected_version, **(where or {})}, update)
    if not written.matched_count:
        return False
    events.publish(case_id, seqs)
    return True
