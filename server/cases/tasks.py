"""The case domain's periodic tasks (beat): the outbox relay, the orphan-upload clean-up and
the past days' code counters."""

from __future__ import annotations

from celery import shared_task

from server.cases.attachments import remove_orphans
from server.cases.events import relay
from server.cases.service import prune_code_counters
from server.timeutil import now_utc


@shared_task(name="gridhub.relay_events", ignore_result=True)
def relay_events() -> int:
    """Every 30 s: publish history entries the broker missed when it was down."""
    return relay(now=now_utc())


@shared_task(name="gridhub.remove_orphan_uploads", ignore_result=True)
def remove_orphan_uploads() -> int:
    """Hourly: photos uploaded for a report that was never sent, older than a day."""
    return remove_orphans(now=now_utc())


@shared_task(name="gridhub.prune_code_counters", ignore_result=True)
def prune_counters() -> int:
    """Daily: the code counters of past days."""
    return prune_code_counters(now=now_utc())
