"""Check-in (签到, issue 18): a grid worker says "I am in my grid", where the phone is.

Accepted inside one of the worker's own grids, or within CHECKIN_TOLERANCE_M of one (GPS
error at the boundary); otherwise 422 `outside_own_grids` naming the nearest own grid and how
far it is. One check-in per worker, day and grid counts: a second the same day in the same grid
answers the first (200), so a phone that resends after a lost answer files nothing new.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from flask import current_app
from mongoengine import NotUniqueError, Q

from server.auth.permissions import require_roles
from server.auth.principals import Principal
from server.errors import Unprocessable
from server.grids import service as grids
from server.grids.coords import to_wgs84
from server.grids.models import Region
from server.organisation import names
from server.patrols.models import CheckIn
from server.patrols.service import scope_filter
from server.timeutil import SHANGHAI, now_utc


def check_in(*, principal: Principal, data: dict[str, Any],
             now: datetime | None = None) -> tuple[CheckIn, bool]:
    """(the check-in, created): created False when this grid was checked into today already."""
    require_roles(principal, "grid_worker")
    now = now or now_utc()
    lat, lng = to_wgs84(lat=data["lat"], lng=data["lng"], system=data["coord_system"])
    own = frozenset(principal.grids)
    located = grids.locate(lng=lng, lat=lat)
    if located is not None and located.grid in own:
        grid, gap = located.grid, 0.0
    else:
        nearest = grids.nearest(codes=own, lng=lng, lat=lat)
        if nearest is None:
            raise Unprocessable("您名下没有可签到的网格", reason="no_own_grids")
        grid, gap = nearest
        if gap > current_app.config["CHECKIN_TOLERANCE_M"]:
            name = names.node(grid)["name"]
            raise Unprocessable(f"当前位置不在您负责的网格内，距最近的{name}约 {round(gap)} 米",
                                reason="outside_own_grids", nearest_grid=names.node(grid),
                                distance_m=round(gap))
    home = Region.objects(code=grid).only("path").first()
    day = now.astimezone(SHANGHAI).date().isoformat()
    checkin = CheckIn(worker=principal.id, worker_name=principal.name, grid=grid, day=day, at=now,
                      lng=lng, lat=lat, accuracy_m=data.get("accuracy_m"), distance_m=round(gap, 1),
                      scope=[*(home.path if home else []), principal.key])
    try:
        checkin.save(force_insert=True)
    except NotUniqueError:
        return CheckIn.objects.get(worker=principal.id, day=day, grid=grid), False
    return checkin, True


def list_checkins(*, principal: Principal, worker: str | None = None,
                  start: date | None = None, end: date | None = None):
    """Check-ins in the caller's scope (as patrols: their own, their region's), newest first."""
    query = scope_filter(principal)
    if worker:
        query &= Q(worker=worker)
    if start:
        query &= Q(at__gte=datetime.combine(start, time(0), SHANGHAI))
    if end:
        query &= Q(at__lt=datetime.combine(end + timedelta(days=1), time(0), SHANGHAI))
    return CheckIn.objects(query).order_by("-at")
