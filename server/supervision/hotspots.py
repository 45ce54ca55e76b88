"""Hot spots (issue 19): how many cases each grid had in a period (and how many are still
open), as GeoJSON polygons for the supervisor's map — the indicators' filters and data scope,
one aggregation evaluated by the database, one read of the grids' polygons."""

from __future__ import annotations

from typing import Any

from server.auth.permissions import require_roles
from server.auth.principals import Principal
from server.grids.models import Region
from server.supervision.stats import STATS_ROLES, cases_in, period
from workflows.case_table import OPEN_STATES

OPEN = [state.value for state in OPEN_STATES]


def hotspots(*, principal: Principal, args: dict[str, Any]) -> dict[str, Any]:
    """A FeatureCollection: one feature per grid with cases — code, name, count, open — and,
    as foreign members, the period and the cases outside every grid."""
    require_roles(principal, *STATS_ROLES)
    start, end = period(args)
    rows = list(cases_in(principal, args, start, end).aggregate([{"$group": {
        "_id": "$grid", "count": {"$sum": 1},
        "open": {"$sum": {"$cond": [{"$in": ["$status", OPEN]}, 1, 0]}}}}]))
    counts = {row["_id"]: row for row in rows if row["_id"]}
    outside = sum(row["count"] for row in rows if not row["_id"])
    grids = Region.objects(code__in=sorted(counts)).only("code", "name", "geometry").as_pymongo()
    features = [{"type": "Feature", "geometry": grid["geometry"], "properties": {
        "code": grid["_id"], "name": grid["name"], "count": counts[grid["_id"]]["count"],
        "open": counts[grid["_id"]]["open"]}} for grid in grids if grid.get("geometry")]
    features.sort(key=lambda f: (-f["properties"]["count"], f["properties"]["code"]))
    return {"type": "FeatureCollection", "features": features, "from": start.isoformat(),
            "to": end.isoformat(), "outside_grids": outside,
            "max": max((f["properties"]["count"] for f in features), default=0)}
