"""Delivering notifications (DESIGN §8): claim, send, settle — each step a compare-and-set.

- `claim`: `pending → sending` for the notifications that are due, with a lease and a claim
  token; a notification another worker holds (or that is already sent) is skipped.
- the channel sends the claimed batch (`notifications.channels`).
- `settle`: `sending → sent | failed`, or back to `pending` with the next attempt after an
  exponential backoff with jitter (at least what the service asked for in Retry-After); after
  MAX_ATTEMPTS the notification is `failed` with its reason. Only the holder of the claim can
  settle it.
- `recover` (beat): due `pending` notifications whose task was lost are queued again, and a
  claim whose lease ran out (its worker died) goes back to `pending`.
- an admin puts a `failed` notification back to `pending` (`server.inbox.service.redrive`).

Delivery state is separate from the workflow: nothing here reads or writes a case.
"""

from __future__ import annotations

import logging
import random
import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bson import ObjectId
from flask import current_app

from notifications.channels.base import Outcome, Progress
from notifications.channels.registry import enabled
from server.inbox.models import DELIVERED, Notification

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
BASE_DELAY = 2.0  # seconds before the second attempt
MAX_DELAY = 3600.0  # the longest wait; the broker's visibility timeout is longer (celery_app)
LOST_AFTER = timedelta(seconds=60)  # a due pending notification nobody took for this long


@dataclass
class Report:
    sent: int = 0
    failed: int = 0
    skipped: int = 0
    retry: dict[float, list[str]] = field(default_factory=dict)  # delay → ids

    def as_dict(self) -> dict[str, Any]:
        return {"sent": self.sent, "failed": self.failed, "skipped": self.skipped,
                "retrying": sum(len(ids) for ids in self.retry.values())}


def backoff(attempts: int, retry_after: float | None = None) -> float:
    """Seconds before the next attempt: doubling from BASE_DELAY up to MAX_DELAY, the upper
    half of it jittered so that a burst of failures does not come back as one burst."""
    ceiling = min(MAX_DELAY, BASE_DELAY * 2 ** max(attempts - 1, 0))
    asked = min(retry_after or 0.0, MAX_DELAY)  # a receiver's Retry-After is a wish, not an order
    if asked != asked:  # NaN
        asked = 0.0
    return round(max(ceiling / 2 + random.uniform(0, ceiling / 2), asked), 3)


def _collection():
    return Notification._get_collection()


def claim(ids: list[str], now: datetime) -> tuple[str, list[dict[str, Any]]]:
    """Take the due pending notifications among `ids`; (claim token, their documents)."""
    token = secrets.token_hex(8)
    lease = timedelta(seconds=current_app.config["DELIVERY_LEASE_SECONDS"])
    # Two round trips for the whole batch: each document's update is atomic, so of two workers
    # given the same id exactly one moves it to `sending` under its token; the read-back by
    # token finds what this worker won. (One find_one_and_update per id was N round trips, and
    # each one a collection scan on SecantusDB: docs/DATABASE.md.)
    wanted = [ObjectId(ident) for ident in ids]
    _collection().update_many(
        {"_id": {"$in": wanted}, "status": "pending",
         "next_attempt_at": {"$lte": now}},
        {"$set": {"status": "sending", "claim": token, "claimed_until": now + lease},
         "$inc": {"attempts": 1}})
    order = {ident: n for n, ident in enumerate(ids)}
    claimed = sorted(_collection().find({"_id": {"$in": wanted}, "claim": token}),
                     key=lambda raw: order.get(str(raw["_id"]), len(order)))
    return token, claimed


def settle(raw: dict[str, Any], outcome: Outcome, *, token: str,
           now: datetime) -> tuple[str | None, float | None]:
    """Record the outcome of one attempt: (the status it now has, the delay before the next
    attempt); status None when the claim was lost meanwhile (nothing written)."""
    update: dict[str, Any] = {"$unset": {"claim": "", "claimed_until": ""}}
    if outcome.delivered:
        update["$addToSet"] = {"delivered_to": {"$each": list(outcome.delivered)}}
    delay, status = None, "failed"
    if outcome.status == "sent":
        status = "sent"
        update["$set"] = {"status": "sent", "sent_at": now, "last_error": None}
    elif outcome.status == "retry" and raw["attempts"] < MAX_ATTEMPTS:
        delay, status = backoff(raw["attempts"], outcome.retry_after), "pending"
        update["$set"] = {"status": "pending", "last_error": outcome.error,
                          "next_attempt_at": now + timedelta(seconds=delay)}
    else:
        error = outcome.error if outcome.status == "failed" else \
            f"{raw['attempts']} 次尝试均失败，最后一次：{outcome.error}"
        update["$set"] = {"status": "failed", "last_error": error, "failed_at": now}
    written = _collection().update_one({"_id": raw["_id"], "status": "sending", "claim": token}, update)
    return (status, delay) if written.modified_count else (None, None)


def _settle_one(raw: dict[str, Any], outcome: Outcome, *, token: str,
                now: datetime) -> tuple[str | None, float | None]:
    """`settle`, isolated: whatever one notification's outcome holds, the others of the batch
    are settled, and this one is failed with the reason rather than left `sending`."""
    try:
        return settle(raw, outcome, token=token, now=now)
    except Exception as exc:  # one bad outcome must not leave the batch to the lease
        log.exception("settling notification %s failed", raw["_id"])
        failed = Outcome("failed", error=f"settle_error: {type(exc).__name__}"[:200])
        return settle(raw, failed, token=token, now=now)


def _recorder(batch: list[dict[str, Any]], token: str) -> Progress:
    """Write down the devices reached as a send goes on (only while the claim is ours)."""
    def record(reached: dict[int, list[str]]) -> None:
        for index, devices in reached.items():
            _collection().update_one({"_id": batch[index]["_id"], "status": "sending", "claim": token},
                                     {"$addToSet": {"delivered_to": {"$each": devices}}})
    return record


def deliver(ids: list[str], *, now: datetime) -> Report:
    """One attempt at each due notification in `ids`, batched per channel."""
    report = Report()
    token, claimed = claim(ids, now)
    report.skipped = len(ids) - len(claimed)
    by_channel: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for raw in claimed:
        by_channel[raw["channel"]].append(raw)
    available = enabled()
    for name, batch in by_channel.items():
        channel = available.get(name)
        if channel is None:
            disabled = Outcome("failed", error=f"channel_disabled: 渠道 {name} 未启用")
            outcomes = [disabled] * len(batch)
        else:
            outcomes = channel.send(batch, progress=_recorder(batch, token))
        for raw, outcome in zip(batch, outcomes, strict=True):
            status, delay = _settle_one(raw, outcome, token=token, now=now)
            if delay is not None:
                report.retry.setdefault(delay, []).append(str(raw["_id"]))
            elif status == "sent":
                report.sent += 1
            elif status == "failed":
                report.failed += 1
    return report


def recover(*, now: datetime) -> list[str]:
    """Ids to queue again: expired claims (their worker died) go back to pending first, then
    every due pending notification that waited LOST_AFTER beyond its time. Each comes back
    with `next_attempt_at = now`, so the next recovery leaves it to the task queued now."""
    expired = [raw["_id"] for raw in _collection().find(
        {"status": "sending", "claimed_until": {"$lte": now}}, projection={"_id": True})]
    _collection().update_many(
        {"_id": {"$in": expired}, "status": "sending", "claimed_until": {"$lte": now}},
        {"$set": {"status": "pending", "next_attempt_at": now,
                  "last_error": "lease_expired: 投递进程中断，重新投递"},
         "$unset": {"claim": "", "claimed_until": ""}})
    lost = expired + [raw["_id"] for raw in _collection().find(
        {"status": "pending", "channel": {"$in": list(DELIVERED)},
         "next_attempt_at": {"$lte": now - LOST_AFTER}}, projection={"_id": True}).limit(10_000)]
    _collection().update_many({"_id": {"$in": lost}, "status": "pending"},
                              {"$set": {"next_attempt_at": now}})
    return [str(ident) for ident in lost]
