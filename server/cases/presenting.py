"""A case as one caller reads it at one moment (DESIGN §7): the reporter's personal data masked
for anyone without `pii:read` (but the reporter themself), and the SLA clocks described and the
light computed with one `now`. The case services return these; `CaseSchema` only shapes them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from server import pii
from server.auth.permissions import can_read_pii
from server.auth.principals import Principal
from server.cases import timers
from server.cases.models import Case
from server.organisation import names
from server.timeutil import now_utc


class CaseView:
    """The stored case (its fields read through) and what is computed for this caller."""

    __slots__ = ("case", "reporter_view", "deadlines_view", "light_now", "places_view",
                 "department_name", "suggested_department_name", "followers_view")

    def __init__(self, case: Case, *, principal: Principal | None, now: datetime) -> None:
        self.case = case
        self.reporter_view = reporter_of(case, principal)
        self.deadlines_view = timers.describe(case, now)
        self.light_now = timers.case_light(case, now)
        self.places_view = names.places(case.region_path, case.grid)
        self.department_name = names.department(case.department)
        self.suggested_department_name = names.department(case.suggested_department)
        # how many follow it (附议): for staff; never who
        staff = principal is not None and principal.kind == "user" and not principal.has_role("resident")
        self.followers_view = (case.follower_count or 0) if staff else None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.case, name)


def present(case: Case, principal: Principal | None, *, now: datetime | None = None) -> CaseView:
    return CaseView(case, principal=principal, now=now or now_utc())


class PresentedList:
    """A query's cases presented page by page (the pager counts and slices it)."""

    def __init__(self, queryset: Any, principal: Principal) -> None:
        self.queryset, self.principal = queryset, principal

    def count(self) -> int:
        return self.queryset.count()

    def __getitem__(self, window: slice) -> list[CaseView]:
        now = now_utc()  # one moment for the whole page
        return [CaseView(case, principal=self.principal, now=now) for case in self.queryset[window]]


def reporter_of(case: Case, principal: Principal | None) -> dict[str, Any]:
    """Who reported the case and how to call them back, masked (脱敏) without `pii:read`; a
    staff member's name is their work identity and stays."""
    name, phone = case.reporter_name, pii.reveal(case.contact_phone_sealed)
    contact = case.contact_name
    if not can_read_pii(principal, owner_key=case.reporter):
        phone, contact = pii.mask_phone(phone), pii.mask_name(contact)
        if case.source == "resident":
            name = pii.mask_name(name)
    return {"key": case.reporter, "name": name, "phone": phone, "contact_name": contact}


def point_of(location: Any) -> dict[str, float]:
    """A stored point (GeoJSON as read, or [lng, lat] as written) as {lat, lng}."""
    lng, lat = location["coordinates"] if isinstance(location, dict) else location
    return {"lat": lat, "lng": lng}
