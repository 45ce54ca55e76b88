"""Possible duplicates: open cases of the same 小类 near a point, reported recently."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bson import ObjectId

from server.cases.models import Case
from server.catalog.models import Category
from server.grids.service import distance_m, grids_near
from workflows.case_machine import OPEN_STATES

OPEN = [state.value for state in OPEN_STATES]
MAX_CANDIDATES = 500  # newest first; a hot spot with more open cases than this is cut there


@dataclass(frozen=True)
class Candidate:
    """What a passer-by could see of a nearby case (read raw: no document objects)."""

    id: ObjectId
    code: str
    status: str
    category: str
    address: str | None
    region_path: list[str]
    created_at: datetime


@dataclass(frozen=True)
class Nearby:
    case: Candidate
    distance_m: float


FIELDS = ("code", "status", "category", "location", "address", "region_path", "created_at")


def find(*, category: Category, lng: float, lat: float, now: datetime,
         exclude: ObjectId | None = None, limit: int = 10) -> list[Nearby]:
    """Open cases of the category within its duplicate radius and window, nearest first.

    Portable on purpose (mongomock has no geo operators): the grids around the point come
    from the in-process grid index, the candidates from the (grid, status) index, and the
    exact distance is computed here.
    """
    radius = category.duplicate_radius_m
    if radius <= 0 or category.duplicate_window_h <= 0:
        return []
    codes = grids_near(lng=lng, lat=lat, radius_m=radius)
    if not codes:
        return []
    candidates = Case._get_collection().find(
        {"grid": {"$in": codes}, "status": {"$in": OPEN}, "category": category.code,
         "created_at": {"$gte": now - timedelta(hours=category.duplicate_window_h)}},
        projection=dict.fromkeys(FIELDS, True),
    ).sort([("created_at", -1), ("_id", -1)]).limit(MAX_CANDIDATES)
    found = []
    for raw in candidates:
        if raw["_id"] == exclude:
            continue
        c_lng, c_lat = raw["location"]["coordinates"]
        d = distance_m(lng, lat, c_lng, c_lat)
        if d <= radius:
            found.append(Nearby(Candidate(id=raw["_id"], code=raw["code"], status=raw["status"],
                                          category=raw["category"], address=raw.get("address"),
                                          region_path=raw.get("region_path") or [],
                                          created_at=raw["created_at"]), d))
    found.sort(key=lambda n: n.distance_m)
    return found[:limit]
