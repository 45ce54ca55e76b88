"""SLA profiles in the database (DESIGN §5) and which one a region uses.

A profile is stored as plain data and turned into a `workflows.sla_policy.Profile`, which checks it;
each region may name a profile (the nearest ancestor's choice wins), else the default one.
"""

from __future__ import annotations

from typing import Any

from mongoengine import BooleanField, DateTimeField, DictField, Document, ListField, StringField

from server.auth.permissions import require_admin, require_admin_of, require_platform_admin
from server.auth.principals import Principal
from server.catalog import service as catalog
from server.errors import Conflict, Unprocessable, found
from server.extensions.cache import TTLCache
from server.grids.models import Region
from server.timeutil import now_utc
from workflows import sla_policy

_profiles: TTLCache[sla_policy.Profile | None] = TTLCache(5.0)
_choices: TTLCache[str | None] = TTLCache(5.0)


class SlaProfile(Document):
    code = StringField(primary_key=True, regex=r"^[0-9a-z][0-9a-z_-]{1,40}$")
    name = StringField(required=True, max_length=100)
    description = StringField(max_length=500)
    rules = ListField(DictField())  # [{"category": "01", "priority": "*", "limits": {…}}]
    warn = DictField()  # {"percent": 80} or {"offset": {"amount": 1, "unit": "wd"}}
    escalate = ListField(DictField())  # two points: town, then county
    max_extension = DictField(null=True)
    return_window = DictField(null=True)
    is_default = BooleanField(default=False)
    updated_at = DateTimeField(default=now_utc)

    meta = {"collection": "sla_profiles", "indexes": ["is_default"]}


def _limit(raw: dict[str, Any] | None) -> sla_policy.Limit | None:
    return sla_policy.Limit(raw["amount"], raw["unit"]) if raw else None


def _point(raw: dict[str, Any]) -> sla_policy.Point:
    return sla_policy.Point(percent=raw.get("percent"), offset=_limit(raw.get("offset")))


def build(data: dict[str, Any]) -> sla_policy.Profile:
    """The workflow's profile from stored or submitted data (raises SlaError if inconsistent)."""
    return sla_policy.Profile(
        code=data["code"], name=data["name"],
        rules=tuple(sla_policy.Rule({phase: _limit(limit) for phase, limit in r["limits"].items()},
                             category=r.get("category", ""), priority=r.get("priority", sla_policy.ANY))
                    for r in data["rules"]),
        warn=_point(data.get("warn") or {"percent": 80}),
        escalate=tuple(_point(p) for p in data.get("escalate")
                       or ({"percent": 150}, {"percent": 200})),
        max_extension=_limit(data.get("max_extension")),
        return_window=_limit(data.get("return_window")))


def _document_data(doc: SlaProfile) -> dict[str, Any]:
    return {name: doc[name] for name in ("code", "name", "description", "rules", "warn",
                                         "escalate", "max_extension", "return_window",
                                         "is_default")}


def clear_cache() -> None:
    _profiles.clear()
    _choices.clear()


def profile(code: str | None) -> sla_policy.Profile | None:
    """A profile by code (cached for a few seconds per process); None if there is none."""
    if not code:
        return None

    def load() -> sla_policy.Profile | None:
        doc = SlaProfile.objects(code=code).first()
        return build(_document_data(doc)) if doc else None

    return _profiles.get(code, load)


def code_for(region_path: list[str]) -> str | None:
    """The profile a case in this region runs on: the nearest choice up the tree, else the
    default profile."""
    def load() -> str | None:
        chosen = {r.code: r.sla_profile for r in Region.objects(code__in=region_path).only(
            "code", "sla_profile") if r.sla_profile}
        for code in reversed(region_path):
            if code in chosen:
                return chosen[code]
        default = SlaProfile.objects(is_default=True).only("code").first()
        return default.code if default else None

    return _choices.get("/".join(region_path), load)


# --- admin -----------------------------------------------------------------------------------
def list_profiles() -> list[dict[str, Any]]:
    return [_describe(doc) for doc in SlaProfile.objects.order_by("code")]


def get_profile(*, code: str) -> dict[str, Any]:
    return _describe(found(SlaProfile.objects(code=code).first(), "时限方案不存在"))


def _describe(doc: SlaProfile) -> dict[str, Any]:
    regions = [r.code for r in Region.objects(sla_profile=doc.code).only("code")]
    return {**_document_data(doc), "regions": regions, "updated_at": doc.updated_at}


def _check(data: dict[str, Any]) -> None:
    try:
        build(data)
    except sla_policy.SlaError as exc:
        raise Unprocessable(exc.message, reason=exc.reason) from exc
    for rule in data["rules"]:
        if rule.get("category") and catalog.find(code=rule["category"]) is None:
            raise Unprocessable(f"类别 {rule['category']} 不存在", reason="unknown_category",
                                fields={"rules": [f"未知类别 {rule['category']}"]})


def save_profile(*, principal: Principal, data: dict[str, Any], code: str | None = None,
                 create: bool = False) -> dict[str, Any]:
    """Create (409 if the code exists) or replace a profile, after checking it whole."""
    require_platform_admin(principal)
    data = {**data, "code": code or data["code"]}
    existing = SlaProfile.objects(code=data["code"]).first()
    if create and existing is not None:
        raise Conflict("时限方案编码已存在", reason="already_exists")
    if not create:
        found(existing, "时限方案不存在")
        if existing.is_default and not data.get("is_default"):
            # Regions that chose nothing would silently lose every deadline.
            raise Conflict("须先将另一方案设为默认，才能取消此方案的默认", reason="default_required")
    _check(data)
    if data.get("is_default"):
        SlaProfile.objects(code__ne=data["code"]).update(set__is_default=False)
    doc = SlaProfile(**{k: v for k, v in data.items() if k != "regions"}, updated_at=now_utc())
    doc.save()
    clear_cache()
    return _describe(doc)


def delete_profile(*, principal: Principal, code: str) -> None:
    require_platform_admin(principal)
    doc = found(SlaProfile.objects(code=code).first(), "时限方案不存在")
    if Region.objects(sla_profile=code).first() is not None or doc.is_default:
        raise Conflict("时限方案正在使用，不能删除", reason="profile_in_use")
    doc.delete()
    clear_cache()


def choose(*, principal: Principal, region: str, code: str | None) -> dict[str, Any]:
    """Make a region (and what lies under it, unless it chooses otherwise) use a profile."""
    require_admin(principal)
    node = found(Region.objects(code=region).first(), "区域不存在")
    require_admin_of(principal, region)
    if code is not None and SlaProfile.objects(code=code).first() is None:
        raise Unprocessable("时限方案不存在", reason="unknown_profile",
                            fields={"profile": ["未知方案"]})
    node.update(set__sla_profile=code)
    clear_cache()
    return {"region": region, "profile": code,
            "effective": code_for(list(node.path))}
