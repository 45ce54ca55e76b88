"""Celery tasks. They take ids and plain values, never documents (DESIGN §8)."""

from __future__ import annotations

from typing import Any

from notifications.celery_app import celery

BATCH = 500  # notifications per delivery task (FCM's limit per send_each)


@celery.task(name="gridhub.sla_sweep", ignore_result=True)
def sla_sweep() -> dict[str, Any]:
    """Every minute (beat): the yellow and red cards, escalations and automatic resumes due."""
    from server.supervision.sweep import sweep

    return sweep().as_dict()


@celery.task(name="gridhub.fanout", ignore_result=True)
def fanout(case_id: str, seq: int) -> int:
    """One history entry → its notifications (idempotent per case and seq), then their
    delivery in batches of at most 500."""
    from notifications.fanout import fan_out

    fanned = fan_out(case_id, seq)
    queue_delivery(fanned.deliver)
    return fanned.created


def queue_delivery(ids: list[str], countdown: float | None = None) -> None:
    for start in range(0, len(ids), BATCH):
        deliver.apply_async(args=[ids[start:start + BATCH]], countdown=countdown)


@celery.task(name="gridhub.deliver", ignore_result=True)
def deliver(ids: list[str]) -> dict[str, Any]:
    """One attempt at each notification; the ones to retry are queued again after their
    backoff (the broker holds them; nothing waits in the worker)."""
    from notifications import delivery
    from server.cases.service import now_utc

    report = delivery.deliver(ids, now=now_utc())
    for delay, retry in report.retry.items():
        queue_delivery(retry, countdown=delay)
    return report.as_dict()


@celery.task(name="gridhub.recover_deliveries", ignore_result=True)
def recover_deliveries() -> int:
    """Every 30 s (beat): deliveries whose worker died or whose task was lost, queued again."""
    from notifications import delivery
    from server.cases.service import now_utc

    lost = delivery.recover(now=now_utc())
    queue_delivery(lost)
    return len(lost)


@celery.task(name="gridhub.relay_events", ignore_result=True)
def relay_events() -> int:
    """Every 30 s (beat): publish history entries the broker missed when it was down."""
    from server.cases.events import relay
    from server.cases.service import now_utc

    return relay(now=now_utc())


@celery.task(name="gridhub.evaluation_reminders", ignore_result=True)
def evaluation_reminders() -> int:
    """Hourly (beat): remind reporters to evaluate closed cases they have not rated."""
    from server.supervision.reminders import remind_evaluations

    return remind_evaluations()


@celery.task(name="gridhub.remove_orphan_uploads", ignore_result=True)
def remove_orphan_uploads() -> int:
    """Hourly (beat): photos uploaded for a report that was never sent, older than a day."""
    from server.cases.attachments import remove_orphans
    from server.cases.service import now_utc

    return remove_orphans(now=now_utc())


@celery.task(name="gridhub.audit_prune", ignore_result=True)
def audit_prune() -> int:
    """Daily (beat): remove audit entries older than the retention period (180 days)."""
    from server.audit.service import prune
    from server.cases.service import now_utc

    return prune(now=now_utc())
