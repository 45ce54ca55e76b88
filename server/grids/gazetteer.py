"""Placing a written address without a geocoding service: by the names of our own regions.

Open311 lets a client send `address_string` instead of coordinates. We have no street-level
geocoder (none is reachable from a government network by default), but we know every town,
community and grid by name: an address naming one of them is placed at a point inside that
region's grids — the most specific name found wins (grid, then community, then town). The
case records that its location came from the address.
"""

from __future__ import annotations

from shapely.geometry import shape
from shapely.ops import unary_union

from server.grids.models import Region

SUFFIXES = ("街道办事处", "街道", "社区", "网格", "镇", "乡", "村")
LEVEL_ORDER = {"grid": 3, "community": 2, "town": 1}


def _names(name: str) -> list[str]:
    """A region's name, and the name without its administrative suffix (胜利街社区 → 胜利街)."""
    names = [name]
    for suffix in SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            names.append(name.removesuffix(suffix))
            break
    return names


def place(address: str) -> tuple[float, float] | None:
    """(lng, lat) inside the most specific region the address names, or None."""
    best: tuple[int, int, Region] | None = None
    for region in Region.objects(level__in=list(LEVEL_ORDER), retired=False).only("code", "name", "level"):
        matched = max((len(n) for n in _names(region.name) if n in address), default=0)
        if matched:
            rank = (LEVEL_ORDER[region.level], matched, region)
            if best is None or rank[:2] > best[:2]:
                best = rank
    if best is None:
        return None
    grids = Region.objects(path=best[2].code, level="grid", retired=False).only("geometry")
    shapes = [shape(g.geometry) for g in grids if g.geometry]
    if not shapes:
        return None
    point = unary_union(shapes).representative_point()
    return point.x, point.y
