"""Patrols (巡查, issue 18): a grid worker starts one, the phone sends its positions in
batches, the worker ends it (or it is ended after an idle time); figures and a simplified track
are kept per patrol. The one writer of patrols and their positions.

Positions are recorded only during an open patrol. Each batch carries an `Idempotency-Key`:
its positions get ids made of the patrol, the key and their index, and the patrol remembers its
last batches, so a batch sent again after a lost answer is stored once and answered the same.
Figures grow with each batch (for the live view); at the end they are recomputed from every
stored position, and the track is simplified (Douglas–Peucker) for drawing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from bson import ObjectId
from flask import current_app
from mongoengine import NotUniqueError, Q
from pymongo import ReplaceOne
from pymongo.errors import BulkWriteError

from server.auth.permissions import require_roles
from server.auth.principals import Principal
from server.cases.models import Case
from server.errors import Conflict, Forbidden, Unprocessable, found
from server.grids import service as grids
from server.grids.coords import to_wgs84
from server.grids.models import Region
from server.organisation import names
from server.patrols.models import Patrol, PatrolPoint
from server.timeutil import SHANGHAI, aware, now_utc
from workflows.patrol_track import Figures, Fix, assess, simplify

MAX_POINTS = 5_000  # per batch
CLOCK_SKEW = timedelta(minutes=5)  # a phone's clock may be this far off the server's
KEPT_BATCHES = 200  # batch keys a patrol remembers for replays
LINKED_CASES = 200  # cases shown on a patrol


def scope_filter(principal: Principal) -> Q:
    """The patrols a principal may see: their own; a supervisor's or dispatcher's region; a
    county admin's county; every patrol for the platform's admin. Nobody else's — a
    department's staff, residents and sister apps see none (the routes refuse them first)."""
    if principal.has_role("platform_admin"):
        return Q()
    keys = [principal.key]
    if principal.has_role("admin") and principal.county:
        keys.append(principal.county)
    if principal.has_role("dispatcher", "supervisor") and principal.org_kind == "region":
        keys.append(principal.org)
    return Q(scope__in=keys)


def _visible(principal: Principal, patrol_id: ObjectId) -> Patrol:
    return found(Patrol.objects(Q(id=patrol_id) & scope_filter(principal)).first(), "巡查记录不存在")


def _own(principal: Principal, patrol_id: ObjectId) -> Patrol:
    patrol = _visible(principal, patrol_id)
    if patrol.worker != principal.id:
        raise Forbidden("只能操作本人的巡查", reason="not_your_patrol")
    return patrol


def _own_open(principal: Principal, patrol_id: ObjectId) -> Patrol:
    """The caller's open patrol. One the server ended for idleness is opened again by the
    positions that were on their way (a phone without signal for longer than the idle time
    loses nothing), unless the worker has started another since (409 `patrol_open`)."""
    patrol = _own(principal, patrol_id)
    if patrol.status == "ended" and patrol.ended_by == "idle":
        try:
            Patrol.objects(id=patrol.id, status="ended", ended_by="idle").update_one(
                set__status="open", set__open_worker=principal.id, unset__ended_at=True,
                unset__ended_by=True, inc__version=1)
        except NotUniqueError:
            raise Conflict("您已开始新的巡查，这次巡查的位置无法再补传",
                           reason="patrol_open") from None
        patrol.reload()
    if patrol.status != "open":
        raise Conflict("巡查已结束", reason="patrol_ended")
    return patrol


def _day(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).date().isoformat()


def start(*, principal: Principal, now: datetime | None = None) -> dict[str, Any]:
    """Start a patrol: one open patrol per worker (409 `patrol_open` for a second)."""
    require_roles(principal, "grid_worker")
    now = now or now_utc()
    home = Region.objects(code=principal.org).only("path").first() if principal.org else None
    path = list(home.path) if home else []
    patrol = Patrol(worker=principal.id, worker_name=principal.name, open_worker=principal.id,
                    scope=[*path, principal.key], own_grids=sorted(principal.grids),
                    started_at=now, last_activity_at=now, created_day=_day(now))
    try:
        patrol.save(force_insert=True)
    except NotUniqueError:
        raise Conflict("您有一次巡查尚未结束，请先结束它", reason="patrol_open") from None
    return _detail(patrol)


# --- positions ---------------------------------------------------------------------------------
def _hash(points: list[dict[str, Any]]) -> str:
    canonical = json.dumps(points, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _fixes(patrol: Patrol, points: list[dict[str, Any]], now: datetime) -> list[Fix]:
    """The batch as WGS84 fixes in their grids; 422 for a batch that cannot belong here."""
    started = aware(patrol.started_at)
    fixes = []
    for n, point in enumerate(points):
        at = point["at"]
        if at < started - CLOCK_SKEW:
            raise Unprocessable("位置时间早于本次巡查开始时间", reason="point_before_patrol",
                                fields={f"points.{n}.at": ["早于巡查开始时间"]})
        if at > now + CLOCK_SKEW:
            raise Unprocessable("位置时间晚于当前时间，请校准手机时间", reason="point_in_future",
                                fields={f"points.{n}.at": ["晚于当前时间"]})
        lat, lng = to_wgs84(lat=point["lat"], lng=point["lng"], system=point["coord_system"])
        located = grids.locate(lng=lng, lat=lat)
        fixes.append(Fix(at, lng, lat, point.get("accuracy_m"), located.grid if located else None))
    return fixes


def _store(patrol: Patrol, key: str, assessed: list[tuple[Fix, tuple[str, ...]]],
           now: datetime) -> None:
    """Insert the batch's positions; those an earlier attempt of the same batch stored are
    written again with this attempt's flags."""
    documents = [{"_id": f"{patrol.id}:{key}:{n}", "patrol": str(patrol.id), "worker": patrol.worker,
                  "at": fix.at, "lng": fix.lng, "lat": fix.lat, "accuracy_m": fix.accuracy_m,
                  "grid": fix.grid, "flags": list(flags), "received_at": now}
                 for n, (fix, flags) in enumerate(assessed)]
    collection = PatrolPoint._get_collection()
    try:
        collection.insert_many(documents, ordered=False)
    except BulkWriteError as exc:
        if any(error["code"] != 11000 for error in exc.details["writeErrors"]):
            raise
        again = {error["index"] for error in exc.details["writeErrors"]}
        collection.bulk_write([ReplaceOne({"_id": documents[i]["_id"]}, documents[i], upsert=True)
                               for i in sorted(again)], ordered=False)


def add_points(*, principal: Principal, patrol_id: ObjectId, key: str,
               points: list[dict[str, Any]], now: datetime | None = None) -> tuple[dict[str, Any], bool]:
    """Store a batch of positions of the caller's open patrol; (summary, created) — created
    False when the batch was stored before (the same key and points: the same answer)."""
    now = now or now_utc()
    patrol = _own_open(principal, patrol_id)
    digest = _hash(points)
    prior = next((b for b in patrol.batches if b["key"] == key), None)
    if prior is not None:
        if prior["hash"] != digest:
            raise Unprocessable("该 Idempotency-Key 已用于内容不同的一批位置", reason="idempotency_mismatch")
        return _summary(patrol, prior), False
    fixes = _fixes(patrol, points, now)
    tail = Fix(aware(patrol.tail["at"]), patrol.tail["lng"], patrol.tail["lat"], None,
               patrol.tail.get("grid")) if patrol.tail else None
    assessed, figures, last = assess(
        fixes, tail, own=frozenset(patrol.own_grids), now=now,
        max_accuracy_m=float(current_app.config["PATROL_MAX_ACCURACY_M"]))
    flagged = sum(1 for _, flags in assessed if flags)
    _store(patrol, key, assessed, now)
    batch = {"key": key, "hash": digest, "accepted": len(points) - flagged, "flagged": flagged}
    update: dict[str, Any] = {
        "$inc": {"point_count": len(points), "flagged_count": flagged, "version": 1,
                 "distance_m": figures.distance_m, "inside_m": figures.inside_m,
                 "moving_s": figures.moving_s, "inside_s": figures.inside_s},
        "$set": {"last_activity_at": now},
        "$push": {"batches": {"$each": [batch], "$slice": -KEPT_BATCHES}},
    }
    if last is not None:
        update["$set"]["tail"] = {"at": last.at, "lng": last.lng, "lat": last.lat, "grid": last.grid}
    if figures.grids:
        update["$addToSet"] = {"grids_visited": {"$each": sorted(figures.grids)}}
    written = Patrol._get_collection().update_one(
        {"_id": patrol.id, "version": patrol.version, "status": "open"}, update)
    if not written.modified_count:
        # Another batch of this patrol was written meanwhile (or it ended): its positions are
        # stored; the phone sends this batch again with the same key and it is assessed anew.
        raise Conflict("巡查轨迹正在写入或已结束，请稍后重发", reason="patrol_busy")
    # The answer from what was written (no read back: one round trip less per batch).
    patrol.point_count += len(points)
    patrol.flagged_count += flagged
    patrol.distance_m += figures.distance_m
    patrol.inside_m += figures.inside_m
    patrol.moving_s += figures.moving_s
    patrol.inside_s += figures.inside_s
    patrol.grids_visited = [*patrol.grids_visited,
                            *sorted(figures.grids - set(patrol.grids_visited))]
    patrol.version += 1
    return _summary(patrol, batch), True


def _summary(patrol: Patrol, batch: dict[str, Any]) -> dict[str, Any]:
    return {"patrol": view(patrol), "accepted": batch["accepted"], "flagged": batch["flagged"]}


# --- the end -------------------------------------------------------------------------------------
def _recount(patrol: Patrol) -> tuple[Figures, list[list[float]]]:
    """Figures and the simplified track from every stored, unflagged position (in time order)."""
    rows = PatrolPoint._get_collection().find(
        {"patrol": str(patrol.id), "flags": {"$size": 0}},
        projection={"at": 1, "lng": 1, "lat": 1, "grid": 1, "_id": 0}).sort("at", 1)
    fixes = [Fix(aware(row["at"]), row["lng"], row["lat"], None, row.get("grid")) for row in rows]
    _, figures, _ = assess(fixes, None, own=frozenset(patrol.own_grids),
                           now=max([aware(patrol.last_activity_at)] + [f.at for f in fixes]),
                           max_accuracy_m=float("inf"), max_speed_kmh=float("inf"))
    track = simplify([(fix.lng, fix.lat) for fix in fixes])
    return figures, [[lng, lat] for lng, lat in track]


def _finish(patrol: Patrol, *, ended_at: datetime, by: str) -> bool:
    figures, track = _recount(patrol)
    written = Patrol.objects(id=patrol.id, status="open", version=patrol.version).update_one(
        set__status="ended", set__ended_at=ended_at, set__ended_by=by, unset__open_worker=True,
        set__duration_s=max(0.0, (aware(ended_at) - aware(patrol.started_at)).total_seconds()),
        set__distance_m=figures.distance_m, set__inside_m=figures.inside_m,
        set__moving_s=figures.moving_s, set__inside_s=figures.inside_s,
        set__grids_visited=sorted(figures.grids | set(patrol.grids_visited)), set__track=track,
        inc__version=1)
    return bool(written)


def end(*, principal: Principal, patrol_id: ObjectId,
        now: datetime | None = None) -> dict[str, Any]:
    """End the caller's open patrol: figures recounted, the track simplified. Ending it again
    (an end resent after a lost answer, or after the server ended it for idleness) answers it
    as it is."""
    patrol = _own(principal, patrol_id)
    if patrol.status == "ended":
        return _detail(patrol)
    if not _finish(patrol, ended_at=now or now_utc(), by="worker"):
        raise Conflict("巡查轨迹正在写入或已结束，请稍后重试", reason="patrol_busy")
    return _detail(patrol.reload())


def close_idle(*, now: datetime) -> dict[str, int]:
    """End the patrols that received nothing for PATROL_IDLE_MINUTES, at their last activity.
    Each patrol on its own: one that fails is counted and left for the next run."""
    idle = timedelta(minutes=current_app.config["PATROL_IDLE_MINUTES"])
    done = {"ended": 0, "failed": 0}
    for patrol in Patrol.objects(status="open", last_activity_at__lte=now - idle).limit(1000):
        try:
            last = patrol.tail.get("at") if patrol.tail else None
            ended_at = max(aware(patrol.started_at), aware(last)) if last else aware(patrol.started_at)
            done["ended"] += _finish(patrol, ended_at=ended_at, by="idle")
        except Exception:  # noqa: BLE001 — one patrol's fault must not stop the others
            current_app.logger.exception("ending idle patrol %s failed", patrol.id)
            done["failed"] += 1
    return done


def prune_points(*, now: datetime) -> int:
    """Remove raw positions older than PATROL_POINT_RETENTION_DAYS of ended patrols (each keeps
    its figures and simplified track); return how many."""
    cutoff = now - timedelta(days=current_app.config["PATROL_POINT_RETENTION_DAYS"])
    ended = [str(p) for p in Patrol.objects(status="ended", ended_at__lte=cutoff).distinct("id")]
    if not ended:
        return 0
    return PatrolPoint.objects(patrol__in=ended, received_at__lte=cutoff).delete()


# --- reading ---------------------------------------------------------------------------------------
def get(*, principal: Principal, patrol_id: ObjectId) -> dict[str, Any]:
    """A patrol with its figures, its track as GeoJSON and the cases its worker reported on it."""
    return _detail(_visible(principal, patrol_id))


def _detail(patrol: Patrol) -> dict[str, Any]:
    if patrol.status == "ended":
        track = patrol.track
    else:
        track = _recount(patrol)[1]
    until = patrol.ended_at or now_utc()
    cases = Case.objects(scope=f"user:{patrol.worker}", created_at__gte=patrol.started_at,
                         created_at__lte=until).only("id", "code").order_by("created_at")
    return {**view(patrol), "track": {
        "type": "Feature", "properties": {"patrol": str(patrol.id)},
        "geometry": {"type": "LineString", "coordinates": track}},
        "cases": [{"id": str(c.id), "code": c.code} for c in cases.limit(LINKED_CASES)]}


def view(patrol: Patrol) -> dict[str, Any]:
    end_ = aware(patrol.ended_at) if patrol.ended_at else now_utc()
    return {
        "id": str(patrol.id), "worker": patrol.worker, "worker_name": patrol.worker_name,
        "status": patrol.status, "started_at": patrol.started_at, "ended_at": patrol.ended_at,
        "ended_by": patrol.ended_by,
        "duration_s": round((end_ - aware(patrol.started_at)).total_seconds()),
        "distance_m": round(patrol.distance_m, 1), "inside_m": round(patrol.inside_m, 1),
        "inside_share": round(patrol.inside_m / patrol.distance_m, 4) if patrol.distance_m else None,
        "moving_s": round(patrol.moving_s), "inside_s": round(patrol.inside_s),
        "grids_visited": [names.node(code) for code in patrol.grids_visited],
        "point_count": patrol.point_count, "flagged_count": patrol.flagged_count,
        "version": patrol.version,
    }


def list_patrols(*, principal: Principal, worker: str | None = None,
                 start: datetime | None = None, end_: datetime | None = None):
    query = scope_filter(principal)
    if worker:
        query &= Q(worker=worker)
    if start:
        query &= Q(started_at__gte=start)
    if end_:
        query &= Q(started_at__lt=end_)
    return Viewed(Patrol.objects(query).exclude("track", "batches", "tail").order_by("-started_at"),
                  view)


class Viewed:
    """A query that pages as the views of its documents (the pager counts and slices it)."""

    def __init__(self, query, shape: Callable[[Any], dict[str, Any]]) -> None:
        self.query, self.shape = query, shape

    def count(self) -> int:
        return self.query.count()

    def __getitem__(self, window: slice) -> list[dict[str, Any]]:
        return [self.shape(document) for document in self.query[window]]


def day_map(*, principal: Principal, day: date | None = None, region: str | None = None,
            now: datetime | None = None) -> dict[str, Any]:
    """A day's patrols in the caller's scope as GeoJSON: each patrol's simplified track (open
    ones drawn from their positions so far) and each worker's last position with its time."""
    now = now or now_utc()
    day = day or now.astimezone(SHANGHAI).date()
    query = scope_filter(principal) & Q(created_day=day.isoformat())
    if region:
        query &= Q(scope=region)
    features: list[dict[str, Any]] = []
    last: dict[str, dict[str, Any]] = {}
    for patrol in Patrol.objects(query).exclude("batches").order_by("started_at").limit(500):
        track = patrol.track if patrol.status == "ended" else _recount(patrol)[1]
        if len(track) >= 2:
            features.append({"type": "Feature", "geometry": {"type": "LineString",
                                                             "coordinates": track},
                             "properties": {"kind": "track", "patrol": str(patrol.id),
                                            "worker": patrol.worker, "name": patrol.worker_name,
                                            "status": patrol.status,
                                            "distance_m": round(patrol.distance_m)}})
        if patrol.tail:
            last[patrol.worker] = {"type": "Feature", "geometry": {
                "type": "Point", "coordinates": [patrol.tail["lng"], patrol.tail["lat"]]},
                "properties": {"kind": "last_position", "worker": patrol.worker,
                               "name": patrol.worker_name, "at": patrol.tail["at"],
                               "patrolling": patrol.status == "open"}}
    return {"type": "FeatureCollection", "day": day.isoformat(),
            "features": features + list(last.values())}
