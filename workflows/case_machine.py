"""The case workflow's rules (DESIGN §4): who may take which action on a case now, and what
the action does. The table they read is `case_table`; the entries they write, `history`.

Pure domain logic: no Flask, no database. The service layer turns a stored case into a
`CaseSnapshot`, calls `apply`, and writes the returned `Outcome` in one atomic update.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from workflows.case_effects import EFFECTS
from workflows.case_table import (
    ACTIONS,
    FINAL_STATES,
    OPEN_STATES,
    PRIORITIES,
    RATINGS,
    RELATION_REFUSALS,
    REPORT_SOURCES,
    ROLES,
    STAFF_ROLES,
    STATE_LABELS,
    ActionSpec,
    Relation,
    State,
)
from workflows.history import SYSTEM, Actor, entry, note_visibility

__all__ = [  # the table and the history's types are read through the machine too
    "ACTIONS", "FINAL_STATES", "OPEN_STATES", "PRIORITIES", "RATINGS", "REPORT_SOURCES", "ROLES",
    "STAFF_ROLES", "STATE_LABELS", "SYSTEM", "Actor", "ActionSpec", "State", "note_visibility",
    "Policy", "CaseSnapshot", "Outcome", "WorkflowError", "InvalidTransition", "Forbidden",
    "PayloadError", "allowed_actions", "check_role", "apply", "report_source", "report_entry",
    "describe", "ActionView",
]


@dataclass(frozen=True)
class Policy:
    """Windows after closing within which the reporter may evaluate and a supervisor reopen."""

    evaluation_window: timedelta = timedelta(days=7)
    reopen_window: timedelta = timedelta(days=30)

    def evaluation_until(self, closed_at: datetime | None) -> datetime | None:
        """The end of the reporter's window to evaluate a case closed at `closed_at`."""
        return closed_at + self.evaluation_window if closed_at is not None else None


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
        _within(policy.evaluation_until(case.closed_at), now, "评价期限已过")
    if name == "reopen":
        _within(case.closed_at and case.closed_at + policy.reopen_window, now, "重办期限已过")


def _within(until: datetime | None, now: datetime, message: str) -> None:
    if until is None or now > until:
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


Resolver = Callable[[Mapping[str, Any]], Mapping[str, Any]]


def apply(case: CaseSnapshot, action: str, actor: Actor, payload: Mapping[str, Any], *,
          now: datetime, policy: Policy = Policy(), resolve: Resolver | None = None) -> Outcome:
    """Apply an action for an actor to a case; return the outcome or raise a WorkflowError.

    `resolve`, once every check has passed, turns what the payload gives relative to the
    calendar (`duration_wd`) into absolute times (`until`); the effects and the history entry
    read the resolved payload — one direction, nothing patched in afterwards.

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

    if resolve is not None:
        payload = {**payload, **resolve(payload)}
    to_state = spec.target or (case.suspended_from if action == "resume" else case.status)
    set_fields, inc_fields = EFFECTS[action](case, actor, payload, now)
    made = entry(seq=case.last_seq + 1, action=action, before=case.status.value,
                 after=to_state.value, actor=actor, at=now, note=payload.get("note"),
                 visibility=payload.get("note_visibility"),
                 payload={k: v for k, v in payload.items() if k not in ("note", "note_visibility")})
    return Outcome(to_state, set_fields, inc_fields, made)


def report_source(actor: Actor) -> str:
    """The source a case filed by this actor records; Forbidden if the actor may not report."""
    for role in sorted(actor.roles):
        if role in REPORT_SOURCES:
            return REPORT_SOURCES[role]
    raise Forbidden("当前角色不能上报案件", why="role_not_allowed")


def report_entry(actor: Actor, *, now: datetime, note: str | None = None) -> dict[str, Any]:
    """The first history entry of a case, written with the case itself."""
    return entry(seq=1, action="report", before=None, after=State.REPORTED.value, actor=actor,
                 at=now, note=note)


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
