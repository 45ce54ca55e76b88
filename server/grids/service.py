"""Locating a point in the grids, with a per-process STRtree refreshed on a version stamp."""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass

from mongoengine import Q
from mongoengine.connection import get_db
from shapely import STRtree, contains_xy
from shapely.affinity import scale
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry

from server.auth.models import User
from server.errors import Unprocessable
from server.extensions.cache import register
from server.grids.coords import to_wgs84
from server.grids.models import Region
from server.organisation.models import Department

GRIDS_STAMP = "grids"
# How often a process asks the database whether the grids changed: a grid edit made through
# another process is seen here within this many seconds (at once in the process that made it).
STAMP_CHECK_SECONDS = 1.0
METRES_PER_DEGREE = 111_320.0
EARTH_RADIUS_M = 6_371_008.8


def distance_m(lng1: float, lat1: float, lng2: float, lat2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


@dataclass(frozen=True)
class Layer:
    """One responsibility layer of a grid (多网格融合): who answers for one domain there."""

    domain: str
    grid_workers: tuple[str, ...]  # user ids, the first is the one a report is routed to
    department: str | None


@dataclass(frozen=True)
class Located:
    """Where a point falls: a grid, or (`grid` None) the default queue of a county."""

    grid: str | None
    region_path: tuple[str, ...]
    layers: tuple[Layer, ...] = ()

    @property
    def queued(self) -> bool:
        return self.grid is None

    def layer(self, domain: str | None) -> Layer | None:
        return next((layer for layer in self.layers if layer.domain == domain), None)


class GridIndex:
    """Grid polygons in an STRtree, rebuilt when the grids' stamp in the database changes.

    The lookup path takes no lock: the tree and its grids are swapped in as one tuple, and a
    refresh (at most once per STAMP_CHECK_SECONDS) is serialised by the lock.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()
        register(self)

    def clear(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Forget the cached tree; the next lookup reloads it from the database."""
        with self._lock:
            self._stamp: object = object()
            self._snapshot: tuple[STRtree | None, list[Located],
                                  list[tuple[Located, BaseGeometry]]] = (None, [], [])
            self._checked_at = float("-inf")

    def locate(self, lng: float, lat: float) -> Located | None:
        if time.monotonic() - self._checked_at >= STAMP_CHECK_SECONDS:
            self._refresh()
        tree, grids, queues = self._snapshot
        hits = tree.query(Point(lng, lat), predicate="intersects") if tree is not None else ()
        if len(hits):
            # On a shared edge the lowest code wins: the answer never depends on tree order.
            return grids[int(hits[0]) if len(hits) == 1 else int(min(hits))]
        # Outside every grid: a county with a default queue takes what falls in its area.
        return next((county for county, area in queues if contains_xy(area, lng, lat)), None)

    def _refresh(self) -> None:
        with self._lock:
            now = time.monotonic()
            if now - self._checked_at < STAMP_CHECK_SECONDS:
                return  # another thread refreshed while this one waited
            stamp = grids_stamp()
            if stamp != self._stamp:
                grids, shapes = [], []
                rows = Region.objects(level="grid", retired=False).only(
                    "code", "path", "geometry", "layers").order_by("code").as_pymongo()
                for row in rows:
                    if row.get("geometry"):
                        layers = tuple(Layer(lay["domain"], tuple(lay.get("grid_workers", ())),
                                             lay.get("department"))
                                       for lay in row.get("layers", ()))
                        grids.append(Located(row["_id"], tuple(row["path"]), layers))
                        shapes.append(shape(row["geometry"]))
                queues = [(Located(None, (row["_id"],)), shape(row["geometry"]))
                          for row in Region.objects(level="county", retired=False,
                                                    default_queue=True)
                          .only("code", "geometry").order_by("code").as_pymongo()
                          if row.get("geometry")]
                self._snapshot = (STRtree(shapes) if shapes else None, grids, queues)
                self._stamp = stamp
            self._checked_at = now


    def nearest(self, codes: frozenset[str], lng: float, lat: float) -> tuple[str, float] | None:
        """Of the grids `codes`, the one nearest a WGS84 point and its distance in metres (0
        inside it); None if none of them has a shape."""
        self.locate(lng, lat)  # refreshes the snapshot when the grids changed
        tree, grids, _ = self._snapshot
        # Distances on a local plane about the point (degrees of longitude shrunk by cos(lat)):
        # exact enough for the tens of metres a check-in tolerance is about.
        here = Point(lng, lat)
        best = None
        for index, located in enumerate(grids):
            if located.grid in codes:
                flat = scale(tree.geometries[index], xfact=math.cos(math.radians(lat)), yfact=1.0,
                             origin=here)
                gap = flat.distance(here) * METRES_PER_DEGREE
                if best is None or gap < best[1]:
                    best = (located.grid, gap)
        return best


def grids_stamp() -> int:
    doc = get_db()["counters"].find_one({"_id": GRIDS_STAMP})
    return doc["seq"] if doc else 0


def bump_grids_stamp(session=None) -> None:
    """Call after any change to grid geometry, so every process rebuilds its index (inside the
    change's transaction when it has one)."""
    get_db()["counters"].update_one({"_id": GRIDS_STAMP}, {"$inc": {"seq": 1}}, upsert=True,
                                    session=session)
    grid_index.reset()


grid_index = GridIndex()


def locate(*, lng: float, lat: float) -> Located | None:
    """The grid containing a WGS84 point, with its region path, or None."""
    return grid_index.locate(lng, lat)


def nearest(*, codes: frozenset[str], lng: float, lat: float) -> tuple[str, float] | None:
    """Of the grids `codes`, the nearest to a WGS84 point and its distance in metres."""
    return grid_index.nearest(codes, lng, lat)


def route(located: Located, *, domain: str | None,
          default_department: str | None) -> tuple[str | None, str | None]:
    """(responsible grid worker, suggested department) for a report of a domain in a grid:
    the grid's layer for that domain, else the category's default department."""
    layer = located.layer(domain)
    worker = layer.grid_workers[0] if layer and layer.grid_workers else None
    department = (layer.department if layer and layer.department else None) or default_department
    return worker, department


def place_name(region_path: list[str]) -> str | None:
    """Where a case is, told without its address: its community's name (or its town's)."""
    for code in reversed((region_path or [])[1:3]):
        region = Region.objects(code=code).only("name").first()
        if region is not None:
            return region.name
    return None


def locate_details(*, lat: float, lng: float, system: str = "wgs84") -> dict:
    """Where a point is: grid, community, town, county and the grid's workers; 422 outside
    every grid (unless the county takes it into its default queue: then only the county)."""
    wgs_lat, wgs_lng = to_wgs84(lat=lat, lng=lng, system=system)
    located = locate(lng=wgs_lng, lat=wgs_lat)
    if located is None:
        raise Unprocessable("该位置不在任何网格内", reason="outside_grids")
    nodes = {r.code: r for r in Region.objects(code__in=list(located.region_path))
             .only("code", "name", "level")}
    by_level = {node.level: {"code": node.code, "name": node.name} for node in nodes.values()}
    workers = [] if located.queued else list(
        User.objects(Q(org=located.grid) | Q(grids=located.grid), role="grid_worker",
                     active=True).only("id", "name"))
    layer_ids = {w for layer in located.layers for w in layer.grid_workers}
    names = {str(u.id): u.name for u in workers}
    names.update({str(u.id): u.name for u in User.objects(id__in=list(layer_ids - set(names)))
                  .only("id", "name")})
    departments = {d.code: d.name for d in Department.objects(
        code__in=[layer.department for layer in located.layers if layer.department])}
    return {
        "location": {"lat": wgs_lat, "lng": wgs_lng},
        "grid": by_level.get("grid"),
        "community": by_level.get("community"),
        "town": by_level.get("town"),
        "county": by_level.get("county"),
        "region_path": list(located.region_path),
        "default_queue": located.queued,
        "grid_workers": [{"id": str(u.id), "name": u.name} for u in workers],
        "layers": [{"domain": layer.domain,
                    "grid_workers": [{"id": w, "name": names.get(w, "")}
                                     for w in layer.grid_workers],
                    "department": ({"code": layer.department,
                                    "name": departments.get(layer.department, "")}
                                   if layer.department else None)}
                   for layer in located.layers],
    }
