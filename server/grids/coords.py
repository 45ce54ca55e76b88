"""Coordinate systems of Chinese phones and map SDKs, converted to WGS84 for storage.

GCJ-02 (国测局, used by AMap/Tencent and most phones' system location in mainland China) and
BD-09 (Baidu) are obfuscated WGS84. The conversions come from `prcoords` (public domain,
the "Caijun 2014" iterative inverse: ~0.1 mm off, far below GPS noise). The offsets exist only
inside China: outside prcoords' bounding box a point is taken as it is.
"""

from __future__ import annotations

import prcoords

SYSTEMS = ("wgs84", "gcj02", "bd09")
# system -> (from WGS84, to WGS84)
_CONVERSIONS = {
    "gcj02": (prcoords.wgs_gcj, prcoords.gcj_wgs_bored),
    "bd09": (prcoords.wgs_bd, prcoords.bd_wgs_bored),
}


def _convert(lat: float, lng: float, system: str, direction: int) -> tuple[float, float]:
    if system == "wgs84":
        return lat, lng
    if system not in _CONVERSIONS:
        raise ValueError(f"unknown coordinate system {system!r}")
    point = prcoords.Coords(lat, lng)
    if not prcoords.sanity_in_china_p(point):
        return lat, lng
    out = _CONVERSIONS[system][direction](point, False)
    return out.lat, out.lon


def to_wgs84(*, lat: float, lng: float, system: str) -> tuple[float, float]:
    """(lat, lng) in WGS84 for a point given in `system`."""
    return _convert(lat, lng, system, 1)


def from_wgs84(*, lat: float, lng: float, system: str) -> tuple[float, float]:
    """(lat, lng) in `system` for a WGS84 point (for answers to clients that asked in it)."""
    return _convert(lat, lng, system, 0)
