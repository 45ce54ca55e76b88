"""Patrol tasks (beat): idle patrols ended, raw positions past their retention removed."""

from __future__ import annotations

from celery import shared_task

from server.patrols import service
from server.timeutil import now_utc


@shared_task(name="gridhub.close_idle_patrols", ignore_result=True)
def close_idle_patrols() -> dict[str, int]:
    return service.close_idle(now=now_utc())


@shared_task(name="gridhub.prune_patrol_points", ignore_result=True)
def prune_patrol_points() -> int:
    return service.prune_points(now=now_utc())
