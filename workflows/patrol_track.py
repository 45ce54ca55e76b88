"""Patrol tracks (issue 18): which positions count, what a track measures, how it is drawn.

Pure: fixes in, flags and figures out. A fix is one position report of the worker's phone
(WGS84, with the grid it fell in, looked up by the caller). Positions are never dropped: a fix
that cannot be trusted is kept with its flags and left out of the figures —

- `out_of_order`: not later than the last counted fix (a batch resent late, a clock jump);
- `future`: ahead of the server's clock by more than FUTURE_GRACE (a phone clock running fast);
- `inaccurate`: its accuracy radius is over the limit (a GPS fix in a lane, cell positioning);
- `too_fast`: reaching it from the last counted fix needs more than the speed limit (a jump).

Distance is geodesic on the WGS84 ellipsoid (Karney, via geographiclib). A segment between two
counted fixes is inside the worker's own grids when both ends are.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from math import cos, radians

from geographiclib.geodesic import Geodesic

FLAGS = ("out_of_order", "future", "inaccurate", "too_fast")
FUTURE_GRACE = timedelta(seconds=30)
MAX_SPEED_KMH = 150.0
MAX_ACCURACY_M = 50.0
_WGS84 = Geodesic.WGS84


@dataclass(frozen=True)
class Fix:
    at: datetime
    lng: float
    lat: float
    accuracy_m: float | None = None
    grid: str | None = None


@dataclass
class Figures:
    """What a stretch of counted fixes adds to a patrol."""

    distance_m: float = 0.0
    inside_m: float = 0.0
    moving_s: float = 0.0
    inside_s: float = 0.0
    grids: set[str] = field(default_factory=set)

    def add(self, other: Figures) -> Figures:
        return Figures(self.distance_m + other.distance_m, self.inside_m + other.inside_m,
                       self.moving_s + other.moving_s, self.inside_s + other.inside_s,
                       self.grids | other.grids)


def distance_m(a: Fix, b: Fix) -> float:
    return _WGS84.Inverse(a.lat, a.lng, b.lat, b.lng, Geodesic.DISTANCE)["s12"]


def assess(batch: Iterable[Fix], tail: Fix | None, *, own: frozenset[str], now: datetime,
           max_speed_kmh: float = MAX_SPEED_KMH, max_accuracy_m: float = MAX_ACCURACY_M,
           ) -> tuple[list[tuple[Fix, tuple[str, ...]]], Figures, Fix | None]:
    """Each fix of a batch (taken in time order) with its flags; the figures the counted ones
    add after `tail` (the last fix counted before this batch); the new tail."""
    assessed: list[tuple[Fix, tuple[str, ...]]] = []
    figures = Figures()
    for fix in sorted(batch, key=lambda f: f.at):
        flags = []
        if tail is not None and fix.at <= tail.at:
            flags.append("out_of_order")
        if fix.at > now + FUTURE_GRACE:
            flags.append("future")
        if fix.accuracy_m is not None and fix.accuracy_m > max_accuracy_m:
            flags.append("inaccurate")
        step = distance_m(tail, fix) if tail is not None and not flags else 0.0
        if tail is not None and not flags:
            seconds = (fix.at - tail.at).total_seconds()
            if step / seconds * 3.6 > max_speed_kmh:
                flags.append("too_fast")
        assessed.append((fix, tuple(flags)))
        if flags:
            continue
        if fix.grid:
            figures.grids.add(fix.grid)
        if tail is not None:
            seconds = (fix.at - tail.at).total_seconds()
            figures.distance_m += step
            figures.moving_s += seconds
            if tail.grid in own and fix.grid in own:
                figures.inside_m += step
                figures.inside_s += seconds
        tail = fix
    return assessed, figures, tail


def simplify(points: Sequence[tuple[float, float]], tolerance_m: float = 5.0,
             ) -> list[tuple[float, float]]:
    """Douglas–Peucker on (lng, lat) points, the tolerance in metres (a local plane: the
    track of one patrol spans a few kilometres). The ends are always kept."""
    if len(points) < 3:
        return list(points)
    scale_x = 111_320.0 * cos(radians(points[0][1]))
    scale_y = 110_574.0
    flat = [(lng * scale_x, lat * scale_y) for lng, lat in points]
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        (x1, y1), (x2, y2) = flat[first], flat[last]
        dx, dy = x2 - x1, y2 - y1
        length_sq = dx * dx + dy * dy
        worst, index = -1.0, first
        for i in range(first + 1, last):
            px, py = flat[i]
            if length_sq == 0:
                gap_sq = (px - x1) ** 2 + (py - y1) ** 2
            else:
                t = max(0.0, min(1.0, ((px - x1) * dx + (py - y1) * dy) / length_sq))
                gap_sq = (px - x1 - t * dx) ** 2 + (py - y1 - t * dy) ** 2
            if gap_sq > worst:
                worst, index = gap_sq, i
        if worst > tolerance_m * tolerance_m:
            keep[index] = True
            stack.extend(((first, index), (index, last)))
    return [point for point, kept in zip(points, keep, strict=True) if kept]
