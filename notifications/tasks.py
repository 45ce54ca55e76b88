"""Celery tasks. They take ids and plain values, never documents (DESIGN §8)."""

from __future__ import annotations

from typing import Any

from notifications.celery_app import celery


@celery.task(name="gridhub.sla_sweep", ignore_result=True)
def sla_sweep() -> dict[str, Any]:
    """Every minute (beat): the yellow and red cards, escalations and automatic resumes due."""
    from server.supervision.sweep import sweep

    return sweep().as_dict()


@celery.task(name="gridhub.fanout", ignore_result=True, max_retries=5, default_retry_delay=5)
def fanout(case_id: str, seq: int) -> int:
    """One history entry → its notifications (idempotent per case and seq)."""
    from notifications.fanout import fan_out

    return fan_out(case_id, seq)


@celery.task(name="gridhub.relay_events", ignore_result=True)
def relay_events() -> int:
    """Every 30 s (beat): publish history entries the broker missed when it was down."""
    from server.cases.events import relay
    from server.cases.service import now_utc

    return relay(now=now_utc())
