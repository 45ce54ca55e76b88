"""Me too (附议 / 关注, issue 19): a resident or grid worker shown a possible duplicate follows
it instead of filing another case; followers hear the same step messages as the reporter.

A follower never reads the case: the nearby check gives them an opaque, sealed and short-lived
`follow_ref` for each open case near them (its id stays hidden — a noise complainant's home),
and following answers only the code, category, status and community. Staff see how many
follow a case; nobody sees who. Past FOLLOWERS_TO_RAISE followers a normal case is raised to
urgent once, by the system, recorded in the history.
"""

from __future__ import annotations

import time
from typing import Any

from bson import ObjectId
from flask import current_app

from server import pii
from server.auth.permissions import require_roles
from server.auth.principals import Principal
from server.cases import history
from server.cases.models import Case
from server.catalog import service as catalog
from server.errors import Conflict, NotFound, Unprocessable
from server.organisation import names
from server.timeutil import now_utc
from workflows.case_table import OPEN_STATES, STATE_LABELS, State
from workflows.history import SYSTEM, entry

FOLLOWERS = ("resident", "grid_worker")
REF_SECONDS = 3600
OPEN = [state.value for state in OPEN_STATES]


def follow_ref(case_id: ObjectId, *, now: float | None = None) -> str:
    """An opaque reference to a case, good for REF_SECONDS, that names it to `follow`."""
    return pii.vault().seal(f"follow|{case_id}|{int(now or time.time())}")


def _case_of(ref: str) -> ObjectId:
    try:
        kind, case_id, issued = pii.vault().open(ref).split("|")
        if kind != "follow":
            raise ValueError(kind)
        oid = ObjectId(case_id)
    except Exception as exc:  # a forged, mangled or foreign ref: nothing of it is trusted
        raise Unprocessable("关注凭据无效", reason="invalid_ref", fields={"ref": ["无效"]}) from exc
    if time.time() - int(issued) > REF_SECONDS:
        raise Unprocessable("关注凭据已过期，请重新查看附近案件", reason="ref_expired",
                            fields={"ref": ["已过期"]})
    return oid


def _view(case: Case) -> dict[str, Any]:
    category = catalog.find(code=case.category)
    places = names.places(case.region_path, case.grid)
    place = places["community"] or places["town"]
    return {"code": case.code, "category": case.category,
            "category_name": category.name if category else case.category,
            "status": case.status, "status_label": STATE_LABELS[State(case.status)],
            "place": place["name"] if place else None, "following": True}


def follow(*, principal: Principal, ref: str) -> tuple[dict[str, Any], bool]:
    """Follow the case `ref` names; (what the follower may see, whether newly followed)."""
    require_roles(principal, *FOLLOWERS)
    case_id = _case_of(ref)
    case = Case.objects(id=case_id).exclude("history").first()
    if case is None:
        raise NotFound("案件不存在", reason="not_found")
    if case.reporter == principal.key:
        raise Conflict("这是您自己上报的案件，进展会直接通知您", reason="own_case")
    if case.status not in OPEN:
        raise Conflict("该案件已办结，无需关注", reason="case_closed")
    added = Case.objects(id=case_id, status__in=OPEN, followers__ne=principal.key).update_one(
        push__followers=principal.key, inc__follower_count=1)
    case.reload("followers", "follower_count", "priority", "version", "status", "support_raised")
    if added and case.follower_count >= current_app.config["FOLLOWERS_TO_RAISE"]:
        _raise_priority(case)
    return _view(case), bool(added)


def _raise_priority(case: Case) -> None:
    """Past the threshold a normal case becomes urgent, once, recorded by the system (a
    concurrent writer moving the version first: try again on the fresh version)."""
    for _ in range(3):
        if case.priority == "urgent" or case.support_raised:
            return
        now = now_utc()
        raised = entry(seq=case.version + 1, action="support.priority_raised", before=case.status,
                       after=case.status, actor=SYSTEM, at=now,
                       payload={"followers": case.follower_count, "priority": "urgent"})
        if history.append(case.id, case.version, [raised], now=now,
                          set_={"priority": "urgent", "support_raised": True},
                          where={"support_raised": {"$ne": True}}):
            return
        case.reload("priority", "version", "support_raised", "follower_count")


def unfollow(*, principal: Principal, code: str) -> None:
    """Stop following a case (by its code); nothing to undo is fine."""
    Case.objects(code=code, followers=principal.key).update_one(
        pull__followers=principal.key, inc__follower_count=-1)


def following(*, principal: Principal) -> list[dict[str, Any]]:
    """The cases the caller follows, newest first, as a follower may see them."""
    return [_view(case) for case in Case.objects(followers=principal.key).exclude("history")
            .order_by("-created_at")[:100]]
