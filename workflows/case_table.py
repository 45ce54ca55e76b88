"""The case workflow's table (DESIGN §4), as data: states, roles, actions — who may take each
from which states to which, with which fields, and what of it the reporter reads.

Pure data: the rules that read it are `case_machine`; `scripts/transition_table.py` prints it
into docs/ARCHITECTURE.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum


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
MACHINE_REPORTER = "machine_reporter"  # the role the service acts in for a client's auto-accept
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
        # `machine_reporter`: never a token's role — the case service acts as it when a sister
        # app's confident detection is filed into 受理 under its client's `auto_accept` rule
        # (the app itself, role `client`, may not accept).
        ActionSpec("accept", "受理立案", frozenset({State.REPORTED}), State.ACCEPTED,
                   (*_DISPATCHER, Permit(MACHINE_REPORTER, Relation.REPORTER)),
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
                   _SUPERVISOR, public_fields=("deadline",)),
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
SOURCE_LABELS: Mapping[str, str] = {"grid_worker": "网格员上报", "resident": "群众诉求",
                                    "client": "平台推送"}

# What a case's photo shows, from the action that added it: (kind, label). Photos filed with
# the report are "before" (上报); those a handling action sent back are "after" (处置).
PHOTO_BEFORE = ("before", "上报")
PHOTO_STAGES: Mapping[str, tuple[str, str]] = {"handle": ("after", "处置"),
                                               "self_handle": ("after", "处置"),
                                               "supplement": ("added", "补充")}
