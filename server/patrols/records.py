"""Work logs (工作日志) and visits (走访, issue 18): what a grid worker writes down about the
day. The one writer of both. Seen like patrols: by the worker, and by the oversight of their
region (`service.scope_filter`); a visit's household and address are personal data, masked for
readers without `pii:read`.

A work log is one per worker and day, written and rewritten that day only (`PUT
/worklogs/{day}`: the same body twice is the same log). A visit is filed once per
`Idempotency-Key` (the phone files it again after a lost answer, or from its offline queue).
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, time, timedelta
from typing import Any

from bson import ObjectId
from flask import current_app
from mongoengine import Q

from server import pii
from server.auth.permissions import can_read_pii, require_roles
from server.auth.principals import Principal
from server.cases import attachments
from server.cases.models import Case
from server.cases.scope import scope_filter as case_scope
from server.errors import Unprocessable
from server.grids import service as grids
from server.grids.coords import to_wgs84
from server.grids.models import Region
from server.organisation import names
from server.patrols.models import Patrol, Visit, WorkLog
from server.patrols.service import Viewed, scope_filter
from server.timeutil import SHANGHAI, now_utc

CLOCK_SKEW = timedelta(minutes=5)
LATE_VISIT = timedelta(days=7)  # a visit filed from the offline queue may be this old


def _today(now: datetime) -> date:
    return now.astimezone(SHANGHAI).date()


def _scope(principal: Principal) -> list[str]:
    home = Region.objects(code=principal.org).only("path").first() if principal.org else None
    return [*(home.path if home else []), principal.key]


def _cases(principal: Principal, ids: list[str]) -> list[str]:
    """The case ids, if the worker may see each (else 422 `invalid_cases`)."""
    if not ids:
        return []
    wanted = list(dict.fromkeys(ids))
    seen = {str(c.id) for c in Case.objects(Q(id__in=[ObjectId(i) for i in wanted])
                                            & case_scope(principal)).only("id")}
    missing = [i for i in wanted if i not in seen]
    if missing:
        raise Unprocessable("案件不存在或无权引用", reason="invalid_cases", cases=missing)
    return wanted


# --- work logs -----------------------------------------------------------------------------------
def put_log(*, principal: Principal, day: date, data: dict[str, Any],
            now: datetime | None = None) -> tuple[WorkLog, bool]:
    """Write the caller's log of `day` — today only (422 `log_not_today`); (log, created)."""
    require_roles(principal, "grid_worker")
    now = now or now_utc()
    if day != _today(now):
        raise Unprocessable("只能填写或修改当天的工作日志", reason="log_not_today",
                            fields={"day": [f"须为今天（{_today(now).isoformat()}）"]})
    existing = WorkLog.objects(worker=principal.id, day=day.isoformat()).first()
    log = existing or WorkLog(id=ObjectId(), worker=principal.id, day=day.isoformat(),
                              created_at=now, scope=_scope(principal))
    record = f"worklog:{log.id}"
    photos = attachments.check_attachable(ids=data.get("attachments", []), owner=principal.key,
                                          case_id=None, record=record)
    patrols = list(dict.fromkeys(data.get("patrols", [])))
    if patrols and Patrol.objects(id__in=[ObjectId(p) for p in patrols],
                                  worker=principal.id).count() != len(patrols):
        raise Unprocessable("巡查记录不存在或不是本人的", reason="invalid_patrols")
    log.worker_name, log.text, log.updated_at = principal.name, data["text"], now
    log.attachments = [str(i) for i in photos]
    log.patrols, log.cases = patrols, _cases(principal, data.get("cases", []))
    if existing is not None:
        log.version += 1
    # A new day's log is inserted (a second writer of the same day meets the unique index: 409);
    # an existing one is saved by its id.
    log.save(force_insert=existing is None)
    attachments.attach_to_record(ids=photos, record=record, scope=log.scope)
    return log, existing is None


def list_logs(*, principal: Principal, worker: str | None = None, start: date | None = None,
              end: date | None = None):
    query = scope_filter(principal)
    if worker:
        query &= Q(worker=worker)
    if start:
        query &= Q(day__gte=start.isoformat())
    if end:
        query &= Q(day__lte=end.isoformat())
    return WorkLog.objects(query).order_by("-day")


# --- visits ------------------------------------------------------------------------------------------
def purposes() -> list[str]:
    return list(current_app.config["VISIT_PURPOSES"])


def _hash(data: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str,
                                     ensure_ascii=False).encode()).hexdigest()


def file_visit(*, principal: Principal, data: dict[str, Any], idempotency_key: str | None = None,
               now: datetime | None = None) -> tuple[dict[str, Any], bool]:
    """File a visit; (its view, created) — created False for the same key and body again."""
    require_roles(principal, "grid_worker")
    now = now or now_utc()
    key = f"{principal.key}|{idempotency_key}" if idempotency_key else None
    digest = _hash(data)
    if key and (prior := Visit.objects(idempotency_key=key).first()) is not None:
        if prior.idempotency_hash != digest:
            raise Unprocessable("该 Idempotency-Key 已用于内容不同的请求", reason="idempotency_mismatch")
        return visit_view(prior, principal), False
    if data["purpose"] not in purposes():
        raise Unprocessable(f"走访事由须为：{'、'.join(purposes())}", reason="unknown_purpose",
                            fields={"purpose": purposes()})
    visited_at = data.get("visited_at") or now
    if not now - LATE_VISIT <= visited_at <= now + CLOCK_SKEW:
        raise Unprocessable("走访时间须在最近 7 天内且不晚于当前时间", reason="invalid_visited_at")
    visit = Visit(id=ObjectId(), worker=principal.id, worker_name=principal.name,
                  subject=data["subject"], address=data.get("address"), purpose=data["purpose"],
                  notes=data.get("notes"), visited_at=visited_at, day=_today(visited_at).isoformat(),
                  scope=_scope(principal),
                  idempotency_key=key, idempotency_hash=digest if key else None, created_at=now)
    if data.get("location"):
        where = data["location"]
        visit.lat, visit.lng = to_wgs84(lat=where["lat"], lng=where["lng"],
                                        system=where["coord_system"])
        located = grids.locate(lng=visit.lng, lat=visit.lat)
        visit.grid = located.grid if located else None
    if data.get("case"):
        visit.case = _cases(principal, [data["case"]])[0]
    record = f"visit:{visit.id}"
    photos = attachments.check_attachable(ids=data.get("attachments", []), owner=principal.key,
                                          case_id=None, record=record)
    visit.attachments = [str(i) for i in photos]
    visit.save(force_insert=True)
    attachments.attach_to_record(ids=photos, record=record, scope=visit.scope)
    return visit_view(visit, principal), True


def visit_view(visit: Visit, principal: Principal) -> dict[str, Any]:
    """A visit as `principal` may read it: the household, address and position in clear for its
    writer and for `pii:read`; for other staff in scope the household masked (its first
    character), no address and no position — the grid only."""
    clear = can_read_pii(principal, owner_key=f"user:{visit.worker}")
    return {
        "id": str(visit.id), "worker": visit.worker, "worker_name": visit.worker_name,
        "subject": visit.subject if clear else pii.mask_name(visit.subject),
        "address": visit.address if clear else None,
        "purpose": visit.purpose, "notes": visit.notes, "attachments": visit.attachments,
        "grid": names.node(visit.grid), "location": {"lat": visit.lat, "lng": visit.lng}
        if visit.lat is not None and clear else None,
        "visited_at": visit.visited_at, "case": visit.case, "created_at": visit.created_at,
    }


def list_visits(*, principal: Principal, worker: str | None = None, start: date | None = None,
                end: date | None = None, purpose: str | None = None) -> Viewed:
    query = scope_filter(principal)
    if worker:
        query &= Q(worker=worker)
    if purpose:
        query &= Q(purpose=purpose)
    if start:
        query &= Q(visited_at__gte=datetime.combine(start, time(0), SHANGHAI))
    if end:
        query &= Q(visited_at__lt=datetime.combine(end + timedelta(days=1), time(0), SHANGHAI))
    return Viewed(Visit.objects(query).order_by("-visited_at"),
                  lambda visit: visit_view(visit, principal))
