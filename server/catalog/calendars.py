"""Working calendars per county: office hours and the county's own days over the statutory
calendar (a new year's State Council notice is loaded here before the package covers it)."""

from __future__ import annotations

import logging
from datetime import date, time
from typing import Any

from mongoengine import DictField, Document, ListField, StringField

from server.auth.permissions import require_admin_of
from server.auth.principals import Principal
from server.errors import Unprocessable, found
from server.extensions.cache import TTLCache
from server.grids.models import Region
from server.timeutil import SHANGHAI, now_utc
from workflows.calendar import DEFAULT_OFFICE_HOURS, CalendarError, WorkCalendar
from workflows.quiet_hours import QuietHoursError, parse_rules

log = logging.getLogger(__name__)
_cache: TTLCache[WorkCalendar] = TTLCache(5.0)
_quiet: TTLCache[dict[str, WorkCalendar]] = TTLCache(5.0)


class RegionCalendar(Document):
    region = StringField(primary_key=True)  # a county code
    office_hours = ListField(ListField(StringField()))  # [["09:00", "12:00"], …]
    days = DictField()  # "YYYY-MM-DD" -> {"workday": bool, "note": str}
    # Quiet hours (issue 19): the roles whose non-urgent alerts wait for office hours, each
    # with its own office hours or None (the county's): [{"role": …, "office_hours": …}]
    quiet_hours = ListField(DictField())

    meta = {"collection": "calendars"}


def _hours(raw: list[list[str]]) -> list[tuple[time, time]]:
    return [(time.fromisoformat(a), time.fromisoformat(b)) for a, b in raw]


def calendar_for(region: str) -> WorkCalendar:
    """The working calendar of a county (its own days and hours over the statutory ones)."""
    county = region[:6]
    return _cache.get(county, lambda: _load(county))


def _load(county: str) -> WorkCalendar:
    doc = RegionCalendar.objects(region=county).first()
    return WorkCalendar(
        office_hours=_hours(doc.office_hours) if doc and doc.office_hours
        else DEFAULT_OFFICE_HOURS,
        overrides={date.fromisoformat(d): v["workday"] for d, v in (doc.days if doc else {}).items()})


def quiet_calendars(region: str) -> dict[str, WorkCalendar]:
    """Role → the calendar whose working time a non-urgent alert to that role waits for, in the
    county of `region`; roles not listed are never held."""
    county = region[:6]
    return _quiet.get(county, lambda: _load_quiet(county))


def _load_quiet(county: str) -> dict[str, WorkCalendar]:
    doc = RegionCalendar.objects(region=county).only("quiet_hours", "days").first()
    if doc is None or not doc.quiet_hours:
        return {}
    county_calendar = calendar_for(county)
    return {rule.role: county_calendar if rule.office_hours is None else WorkCalendar(
        office_hours=rule.office_hours, overrides=county_calendar.overrides)
        for rule in parse_rules(doc.quiet_hours)}


def clear_cache() -> None:
    _cache.clear()
    _quiet.clear()


def uncovered_years(*, today: date | None = None) -> list[int]:
    """This year and next, where the statutory calendar has no data (deadlines reach there)."""
    today = today or now_utc().astimezone(SHANGHAI).date()
    probe = WorkCalendar()
    return [y for y in (today.year, today.year + 1) if not probe.covers(y)]


def describe(*, region: str) -> dict[str, Any]:
    found(Region.objects(code=region, level="county").first(), "县级区域不存在")
    doc = RegionCalendar.objects(region=region).first()
    hours = doc.office_hours if doc and doc.office_hours else [
        [a.strftime("%H:%M"), b.strftime("%H:%M")] for a, b in DEFAULT_OFFICE_HOURS]
    days = sorted(({"date": d, **v} for d, v in (doc.days if doc else {}).items()),
                  key=lambda item: item["date"])
    return {"region": region, "office_hours": hours, "days": days,
            "quiet_hours": list(doc.quiet_hours) if doc else [],
            "uncovered_years": uncovered_years()}


def set_days(*, principal: Principal, region: str, days: list[dict[str, Any]],
             replace_year: int | None = None) -> dict[str, Any]:
    """Add or change a county's own days; with `replace_year`, that year's days are replaced."""
    require_admin_of(principal, region)
    found(Region.objects(code=region, level="county").first(), "县级区域不存在")
    if replace_year is not None and any(d["date"].year != replace_year for d in days):
        raise Unprocessable("日期不在要替换的年份内", reason="date_outside_year")
    doc = RegionCalendar.objects(region=region).first() or RegionCalendar(region=region)
    kept = {k: v for k, v in doc.days.items()
            if replace_year is None or not k.startswith(f"{replace_year}-")}
    kept.update({d["date"].isoformat(): {"workday": d["workday"], "note": d.get("note", "")}
                 for d in days})
    doc.days = kept
    doc.save()
    clear_cache()
    return describe(region=region)


def set_office_hours(*, principal: Principal, region: str,
                     office_hours: list[list[str]]) -> dict[str, Any]:
    require_admin_of(principal, region)
    found(Region.objects(code=region, level="county").first(), "县级区域不存在")
    try:
        WorkCalendar(office_hours=_hours(office_hours))
    except (CalendarError, ValueError) as exc:
        raise Unprocessable("办公时间须为不重叠、按顺序的 HH:MM 时段", reason="invalid_office_hours") \
            from exc
    doc = RegionCalendar.objects(region=region).first() or RegionCalendar(region=region)
    doc.office_hours = office_hours
    doc.save()
    clear_cache()
    return describe(region=region)


def set_quiet_hours(*, principal: Principal, region: str,
                    rules: list[dict[str, Any]]) -> dict[str, Any]:
    """Replace a county's quiet-hours rules (admin); an empty list holds nothing."""
    require_admin_of(principal, region)
    found(Region.objects(code=region, level="county").first(), "县级区域不存在")
    try:
        parsed = parse_rules(rules)
    except QuietHoursError as exc:
        raise Unprocessable(exc.message, reason="invalid_quiet_hours",
                           fields={exc.field: [exc.message]}) from exc
    doc = RegionCalendar.objects(region=region).first() or RegionCalendar(region=region)
    doc.quiet_hours = [rule.as_raw() for rule in parsed]
    doc.save()
    clear_cache()
    return describe(region=region)
