"""Celery tasks. They take ids and plain values, never documents (DESIGN §8)."""

from __future__ import annotations

from typing import Any

from notifications.celery_app import celery


@celery.task(name="gridhub.sla_sweep", ignore_result=True)
def sla_sweep() -> dict[str, Any]:
    """Every minute (beat): the yellow and red cards, escalations and automatic resumes due."""
    from server.supervision.sweep import sweep

    return sweep().as_dict()
