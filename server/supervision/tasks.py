"""Supervision's periodic tasks (beat): the SLA sweep and the evaluation reminders."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from server.supervision.reminders import remind_evaluations
from server.supervision.sweep import sweep


@shared_task(name="gridhub.sla_sweep", ignore_result=True)
def sla_sweep() -> dict[str, Any]:
    """Every minute: the yellow and red cards, escalations and automatic resumes due."""
    return sweep().as_dict()


@shared_task(name="gridhub.evaluation_reminders", ignore_result=True)
def evaluation_reminders() -> int:
    """Hourly: remind reporters to evaluate closed cases they have not rated."""
    return remind_evaluations()
