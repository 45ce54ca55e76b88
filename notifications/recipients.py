"""Audiences of `notifications.rules` resolved to active users for one case."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mongoengine import Q

from server.auth.models import User
from server.organisation.models import Department


def _ids(query: Q) -> set[str]:
    return {str(u.id) for u in User.objects(query & Q(active=True)).only("id")}


def _user(key: str | None) -> set[str]:
    kind, _, ident = (key or "").partition(":")
    return {ident} if kind == "user" and ident else set()


def _handlers(case: Any) -> set[str]:
    return _ids(Q(role="handler", org=case.department)) if case.department else set()


def _region_staff(role: str, codes: list[str]) -> set[str]:
    return _ids(Q(role=role, org_kind="region", org__in=codes)) if codes else set()


def _grid_workers(case: Any) -> set[str]:
    found = {case.responsible_worker} if case.responsible_worker else set()
    if case.grid:
        found |= _ids(Q(role="grid_worker") & (Q(org=case.grid) | Q(grids=case.grid)))
    return found


def _heads(case: Any) -> set[str]:
    department = Department.objects(code=case.department).only("duty_officials").first() \
        if case.department else None
    return set(department.duty_officials) if department else set()


AUDIENCES: dict[str, Callable[[Any], set[str]]] = {
    "department_handlers": _handlers,
    "assignee": lambda case: {case.assignee} if case.assignee else set(),
    "assignee_or_handlers": lambda case: {case.assignee} if case.assignee else _handlers(case),
    # the dispatch centres above the case: county, town, community
    "region_dispatchers": lambda case: _region_staff("dispatcher", case.region_path[:3]),
    "grid_worker": _grid_workers,
    "reporter": lambda case: _user(case.reporter),
    "town_supervisors": lambda case: _region_staff("supervisor", case.region_path[1:2]),
    "county_supervisors": lambda case: _region_staff("supervisor", case.region_path[:1]),
    "department_heads": _heads,
}


def resolve(audiences: tuple[str, ...], case: Any) -> set[str]:
    """The user ids of every audience, for this case."""
    found: set[str] = set()
    for audience in audiences:
        found |= AUDIENCES[audience](case)
    return found
