"""Domain events out of the case history (DESIGN §8): nothing is lost if the broker is down.

A transition (or SLA notice) marks the case `publish_pending_since` in the same atomic update
that appends its history entry. After the write, each new entry is published to the broker as
`{case_id, seq}`; once the broker accepted it, `published_seq` moves up and the mark is
cleared. If the broker is down the request still succeeds, and the relay (beat, every 30 s)
publishes what is still pending. The fan-out is keyed by (case, seq), so publishing twice
does nothing new.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bson import ObjectId

from notifications.tasks import deliver, fanout
from server.cases.models import Case

log = logging.getLogger(__name__)
RELAY_AFTER = timedelta(seconds=15)


def pending_fields(now: datetime) -> dict:
    """The update operators that mark a case as having events to publish."""
    return {"$min": {"publish_pending_since": now}}


def publish(case_id: ObjectId, seqs: list[int]) -> bool:
    """Hand the events to the broker; True when it accepted all of them."""
    try:
        for seq in seqs:
            fanout.delay(str(case_id), seq)
    except Exception as exc:  # any broker failure: the relay will publish later
        log.warning("broker unavailable, events of case %s left to the relay: %s", case_id, exc)
        return False
    last = max(seqs)
    collection = Case._get_collection()
    # One write in the common case: nothing newer was appended meanwhile, so the mark goes.
    done = collection.update_one({"_id": case_id, "version": {"$lte": last}},
                                 {"$max": {"published_seq": last},
                                  "$unset": {"publish_pending_since": ""}})
    if not done.matched_count:  # newer entries arrived: they keep the mark for their publisher
        collection.update_one({"_id": case_id}, {"$max": {"published_seq": last}})
    return True


def relay(*, now: datetime) -> int:
    """Publish the events still pending for longer than RELAY_AFTER; return how many."""
    published = 0
    for raw in Case._get_collection().find(
            {"publish_pending_since": {"$lte": now - RELAY_AFTER}},
            projection={"version": True, "published_seq": True}):
        seqs = list(range((raw.get("published_seq") or 0) + 1, raw["version"] + 1))
        if seqs and publish(raw["_id"], seqs):
            published += len(seqs)
        elif not seqs:
            Case._get_collection().update_one({"_id": raw["_id"], "version": raw["version"]},
                                              {"$unset": {"publish_pending_since": ""}})
    return published


def queue_delivery(ids: list[str]) -> bool:
    """Queue notifications for delivery; if the broker is down, the delivery recovery (beat)
    finds them pending and queues them later."""
    try:
        deliver.delay(ids)
    except Exception as exc:  # any broker failure
        log.warning("broker unavailable, %d deliveries left to the recovery: %s", len(ids), exc)
        return False
    return True
