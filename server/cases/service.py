"""Case service: report a case and transition it (DESIGN §4). Reading is `reading`, photos
`photos`, data scope `scope`."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from typing import Any

from bson import ObjectId
from mongoengine import Q
from mongoengine.errors import NotUniqueError
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from server import pii
from server.auth.models import User
from server.auth.principals import Principal
from server.cases import attachments, callbacks, detections, duplicates, events, history, timers
from server.cases.models import Case, Counter
from server.cases.presenting import CaseView, present
from server.cases.reading import get
from server.cases.scope import scope_filter, scope_keys
from server.cases.workflow import policy, snapshot, workflow_errors
from server.catalog import service as catalog
from server.catalog.attributes import validate_attributes
from server.errors import (
    Conflict,
    PreconditionFailed,
    Unprocessable,
)
from server.extensions.limits import enforce
from server.extensions.queries import prefix_range
from server.grids import service as grids
from server.grids.coords import to_wgs84
from server.organisation import service as organisation
from server.timeutil import SHANGHAI, now_utc
from workflows import case_machine as machine
from workflows.case_table import MACHINE_REPORTER


def next_code(*, region6: str, now: datetime) -> str:
    """`{region6}-{yyyymmdd}-{seq6}` from an atomic per-region, per-day counter."""
    day = now.astimezone(SHANGHAI).strftime("%Y%m%d")
    counters = Counter._get_collection()
    key = f"case:{region6}:{day}"
    # Two concurrent upserts of a new counter: MongoDB may refuse one (duplicate key);
    # SecantusDB may answer one with no document (docs/DATABASE.md, #11). Either is retried;
    # a retried increment can leave a gap in the day's numbers, never a duplicate.
    for _ in range(3):
        try:
            doc = counters.find_one_and_update({"_id": key}, {"$inc": {"seq": 1}}, upsert=True,
                                               return_document=ReturnDocument.AFTER)
        except DuplicateKeyError:
            doc = None
        if doc is not None:
            return f"{region6}-{day}-{doc['seq']:06d}"
    raise Conflict("案件编号分配冲突，请重试", reason="code_conflict")


def prune_code_counters(*, now: datetime) -> int:
    """Remove the code counters of days before yesterday: a case code's day never comes back,
    and the collection would otherwise grow by a document per county and day (SecantusDB
    scans it for each counter increment). Yesterday's stays for requests still in flight."""
    yesterday = (now.astimezone(SHANGHAI) - timedelta(days=1)).strftime("%Y%m%d")
    counters = Counter._get_collection()
    past = [doc["_id"] for doc in counters.find({"_id": prefix_range("case:")}, projection={"_id": 1})
            if doc["_id"].rsplit(":", 1)[-1] < yesterday]
    return counters.delete_many({"_id": {"$in": past}}).deleted_count if past else 0


def _body_hash(data: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def _replay(key: str, body_hash: str) -> Case | None:
    existing = Case.objects(idempotency_key=key).first()
    if existing is not None and existing.idempotency_hash != body_hash:
        raise Unprocessable("该 Idempotency-Key 已用于内容不同的请求", reason="idempotency_mismatch")
    if existing is not None:
        # The first attempt may have failed between its two writes: bind its photos now.
        attachments.attach(ids=[ObjectId(i) for i in existing.attachments], case_id=existing.id)
    return existing


def _contact(principal: Principal, *, source: str, phone: str | None) -> dict[str, Any]:
    """The callback number, sealed: the one given, else a resident's registered one."""
    if phone is None and source != "resident":
        return {}
    if phone is None:
        user = User.objects(id=principal.id).only("phone_sealed").first()
        phone = user.phone if user else None
    sealed, digest = pii.seal(phone)
    return {"contact_phone_sealed": sealed, "contact_phone_digest": digest}


def report(*, principal: Principal, data: dict[str, Any], idempotency_key: str | None = None,
           case_id: ObjectId | None = None) -> tuple[CaseView, bool]:
    """File a new case; return it as the reporter reads it and whether it was created (False:
    an idempotent replay). `case_id`: a known id for the new case (the demo's cases, which
    the API's examples name); new otherwise."""
    enforce("RATE_LIMIT_REPORTS", principal.key)  # per principal, replays included
    with workflow_errors():
        source = machine.report_source(principal.actor())
    key = f"{principal.key}|{idempotency_key}" if idempotency_key else None
    body_hash = _body_hash(data)
    if key and (existing := _replay(key, body_hash)) is not None:
        return present(existing, principal), False

    if data.get("priority") and source != "grid_worker":
        # Priority is the dispatcher's call (at accept); a grid worker on the spot may flag an
        # emergency, a resident or a sister app may not jump the queue.
        raise Unprocessable("优先级由受理人员确定", reason="priority_not_allowed",
                            fields={"priority": ["居民和接入应用上报时不能指定优先级"]})
    category = catalog.leaf(code=data["category"])
    answers = validate_attributes(category, data["attributes"])
    location = data["location"]
    lat, lng = to_wgs84(lat=location["lat"], lng=location["lng"], system=location["coord_system"])
    located = grids.locate(lng=lng, lat=lat)
    if located is None:
        raise Unprocessable("该位置不在任何网格内", reason="outside_grids")
    attachment_ids = attachments.check_attachable(ids=data["attachments"], owner=principal.key,
                                                  case_id=None)
    now = now_utc()
    detection = detections.check(principal, data, now)  # a machine reporter's detection
    snapshot = str(attachment_ids[0]) if detection and attachment_ids else None
    if detection and (seen := detections.sighting(detection, principal=principal,
                                                  category=data["category"], lng=lng, lat=lat,
                                                  snapshot=snapshot)):
        attachments.attach(ids=attachment_ids, case_id=seen.id)  # staff may open the snapshot
        return present(seen, principal), False
    worker, department = grids.route(located, domain=category.domain,
                                     default_department=category.default_department)
    nearby = duplicates.find(category=category, lng=lng, lat=lat, now=now)
    case = Case(
        id=case_id,
        code=next_code(region6=located.region_path[0][:6], now=now),
        status=machine.State.REPORTED.value,
        category=data["category"], priority=data.get("priority") or category.default_priority,
        source=source, attributes=answers,
        description=data["description"], address=data.get("address"),
        location=[lng, lat],
        region_path=list(located.region_path), grid=located.grid, outside_grids=located.queued,
        scope=scope_keys(region_path=list(located.region_path), department=None,
                         reporter=principal.key),
        responsible_worker=worker, suggested_department=department,
        possible_duplicates=[str(n.case.id) for n in nearby],
        reporter=principal.key, reporter_name=principal.name,
        **_contact(principal, source=source, phone=data.get("contact_phone")),
        contact_name=data.get("contact_name"), media_url=data.get("media_url"),
        location_source=data.get("location_source", "gps"),
        attachments=[str(i) for i in attachment_ids],
        machine=detection.doc(snapshot) if detection else None,
        history=[machine.report_entry(principal.actor(), now=now)],
        publish_pending_since=now,  # the report is an event too (webhook subscribers)
        idempotency_key=key, idempotency_hash=body_hash if key else None,
        created_at=now, updated_at=now, created_day=now.astimezone(SHANGHAI).date().isoformat(),
        **timers.on_report(region_path=list(located.region_path), category=data["category"],
                           priority=data.get("priority") or category.default_priority, now=now),
    )
    try:
        case.save(force_insert=True)
    except NotUniqueError:
        # A concurrent request with the same Idempotency-Key won the insert.
        if key and (existing := _replay(key, body_hash)) is not None:
            return present(existing, principal), False
        raise
    attachments.attach(ids=attachment_ids, case_id=case.id)
    events.publish(case.id, [1])
    if detection and detection.auto_accept:  # confident enough: 受理 as the client's own action
        acting = machine.Actor(key=principal.key, roles=frozenset({MACHINE_REPORTER}),
                               name=principal.name)
        case = _transition(case, "accept", acting, {}, now=now, principal=principal)
    return present(case, principal, now=now), True


def allowed(*, principal: Principal, case_id: ObjectId) -> tuple[Case, list[str]]:
    """A visible case and the actions the principal may take on it now."""
    case = get(principal=principal, case_id=case_id)
    names = machine.allowed_actions(snapshot(case), principal.actor(), now=now_utc(),
                                    policy=policy())
    return case, names


def _check_references(principal: Principal, case: Case, action: str,
                      payload: dict[str, Any]) -> list[ObjectId]:
    """Validate what the payload points at; return attachment ids to bind to the case."""
    if "department" in payload:
        department = organisation.find_department(code=payload["department"])
        if department is None:
            raise Unprocessable("部门不存在", reason="unknown_department",
                                fields={"department": ["未知部门"]})
        if department.region != (case.region_path or [None])[0]:
            # A case is handled by its own county's departments (the assignee follows).
            raise Unprocessable("不能派遣给其他县（市、区）的部门", reason="outside_county",
                                fields={"department": ["须为案件所在县（市、区）的部门"]})
    if payload.get("assignee"):
        assignee = User.objects(id=payload["assignee"], role="handler",
                                org=payload.get("department") or case.department,
                                active=True).first()
        if assignee is None:
            raise Unprocessable("指定的处置人员不属于该部门", reason="invalid_assignee")
    if "category" in payload:
        catalog.leaf(code=payload["category"])
    if action == "merge":
        primary = Case.objects(Q(id=payload["primary"]) & scope_filter(principal)).only(
            "status").first()
        if (primary is None or primary.id == case.id
                or machine.State(primary.status) not in machine.OPEN_STATES):
            raise Unprocessable("主案件不存在、未办结或即为本案件", reason="invalid_primary")
    if "attachments" in payload:
        return attachments.check_attachable(ids=payload["attachments"], owner=principal.key,
                                            case_id=case.id)
    return []


def apply_transition(*, principal: Principal, case_id: ObjectId, action: str,
                     payload: dict[str, Any], if_match: set[str] | None = None) -> CaseView:
    """Apply one workflow action in one conditional atomic update (state, version, history);
    return the case as the principal reads it afterwards."""
    with workflow_errors():
        machine.check_role(action, principal.actor())
    case = get(principal=principal, case_id=case_id)
    if if_match is not None and str(case.version) not in if_match and "*" not in if_match:
        raise PreconditionFailed("案件已被他人修改，请刷新后重试", reason="stale_version",
                                 current_version=case.version)
    now = now_utc()
    return present(_transition(case, action, principal.actor(), payload, now=now,
                               principal=principal), principal, now=now)


def resume_due(case: Case, *, now: datetime) -> Case:
    """Resume a suspended case whose `until` has passed, as the system (the SLA sweep)."""
    return _transition(case, "resume", machine.SYSTEM, {}, now=now)


def _transition(case: Case, action: str, actor: machine.Actor, payload: dict[str, Any], *,
                now: datetime, principal: Principal | None = None) -> Case:
    """One way: the machine checks the action, times given in working days are resolved to
    moments, the machine's outcome and the clocks that follow are written as one history
    append, then what the action points at (photos, the merge's primary) follows it."""
    with workflow_errors(case):
        outcome = machine.apply(snapshot(case), action, actor, payload, now=now, policy=policy(),
                                resolve=lambda given: timers.resolve(case, action, given, now))
    attachment_ids = _check_references(principal, case, action, payload) if principal else []
    sla_set, sla_inc = timers.after(case, action, outcome.entry["payload"],  # `until` resolved
                                    to_state=outcome.to_state.value, now=now)
    if action == "approve_extension":  # the new deadline is what the reporter is told
        handle = sla_set["deadlines"].get("handle") or {}
        if handle.get("deadline") is not None:
            outcome.entry["payload"]["deadline"] = handle["deadline"]
    fields = dict(outcome.set_fields)
    if "department" in fields:  # who sees the case through its department changes with it
        fields["scope"] = scope_keys(region_path=case.region_path,
                                     department=fields["department"], reporter=case.reporter)
    # One conditional update (atomic on the version), then a read by `_id`: two index look-ups.
    # find_one_and_update would be one round trip, but SecantusDB scans the collection for it
    # (docs/DATABASE.md, "Known differences"; figures in docs/BENCHMARKS.md).
    written = history.append(
        case.id, case.version, [outcome.entry], now=now,
        set_={"status": outcome.to_state.value, **fields, **sla_set,
              **{f"photo_stages.{i}": action for i in attachment_ids}},
        inc={**outcome.inc_fields, **sla_inc},
        add_to_set={"attachments": {"$each": [str(i) for i in attachment_ids]}}
        if attachment_ids else None)
    if not written:
        raise Conflict("案件已被他人同时修改，请刷新后重试", reason="version_conflict")
    attachments.attach(ids=attachment_ids, case_id=case.id)
    if action == "merge":
        # The merged case's own update (above) is the record; the primary's list follows it.
        Case.objects(id=payload["primary"]).update_one(add_to_set__merged_cases=str(case.id))
    if action == "evaluate" and payload.get("rating") == "dissatisfied":
        callbacks.open_for(case, comment=payload.get("note"), now=now)  # 回访
    return Case.objects(id=case.id).exclude("history").get()
