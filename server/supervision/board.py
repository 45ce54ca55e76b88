"""The supervision board (督办看板): open cases with running clocks in the caller's scope,
red first, then the least time left — one indexed sort on the earliest running deadline."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from mongoengine import Q

from server.auth.permissions import require_roles
from server.auth.principals import Principal
from server.cases import timers
from server.cases.models import Case
from server.cases.presenting import point_of
from server.cases.scope import scope_filter
from server.extensions.queries import starts_with
from server.organisation import names
from server.timeutil import now_utc
from workflows import sla_policy
from workflows.case_table import OPEN_STATES, SOURCE_LABELS, STATE_LABELS, State

BOARD_ROLES = ("supervisor", "dispatcher", "admin", "platform_admin")
LIGHT_FILTERS = ("red", "yellow", "green", "paused")


def _light_condition(light: str, now: datetime) -> dict[str, Any]:
    if light == "paused":
        return {"sla.paused": True}
    if light == "red":
        return {"sla.due_at": {"$lte": now}}
    if light == "yellow":
        return {"sla.due_at": {"$gt": now}, "sla.warn_at": {"$lte": now}}
    return {"sla.warn_at": {"$gt": now}}


def _light(light: str, now: datetime) -> Q:
    return Q(__raw__=_light_condition(light, now))


def _base(principal: Principal, filters: dict[str, Any]) -> Q:
    require_roles(principal, *BOARD_ROLES)
    query = scope_filter(principal) & Q(status__in=[s.value for s in OPEN_STATES])
    if "phase" in filters:
        query &= Q(__raw__={"sla.phases": filters["phase"]})
    if "department" in filters:
        query &= Q(department=filters["department"])
    if "category" in filters:
        query &= starts_with("category", filters["category"])
    if "level" in filters:
        query &= Q(escalation_level=filters["level"])
    if "region" in filters:
        query &= Q(region_path=filters["region"])
    if "priority" in filters:
        query &= Q(priority=filters["priority"])
    return query


class BoardList:
    """The board's cases as rows, page by page (the pager counts and slices it)."""

    def __init__(self, queryset: Any) -> None:
        self.queryset = queryset

    def count(self) -> int:
        return self.queryset.count()

    def __getitem__(self, window: slice) -> list[dict[str, Any]]:
        now = now_utc()  # one moment for the whole page
        return [item(case, now) for case in self.queryset[window]]


def board(*, principal: Principal, filters: dict[str, Any]) -> BoardList:
    """The board's cases, most urgent first."""
    now = now_utc()
    query = _base(principal, filters)
    if "light" in filters:
        query &= _light(filters["light"], now)
    else:
        query &= Q(__raw__={"$or": [{"sla.due_at": {"$ne": None}}, {"sla.paused": True}]})
    return BoardList(Case.objects(query).exclude("history").order_by("sla.due_at", "id"))


def counts(*, principal: Principal, filters: dict[str, Any]) -> dict[str, int]:
    """How many of the board's cases show each light (the other filters applied)."""
    now = now_utc()
    query = _base(principal, {k: v for k, v in filters.items() if k != "light"})
    # One aggregation evaluated by the server: the board's $match, then a count per light.
    rows = list(Case.objects(query).aggregate([{"$facet": {
        light: [{"$match": _light_condition(light, now)}, {"$count": "n"}]
        for light in LIGHT_FILTERS}}]))
    facets = rows[0] if rows else {}
    return {light: facets[light][0]["n"] if facets.get(light) else 0 for light in LIGHT_FILTERS}


SUMMARY_CHARS = 40


def summary(description: str | None) -> str:
    """The start of a description, on one line, for a list row."""
    text = " ".join((description or "").split())
    return text if len(text) <= SUMMARY_CHARS else text[:SUMMARY_CHARS - 1] + "…"


def item(case: Case, now: datetime) -> dict[str, Any]:
    """A board row: the case and its most urgent running phase."""
    phases = {p: d for p, d in timers.describe(case, now).items()
              if d["ended_at"] is None}
    phase = min(phases, key=lambda p: phases[p]["deadline"]) if phases else None
    current = phases.get(phase, {})
    places = names.places(case.region_path, case.grid)
    return {
        "id": str(case.id), "code": case.code, "status": case.status,
        "status_label": STATE_LABELS[State(case.status)], "category": case.category,
        "priority": case.priority, "address": case.address, "grid": case.grid,
        "summary": summary(case.description), "source": case.source,
        "location": point_of(case.location),
        "source_label": SOURCE_LABELS.get(case.source, case.source),
        "place": next((places[level]["name"] for level in ("grid", "community", "town")
                       if places[level]), None),
        "town": places["town"],
        "department": case.department, "department_name": names.department(case.department),
        "region_path": case.region_path,
        "light": timers.case_light(case, now), "phase": phase,
        "phase_label": sla_policy.PHASE_LABELS.get(phase or "", None),
        "deadline": current.get("deadline"), "clock": current.get("clock"),
        "remaining_minutes": current.get("remaining_minutes"),
        "time_left": current.get("time_left"),
        "escalation_level": case.escalation_level or 0,
        "supervision_level": case.supervision_level or 0,
        "supervise_count": case.supervise_count or 0,
        "created_at": case.created_at,
    }
