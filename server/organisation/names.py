"""Names for codes (DESIGN §1): what a page shows instead of a grid, community, town or
department code. Reference data read on every case answer, so each process holds all names of
a kind and reads them again once a minute (at once in the process that renames a node)."""

from __future__ import annotations

from typing import Any

from server.extensions.cache import TTLCache
from server.grids.models import Region
from server.organisation.models import Department

NAMES_SECONDS = 60.0
_names: TTLCache[dict[str, str]] = TTLCache(NAMES_SECONDS)
LEVELS = ("county", "town", "community", "grid")


def _regions() -> dict[str, str]:
    return _names.get("regions", lambda: {row["_id"]: row["name"] for row in
                                          Region.objects.only("code", "name").as_pymongo()})


def _departments() -> dict[str, str]:
    return _names.get("departments", lambda: {row["_id"]: row["name"] for row in
                                              Department.objects.only("code", "name").as_pymongo()})


def forget() -> None:
    """A node or department was created or renamed: read the names again."""
    _names.clear()


def node(code: str | None) -> dict[str, str] | None:
    """{code, name} of a region node (the code as its name if it has none)."""
    if not code:
        return None
    return {"code": code, "name": _regions().get(code, code)}


def places(region_path: list[str] | tuple[str, ...], grid: str | None) -> dict[str, Any]:
    """Where a case is, named at each level: county, town, community, grid (None where the
    path stops, e.g. a case in a county's default queue)."""
    path = list(region_path or ())
    named = {level: node(path[i]) if i < len(path) else None for i, level in enumerate(LEVELS)}
    named["grid"] = node(grid)
    return named


def department(code: str | None) -> str | None:
    """A department's name (its code if unknown)."""
    return _departments().get(code, code) if code else None
