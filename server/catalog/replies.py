"""常用语 (reply templates, issue 19): each county's ready texts for a handler's result, a
dispatcher's reason or any note, per category or for all; picked in the mini-app's forms."""

from __future__ import annotations

from typing import Any

from bson import ObjectId

from server.auth.permissions import admin_county, require_admin_of, require_roles
from server.auth.principals import Principal
from server.catalog.models import ReplyTemplate
from server.errors import Unprocessable, found
from workflows.case_machine import STAFF_ROLES


def _county_of(principal: Principal, county: str | None) -> str:
    mine = principal.county or admin_county(principal)
    chosen = county or (mine if mine and mine != "-" else None)
    if chosen is None:
        raise Unprocessable("请指定县（市、区）", reason="county_required", fields={"county": ["必填"]})
    return chosen


def for_form(*, principal: Principal, field: str, category: str | None,
             county: str | None = None) -> list[ReplyTemplate]:
    """The texts a staff member may pick for `field` of a case of `category`: the county's own,
    the most specific category first (小类, 大类, all), then by their order."""
    require_roles(principal, *STAFF_ROLES)
    county = _county_of(principal, county)
    prefixes = [""] + ([category[:2], category[:4]] if category else [])
    found_ = ReplyTemplate.objects(county=county, field=field, category__in=sorted(set(prefixes)))
    return sorted(found_, key=lambda t: (-len(t.category), t.order, t.text))


def create(*, principal: Principal, data: dict[str, Any]) -> ReplyTemplate:
    require_admin_of(principal, data["county"])
    return ReplyTemplate(**data).save()


def update(*, principal: Principal, template_id: ObjectId, data: dict[str, Any]) -> ReplyTemplate:
    template = found(ReplyTemplate.objects(id=template_id).first(), "常用语不存在")
    require_admin_of(principal, template.county)
    for name, value in data.items():
        setattr(template, name, value)
    return template.save()


def delete(*, principal: Principal, template_id: ObjectId) -> None:
    template = found(ReplyTemplate.objects(id=template_id).first(), "常用语不存在")
    require_admin_of(principal, template.county)
    template.delete()
