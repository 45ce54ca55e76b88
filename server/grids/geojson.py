"""Checking grid polygons from GeoJSON: every problem of every feature, not just the first."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

GRID_CODE = re.compile(r"^\d{15}$")
# Tolerance for "inside the parent" and for overlaps: about 1 m², so that two grids drawn
# edge to edge by a surveyor's rounding are not called overlapping.
AREA_EPSILON = 1e-10


@dataclass
class CheckedGrid:
    index: int
    code: str
    name: str
    geometry: dict[str, Any]
    shape: BaseGeometry


@dataclass
class ImportCheck:
    grids: list[CheckedGrid] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    overlaps: list[dict[str, Any]] = field(default_factory=list)


def _rings_closed(geometry: Mapping[str, Any]) -> bool:
    polygons = ([geometry["coordinates"]] if geometry["type"] == "Polygon"
                else geometry["coordinates"])
    return all(len(ring) >= 4 and ring[0] == ring[-1] for polygon in polygons for ring in polygon)


def geometry_problem(geometry: Any) -> tuple[str | None, BaseGeometry | None]:
    """(reason, shape): the reason is None when the geometry is a usable grid polygon."""
    if not isinstance(geometry, Mapping) or geometry.get("type") not in ("Polygon",
                                                                         "MultiPolygon"):
        return "几何类型须为 Polygon 或 MultiPolygon", None
    try:
        if not _rings_closed(geometry):
            return "多边形的环未闭合（首尾坐标须相同）", None
        polygon = shape(geometry)
    except (KeyError, TypeError, ValueError, IndexError, shapely.errors.ShapelyError):
        return "坐标格式无效", None
    if polygon.is_empty:
        return "几何为空", None
    minx, miny, maxx, maxy = polygon.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        return "坐标超出 WGS84 经纬度范围", None
    if not polygon.is_valid:
        return f"几何无效：{explain_validity(polygon)}", None
    return None, polygon


def check_grids(collection: Any, *, parents: Mapping[str, BaseGeometry | None],
                existing: Mapping[str, BaseGeometry]) -> ImportCheck:
    """Check a FeatureCollection of grids against their parents and the grids already stored.

    `parents`: community code -> its area (None when it has none) for every known, active
    community; `existing`: grid code -> shape for stored grids the import does not replace.
    """
    result = ImportCheck()
    if not isinstance(collection, Mapping) or collection.get("type") != "FeatureCollection" \
            or not isinstance(collection.get("features"), list):
        result.errors.append({"index": None, "reason": "须为 GeoJSON FeatureCollection"})
        return result
    seen: dict[str, int] = {}
    for index, feature in enumerate(collection["features"]):
        problem, checked = _check_feature(index, feature, parents, seen)
        if problem:
            result.errors.append(problem)
        elif checked:
            result.grids.append(checked)
    if not result.errors:
        result.overlaps = _overlaps(result.grids, existing)
    return result


def _check_feature(index: int, feature: Any, parents: Mapping[str, BaseGeometry | None],
                   seen: dict[str, int]) -> tuple[dict[str, Any] | None, CheckedGrid | None]:
    def refuse(reason: str, code: Any = None) -> tuple[dict[str, Any], None]:
        return {"index": index, "code": code, "reason": reason}, None

    if not isinstance(feature, Mapping) or feature.get("type") != "Feature":
        return refuse("须为 GeoJSON Feature")
    properties = feature.get("properties") or {}
    code, name = properties.get("code"), properties.get("name")
    if not isinstance(code, str) or not GRID_CODE.match(code):
        return refuse("code 须为 15 位数字网格编码", code)
    if not isinstance(name, str) or not 1 <= len(name) <= 100:
        return refuse("name 须为 1–100 个字符", code)
    if code in seen:
        return refuse(f"编码与第 {seen[code]} 个要素重复", code)
    seen[code] = index
    if code[:12] not in parents:
        return refuse(f"上级社区 {code[:12]} 不存在或已撤销", code)
    reason, polygon = geometry_problem(feature.get("geometry"))
    if reason:
        return refuse(reason, code)
    parent_area = parents[code[:12]]
    if parent_area is not None and polygon.difference(parent_area).area > AREA_EPSILON:
        return refuse("网格超出上级社区的范围", code)
    return None, CheckedGrid(index, code, name, dict(feature["geometry"]), polygon)


def _overlaps(grids: list[CheckedGrid], existing: Mapping[str, BaseGeometry]) -> list[dict]:
    """Pairs of grids whose areas overlap (reported, not refused)."""
    codes = [g.code for g in grids] + list(existing)
    shapes = [g.shape for g in grids] + list(existing.values())
    if not shapes:
        return []
    tree = shapely.STRtree(shapes)
    found = []
    for i, j in zip(*tree.query(shapes, predicate="intersects"), strict=True):
        if i < j and i < len(grids):
            area = shapes[i].intersection(shapes[j]).area
            if area > AREA_EPSILON:
                found.append({"codes": [codes[i], codes[j]], "area_deg2": area})
    return found
