"""回访 (callbacks, issue 19): a 不满意 evaluation opens a task for the supervisors of the
case's region — call the reporter back within CALLBACK_WORKING_DAYS working days (the county's
calendar) — tracked until done with its outcome: explained (说明解释), or reopened (the case
goes back to a department, through the workflow's own `reopen`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bson import ObjectId
from flask import current_app
from mongoengine import Q

from server.auth.permissions import require_roles
from server.auth.principals import Principal
from server.cases.models import Callback, Case
from server.cases.scope import scope_filter
from server.catalog.calendars import calendar_for
from server.errors import Conflict, found
from server.timeutil import now_utc

CALLBACK_ROLES = ("supervisor", "dispatcher", "admin", "platform_admin")


def open_for(case: Case, *, comment: str | None, now: datetime) -> Callback:
    """The task a 不满意 opens (called by the case service right after the evaluation)."""
    days = current_app.config["CALLBACK_WORKING_DAYS"]
    return Callback(case=case.id, case_code=case.code, category=case.category,
                    region_path=list(case.region_path), scope=list(case.region_path),
                    comment=comment, due_at=calendar_for(case.region_path[0]).add(now, days, "wd"),
                    created_at=now).save()


def listed(*, principal: Principal, status: str | None = "open"):
    """The callbacks in the caller's region, the soonest due first."""
    require_roles(principal, *CALLBACK_ROLES)
    query = scope_filter(principal) & (Q(status=status) if status else Q())
    return Callback.objects(query).order_by("due_at", "id")


def open_count(*, principal: Principal) -> int:
    return listed(principal=principal).count()


def complete(*, principal: Principal, callback_id: ObjectId, outcome: str, note: str,
             reopen_department: str | None = None) -> Callback:
    """Record what the callback came to; `reopened` reopens the case first (the workflow
    decides whether it still may), then closes the task."""
    from server.cases import service  # the workflow's one way to reopen

    require_roles(principal, *CALLBACK_ROLES)
    callback = found(Callback.objects(Q(id=callback_id) & scope_filter(principal)).first(),
                     "回访任务不存在")
    if callback.status == "done":
        raise Conflict("该回访已完成", reason="callback_done")
    if outcome == "reopened":
        payload: dict[str, Any] = {"reason": note}
        if reopen_department:
            payload["department"] = reopen_department
        service.apply_transition(principal=principal, case_id=callback.case, action="reopen",
                                 payload=payload)
    done = Callback.objects(id=callback.id, status="open").update_one(
        set__status="done", set__outcome=outcome, set__note=note, set__done_by=principal.key,
        set__done_at=now_utc())
    if not done:
        raise Conflict("该回访已由他人完成", reason="callback_done")
    callback.reload()
    return callback
