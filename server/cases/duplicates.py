"""Possible duplicates: open cases of the same 小类 near a point, reported recently."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bson import ObjectId

from server.cases.models import Case
from server.catalog.models import Category
from workflows.case_table import OPEN_STATES

OPEN = [state.value for state in OPEN_STATES]


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


FIELDS = ("code", "status", "category", "address", "region_path", "created_at")


def find(*, category: Category, lng: float, lat: float, now: datetime,
         exclude: ObjectId | None = None, limit: int = 10) -> list[Nearby]:
    """Open cases of the category within its duplicate radius and window, nearest first.

    One `$geoNear` evaluated by the database on the cases' 2dsphere index, which orders by
    distance and gives it (in metres on the sphere). Not `$near`: SecantusDB returns its matches
    unordered (docs/DATABASE.md, "Known differences")."""
    radius = category.duplicate_radius_m
    if radius <= 0 or category.duplicate_window_h <= 0:
        return []
    query: dict = {"status": {"$in": OPEN}, "category": category.code,
                   "created_at": {"$gte": now - timedelta(hours=category.duplicate_window_h)}}
    if exclude is not None:
        query["_id"] = {"$ne": exclude}
    rows = Case._get_collection().aggregate([
        {"$geoNear": {"near": {"type": "Point", "coordinates": [lng, lat]},
                      "distanceField": "distance_m", "maxDistance": radius, "spherical": True,
                      "key": "location", "query": query}},
        {"$limit": limit},
        {"$project": {**dict.fromkeys(FIELDS, True), "distance_m": True}},
    ])
    return [Nearby(Candidate(id=raw["_id"], code=raw["code"], status=raw["status"],
                             category=raw["category"], address=raw.get("address"),
                             region_path=raw.get("region_path") or [],
                             created_at=raw["created_at"]), raw["distance_m"])
            for raw in rows]
