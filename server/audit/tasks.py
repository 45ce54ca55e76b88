"""The audit trail's periodic task (beat): retention."""

from __future__ import annotations

from celery import shared_task

from server.audit.service import prune
from server.timeutil import now_utc


@shared_task(name="gridhub.audit_prune", ignore_result=True)
def audit_prune() -> int:
    """Daily: remove audit entries older than the retention period (180 days)."""
    return prune(now=now_utc())
