"""The case workflow of DESIGN §4: states, actions and the transition table, as data.

Pure domain logic: no Flask, no database. The service layer turns a stored case into a
`CaseSnapshot`, calls `apply`, and writes the returned `Outcome` in one atomic update.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from workflows.case_effects import EFFECTS


class State(StrEnum):
    REPORTED = "reported"
    ACCEPTED = "accepted"
    DISPATCHED = "dispatched"
    IN_PROGRESS = "in_progress"
    HANDLED = "handled"
    CLOSED = "closed"
    SUSPENDED = "suspended"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    MERGED = "merged"


STATE_LABELS: Mapping[State, str] = {
    State.REPORTED: "待受理",
    State.ACCEPTED: "已立案",
    State.DISPATCHED: "已派遣",
    State.IN_PROGRESS: "处置中",
    State.HANDLED: "已处置",
    State.CLOSED: "已结案",
    State.SUSPENDED: "已挂起",
    State.REJECTED: "不予受理",
    State.CANCELLED: "已撤销",
    State.MERGED: "已并案",
}

FINAL_STATES = frozenset({State.CLOSED, State.REJECTED, State.CANCELLED, State.MERGED})
OPEN_STATES = frozenset(State) - FINAL_STATES

# `admin` administers one county; `platform_admin` the whole platform (every county, the shared
# catalogue, sister apps) and is bound to no node.
ROLES = ("grid_worker", "resident", "dispatcher", "handler", "supervisor", "admin", "platform_admin")
STAFF_ROLES = frozenset(ROLES) - {"resident"}
NOTE_VISIBILITIES = ("internal", "public")
PRIORITIES = ("normal", "urgent")
RATINGS = ("satisfied", "basically_satisfied", "dissatisfied")


class Relation(StrEnum):
    """How an actor must stand to the case, beyond holding a role."""

    REPORTER = "reporter"
    DEPARTMENT = "department"
    GRID = "grid"


RELATION_REFUSALS: Mapping[Relation, tuple[str, str]] = {
    Relation.REPORTER: ("not_reporter", "只有上报人本人可以执行此操作"),
    Relation.DEPARTMENT: ("not_department", "只有承办部门的处置人员可以执行此操作"),
    Relation.GRID: ("not_grid_worker_of_grid", "只有案件所在网格的网格员可以执行此操作"),
}


@dataclass(frozen=True)
class Permit:
    """One way to be allowed an action: a role (None = any role) and an optional relation."""

    role: str | None
    relation: Relation | None = None


@dataclass(frozen=True)
class ActionSpec:
    name: str
    label: str
    sources: frozenset[State]
    target: State | None  # None: the state does not change (or, for resume, the one it left)
    permits: tuple[Permit, ...]
    required: tuple[str, ...] = ()
    one_of: tuple[str, ...] = ()  # at least one of these must be present
    optional: tuple[str, ...] = ()
    # What the reporter (and anyone outside the back office) may read of an entry of this
    # action: whether it shows at all, and which payload fields are written for them.
    reporter_facing: bool = True
    public_fields: tuple[str, ...] = ()

    @property
    def fields(self) -> frozenset[str]:
        return frozenset(("note", "note_visibility", *self.required, *self.one_of, *self.optional))


def _permits(*roles: str, relation: Relation | None = None) -> tuple[Permit, ...]:
    return tuple(Permit(role, relation) for role in roles)


_OPEN = OPEN_STATES
_DISPATCHER = _permits("dispatcher")
_SUPERVISOR = _permits("supervisor")
_HANDLER = _permits("handler", relation=Relation.DEPARTMENT)
_VERIFIERS = (Permit("grid_worker", Relation.GRID), *_permits("dispatcher", "supervisor"))
_SUSPENDERS = _permits("supervisor", "dispatcher")

ACTIONS: Mapping[str, ActionSpec] = {
    spec.name: spec
    for spec in (
        ActionSpec("accept", "受理立案", frozenset({State.REPORTED}), State.ACCEPTED, _DISPATCHER,
                   optional=("category", "priority")),
        ActionSpec("reject", "不予受理", frozenset({State.REPORTED}), State.REJECTED, _DISPATCHER,
                   required=("reason",), public_fields=("reason",)),
        ActionSpec("cancel", "撤销", frozenset({State.REPORTED}), State.CANCELLED,
                   (Permit(None, Relation.REPORTER),)),
        ActionSpec("merge", "并案", frozenset({State.REPORTED, State.ACCEPTED}), State.MERGED,
                   _DISPATCHER, required=("primary",)),
        ActionSpec("self_handle", "自行处置", frozenset({State.REPORTED}), State.HANDLED,
                   (Permit("grid_worker", Relation.REPORTER),), required=("result",),
                   optional=("attachments",), public_fields=("result", "attachments")),
        ActionSpec("dispatch", "派遣", frozenset({State.ACCEPTED}), State.DISPATCHED, _DISPATCHER,
                   required=("department",), optional=("assignee",), public_fields=("department",)),
        ActionSpec("redispatch", "改派", frozenset({State.DISPATCHED}), State.DISPATCHED,
                   _DISPATCHER, required=("department",), optional=("assignee",),
                   public_fields=("department",)),
        ActionSpec("sign", "签收", frozenset({State.DISPATCHED}), State.IN_PROGRESS, _HANDLER),
        ActionSpec("return", "退回", frozenset({State.DISPATCHED, State.IN_PROGRESS}),
                   State.ACCEPTED, _HANDLER, required=("reason",)),
        ActionSpec("request_extension", "延期申请", frozenset({State.IN_PROGRESS}), None, _HANDLER,
                   required=("reason",), one_of=("until", "duration_wd"), reporter_facing=False),
        ActionSpec("approve_extension", "批准延期", frozenset({State.IN_PROGRESS}), None,
                   _SUPERVISOR, reporter_facing=False),
        ActionSpec("deny_extension", "驳回延期", frozenset({State.IN_PROGRESS}), None, _SUPERVISOR,
                   reporter_facing=False),
        ActionSpec("suspend", "挂起", frozenset({State.DISPATCHED, State.IN_PROGRESS}),
                   State.SUSPENDED, _SUSPENDERS, required=("reason",),
                   one_of=("until", "duration_wd")),  # never open-ended: the clock is paused
        ActionSpec("resume", "恢复", frozenset({State.SUSPENDED}), None,
                   (*_SUSPENDERS, Permit("system"))),
        ActionSpec("supervise", "督办", _OPEN, None, _SUPERVISOR, optional=("level",),
                   reporter_facing=False),
        ActionSpec("handle", "处置反馈", frozenset({State.IN_PROGRESS}), State.HANDLED, _HANDLER,
                   required=("result",), optional=("attachments",),
                   public_fields=("result", "attachments")),
        ActionSpec("verify_pass", "核查通过", frozenset({State.HANDLED}), State.CLOSED, _VERIFIERS),
        ActionSpec("verify_fail", "核查不通过", frozenset({State.HANDLED}), State.IN_PROGRESS,
                   _VERIFIERS, required=("reason",)),
        ActionSpec("evaluate", "评价", frozenset({State.CLOSED}), None,
                   (Permit(None, Relation.REPORTER),), required=("rating",),
                   public_fields=("rating",)),
        ActionSpec("reopen", "重办", frozenset({State.CLOSED}), State.DISPATCHED, _SUPERVISOR,
                   required=("reason",), optional=("department", "assignee")),
    )
}

# Who may file a case, and the `source` the case then records. Sister-app clients (source
# `client`) report through their `cases:write` scope, which the identity layer grants.
# role -> the source a case reported by it records; "client" is the role of a sister app's token
REPORT_SOURCES: Mapping[str, str] = {"grid_worker": "grid_worker", "resident": "resident",
                                     "client": "client"}


@dataclass(frozen=True)
class Policy:
    """Windows after closing within which the reporter may evaluate and a supervisor reopen."""

    evaluation_window: timedelta = timedelta(days=7)
    reopen_window: timedelta = timedelta(days=30)


@dataclass(frozen=True)
class Actor:
    """Who acts: `key` is `user:<id>`, `client:<id>` or `system`; `org` a region or department code."""

    key: str
    roles: frozenset[str]
    name: str = ""
    org: str | None = None
    grids: frozenset[str] = frozenset()


@dataclass(frozen=True)
class CaseSnapshot:
    """What the rules need to know of a case; everything else stays in the service."""

    status: State
    last_seq: int
    reporter: str | None = None
    grid: str | None = None
    department: str | None = None
    self_handle_allowed: bool = False
    suspended_from: State | None = None
    extension_pending: bool = False
    supervision_level: int = 0
    closed_at: datetime | None = None
    evaluated: bool = False


@dataclass(frozen=True)
class Outcome:
    """The result of an action: the new state, the field changes and the history entry."""

    to_state: State
    set_fields: Mapping[str, Any]
    inc_fields: Mapping[str, int]
    entry: Mapping[str, Any]


class WorkflowError(Exception):
    """Base of the errors the workflow raises; each carries a stable reason code."""

    reason = "workflow_error"

    def __init__(self, message: str, *, reason: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        if reason:
            self.reason = reason
        self.details = details


class InvalidTransition(WorkflowError):
    reason = "invalid_transition"


class Forbidden(WorkflowError):
    reason = "forbidden"


class PayloadError(WorkflowError):
    reason = "invalid_payload"


def _refusal(spec: ActionSpec, case: CaseSnapshot, actor: Actor) -> tuple[str, str] | None:
    """Why the actor may not take the action on this case, or None when a permit fits."""
    role_fits = [p for p in spec.permits if p.role is None or p.role in actor.roles]
    if not role_fits:
        return "role_not_allowed", f"当前角色无权执行“{spec.label}”"
    for permit in role_fits:
        if permit.relation is None or _related(permit.relation, case, actor):
            return None
    return RELATION_REFUSALS[role_fits[0].relation]


def _related(relation: Relation, case: CaseSnapshot, actor: Actor) -> bool:
    if relation is Relation.REPORTER:
        return case.reporter is not None and case.reporter == actor.key
    if relation is Relation.DEPARTMENT:
        return case.department is not None and case.department == actor.org
    return case.grid is not None and case.grid in actor.grids


def _guard(spec: ActionSpec, case: CaseSnapshot, now: datetime, policy: Policy) -> None:
    """State-dependent conditions beyond the source state; raise InvalidTransition on failure."""
    name = spec.name
    if name == "self_handle" and not case.self_handle_allowed:
        raise InvalidTransition("该类别的案件不允许网格员自行处置", reason="self_handle_not_allowed")
    if name == "request_extension" and case.extension_pending:
        raise InvalidTransition("已有待审批的延期申请", reason="extension_pending")
    if name in ("approve_extension", "deny_extension") and not case.extension_pending:
        raise InvalidTransition("没有待审批的延期申请", reason="no_extension_pending")
    if name == "resume" and case.suspended_from is None:
        raise InvalidTransition("无法确定挂起前的状态", reason="suspended_from_unknown")
    if name == "evaluate":
        if case.evaluated:
            raise InvalidTransition("该案件已评价", reason="already_evaluated")
        _within(case.closed_at, policy.evaluation_window, now, "评价期限已过")
    if name == "reopen":
        _within(case.closed_at, policy.reopen_window, now, "重办期限已过")


def _within(closed_at: datetime | None, window: timedelta, now: datetime, message: str) -> None:
    if closed_at is None or now - closed_at > window:
        raise InvalidTransition(message, reason="window_closed")


def _check_payload(spec: ActionSpec, payload: Mapping[str, Any]) -> None:
    errors: dict[str, list[str]] = {}
    for name in sorted(set(payload) - spec.fields):
        errors[name] = [f"“{spec.label}”不接受此字段"]
    for name in spec.required:
        if payload.get(name) in (None, "", []):
            errors[name] = ["缺少必填字段"]
    if spec.one_of and all(payload.get(name) is None for name in spec.one_of):
        errors[spec.one_of[0]] = [f"须提供 {' 或 '.join(spec.one_of)} 之一"]
    if errors:
        raise PayloadError("操作参数有误", errors=errors)


def allowed_actions(case: CaseSnapshot, actor: Actor, *, now: datetime,
                    policy: Policy = Policy()) -> list[str]:
    """The actions this actor may take on this case now, in table order."""
    allowed = []
    for spec in ACTIONS.values():
        if case.status not in spec.sources or _refusal(spec, case, actor) is not None:
            continue
        try:
            _guard(spec, case, now, policy)
        except InvalidTransition:
            continue
        allowed.append(spec.name)
    return allowed


def _spec(action: str) -> ActionSpec:
    spec = ACTIONS.get(action)
    if spec is None:
        raise PayloadError("未知的操作", reason="unknown_action",
                           errors={"action": [f"可选操作：{', '.join(ACTIONS)}"]})
    return spec


def check_role(action: str, actor: Actor) -> None:
    """Refuse an action no role of the actor could ever take, whatever the case.

    Needs no case, so the service runs it before loading one: a wrong role gets 403 for an
    existing and a missing case alike, and learns nothing about which cases exist.
    """
    spec = _spec(action)
    if not any(p.role is None or p.role in actor.roles for p in spec.permits):
        raise Forbidden(f"当前角色无权执行“{spec.label}”", why="role_not_allowed")


def apply(case: CaseSnapshot, action: str, actor: Actor, payload: Mapping[str, Any], *,
          now: datetime, policy: Policy = Policy()) -> Outcome:
    """Apply an action for an actor to a case; return the outcome or raise a WorkflowError.

    Checks run in this order: known action, role and relation (403), source state (409),
    guards (409), payload (422) — so a caller without the right never learns the state.
    """
    spec = _spec(action)
    refusal = _refusal(spec, case, actor)
    if refusal is not None:
        raise Forbidden(refusal[1], why=refusal[0])
    if case.status not in spec.sources:
        raise InvalidTransition(
            f"案件当前状态为“{STATE_LABELS[case.status]}”，不能执行“{spec.label}”",
            allowed=allowed_actions(case, actor, now=now, policy=policy),
        )
    _guard(spec, case, now, policy)
    _check_payload(spec, payload)
    if action == "reopen" and not (case.department or payload.get("department")):
        raise PayloadError("操作参数有误", errors={"department": ["案件无承办部门，重办须指定部门"]})

    to_state = spec.target or (case.suspended_from if action == "resume" else case.status)
    set_fields, inc_fields = EFFECTS[action](case, actor, payload, now)
    entry = {
        "seq": case.last_seq + 1,
        "action": action,
        "from": case.status.value,
        "to": to_state.value,
        "actor": {"key": actor.key, "name": actor.name, "roles": sorted(actor.roles)},
        "note": payload.get("note"),
        "note_visibility": note_visibility(actor, payload.get("note_visibility")),
        "payload": {k: v for k, v in payload.items()
                    if k not in ("note", "note_visibility") and v is not None},
        "at": now,
    }
    return Outcome(to_state, set_fields, inc_fields, entry)


def note_visibility(actor: Actor, asked: str | None) -> str:
    """Who may read an entry's note: staff's notes are internal unless they mark one public
    (written for the reporter); a resident's or a sister app's own note is public."""
    if asked in NOTE_VISIBILITIES:
        return asked
    return "internal" if actor.roles & STAFF_ROLES or "system" in actor.roles else "public"


def report_source(actor: Actor) -> str:
    """The source a case filed by this actor records; Forbidden if the actor may not report."""
    for role in sorted(actor.roles):
        if role in REPORT_SOURCES:
            return REPORT_SOURCES[role]
    raise Forbidden("当前角色不能上报案件", why="role_not_allowed")


def report_entry(actor: Actor, *, now: datetime, note: str | None = None) -> dict[str, Any]:
    """The first history entry of a case, written with the case itself."""
    return {
        "seq": 1,
        "action": "report",
        "from": None,
        "to": State.REPORTED.value,
        "actor": {"key": actor.key, "name": actor.name, "roles": sorted(actor.roles)},
        "note": note,
        "note_visibility": note_visibility(actor, None),
        "payload": {},
        "at": now,
    }


@dataclass(frozen=True)
class ActionView:
    """An action as the API and the mini-app describe it."""

    name: str
    label: str
    required: tuple[str, ...]
    one_of: tuple[str, ...]
    optional: tuple[str, ...] = field(default=())


def describe(names: list[str]) -> list[ActionView]:
    """Describe actions by name, for `/cases/{id}/actions`."""
    return [ActionView(ACTIONS[n].name, ACTIONS[n].label, ACTIONS[n].required,
                       ACTIONS[n].one_of, ACTIONS[n].optional) for n in names]
