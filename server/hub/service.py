"""The hub's halls and items: listing (anonymous, personalised when signed in), Chinese search,
favourites, recently used, usage per item and day, and administration."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

from bson import ObjectId
from bson.errors import InvalidId
from mongoengine import Q
from mongoengine.errors import NotUniqueError

from server.auth.models import Client
from server.auth.permissions import require_admin, require_admin_of
from server.auth.principals import Principal
from server.errors import Conflict, Forbidden, NotFound, Unauthorized, Unprocessable, found
from server.grids.models import Region
from server.hub.models import BUILTINS, Entry, Favourite, Hall, RecentUse, ServiceItem, UsageDay
from server.organisation.service import find_department
from server.timeutil import SHANGHAI, aware, now_utc

RECENT = 10
MAX_USAGE_DAYS = 366


def hall(region: str) -> Hall:
    return found(Hall.objects(region=region, active=True).first(), "该地区没有分厅")


def opening_hall(*, region: str | None) -> Hall | None:
    """The hall the mini-app opens: the configured county's (if active), else the first active."""
    halls = Hall.objects(active=True)
    return (halls.filter(region=region) if region else halls.order_by("region")).first()


def _item(item_id: ObjectId) -> ServiceItem:
    return found(ServiceItem.objects(id=item_id).first(), "服务事项不存在")


def list_items(*, region: str, principal: Principal | None, q: str | None = None,
               kind: str | None = None, audience: str | None = None, section: str | None = None,
               include_offline: bool = False) -> list[dict[str, Any]]:
    """The hall's items in order; with a principal, each says whether it is a favourite and
    when it was last used, and `section` narrows to favourites or recently used."""
    hall(region)
    query = Q(hall=region)
    if not (include_offline and principal and principal.has_role("admin", "platform_admin")):
        query &= Q(online=True)
    if kind:
        query &= Q(kind=kind)
    if audience:
        query &= Q(audiences=audience)
    if q:
        pattern = re.compile(re.escape(q), re.IGNORECASE)  # literal text: metacharacters are text
        query &= Q(name=pattern) | Q(tags=pattern)
    items = list(ServiceItem.objects(query).order_by("order", "code"))
    favourites: dict[str, datetime] = {}
    recent: dict[str, datetime] = {}
    if principal is not None:
        ids = [str(i.id) for i in items]
        favourites = {f.item: f.at for f in Favourite.objects(user=principal.key, item__in=ids)}
        recent = {r.item: r.at for r in RecentUse.objects(user=principal.key, item__in=ids)}
    if section == "favourites":
        items = sorted((i for i in items if str(i.id) in favourites), key=lambda i: favourites[str(i.id)],
                       reverse=True)
    elif section == "recent":
        items = sorted((i for i in items if str(i.id) in recent), key=lambda i: recent[str(i.id)],
                       reverse=True)[:RECENT]
    return [{"item": item, "favourite": str(item.id) in favourites,
             "last_used_at": recent.get(str(item.id))} for item in items]


def use(*, item_id: ObjectId, principal: Principal | None) -> dict[str, Any]:
    """Open an item: checks it is online and the authentication level it needs, counts the use
    for the day, remembers it as recently used; answers where to go."""
    item = _item(item_id)
    if not item.online:
        raise Conflict("该服务事项暂未上线", reason="offline")
    if item.auth_level and principal is None:
        raise Unauthorized("请先登录后再使用该服务", reason="login_required")
    if principal is not None and principal.has_role("resident") and principal.level < item.auth_level:
        raise Forbidden(f"该服务需要 {item.auth_level} 级实名认证，请在爱山东完成更高级别认证",
                        reason="auth_level_too_low", required=item.auth_level, current=principal.level)
    if principal is not None:
        _count_use(item, principal)
    return {"item": item, "entry": item.entry}


def _count_use(item: ServiceItem, principal: Principal) -> None:
    """Remember the use, and count it for the day once per signed-in user: an anonymous caller,
    or the same user opening it again, cannot inflate the usage figures."""
    now = now_utc()
    today = now.astimezone(SHANGHAI).date()
    before = RecentUse._get_collection().find_one_and_update(
        {"user": principal.key, "item": str(item.id)}, {"$set": {"at": now}}, upsert=True)
    last = before.get("at") if before else None
    if last is not None and aware(last).astimezone(SHANGHAI).date() == today:
        return
    UsageDay._get_collection().update_one(
        {"item": str(item.id), "day": today.isoformat()},
        {"$inc": {"count": 1}, "$setOnInsert": {"hall": item.hall}}, upsert=True)


def add_favourite(*, item_id: ObjectId, principal: Principal) -> ServiceItem:
    item = _item(item_id)
    try:
        Favourite(user=principal.key, item=str(item.id)).save(force_insert=True)
    except NotUniqueError:
        pass  # already a favourite: PUT is idempotent
    return item


def remove_favourite(*, item_id: ObjectId, principal: Principal) -> None:
    Favourite.objects(user=principal.key, item=str(_item(item_id).id)).delete()


def usage(*, principal: Principal, region: str, since: date | None,
          until: date | None) -> list[dict[str, Any]]:
    """Uses per item and day in [since, until] (default: the last 30 days), busiest first.
    Staff read their own county's hall; a platform admin and sister apps (hub:read) any."""
    if (principal.kind == "user" and not principal.has_role("platform_admin")
            and principal.county != region):
        raise NotFound("分厅不存在", reason="not_found")
    hall(region)
    until = until or now_utc().astimezone(SHANGHAI).date()
    since = since or until - timedelta(days=29)
    if since > until or (until - since).days >= MAX_USAGE_DAYS:
        raise Unprocessable("统计区间须先后有序且不超过一年", reason="invalid_range")
    rows = UsageDay.objects(hall=region, day__gte=since.isoformat(), day__lte=until.isoformat())
    per_item: dict[str, dict[str, int]] = {}
    for row in rows:
        per_item.setdefault(row.item, {})[row.day] = row.count
    names = {str(i.id): i for i in ServiceItem.objects(id__in=list(per_item)).only("code", "name")}
    result = [{"item": item_id, "code": names[item_id].code if item_id in names else None,
               "name": names[item_id].name if item_id in names else None,
               "total": sum(days.values()),
               "days": [{"day": day, "count": count} for day, count in sorted(days.items())]}
              for item_id, days in per_item.items()]
    return sorted(result, key=lambda r: (-r["total"], r["code"] or ""))


# --- administration --------------------------------------------------------------------------
def create_hall(*, principal: Principal, data: dict[str, Any]) -> Hall:
    require_admin(principal)
    if Region.objects(code=data["region"], level="county").first() is None:
        raise Unprocessable("分厅须对应一个县级区域", reason="unknown_region")
    require_admin_of(principal, data["region"])
    try:
        return Hall(**data).save(force_insert=True)
    except NotUniqueError:
        raise Conflict("该地区已有分厅", reason="duplicate") from None


def update_hall(*, principal: Principal, region: str, data: dict[str, Any]) -> Hall:
    require_admin_of(principal, region)
    target = found(Hall.objects(region=region).first(), "该地区没有分厅")
    if data:
        target.modify(**data)
    return target


def _entry(raw: dict[str, Any]) -> Entry:
    kind = raw["type"]
    if kind == "miniapp" and not raw.get("path"):
        raise Unprocessable("小程序入口须给出 path", reason="invalid_entry")
    if kind == "builtin" and raw.get("builtin") not in BUILTINS:
        raise Unprocessable(f"内置入口须为：{', '.join(BUILTINS)}", reason="invalid_entry")
    if kind == "client":
        if not raw.get("url") or not raw.get("client"):
            raise Unprocessable("接入应用入口须给出 client 与 url", reason="invalid_entry")
        try:
            registered = Client.objects(id=ObjectId(raw["client"]), active=True).first()
        except (InvalidId, TypeError):
            registered = None
        if registered is None:
            raise Unprocessable("接入应用不存在或已停用", reason="unknown_client")
    return Entry(**{k: raw.get(k) for k in ("type", "path", "url", "client", "builtin")})


def _check_department(code: str | None) -> None:
    if code and find_department(code=code) is None:
        raise Unprocessable("部门不存在或已停用", reason="unknown_department")


def create_item(*, principal: Principal, region: str, data: dict[str, Any]) -> ServiceItem:
    require_admin_of(principal, region)
    found(Hall.objects(region=region).first(), "该地区没有分厅")
    _check_department(data.get("department"))
    entry = _entry(data.pop("entry"))
    try:
        return ServiceItem(hall=region, entry=entry, **data).save(force_insert=True)
    except NotUniqueError:
        raise Conflict("该分厅已有同编码的服务事项", reason="duplicate") from None


def update_item(*, principal: Principal, item_id: ObjectId, data: dict[str, Any]) -> ServiceItem:
    item = _item(item_id)
    require_admin_of(principal, item.hall)
    _check_department(data.get("department"))
    if "entry" in data:
        data["entry"] = _entry(data["entry"])
    if data:
        item.modify(**data, updated_at=now_utc())
    return item
