"""The standard indicators (DESIGN §6), summed in the database from per-case flags.

Cases are counted by the day they were reported (Asia/Shanghai), within the caller's data
scope; each indicator is a plain sum of a flag the case carries, so one `$group` gives every
number of a period, grouped by grid, town, department, category or day.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from mongoengine import Q
from mongoengine.queryset.queryset import QuerySet

from server.auth.permissions import require_roles
from server.auth.principals import Principal
from server.cases.models import Case
from server.cases.scope import scope_filter
from server.catalog.models import Category
from server.errors import Unprocessable, found
from server.extensions import tables
from server.extensions.queries import starts_with
from server.grids.models import Region
from server.organisation.models import Department
from server.timeutil import SHANGHAI, now_utc

STATS_ROLES = ("supervisor", "dispatcher", "admin", "platform_admin")
DEFAULT_DAYS = 30
FLAGS = ("accepted", "dispatched", "ontime_dispatch", "ontime_sign", "due", "handled",
         "ontime_handle", "closed", "ontime_close", "reworked", "returned", "extended",
         "overdue", "evaluated", "satisfied", "dissatisfied", "redone")
GROUP_KEYS: dict[str, Any] = {
    "grid": "$grid", "town": {"$arrayElemAt": ["$region_path", 1]},
    "department": "$department", "category": "$category", "day": "$created_day",
}
# (indicator, Chinese header) in the order exports show them.
COLUMNS = [
    ("key", "分组编码"), ("name", "名称"), ("reported", "上报数"), ("cancelled", "撤销数"),
    ("accepted", "立案数"), ("accept_rate", "立案率(%)"), ("dispatched", "派遣数"),
    ("ontime_dispatch_rate", "按时派遣率(%)"), ("response_rate", "响应率(%)"),
    ("should_handle", "应处置数"), ("handled", "处置数"), ("ontime_handle_rate", "按期处置率(%)"),
    ("should_close", "应结案数"), ("closed", "结案数"), ("close_rate", "结案率(%)"),
    ("ontime_closed", "按期结案数"), ("ontime_close_rate", "按期结案率(%)"),
    ("reworked", "返工数"), ("rework_rate", "返工率(%)"), ("returned", "退单数"),
    ("extended", "延期数"), ("extension_rate", "延期率(%)"), ("overdue", "超期数"),
    ("evaluated", "评价数"), ("satisfied", "满意数"), ("satisfaction_rate", "满意率(%)"),
    ("dissatisfied", "不满意数"), ("redone", "不满意重办数"),
    ("redone_resolved", "不满意重办解决数"), ("redone_resolve_rate", "不满意重办解决率(%)"),
    ("avg_handle_wh", "平均处置时长(工作小时)"),
]


def rate(part: int, whole: int) -> float | None:
    """A percentage with two decimals, rounded half up (911 of 972 → 93.72); None of nothing."""
    if not whole:
        return None
    return float((Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.01"), ROUND_HALF_UP))


def indicators(sums: dict[str, Any]) -> dict[str, Any]:
    """The indicators of DESIGN §6 from the sums of one group."""
    due = sums["due"]
    return {
        "reported": sums["reported"], "cancelled": sums["cancelled"],
        "accepted": sums["accepted"],
        "accept_rate": rate(sums["accepted"], sums["reported"] - sums["cancelled"]),
        "dispatched": sums["dispatched"],
        "ontime_dispatch_rate": rate(sums["ontime_dispatch"], sums["dispatched"]),
        "response_rate": rate(sums["ontime_sign"], sums["dispatched"]),
        "should_handle": due, "handled": sums["handled"],
        "ontime_handle_rate": rate(sums["ontime_handle"], due),
        "should_close": due, "closed": sums["closed"], "close_rate": rate(sums["closed"], due),
        "ontime_closed": sums["ontime_close"], "ontime_close_rate": rate(sums["ontime_close"], due),
        "reworked": sums["reworked"], "rework_rate": rate(sums["reworked"], due),
        "returned": sums["returned"], "extended": sums["extended"],
        "extension_rate": rate(sums["extended"], due), "overdue": sums["overdue"],
        "evaluated": sums["evaluated"], "satisfied": sums["satisfied"],
        "satisfaction_rate": rate(sums["satisfied"], sums["evaluated"]),
        "dissatisfied": sums["dissatisfied"], "redone": sums["redone"],
        "redone_resolved": sums["redone_resolved"],
        "redone_resolve_rate": rate(sums["redone_resolved"], sums["redone"]),
        "avg_handle_wh": round(sums["handle_wm"] / sums["handled"] / 60, 2)
        if sums["handled"] else None,
    }


def period(args: dict[str, Any]) -> tuple[date, date]:
    """From and to (inclusive); by default the last 30 days. At most a year, from ≤ to."""
    end = args.get("to") or now_utc().astimezone(SHANGHAI).date()
    start = args.get("from_") or end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise Unprocessable("开始日期不能晚于结束日期", reason="invalid_period",
                            fields={"from": ["不能晚于结束日期"]})
    if (end - start).days >= 366:
        raise Unprocessable("统计周期不能超过一年", reason="invalid_period",
                            fields={"to": ["统计周期不能超过一年"]})
    return start, end


def cases_in(principal: Principal, args: dict[str, Any], start: date, end: date) -> QuerySet:
    query = scope_filter(principal) & Q(
        created_at__gte=datetime.combine(start, time(0), SHANGHAI),
        created_at__lt=datetime.combine(end + timedelta(days=1), time(0), SHANGHAI))
    if "region" in args:
        found(Region.objects(code=args["region"]).only("code").first(), "区域不存在")
        query &= Q(region_path=args["region"])
    if "department" in args:
        query &= Q(department=args["department"])
    if "category" in args:
        query &= starts_with("category", args["category"])
    return Case.objects(query)


def _sums(cases: QuerySet, group_by: str | None) -> list[dict[str, Any]]:
    """One aggregation evaluated by the server: the query's `$match`, then one `$group`."""
    def flag(name: str) -> dict:
        return {"$eq": [f"$flags.{name}", True]}

    group: dict[str, Any] = {
        "_id": GROUP_KEYS[group_by] if group_by else None,
        "reported": {"$sum": 1},
        "cancelled": {"$sum": {"$cond": [{"$eq": ["$status", "cancelled"]}, 1, 0]}},
        "handle_wm": {"$sum": {"$cond": [flag("handled"), "$handle_wm", 0]}},
        **{name: {"$sum": {"$cond": [flag(name), 1, 0]}} for name in FLAGS},
        # a 不满意 reopened (`redone`) and closed again: 12345's 不满意重办解决
        "redone_resolved": {"$sum": {"$cond": [{"$and": [flag("redone"), flag("closed")]}, 1, 0]}},
    }
    return list(cases.aggregate([{"$group": group}]))


def _names(group_by: str, keys: list[str]) -> dict[str, str]:
    if group_by in ("grid", "town"):
        return {r.code: r.name for r in Region.objects(code__in=keys).only("code", "name")}
    if group_by == "department":
        return {d.code: d.name for d in Department.objects(code__in=keys).only("code", "name")}
    if group_by == "category":
        return {c.code: c.name for c in Category.objects(code__in=keys).only("code", "name")}
    return {}


def stats(*, principal: Principal, args: dict[str, Any]) -> dict[str, Any]:
    """The indicators of a period in the caller's scope, in total and per group."""
    require_roles(principal, *STATS_ROLES)
    start, end = period(args)
    cases = cases_in(principal, args, start, end)
    empty = {"reported": 0, "cancelled": 0, "handle_wm": 0, "redone_resolved": 0,
             **dict.fromkeys(FLAGS, 0)}
    totals = (_sums(cases, None) or [empty])[0]
    group_by = args.get("group_by")
    groups = []
    if group_by:
        rows = sorted(_sums(cases, group_by), key=lambda row: (row["_id"] is None,
                                                               str(row["_id"])))
        names = _names(group_by, [row["_id"] for row in rows if row["_id"]])
        groups = [{"key": row["_id"], "name": names.get(row["_id"], row["_id"]),
                   **indicators(row)} for row in rows]
    return {"from_": start, "to": end, "region": args.get("region"), "group_by": group_by,
            "total": {"key": None, "name": "合计", **indicators(totals)}, "groups": groups}


def export(*, principal: Principal, args: dict[str, Any]) -> tuple[bytes, str, str]:
    """The same numbers as `stats`, as a CSV or XLSX file with Chinese headers: (body,
    mimetype, filename)."""
    result = stats(principal=principal, args=args)
    rows = [*result["groups"], result["total"]]
    table = [[header for _, header in COLUMNS],
             *[[row.get(name) for name, _ in COLUMNS] for row in rows]]
    stem = f"gridhub-stats-{result['from_']:%Y%m%d}-{result['to']:%Y%m%d}"
    if args.get("format") == "xlsx":
        return tables.xlsx(table, title="指标"), tables.XLSX, f"{stem}.xlsx"
    return b"".join(tables.csv_chunks(table)), tables.CSV, f"{stem}.csv"
