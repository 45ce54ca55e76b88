"""Reading cases: one case, its history as the caller may read it, lists with filters, and the
open cases near a point (possible duplicates)."""

from __future__ import annotations

from typing import Any

from bson import ObjectId
from mongoengine import Q

from server import pii
from server.auth.permissions import can_read_pii
from server.auth.principals import Principal
from server.cases import duplicates, following
from server.cases.models import Case
from server.cases.presenting import CaseView, PresentedList, present
from server.cases.scope import is_staff, scope_filter
from server.catalog import service as catalog
from server.errors import Forbidden, found
from server.grids import service as grids
from server.grids.coords import to_wgs84
from server.timeutil import now_utc
from workflows import case_machine as machine
from workflows.visibility import public_entry


def get(*, principal: Principal, case_id: ObjectId) -> Case:
    """A case the principal may see; NotFound otherwise (existence is not revealed)."""
    return found(Case.objects(Q(id=case_id) & scope_filter(principal)).exclude("history").first(),
                 "案件不存在")


def read(*, principal: Principal, case_id: ObjectId) -> CaseView:
    """A case the principal may see, as they may read it now."""
    return present(get(principal=principal, case_id=case_id), principal)


def history(*, principal: Principal, case_id: ObjectId) -> list[dict[str, Any]]:
    """The history of a visible case as the principal may read it, oldest first."""
    entries = found(Case.objects(Q(id=case_id) & scope_filter(principal)).only("history").first(),
                    "案件不存在").history
    if not is_staff(principal):
        return [public for public in map(public_entry, entries) if public is not None]
    answer = []
    for entry in entries:
        actor = entry.get("actor") or {}
        clear = can_read_pii(principal, owner_key=actor.get("key"))
        answer.append({**entry, "actor": pii.masked_actor(actor, clear=clear)})
    return answer


def list_cases(*, principal: Principal, filters: dict[str, Any]) -> PresentedList:
    """The visible cases matching the filters, newest first, as the principal may read them."""
    query = scope_filter(principal)
    for name in ("status", "category", "priority", "source", "grid", "department", "assignee"):
        if name in filters:
            query &= Q(**{name: filters[name]})
    if "region" in filters:
        query &= Q(region_path=filters["region"])
    if filters.get("mine"):
        query &= Q(reporter=principal.key) | Q(assignee=principal.id)
    if "created_from" in filters:
        query &= Q(created_at__gte=filters["created_from"])
    if "created_to" in filters:
        query &= Q(created_at__lt=filters["created_to"])
    if "reporter_phone" in filters:
        if not can_read_pii(principal):
            raise Forbidden("无权按居民手机号查询", reason="pii_forbidden")
        query &= Q(contact_phone_digest=pii.digest(filters["reporter_phone"]))
    if "q" in filters:
        # mongoengine escapes the text for the regex it builds: metacharacters match literally.
        query &= Q(code__icontains=filters["q"]) | Q(description__icontains=filters["q"])
    return PresentedList(Case.objects(query).exclude("history").order_by("-created_at", "-id"),
                         principal)


def nearby(*, principal: Principal, lat: float, lng: float, system: str,
           category: str) -> list[dict[str, Any]]:
    """Open cases of a category near a point, for the app to show before a report is sent.

    Of a case the principal may read: its id, code and address. Of any other: only what the
    duplicate prompt needs — category, status, distance and the community it is in; never its
    id, code or address (a noise complainant's home).
    """
    wgs_lat, wgs_lng = to_wgs84(lat=lat, lng=lng, system=system)
    found = duplicates.find(category=catalog.leaf(code=category), lng=wgs_lng, lat=wgs_lat,
                            now=now_utc())
    readable = {c.id for c in Case.objects(Q(id__in=[n.case.id for n in found])
                                           & scope_filter(principal)).only("id")} if found else set()
    answer = []
    for n in found:
        mine = n.case.id in readable
        answer.append({
            "id": str(n.case.id) if mine else None, "code": n.case.code if mine else None,
            "status": n.case.status, "status_label": machine.STATE_LABELS[machine.State(n.case.status)],
            "category": n.case.category, "address": n.case.address if mine else None,
            "place": grids.place_name(n.case.region_path), "readable": mine,
            "distance_m": round(n.distance_m, 1), "created_at": n.case.created_at,
            "follow_ref": following.follow_ref(n.case.id)})
    return answer
