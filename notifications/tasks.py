"""Notification tasks. They take ids and plain values, never documents (DESIGN §8)."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from notifications import delivery, digests
from notifications.fanout import fan_out
from server.timeutil import now_utc

BATCH = 500  # notifications per delivery task (FCM's limit per send_each)


@shared_task(name="gridhub.fanout", ignore_result=True)
def fanout(case_id: str, seq: int) -> int:
    """One history entry → its notifications (idempotent per case and seq), then their
    delivery in batches of at most 500."""
    fanned = fan_out(case_id, seq)
    queue_delivery(fanned.deliver)
    return fanned.created


def queue_delivery(ids: list[str], countdown: float | None = None) -> None:
    for start in range(0, len(ids), BATCH):
        deliver.apply_async(args=[ids[start:start + BATCH]], countdown=countdown)


@shared_task(name="gridhub.deliver", ignore_result=True)
def deliver(ids: list[str]) -> dict[str, Any]:
    """One attempt at each notification; the ones to retry are queued again after their
    backoff (the broker holds them; nothing waits in the worker)."""
    report = delivery.deliver(ids, now=now_utc())
    for delay, retry in report.retry.items():
        queue_delivery(retry, countdown=delay)
    return report.as_dict()


@shared_task(name="gridhub.recover_deliveries", ignore_result=True)
def recover_deliveries() -> int:
    """Every 30 s (beat): deliveries whose worker died or whose task was lost, queued again."""
    lost = delivery.recover(now=now_utc())
    queue_delivery(lost)
    return len(lost)


@shared_task(name="gridhub.send_digests", ignore_result=True)
def send_digests() -> int:
    """Every minute (beat): alerts held in quiet hours whose working period has begun, one
    digest per recipient, queued for delivery."""
    ready = digests.sweep(now=now_utc())
    queue_delivery(ready)
    return len(ready)
