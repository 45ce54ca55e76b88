"""Digests (issue 19): the alerts held in quiet hours, released as one push per recipient.

Every minute (beat) `sweep` gathers, per recipient and channel, the held notifications whose
time has come into one digest notification — 您有 N 条新消息, the first titles, a link to the
inbox, where each item already is — and hands it to delivery like any other notification.

Exactly once through a worker dying at any point:

1. claim: the due `held` items of a recipient move to `digesting`, stamped with the digest's
   event key (one atomic update; the key is derived from the recipient, the channel and the
   first item's id, so two sweepers of the same items name the same digest);
2. build: the digest is inserted if its key is new (`$setOnInsert`, unique on event key,
   recipient and channel), from the items carrying its key, and lists their ids;
3. close: the items it lists move to `digested`; an item stamped with the key that the digest
   does not list (claimed by a racing sweeper after the digest was built) goes back to `held`
   for the next digest.

A sweep first finishes every digest left at `digesting` by one that died (steps 2–3 again: the
insert finds the digest there and adds nothing), and delivery of the digest is the ordinary
compare-and-set delivery, whose recovery picks it up if its task was lost.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from pymongo.errors import DuplicateKeyError

from server.inbox.models import Notification

log = logging.getLogger(__name__)
SHOWN = 3  # titles named in the digest's body
MAX_GROUPS = 1_000  # recipients digested per sweep; the rest wait a minute


def _collection():
    return Notification._get_collection()


def digest_key(recipient: str, channel: str, first: Any) -> str:
    return f"digest:{recipient}:{channel}:{first}"


def text(items: list[dict[str, Any]]) -> tuple[str, str]:
    """(title, body) of a digest of `items` (oldest first)."""
    titles = []
    for item in items:
        label = f"{item['title']}（{item['case_code']}）" if item.get("case_code") else item["title"]
        if label not in titles:
            titles.append(label)
    body = "；".join(titles[:SHOWN]) + (f" 等 {len(items)} 条" if len(titles) > SHOWN else "")
    return f"您有 {len(items)} 条新消息", f"非工作时间收到的消息：{body}。请在消息中心查看。"


def build(key: str, *, now: datetime) -> str | None:
    """Steps 2–3 for one digest: insert it if new, close its items; the digest's id while it
    still waits for delivery, else None (nothing claimed under `key`, or already sent)."""
    items = list(_collection().find({"digest": key}, sort=[("created_at", 1), ("_id", 1)],
                                    projection={"recipient": 1, "channel": 1, "title": 1,
                                                "case_code": 1, "status": 1}))
    if not items:
        return None
    recipient, channel = items[0]["recipient"], items[0]["channel"]
    title, body = text(items)
    where = {"event_key": key, "recipient": recipient, "channel": channel}
    document = {**where, "type": "digest", "title": title, "body": body, "urgent": False,
                "status": "pending", "next_attempt_at": now, "attempts": 0, "created_at": now,
                "items": [item["_id"] for item in items],
                "data": {"type": "digest", "count": str(len(items)), "link": "gridhub://inbox"}}
    try:
        _collection().update_one(where, {"$setOnInsert": document}, upsert=True)
    except DuplicateKeyError:  # a concurrent sweep inserted it
        pass
    digest = _collection().find_one(where, projection={"status": 1, "items": 1})
    listed = digest.get("items") or []
    _collection().update_many({"digest": key, "status": "digesting", "_id": {"$in": listed}},
                              {"$set": {"status": "digested"}})
    _collection().update_many({"digest": key, "status": "digesting", "_id": {"$nin": listed}},
                              {"$set": {"status": "held"}, "$unset": {"digest": ""}})
    return str(digest["_id"]) if digest["status"] == "pending" else None


def sweep(*, now: datetime) -> list[str]:
    """Finish the digests a dead sweep left, then digest every recipient with held alerts due;
    the ids of the digests to deliver. Each digest is isolated: one failing is logged and left
    for the next sweep (its items stay `digesting` under its key), the others go on."""
    keys = set(_collection().distinct("digest", {"status": "digesting"}))
    due = _collection().aggregate([
        {"$match": {"status": "held", "held_until": {"$lte": now}}},
        {"$group": {"_id": {"recipient": "$recipient", "channel": "$channel"},
                    "first": {"$min": "$_id"}}},
        {"$limit": MAX_GROUPS}])
    for group in due:
        recipient, channel = group["_id"]["recipient"], group["_id"]["channel"]
        key = digest_key(recipient, channel, group["first"])
        _collection().update_many(
            {"recipient": recipient, "channel": channel, "status": "held",
             "held_until": {"$lte": now}},
            {"$set": {"status": "digesting", "digest": key}})
        keys.add(key)
    ready = []
    for key in sorted(keys):
        try:
            ident = build(key, now=now)
        except Exception:  # one digest's fault must not hold back the others
            log.exception("building digest %s failed", key)
            continue
        if ident is not None:
            ready.append(ident)
    return ready
