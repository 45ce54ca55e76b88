"""The supervisors' 回访 list (issue 19): the callbacks 不满意 evaluations opened in their
region, soonest due first, each closed with its outcome — explained (说明解释), or reopened
(the case goes back to a department through the workflow's own `reopen`)."""

from __future__ import annotations

from typing import Any

from bson import ObjectId
from mongoengine import Q

from server.auth.permissions import require_roles
from server.auth.principals import Principal
from server.cases import service
from server.cases.models import Callback
from server.cases.scope import scope_filter
from server.errors import Conflict, found
from server.timeutil import now_utc

CALLBACK_ROLES = ("supervisor", "dispatcher", "admin", "platform_admin")


def listed(*, principal: Principal, status: str | None = "open"):
    """The callbacks in the caller's region, the soonest due first."""
    require_roles(principal, *CALLBACK_ROLES)
    query = scope_filter(principal) & (Q(status=status) if status else Q())
    return Callback.objects(query).order_by("due_at", "id")


def complete(*, principal: Principal, callback_id: ObjectId, outcome: str, note: str,
             reopen_department: str | None = None) -> Callback:
    """Record what the callback came to. The task is claimed first (one writer wins); a
    `reopened` outcome then reopens the case, and if the workflow refuses, the task is open
    again and the refusal answered — never a closed task over a case left as it was."""
    require_roles(principal, *CALLBACK_ROLES)
    callback = found(Callback.objects(Q(id=callback_id) & scope_filter(principal)).first(),
                     "回访任务不存在")
    claimed = Callback.objects(id=callback.id, status="open").update_one(
        set__status="done", set__outcome=outcome, set__note=note, set__done_by=principal.key,
        set__done_at=now_utc())
    if not claimed:
        raise Conflict("该回访已完成", reason="callback_done")
    if outcome == "reopened":
        payload: dict[str, Any] = {"reason": note}
        if reopen_department:
            payload["department"] = reopen_department
        try:
            service.apply_transition(principal=principal, case_id=callback.case, action="reopen",
                                     payload=payload)
        except Exception:
            Callback.objects(id=callback.id).update_one(
                set__status="open", unset__outcome=True, unset__note=True, unset__done_by=True,
                unset__done_at=True)
            raise
    callback.reload()
    return callback
