"""Per-worker assessment (考核, issue 18): each grid worker's indicators over a period, summed
in the database (one aggregation per source: patrols, their grids, check-ins, reported cases,
verifications, visits, work logs), and their points (积分) by the county's rules in force each
day (`workflows/points.py`); grouped by worker, community or town, ranked within each town.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from mongoengine import NotUniqueError, Q

from server.auth.models import User
from server.auth.permissions import require_admin_of, require_roles
from server.auth.principals import Principal
from server.cases.models import Case
from server.catalog.calendars import calendar_for
from server.errors import Conflict, Forbidden, Unprocessable, found
from server.extensions import tables
from server.extensions.queries import starts_with
from server.grids.models import Region
from server.organisation import names
from server.patrols.models import CheckIn, Patrol, PointRules, Visit, WorkLog
from server.timeutil import SHANGHAI, now_utc
from workflows.points import Day, PointRulesError, in_force, parse, score

ROLES = ("supervisor", "dispatcher", "admin", "platform_admin", "grid_worker")
GROUPS = ("worker", "community", "town")
MAX_DAYS = 366
COLUMNS = [
    ("name", "名称"), ("town_name", "街道（镇）"), ("community_name", "社区"),
    ("workers", "网格员数"), ("patrol_days", "巡查天数"), ("patrol_hours", "巡查时长(小时)"),
    ("distance_km", "巡查里程(公里)"), ("inside_share", "本网格内里程占比"),
    ("grid_coverage", "网格覆盖率"), ("checkin_days", "签到天数"),
    ("missed_checkin_days", "缺签天数"), ("events_found", "发现上报事件数"),
    ("self_handled", "自行处置数"), ("verifications", "核查数"),
    ("verifications_on_time", "按时核查数"), ("visits", "走访数"), ("logs", "工作日志数"),
    ("points", "积分"), ("rank_in_town", "街道内排名"),
]


# --- rules -----------------------------------------------------------------------------------------
def put_rules(*, principal: Principal, county: str, effective_from: date,
              rules: dict[str, Any]) -> dict[str, Any]:
    """Add a version of a county's points rules taking effect on `effective_from` (admin); a
    version already in force for a past day is kept as it was (409 `rules_in_force`)."""
    require_admin_of(principal, county)
    found(Region.objects(code=county, level="county").first(), "县级区域不存在")
    try:
        parsed = parse(rules)
    except PointRulesError as exc:
        raise Unprocessable(exc.message, reason="invalid_point_rules",
                            fields={f"rules.{exc.field}": [exc.message]}) from exc
    today = now_utc().astimezone(SHANGHAI).date()
    existing = PointRules.objects(county=county, effective_from=effective_from.isoformat()).first()
    if existing is not None and effective_from <= today:
        raise Conflict("该版本已生效，请以新的生效日期另立版本", reason="rules_in_force")
    if existing is not None:
        existing.update(set__rules=parsed, set__created_by=principal.key)
    else:
        try:
            PointRules(county=county, effective_from=effective_from.isoformat(), rules=parsed,
                       created_by=principal.key).save(force_insert=True)
        except NotUniqueError:
            raise Conflict("该生效日期的版本刚被他人创建", reason="rules_in_force") from None
    return rules_of(county=county)


def rules_of(*, county: str) -> dict[str, Any]:
    versions = [{"effective_from": v.effective_from, "rules": v.rules}
                for v in PointRules.objects(county=county).order_by("effective_from")]
    return {"county": county, "versions": versions}


def _versions(county: str) -> list[tuple[date, dict[str, float]]]:
    """The county's versions, each completed with the defaults of rules added since it."""
    return [(date.fromisoformat(v.effective_from), parse(v.rules))
            for v in PointRules.objects(county=county).order_by("effective_from")]


# --- whom ------------------------------------------------------------------------------------------
def _workers(principal: Principal, region: str | None) -> list[User]:
    """The grid workers the caller may assess, within `region` if given."""
    require_roles(principal, *ROLES)
    if principal.has_role("grid_worker") and not principal.has_role(*ROLES[:-1]):
        return list(User.objects(id=principal.id, role="grid_worker"))
    if principal.has_role("platform_admin"):
        mine = None
    elif principal.has_role("admin"):
        mine = principal.county
    else:
        mine = principal.org if principal.org_kind == "region" else None
        if mine is None:
            raise Forbidden("当前角色无权查看网格员考核", reason="forbidden")
    if region is not None:
        found(Region.objects(code=region).only("code").first(), "区域不存在")
        if mine is not None and not region.startswith(mine):
            raise Forbidden("只能查看本辖区的网格员", reason="outside_scope")
    prefix = region or mine
    query = Q(role="grid_worker", active=True)
    if prefix:
        query &= starts_with("org", prefix)
    return list(User.objects(query).only("id", "name", "org", "grids").order_by("org", "name"))


# --- the figures -----------------------------------------------------------------------------------
def _period(args: dict[str, Any]) -> tuple[date, date]:
    end = args.get("to") or now_utc().astimezone(SHANGHAI).date()
    start = args.get("from_") or end - timedelta(days=29)
    if start > end or (end - start).days >= MAX_DAYS:
        raise Unprocessable("统计周期须先后有序且不超过一年", reason="invalid_period")
    return start, end


def _days(start: date, end: date) -> list[str]:
    return [(start + timedelta(days=n)).isoformat() for n in range((end - start).days + 1)]


def _facts(ids: list[str], start: date, end: date,
           visited: dict[str, set[str]]) -> dict[tuple[str, str], dict[str, float]]:
    """(worker id, day) → the facts of that day, each source summed by the database; the grids
    each worker's patrols visited are gathered into `visited` on the way."""
    facts: dict[tuple[str, str], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    first, last = start.isoformat(), end.isoformat()
    ended = {"worker": {"$in": ids}, "created_day": {"$gte": first, "$lte": last}, "status": "ended"}
    for row in Patrol._get_collection().aggregate([
            {"$match": ended},
            {"$group": {"_id": {"w": "$worker", "d": "$created_day"}, "s": {"$sum": "$duration_s"},
                        "m": {"$sum": "$distance_m"}, "i": {"$sum": "$inside_m"},
                        "g": {"$push": "$grids_visited"}}}]):
        visited[row["_id"]["w"]].update(grid for grids in row["g"] for grid in grids)
        day = facts[(row["_id"]["w"], row["_id"]["d"])]
        day["patrol_s"], day["distance_m"], day["inside_m"] = row["s"], row["m"], row["i"]
    for source, field in ((CheckIn, "checkins"), (WorkLog, "logs"), (Visit, "visits")):
        for row in source._get_collection().aggregate([
                {"$match": {"worker": {"$in": ids}, "day": {"$gte": first, "$lte": last}}},
                {"$group": {"_id": {"w": "$worker", "d": "$day"}, "n": {"$sum": 1}}}]):
            facts[(row["_id"]["w"], row["_id"]["d"])][field] = row["n"]
    keys = [f"user:{i}" for i in ids]
    for row in Case._get_collection().aggregate([
            {"$match": {"reporter": {"$in": keys}, "created_day": {"$gte": first, "$lte": last}}},
            {"$group": {"_id": {"r": "$reporter", "d": "$created_day"}, "n": {"$sum": 1},
                        "s": {"$sum": {"$cond": [{"$eq": ["$flags.self_handled", True]}, 1, 0]}}}}]):
        day = facts[(row["_id"]["r"][5:], row["_id"]["d"])]
        day["events_found"], day["self_handled"] = row["n"], row["s"]
    window = {"$gte": datetime.combine(start, time(0), SHANGHAI),
              "$lt": datetime.combine(end + timedelta(days=1), time(0), SHANGHAI)}
    verified = {"action": {"$in": ["verify_pass", "verify_fail"]}, "actor.key": {"$in": keys},
                "at": window}
    for row in Case._get_collection().aggregate([
            {"$match": {"history": {"$elemMatch": verified}}},
            {"$unwind": "$history"},
            {"$match": {f"history.{k}": v for k, v in verified.items()}},
            {"$project": {"_id": 0, "key": "$history.actor.key", "at": "$history.at",
                          "on_time": "$deadlines.verify.on_time"}}]):
        day = facts[(row["key"][5:], _shanghai_day(row["at"]))]
        day["verifications"] += 1
        day["verifications_on_time"] += row.get("on_time") is not False
    return facts


def _shanghai_day(moment: datetime) -> str:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(SHANGHAI).date().isoformat()


def _row(worker: User, facts, days: list[str], working: set[str], visited: set[str],
         versions) -> dict[str, Any]:
    ident = str(worker.id)
    own = {worker.org, *(worker.grids or ())} - {None}
    total: dict[str, float] = defaultdict(float)
    points = 0.0
    for day in days:
        fact = facts.get((ident, day), {})
        for key, value in fact.items():
            total[key] += value
        missed = day in working and not fact.get("checkins")
        total["missed_checkin_days"] += missed
        total["patrol_days"] += fact.get("patrol_s", 0) > 0
        total["checkin_days"] += fact.get("checkins", 0) > 0
        points += score(Day(patrol_hours=fact.get("patrol_s", 0) / 3600,
                            events_found=int(fact.get("events_found", 0)),
                            self_handled=int(fact.get("self_handled", 0)),
                            verifications_on_time=int(fact.get("verifications_on_time", 0)),
                            visits=int(fact.get("visits", 0)), logs=int(fact.get("logs", 0)),
                            missed_checkin=missed),
                        in_force(versions, date.fromisoformat(day)))
    town, community = (worker.org or "")[:9], (worker.org or "")[:12]
    return {
        "key": ident, "name": worker.name, "grid": worker.org, "town": town, "community": community,
        "town_name": names.node(town)["name"] if town else None,
        "community_name": names.node(community)["name"] if community else None,
        "workers": 1, "own_grids": len(own), "covered_grids": len(own & visited),
        "patrol_days": int(total["patrol_days"]), "patrol_s": total["patrol_s"],
        "distance_m": total["distance_m"], "inside_m": total["inside_m"],
        "checkin_days": int(total["checkin_days"]),
        "missed_checkin_days": int(total["missed_checkin_days"]),
        **{k: int(total[k]) for k in ("events_found", "self_handled", "verifications",
                                      "verifications_on_time", "visits", "logs")},
        "points": round(points, 2),
    }


SUMMED = ("workers", "own_grids", "covered_grids", "patrol_days", "patrol_s", "distance_m",
          "inside_m", "checkin_days", "missed_checkin_days", "events_found", "self_handled",
          "verifications", "verifications_on_time", "visits", "logs", "points")


def _shown(row: dict[str, Any]) -> dict[str, Any]:
    """A row's indicators as answered: hours, kilometres and shares from the sums."""
    return {
        **{k: v for k, v in row.items() if k not in (
            "patrol_s", "distance_m", "inside_m", "own_grids", "covered_grids")},
        "patrol_hours": round(row["patrol_s"] / 3600, 2),
        "distance_km": round(row["distance_m"] / 1000, 2),
        "inside_share": round(row["inside_m"] / row["distance_m"], 4) if row["distance_m"] else None,
        "grid_coverage": round(row["covered_grids"] / row["own_grids"], 4)
        if row["own_grids"] else None,
        "points": round(row["points"], 2),
    }


def _group(rows: list[dict[str, Any]], by: str) -> list[dict[str, Any]]:
    groups: dict[str, dict[str, Any]] = {}
    for row in rows:
        key = row[by]
        group = groups.setdefault(key, {
            "key": key, "name": row[f"{by}_name"], "town": row["town"], "community": row[
                "community"] if by == "community" else None, "town_name": row["town_name"],
            "community_name": row["community_name"] if by == "community" else None,
            "grid": None, **dict.fromkeys(SUMMED, 0)})
        for field in SUMMED:
            group[field] += row[field]
    return list(groups.values())


def workers(*, principal: Principal, args: dict[str, Any]) -> dict[str, Any]:
    """The indicators and points of the caller's grid workers over a period, per worker
    (ranked within each town by points) or per community or town."""
    start, end = _period(args)
    chosen = _workers(principal, args.get("region"))
    ids = [str(w.id) for w in chosen]
    visited: dict[str, set[str]] = defaultdict(set)
    facts = _facts(ids, start, end, visited)
    today = now_utc().astimezone(SHANGHAI).date()
    days = _days(start, end)
    by_county: dict[str, tuple[set[str], list]] = {}
    rows = []
    for worker in chosen:
        county = (worker.org or "")[:6]
        if county not in by_county:
            calendar = calendar_for(county) if county else None
            working = {d for d in days if calendar is not None and date.fromisoformat(d) <= today
                       and calendar.is_workday(date.fromisoformat(d))}
            by_county[county] = (working, _versions(county))
        working, versions = by_county[county]
        rows.append(_row(worker, facts, days, working, visited.get(str(worker.id), set()),
                         versions))
    group_by = args.get("group_by") or "worker"
    if group_by == "worker":
        for town_rows in _by(rows, "town").values():
            ranked = sorted(town_rows, key=lambda r: -r["points"])
            for rank, row in enumerate(ranked, start=1):
                row["rank_in_town"] = rank
        rows.sort(key=lambda r: (r["town"], r["rank_in_town"]))
    else:
        rows = sorted(_group(rows, group_by), key=lambda r: -r["points"])
    return {"from_": start, "to": end, "region": args.get("region"), "group_by": group_by,
            "rows": [_shown(r) for r in rows]}


def _by(rows: list[dict[str, Any]], field: str) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        grouped[row[field]].append(row)
    return grouped


def export(*, principal: Principal, args: dict[str, Any]) -> tuple[bytes, str, str]:
    """The same rows as a CSV or XLSX file with Chinese headers: (body, mimetype, filename)."""
    result = workers(principal=principal, args=args)
    table = [[header for _, header in COLUMNS],
             *[[row.get(name) for name, _ in COLUMNS] for row in result["rows"]]]
    stem = f"gridhub-workers-{result['from_']:%Y%m%d}-{result['to']:%Y%m%d}"
    if args.get("format") == "xlsx":
        return tables.xlsx(table, title="网格员考核"), tables.XLSX, f"{stem}.xlsx"
    return b"".join(tables.csv_chunks(table)), tables.CSV, f"{stem}.csv"
