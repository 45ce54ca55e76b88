"""The organisation (DESIGN §1, §7): departments and the staff bound to its nodes — who is bound
to which region or department, administered by each county's admins."""

from __future__ import annotations

from typing import Any

from bson import ObjectId
from flask import current_app
from mongoengine import Q

from server import pii
from server.auth.models import User
from server.auth.passwords import hash_password
from server.auth.permissions import admin_county, require_admin
from server.auth.principals import Principal, county_of
from server.auth.service import end_sessions
from server.errors import Conflict, Forbidden, Unprocessable, found
from server.grids.models import Region
from server.organisation import names
from server.organisation.models import Department

# Which kind of node each role is bound to, and at which levels a region binding may be.
BINDING = {
    "admin": ("region", ("county",)),
    "dispatcher": ("region", ("county", "town")),
    "supervisor": ("region", ("county", "town")),
    "grid_worker": ("region", ("grid", "community")),
    "handler": ("department", ()),
    "resident": (None, ()),
    "platform_admin": (None, ()),
}


def _check_binding(role: str, org: str | None) -> str | None:
    """The org kind for a role and node; 422 when the node does not fit the role."""
    kind, levels = BINDING[role]
    if kind is None:
        if org:
            raise Unprocessable("该角色不绑定组织节点", reason="invalid_org")
        return None
    if not org:
        raise Unprocessable("该角色必须绑定组织节点", reason="invalid_org")
    if kind == "department":
        if Department.objects(code=org, active=True).first() is None:
            raise Unprocessable("部门不存在或已停用", reason="invalid_org")
        return kind
    region = Region.objects(code=org, retired=False).first()
    if region is None or region.level not in levels:
        raise Unprocessable(f"该角色须绑定到以下层级的区域：{'、'.join(levels)}",
                            reason="invalid_org")
    return kind


def _check_grids(grids: list[str] | None) -> None:
    if grids and Region.objects(code__in=grids, level="grid", retired=False).count() \
            != len(set(grids)):
        raise Unprocessable("所列网格中有不存在或已撤销的网格", reason="invalid_grids")


def _administered(principal: Principal) -> Q:
    """The users an admin administers: a platform admin all; a county's admin the staff bound
    to a node of the county (residents and platform admins belong to no county)."""
    require_admin(principal)
    county = admin_county(principal)
    if county is None:
        return Q()
    departments = [d.code for d in Department.objects(region=county).only("code")]
    return ((Q(org_kind="region") & Q(org__gte=county) & Q(org__lt=county + "\uffff"))
            | (Q(org_kind="department") & Q(org__in=departments)))


def _check_within(principal: Principal, role: str, org: str | None, org_kind: str | None) -> None:
    """A county's admin binds users to nodes of the county only, and makes no platform admin."""
    county = admin_county(principal)
    if county is None:
        return
    if role in ("platform_admin", "resident") or county_of(org, org_kind) != county:
        raise Forbidden("只能管理本县（市、区）的工作人员", reason="outside_county")


def list_users(*, principal: Principal, role: str | None = None, org: str | None = None,
               phone: str | None = None):
    """Users by role, node, or an exact phone number (matched on its keyed digest)."""
    query = _administered(principal)
    query &= Q(**{k: v for k, v in (("role", role), ("org", org)) if v})
    if phone:
        query &= Q(phone_digest=pii.digest(phone))
    return User.objects(query).order_by("username")


def get_user(*, principal: Principal, user_id: ObjectId) -> User:
    return found(User.objects(Q(id=user_id) & _administered(principal)).first(), "用户不存在")


def create_user(*, principal: Principal, data: dict[str, Any]) -> User:
    """Add a user bound to the node their role requires."""
    require_admin(principal)
    if User.objects(username=data["username"]).first() is not None:
        raise Conflict("用户名已存在", reason="duplicate")
    org_kind = _check_binding(data["role"], data.get("org"))
    _check_within(principal, data["role"], data.get("org"), org_kind)
    _check_grids(data.get("grids"))
    password = data.pop("password")
    phone = data.pop("phone", None)
    user = User(**data, org_kind=org_kind, password_hash=hash_password(password))
    user.phone = phone
    return user.save(force_insert=True)


def update_user(*, principal: Principal, user_id: ObjectId, data: dict[str, Any]) -> User:
    """Change a user's name, phone, role, node, grids, state or password."""
    user = get_user(principal=principal, user_id=user_id)
    password = data.pop("password", None)
    for name, value in data.items():
        setattr(user, name, value)
    if "role" in data or "org" in data:
        user.org_kind = _check_binding(user.role, user.org)
        _check_within(principal, user.role, user.org, user.org_kind)
    _check_grids(data.get("grids"))
    if password:
        user.password_hash = hash_password(password)
    stale = password or set(data) & {"role", "org", "grids", "active"}
    if stale:  # tokens issued before assert what is no longer true
        user.token_version = (user.token_version or 0) + 1
    user.save()
    if stale:
        end_sessions(user_id=str(user.id))
        current_app.extensions["gridhub_user_state"].clear()  # at once in this process
    return user


def list_departments(*, region: str | None = None, include_inactive: bool = False):
    query: dict[str, Any] = {} if include_inactive else {"active": True}
    if region:
        query["region"] = region
    return Department.objects(**query).order_by("code")


def find_department(*, code: str) -> Department | None:
    """An active department by code, or None."""
    return Department.objects(code=code, active=True).first()


def get_department(*, code: str) -> Department:
    return found(Department.objects(code=code).first(), "部门不存在")


def _check_department_refs(data: dict[str, Any]) -> None:
    if "region" in data and Region.objects(code=data["region"], level="county").first() is None:
        raise Unprocessable("所属县级区域不存在", reason="unknown_region")
    if data.get("parent") and Department.objects(code=data["parent"]).first() is None:
        raise Unprocessable("上级部门不存在", reason="unknown_parent")
    officials = data.get("duty_officials") or []
    if officials and User.objects(id__in=officials).count() != len(set(officials)):
        raise Unprocessable("值班领导中有不存在的用户", reason="unknown_users")


def _check_department_county(principal: Principal, *regions: str | None) -> None:
    county = admin_county(principal)
    if county is not None and any(region != county for region in regions):
        raise Forbidden("只能管理本县（市、区）的部门", reason="outside_county")


def create_department(*, principal: Principal, data: dict[str, Any]) -> Department:
    require_admin(principal)
    if Department.objects(code=data["code"]).first() is not None:
        raise Conflict("部门编码已存在", reason="duplicate")
    _check_department_refs(data)
    _check_department_county(principal, data.get("region"))
    created = Department(**data).save(force_insert=True)
    names.forget()
    return created


def update_department(*, principal: Principal, code: str, data: dict[str, Any]) -> Department:
    require_admin(principal)
    department = get_department(code=code)
    _check_department_county(principal, department.region, data.get("region", department.region))
    if data.get("parent") == code:
        raise Unprocessable("部门不能以自己为上级", reason="unknown_parent")
    _check_department_refs(data)
    for name, value in data.items():
        setattr(department, name, value)
    department.save()
    names.forget()
    return department
