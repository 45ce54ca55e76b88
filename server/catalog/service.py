"""Category look-ups, cached briefly per process: the catalogue is reference data."""

from __future__ import annotations

from typing import Any

from server.auth.permissions import require_platform_admin
from server.auth.principals import Principal
from server.catalog.models import Category, build_attributes
from server.errors import Conflict, Unprocessable, found
from server.extensions.cache import TTLCache
from server.organisation.models import Department

# A category edited through another process is seen here within 5 seconds.
_cache: TTLCache[Category | None] = TTLCache(5.0)


def clear_cache() -> None:
    _cache.clear()


def find(*, code: str) -> Category | None:
    """An active category by code, or None."""
    return _cache.get(code, lambda: Category.objects(code=code, active=True).first())


def leaf(*, code: str) -> Category:
    """An active 小类 a case may be filed under; 422 `unknown_category` otherwise."""
    category = find(code=code)
    if category is None or category.level != 2:
        raise Unprocessable("案件类别不存在或不可用（须为小类）", reason="unknown_category",
                            fields={"category": ["未知类别"]})
    return category


def list_categories(*, kind: str | None = None, parent: str | None = None,
                    level: int | None = None, include_inactive: bool = False):
    """The catalogue, by code."""
    query = {} if include_inactive else {"active": True}
    query.update({k: v for k, v in (("kind", kind), ("parent", parent), ("level", level))
                  if v is not None})
    return Category.objects(**query).order_by("code")


def get_category(*, code: str) -> Category:
    return found(Category.objects(code=code).first(), "类别不存在")


def create_category(*, principal: Principal, data: dict[str, Any]) -> Category:
    """Add a 大类 (no parent) or a 小类 under an active 大类."""
    require_platform_admin(principal)
    if Category.objects(code=data["code"]).first() is not None:
        raise Conflict("类别编码已存在", reason="duplicate")
    parent = data.get("parent")
    if parent and Category.objects(code=parent, level=1, active=True).first() is None:
        raise Unprocessable("上级大类不存在", reason="unknown_parent")
    category = Category(level=2 if parent else 1, **_fields(data))
    _check_department(category.default_department)
    category.save(force_insert=True)
    clear_cache()
    return category


def update_category(*, principal: Principal, code: str, data: dict[str, Any]) -> Category:
    """Change a category (its code, parent and level stay)."""
    require_platform_admin(principal)
    category = get_category(code=code)
    for name, value in _fields(data).items():
        setattr(category, name, value)
    _check_department(category.default_department)
    category.save()
    clear_cache()
    return category


def _fields(data: dict[str, Any]) -> dict[str, Any]:
    fields = dict(data)
    if "attributes" in fields:
        fields["attributes"] = build_attributes(fields["attributes"])
    return fields


def _check_department(code: str | None) -> None:
    if code and Department.objects(code=code).first() is None:
        raise Unprocessable("默认部门不存在", reason="unknown_department")
