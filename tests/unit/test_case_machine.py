"""The transition table of DESIGN §4, exhaustively: every (state × action), every (action × role)."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from workflows.case_machine import (
    CaseSnapshot,
    Forbidden,
    InvalidTransition,
    PayloadError,
    Policy,
    allowed_actions,
    apply,
    check_role,
    describe,
    report_entry,
    report_source,
)
from workflows.case_table import ACTIONS, ROLES, Permit, State
from workflows.history import Actor
from workflows.visibility import public_entry

NOW = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)

VALID_PAYLOADS = {
    "accept": {"priority": "urgent"},
    "reject": {"reason": "不属于受理范围"},
    "cancel": {},
    "merge": {"primary": "64b000000000000000000001"},
    "self_handle": {"result": "已清理"},
    "dispatch": {"department": "371083-cgj"},
    "redispatch": {"department": "371083-zjj"},
    "sign": {},
    "return": {"reason": "非本部门职责"},
    "request_extension": {"reason": "需协调", "duration_wd": 3},
    "approve_extension": {},
    "deny_extension": {},
    "suspend": {"reason": "等待天气", "duration_wd": 2},
    "resume": {},
    "supervise": {"note": "请加快"},
    "handle": {"result": "已修复"},
    "verify_pass": {},
    "verify_fail": {"reason": "未整改到位"},
    "evaluate": {"rating": "satisfied"},
    "reopen": {"reason": "群众再次反映"},
}


def actor_for(role, **kw):
    return Actor(key="user:u1", roles=frozenset({role}), name="张三", org="371083-cgj",
                 grids=frozenset({"371083001001001"}), **kw)


def snapshot(status, action=None, **kw):
    """A case on which every relation holds and every guard of `action` passes."""
    base = dict(status=status, last_seq=3, reporter="user:u1", grid="371083001001001",
                department="371083-cgj", self_handle_allowed=True,
                suspended_from=State.IN_PROGRESS if status is State.SUSPENDED else None,
                extension_pending=action in ("approve_extension", "deny_extension"),
                closed_at=NOW - timedelta(days=1) if status is State.CLOSED else None)
    base.update(kw)
    return CaseSnapshot(**base)


def permitted_role(action):
    permit: Permit = ACTIONS[action].permits[0]
    return permit.role or "resident"


@pytest.mark.parametrize("state", list(State))
@pytest.mark.parametrize("action", list(ACTIONS))
def test_every_action_in_every_state_either_applies_or_is_an_invalid_transition(state, action):
    case = snapshot(state, action)
    actor = actor_for(permitted_role(action))
    if state in ACTIONS[action].sources:
        outcome = apply(case, action, actor, VALID_PAYLOADS[action], now=NOW)
        assert outcome.entry["from"] == state.value
        assert outcome.entry["seq"] == 4
    else:
        with pytest.raises(InvalidTransition) as err:
            apply(case, action, actor, VALID_PAYLOADS[action], now=NOW)
        assert err.value.reason == "invalid_transition"
        assert action not in err.value.details["allowed"]


@pytest.mark.parametrize("role", [*ROLES, "system"])
@pytest.mark.parametrize("action", list(ACTIONS))
def test_every_action_for_every_role_is_allowed_only_when_the_table_permits_it(action, role):
    spec = ACTIONS[action]
    case = snapshot(next(iter(sorted(spec.sources))), action)
    permitted = any(p.role in (None, role) for p in spec.permits)
    if permitted:
        assert apply(case, action, actor_for(role), VALID_PAYLOADS[action], now=NOW)
    else:
        with pytest.raises(Forbidden) as err:
            apply(case, action, actor_for(role), VALID_PAYLOADS[action], now=NOW)
        assert err.value.details["why"] == "role_not_allowed"


def test_the_closed_loop_ends_closed_with_a_history_entry_per_step():
    steps = [("accept", "dispatcher"), ("dispatch", "dispatcher"), ("sign", "handler"),
             ("handle", "handler"), ("verify_pass", "grid_worker")]
    case = snapshot(State.REPORTED)
    for action, role in steps:
        outcome = apply(case, action, actor_for(role), VALID_PAYLOADS[action], now=NOW)
        case = replace(case, status=outcome.to_state, last_seq=outcome.entry["seq"])
    assert case.status is State.CLOSED
    assert case.last_seq == 3 + len(steps)


def test_an_unknown_action_is_a_payload_error_listing_the_known_ones():
    with pytest.raises(PayloadError) as err:
        apply(snapshot(State.REPORTED), "approve", actor_for("dispatcher"), {}, now=NOW)
    assert err.value.reason == "unknown_action"
    assert "accept" in err.value.details["errors"]["action"][0]


@pytest.mark.parametrize("action", [a for a, s in ACTIONS.items() if s.required])
def test_an_action_without_its_required_field_is_a_payload_error(action):
    case = snapshot(next(iter(sorted(ACTIONS[action].sources))), action)
    payload = {k: v for k, v in VALID_PAYLOADS[action].items()
               if k not in ACTIONS[action].required}
    with pytest.raises(PayloadError) as err:
        apply(case, action, actor_for(permitted_role(action)), payload, now=NOW)
    assert set(ACTIONS[action].required) <= set(err.value.details["errors"])


def test_a_field_that_belongs_to_another_action_is_refused():
    with pytest.raises(PayloadError) as err:
        apply(snapshot(State.REPORTED), "accept", actor_for("dispatcher"),
              {"department": "371083-cgj"}, now=NOW)
    assert "department" in err.value.details["errors"]


def test_an_extension_request_needs_a_date_or_a_duration():
    case = snapshot(State.IN_PROGRESS)
    with pytest.raises(PayloadError) as err:
        apply(case, "request_extension", actor_for("handler"), {"reason": "x"}, now=NOW)
    assert "until" in err.value.details["errors"]


def test_a_second_extension_request_while_one_is_pending_is_refused():
    case = snapshot(State.IN_PROGRESS, extension_pending=True)
    with pytest.raises(InvalidTransition) as err:
        apply(case, "request_extension", actor_for("handler"), VALID_PAYLOADS["request_extension"],
              now=NOW)
    assert err.value.reason == "extension_pending"


@pytest.mark.parametrize("action", ["approve_extension", "deny_extension"])
def test_deciding_an_extension_needs_a_pending_request(action):
    case = snapshot(State.IN_PROGRESS, extension_pending=False)
    with pytest.raises(InvalidTransition) as err:
        apply(case, action, actor_for("supervisor"), {}, now=NOW)
    assert err.value.reason == "no_extension_pending"


def test_approving_an_extension_counts_it():
    outcome = apply(snapshot(State.IN_PROGRESS, "approve_extension"), "approve_extension",
                    actor_for("supervisor"), {}, now=NOW)
    assert outcome.inc_fields == {"extension_count": 1}
    assert outcome.set_fields["extension.status"] == "approved"


def test_self_handling_is_refused_when_the_category_does_not_allow_it():
    case = snapshot(State.REPORTED, self_handle_allowed=False)
    with pytest.raises(InvalidTransition) as err:
        apply(case, "self_handle", actor_for("grid_worker"), {"result": "x"}, now=NOW)
    assert err.value.reason == "self_handle_not_allowed"


def test_self_handling_is_only_for_the_grid_worker_who_reported_it():
    case = snapshot(State.REPORTED, reporter="user:someone-else")
    with pytest.raises(Forbidden) as err:
        apply(case, "self_handle", actor_for("grid_worker"), {"result": "x"}, now=NOW)
    assert err.value.details["why"] == "not_reporter"


def test_only_the_reporter_may_cancel():
    case = snapshot(State.REPORTED, reporter="user:other")
    with pytest.raises(Forbidden) as err:
        apply(case, "cancel", actor_for("resident"), {}, now=NOW)
    assert err.value.details["why"] == "not_reporter"


def test_a_case_without_a_reporter_cannot_be_cancelled():
    with pytest.raises(Forbidden):
        apply(snapshot(State.REPORTED, reporter=None), "cancel", actor_for("resident"), {}, now=NOW)


def test_a_handler_of_another_department_may_not_sign():
    case = snapshot(State.DISPATCHED, department="371083-zjj")
    with pytest.raises(Forbidden) as err:
        apply(case, "sign", actor_for("handler"), {}, now=NOW)
    assert err.value.details["why"] == "not_department"


def test_a_case_without_a_department_cannot_be_signed_by_any_handler():
    with pytest.raises(Forbidden):
        apply(snapshot(State.DISPATCHED, department=None), "sign", actor_for("handler"), {}, now=NOW)


def test_signing_makes_the_signer_the_assignee():
    outcome = apply(snapshot(State.DISPATCHED), "sign", actor_for("handler"), {}, now=NOW)
    assert outcome.set_fields["assignee"] == "u1"


def test_a_client_signing_leaves_no_user_as_assignee():
    client = Actor(key="client:c1", roles=frozenset({"handler"}), org="371083-cgj")
    outcome = apply(snapshot(State.DISPATCHED), "sign", client, {}, now=NOW)
    assert outcome.set_fields["assignee"] is None


def test_a_grid_worker_of_another_grid_may_not_verify_but_a_dispatcher_may():
    case = snapshot(State.HANDLED, grid="371083001001002")
    with pytest.raises(Forbidden) as err:
        apply(case, "verify_pass", actor_for("grid_worker"), {}, now=NOW)
    assert err.value.details["why"] == "not_grid_worker_of_grid"
    assert apply(case, "verify_pass", actor_for("dispatcher"), {}, now=NOW).to_state is State.CLOSED


def test_a_case_without_a_grid_cannot_be_verified_by_a_grid_worker():
    with pytest.raises(Forbidden):
        apply(snapshot(State.HANDLED, grid=None), "verify_pass", actor_for("grid_worker"), {},
              now=NOW)


def test_a_failed_verification_sends_the_case_back_and_counts_the_rework():
    outcome = apply(snapshot(State.HANDLED), "verify_fail", actor_for("supervisor"),
                    {"reason": "未整改"}, now=NOW)
    assert outcome.to_state is State.IN_PROGRESS
    assert outcome.inc_fields == {"rework_count": 1}


def test_returning_a_case_clears_its_department_and_counts_the_return():
    outcome = apply(snapshot(State.IN_PROGRESS), "return", actor_for("handler"),
                    {"reason": "非本部门"}, now=NOW)
    assert outcome.to_state is State.ACCEPTED
    assert outcome.set_fields["department"] is None
    assert outcome.inc_fields == {"return_count": 1}


@pytest.mark.parametrize("left", [State.DISPATCHED, State.IN_PROGRESS])
def test_resuming_returns_the_case_to_the_state_it_left(left):
    case = snapshot(State.SUSPENDED, suspended_from=left)
    assert apply(case, "resume", actor_for("dispatcher"), {}, now=NOW).to_state is left


def test_a_suspended_case_whose_previous_state_is_unknown_cannot_resume():
    case = snapshot(State.SUSPENDED, suspended_from=None)
    with pytest.raises(InvalidTransition) as err:
        apply(case, "resume", actor_for("supervisor"), {}, now=NOW)
    assert err.value.reason == "suspended_from_unknown"


def test_suspending_remembers_the_state_it_left():
    outcome = apply(snapshot(State.IN_PROGRESS), "suspend", actor_for("supervisor"),
                    {"reason": "等待", "until": NOW + timedelta(days=2)}, now=NOW)
    assert outcome.set_fields["suspension"]["from"] == "in_progress"


def test_a_resolved_until_reaches_the_effects_and_the_entry_and_only_after_the_checks():
    resolved = NOW + timedelta(days=3)
    outcome = apply(snapshot(State.IN_PROGRESS), "suspend", actor_for("supervisor"),
                    {"reason": "等待", "duration_wd": 2}, now=NOW,
                    resolve=lambda payload: {"until": resolved})
    assert outcome.set_fields["suspension"]["until"] == resolved
    assert outcome.entry["payload"] == {"reason": "等待", "duration_wd": 2, "until": resolved}
    with pytest.raises(Forbidden):  # a refused actor never reaches the calendar
        apply(snapshot(State.IN_PROGRESS), "suspend", actor_for("handler"),
              {"reason": "等待", "duration_wd": 2}, now=NOW, resolve=lambda payload: 1 / 0)


@pytest.mark.parametrize(("current", "level", "expected"),
                         [(0, None, 1), (1, None, 2), (2, None, 2), (0, 2, 2), (1, 1, 2)])
def test_supervising_raises_the_supervision_level_up_to_the_county(current, level, expected):
    payload = {"level": level} if level else {}
    case = snapshot(State.IN_PROGRESS, supervision_level=current)
    outcome = apply(case, "supervise", actor_for("supervisor"), payload, now=NOW)
    assert outcome.set_fields["supervision_level"] == expected
    assert outcome.to_state is State.IN_PROGRESS


def test_a_case_is_evaluated_once():
    case = snapshot(State.CLOSED, evaluated=True)
    with pytest.raises(InvalidTransition) as err:
        apply(case, "evaluate", actor_for("resident"), {"rating": "satisfied"}, now=NOW)
    assert err.value.reason == "already_evaluated"


def test_evaluation_after_the_window_is_refused():
    case = snapshot(State.CLOSED, closed_at=NOW - timedelta(days=8))
    with pytest.raises(InvalidTransition) as err:
        apply(case, "evaluate", actor_for("resident"), {"rating": "satisfied"}, now=NOW)
    assert err.value.reason == "window_closed"


def test_reopening_after_the_window_is_refused_but_a_longer_policy_allows_it():
    case = snapshot(State.CLOSED, closed_at=NOW - timedelta(days=31))
    with pytest.raises(InvalidTransition):
        apply(case, "reopen", actor_for("supervisor"), {"reason": "x"}, now=NOW)
    policy = Policy(reopen_window=timedelta(days=60))
    assert apply(case, "reopen", actor_for("supervisor"), {"reason": "x"}, now=NOW, policy=policy)


def test_a_closed_case_without_a_closing_time_cannot_be_reopened():
    case = snapshot(State.CLOSED, closed_at=None)
    with pytest.raises(InvalidTransition):
        apply(case, "reopen", actor_for("supervisor"), {"reason": "x"}, now=NOW)


def test_reopening_a_case_without_a_department_needs_one():
    case = snapshot(State.CLOSED, department=None)
    with pytest.raises(PayloadError) as err:
        apply(case, "reopen", actor_for("supervisor"), {"reason": "x"}, now=NOW)
    assert "department" in err.value.details["errors"]
    outcome = apply(case, "reopen", actor_for("supervisor"),
                    {"reason": "x", "department": "371083-zjj"}, now=NOW)
    assert outcome.set_fields["department"] == "371083-zjj"


def test_the_history_entry_records_actor_note_and_payload_without_empty_fields():
    outcome = apply(snapshot(State.ACCEPTED), "dispatch", actor_for("dispatcher"),
                    {"department": "371083-cgj", "assignee": None, "note": "尽快"}, now=NOW)
    entry = outcome.entry
    assert entry["actor"] == {"key": "user:u1", "name": "张三", "roles": ["dispatcher"]}
    assert entry["note"] == "尽快"
    assert entry["payload"] == {"department": "371083-cgj"}
    assert entry["at"] == NOW


def test_allowed_actions_lists_only_what_the_actor_may_do_now():
    case = snapshot(State.REPORTED, reporter="user:resident")
    assert allowed_actions(case, actor_for("dispatcher"), now=NOW) == ["accept", "reject", "merge"]
    assert allowed_actions(snapshot(State.IN_PROGRESS), actor_for("handler"), now=NOW) == [
        "return", "request_extension", "handle"]


def test_allowed_actions_leaves_out_actions_whose_guard_fails():
    case = snapshot(State.CLOSED, evaluated=True)
    assert allowed_actions(case, actor_for("resident"), now=NOW) == []


def test_an_invalid_transition_lists_the_actions_that_are_allowed():
    with pytest.raises(InvalidTransition) as err:
        apply(snapshot(State.REPORTED, reporter=None), "dispatch", actor_for("dispatcher"),
              VALID_PAYLOADS["dispatch"], now=NOW)
    assert err.value.details["allowed"] == ["accept", "reject", "merge"]


def test_the_report_entry_opens_the_history():
    entry = report_entry(actor_for("grid_worker"), now=NOW, note="发现")
    assert (entry["seq"], entry["action"], entry["from"], entry["to"]) == (
        1, "report", None, "reported")


def test_describe_gives_label_and_fields_of_each_action():
    (view,) = describe(["request_extension"])
    assert (view.label, view.required, view.one_of) == ("延期申请", ("reason",),
                                                        ("until", "duration_wd"))


def test_check_role_refuses_a_role_that_may_never_take_the_action():
    with pytest.raises(Forbidden):
        check_role("accept", actor_for("handler"))


def test_check_role_lets_through_a_role_that_may_take_the_action_on_some_case():
    check_role("cancel", actor_for("resident"))
    check_role("verify_pass", actor_for("grid_worker"))


def test_check_role_refuses_an_unknown_action_as_a_payload_error():
    with pytest.raises(PayloadError):
        check_role("approve", actor_for("dispatcher"))


@pytest.mark.parametrize(("role", "source"), [("grid_worker", "grid_worker"),
                                              ("resident", "resident")])
def test_grid_workers_and_residents_report_and_the_case_records_the_source(role, source):
    assert report_source(actor_for(role)) == source


@pytest.mark.parametrize("role", ["dispatcher", "handler", "supervisor", "admin"])
def test_staff_who_do_not_report_are_refused(role):
    with pytest.raises(Forbidden):
        report_source(actor_for(role))


def test_every_action_has_its_effects_defined():
    from workflows.case_effects import EFFECTS

    assert set(EFFECTS) == set(ACTIONS)


# --- what the reporter may read of an entry ---------------------------------------------------
def test_a_staff_note_is_internal_by_default():
    outcome = apply(snapshot(State.REPORTED), "accept", actor_for("dispatcher"), {"note": "内部"},
                    now=NOW)
    assert outcome.entry["note_visibility"] == "internal"
    assert public_entry(outcome.entry)["note"] is None


def test_a_staff_note_marked_public_reaches_the_reporter():
    outcome = apply(snapshot(State.REPORTED), "accept", actor_for("dispatcher"),
                    {"note": "请保持电话畅通", "note_visibility": "public"}, now=NOW)
    assert public_entry(outcome.entry)["note"] == "请保持电话畅通"


def test_a_residents_own_note_is_public():
    resident = Actor(key="user:u1", roles=frozenset({"resident"}), name="王女士")
    outcome = apply(snapshot(State.CLOSED, "evaluate"), "evaluate", resident,
                    {"rating": "satisfied", "note": "很满意"}, now=NOW)
    assert public_entry(outcome.entry)["note"] == "很满意"


def test_back_office_entries_are_not_public():
    outcome = apply(snapshot(State.IN_PROGRESS), "supervise", actor_for("supervisor"),
                    {"note": "请加快"}, now=NOW)
    assert public_entry(outcome.entry) is None
    assert public_entry({"action": "sla.overdue", "seq": 5}) is None


def test_a_public_entry_keeps_only_the_fields_written_for_the_reporter():
    outcome = apply(snapshot(State.REPORTED), "reject", actor_for("dispatcher"),
                    {"reason": "不属于受理范围"}, now=NOW)
    public = public_entry(outcome.entry)
    assert public["payload"] == {"reason": "不属于受理范围"}
    assert public["actor"] == {"roles": ["dispatcher"]}


def test_the_report_entry_is_public_and_names_nobody():
    public = public_entry(report_entry(actor_for("grid_worker"), now=NOW))
    assert public["action"] == "report" and public["actor"] == {"roles": ["grid_worker"]}
