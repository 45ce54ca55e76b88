"""The region tree: create, rename, retire nodes; import and export grid polygons."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mongoengine import Q
from pymongo import UpdateOne
from shapely.geometry import shape

from server.auth.models import User
from server.auth.permissions import require_admin, require_admin_of
from server.auth.principals import Principal
from server.cases.models import Case
from server.errors import Conflict, Unprocessable, found
from server.grids.geojson import ImportCheck, check_grids, geometry_problem
from server.grids.models import LEVEL_BY_LENGTH, Region, parent_code
from server.grids.service import bump_grids_stamp, grid_index
from server.organisation import names
from server.organisation.models import Department
from workflows.case_table import OPEN_STATES

OPEN = [state.value for state in OPEN_STATES]


def list_regions(*, parent: str | None = None, level: str | None = None,
                 include_retired: bool = False):
    """Region nodes, by code; optionally the children of one node or one level."""
    query = Q()
    if parent:
        query &= Q(parent=parent)
    if level:
        query &= Q(level=level)
    if not include_retired:
        query &= Q(retired=False)
    return Region.objects(query).exclude("geometry").order_by("code")


def get_region(*, code: str) -> Region:
    return found(Region.objects(code=code).first(), "区域节点不存在")


def create_region(*, principal: Principal, data: dict[str, Any]) -> Region:
    """Add a node under its parent (given by the code's prefix)."""
    require_admin_of(principal, data["code"])
    code = data["code"]
    if Region.objects(code=code).first() is not None:
        raise Conflict("该编码已存在", reason="duplicate")
    parent_path: list[str] = []
    if (parent := parent_code(code)) is not None:
        node = Region.objects(code=parent, retired=False).first()
        if node is None:
            raise Unprocessable(f"上级节点 {parent} 不存在或已撤销", reason="unknown_parent")
        parent_path = list(node.path)
    level = LEVEL_BY_LENGTH[len(code)]
    geometry = data.get("geometry")
    _check_area(level, geometry)
    region = Region(code=code, name=data["name"], level=level, parent=parent,
                    path=[*parent_path, code], geometry=geometry or {},
                    staff=data.get("staff", []), start_date=data.get("start_date"),
                    end_date=data.get("end_date")).save(force_insert=True)
    names.forget()
    if geometry is not None:
        bump_grids_stamp()
    return region


def _check_area(level: str, geometry: Any) -> None:
    """Any node may have an area (a grid needs one to be located; a community's bounds the
    grids imported into it; a county's bounds its default queue)."""
    if geometry is None:
        return
    reason, _ = geometry_problem(geometry)
    if reason:
        raise Unprocessable(reason, reason="invalid_geometry")


def update_region(*, principal: Principal, code: str, data: dict[str, Any]) -> Region:
    """Rename a node, change its staff and dates, its area, or a county's default queue."""
    require_admin_of(principal, code)
    region = get_region(code=code)
    if "geometry" in data:
        _check_area(region.level, data["geometry"])
    if "default_queue" in data and region.level != "county":
        raise Unprocessable("只有县级区域可以设置默认受理队列", reason="not_a_county")
    for name in ("name", "staff", "start_date", "end_date", "geometry", "default_queue"):
        if name in data:
            setattr(region, name, data[name] if name != "geometry" else (data[name] or {}))
    region.save()
    if "name" in data:
        names.forget()
    if {"geometry", "default_queue"} & set(data):
        bump_grids_stamp()
    return region


def set_layers(*, principal: Principal, code: str, layers: list[dict[str, Any]]) -> Region:
    """Replace a grid's responsibility layers (one per domain)."""
    require_admin_of(principal, code)
    region = get_region(code=code)
    if region.level != "grid":
        raise Unprocessable("只有网格可以设置责任图层", reason="not_a_grid")
    domains = [layer["domain"] for layer in layers]
    if len(set(domains)) != len(domains):
        raise Unprocessable("同一领域只能有一个图层", reason="duplicate_domain")
    departments = {layer["department"] for layer in layers if layer.get("department")}
    known = {d.code for d in Department.objects(code__in=list(departments)).only("code")}
    if departments - known:
        raise Unprocessable("部门不存在", reason="unknown_department",
                            departments=sorted(departments - known))
    workers = {w for layer in layers for w in layer.get("grid_workers", [])}
    found = {str(u.id) for u in User.objects(id__in=list(workers), role="grid_worker",
                                             active=True).only("id")}
    if workers - found:
        raise Unprocessable("网格员不存在或不是网格员", reason="unknown_grid_workers",
                            grid_workers=sorted(workers - found))
    region.layers = [{"domain": layer["domain"], "grid_workers": layer.get("grid_workers", []),
                      "department": layer.get("department")} for layer in layers]
    region.save()
    bump_grids_stamp()
    return region


def retire_region(*, principal: Principal, code: str) -> Region:
    """Retire a node and its subtree; refused while any case in it is still open."""
    require_admin_of(principal, code)
    region = get_region(code=code)
    open_cases = Case.objects(region_path=code, status__in=OPEN).count()
    if open_cases:
        raise Conflict(f"该区域仍有 {open_cases} 件未办结案件，不能撤销", reason="open_cases",
                       open_cases=open_cases)
    Region.objects(path=code).update(set__retired=True)
    bump_grids_stamp()
    region.reload()
    return region


def check_import(collection: Any) -> ImportCheck:
    """Check a FeatureCollection of grids against the tree as it stands (writes nothing)."""
    communities = {
        row["_id"]: (shape(row["geometry"]) if row.get("geometry") else None)
        for row in Region.objects(level="community", retired=False)
        .only("code", "geometry").as_pymongo()
    }
    codes = _feature_codes(collection)
    existing = {
        row["_id"]: shape(row["geometry"])
        for row in Region.objects(level="grid", retired=False, code__nin=codes)
        .only("code", "geometry").as_pymongo() if row.get("geometry")
    }
    return check_grids(collection, parents=communities, existing=existing)


def _feature_codes(collection: Any) -> list[str]:
    """The grid codes a FeatureCollection names (however malformed the rest of it is)."""
    features = collection.get("features") if isinstance(collection, dict) else None
    if not isinstance(features, list):
        return []
    return [f["properties"]["code"] for f in features
            if isinstance(f, dict) and isinstance(f.get("properties"), dict)
            and isinstance(f["properties"].get("code"), str)]


def import_grids(*, principal: Principal, collection: Any) -> dict[str, Any]:
    """Create or replace grids from GeoJSON, all or nothing: any bad feature refuses the file."""
    require_admin(principal)
    checked = check_import(collection)
    if checked.errors:
        raise Unprocessable(f"{len(checked.errors)} 个要素有误，整批未导入",
                            reason="invalid_features", features=checked.errors)
    for grid in checked.grids:  # all or nothing here too: no grid of another county
        require_admin_of(principal, grid.code)
    write_grids(checked)
    return {"imported": len(checked.grids), "overlaps": checked.overlaps}


IMPORT_BATCH = 500  # grids per bulk write inside the import's transaction


def write_grids(checked: ImportCheck, progress: Callable[[int], None] | None = None) -> None:
    """Write checked grids (call only when `checked.errors` is empty), all or nothing: one
    multi-document transaction, so an import interrupted half-way (the database, the process)
    leaves no grid of it written."""
    if not checked.grids:
        return
    grids = Region._get_collection()

    def write(session) -> None:
        for start in range(0, len(checked.grids), IMPORT_BATCH):
            batch = checked.grids[start:start + IMPORT_BATCH]
            grids.bulk_write([UpdateOne(
                {"_id": grid.code},
                {"$set": {"name": grid.name, "level": "grid", "parent": grid.code[:12],
                          "path": [grid.code[:6], grid.code[:9], grid.code[:12], grid.code],
                          "geometry": grid.geometry, "retired": False}},
                upsert=True) for grid in batch], ordered=False, session=session)
            if progress:
                progress(len(batch))
        bump_grids_stamp(session=session)

    with grids.database.client.start_session() as session:
        session.with_transaction(write)
    grid_index.reset()
    names.forget()


def export_grids(*, region: str | None = None) -> dict[str, Any]:
    """Active grids (optionally those under one node) as a GeoJSON FeatureCollection."""
    query = Q(level="grid", retired=False) & (Q(path=region) if region else Q())
    rows = Region.objects(query).only("code", "name", "geometry").order_by("code").as_pymongo()
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": row["_id"], "name": row["name"]},
         "geometry": row["geometry"]}
        for row in rows if row.get("geometry")]}
