"""SLA rules: profiles, phase clocks, suspension, extension, notices and indicator flags."""

from datetime import UTC, datetime, timedelta

import pytest

from tests.clock import at
from workflows import sla
from workflows.sla_policy import Limit, Point, Profile, Rule, SlaError


@pytest.fixture
def hotline():
    """The Shandong 12345 rule: handle in 5 wd, extension ≤ 10 wd, return within 2 wd,
    yellow one working day before the deadline, red once overdue."""
    return Profile(
        code="sd12345", name="山东12345",
        rules=(Rule({"accept": Limit(2, "wh"), "dispatch": Limit(2, "wh"), "sign": Limit(1, "wd"),
                     "handle": Limit(5, "wd"), "verify": Limit(2, "wd")}),
               Rule({"handle": Limit(2, "wd")}, priority="urgent")),
        warn=Point(offset=Limit(1, "wd")),
        escalate=(Point(offset=Limit(1, "wd")), Point(offset=Limit(3, "wd"))),
        max_extension=Limit(10, "wd"), return_window=Limit(2, "wd"))


@pytest.fixture
def city():
    """数字城管 style: natural minutes for the first steps, working hours per 小类."""
    return Profile(code="szcg", name="数字城管", rules=(
        Rule({"accept": Limit(30, "min"), "dispatch": Limit(1, "wh"), "handle": Limit(2, "wd")}),
        Rule({"handle": Limit(4, "wh")}, category="01"),
        Rule({"handle": Limit(1, "wh")}, category="0101"),
        Rule({"handle": Limit(2, "h")}, category="04", priority="urgent"),
    ))


MONDAY_10 = at(2026, 11, 23, 10)


def clock(profile, cal, phase="handle", start=MONDAY_10, category="", priority="normal"):
    limit = profile.limits_for(category, priority)[phase]
    return sla.start_clock(phase, limit, start=start, profile=profile, cal=cal)


# --- profiles --------------------------------------------------------------------------------
@pytest.mark.parametrize(("amount", "unit", "reason"), [
    (1, "day", "unknown_unit"), (-1, "wd", "invalid_amount"), (0, "wh", "invalid_amount"),
    (float("nan"), "h", "invalid_amount"), (400, "wd", "invalid_amount"),
    ("5", "wd", "invalid_amount"),
])
def test_a_limit_must_be_a_positive_amount_of_a_known_unit(amount, unit, reason):
    with pytest.raises(SlaError) as err:
        Limit(amount, unit)
    assert err.value.reason == reason


@pytest.mark.parametrize("kwargs", [
    {}, {"percent": 80, "offset": Limit(1, "wd")}, {"percent": 0}, {"percent": float("inf")}])
def test_a_notice_point_is_exactly_one_of_a_percentage_or_an_offset(kwargs):
    with pytest.raises(SlaError):
        Point(**kwargs)


def test_a_rule_refuses_an_unknown_phase_or_priority():
    with pytest.raises(SlaError, match="未知阶段"):
        Rule({"repair": Limit(1, "wd")})
    with pytest.raises(SlaError):
        Rule({"handle": Limit(1, "wd")}, priority="high")


@pytest.mark.parametrize("kwargs", [
    {"rules": (Rule({}), Rule({}))},
    {"escalate": (Point(percent=150),)},
    {"warn": Point(percent=100)},
    {"escalate": (Point(percent=90), Point(percent=200))},
    {"escalate": (Point(percent=200), Point(percent=150))},
])
def test_a_profile_refuses_inconsistent_rules_and_points(kwargs):
    with pytest.raises(SlaError):
        Profile(**{"code": "x", "name": "x", "rules": (), **kwargs})


def test_the_most_specific_rule_sets_each_phase(city):
    assert city.limits_for("0101", "normal")["handle"] == Limit(1, "wh")
    assert city.limits_for("0102", "normal")["handle"] == Limit(4, "wh")
    assert city.limits_for("0201", "normal")["handle"] == Limit(2, "wd")
    assert city.limits_for("0101", "normal")["accept"] == Limit(30, "min")


def test_an_exact_priority_beats_any_priority(city, hotline):
    assert city.limits_for("0401", "urgent")["handle"] == Limit(2, "h")
    assert city.limits_for("0401", "normal")["handle"] == Limit(2, "wd")
    assert hotline.limits_for("9001", "urgent")["handle"] == Limit(2, "wd")


def test_a_phase_no_rule_sets_is_untimed(city):
    assert "sign" not in city.limits_for("0101", "normal")


# --- clocks ----------------------------------------------------------------------------------
def test_a_thursday_afternoon_start_before_the_holiday_weeks_is_due_after_them(hotline, cal):
    # Thu 24 Sep 2026 15:00; 25–27 Sep (中秋) and 1–7 Oct (国庆) are off.
    c = clock(hotline, cal, start=at(2026, 9, 24, 15))
    assert c.deadline == at(2026, 10, 9, 15)  # 2.5 h, 28–30 Sep, 8 Oct, 4.5 h on 9 Oct
    assert cal.working_between(c.started_at, c.deadline, "wd") == 5


def test_the_12345_yellow_card_falls_one_working_day_before_the_deadline(hotline, cal):
    c = clock(hotline, cal)
    assert c.deadline == at(2026, 11, 30, 10)
    assert c.warn_at == at(2026, 11, 27, 10)
    assert c.escalate_at == at(2026, 12, 1, 10)
    assert c.escalate_county_at == at(2026, 12, 3, 10)


def test_a_warning_offset_longer_than_the_limit_warns_at_the_start(hotline, cal):
    c = clock(hotline, cal, phase="accept")
    assert c.warn_at == c.started_at


def test_percentage_points_count_on_natural_time_for_natural_limits(city, cal):
    c = clock(city, cal, phase="accept", start=at(2026, 11, 21, 22))  # a Saturday night
    assert c.deadline == at(2026, 11, 21, 22, 30)
    assert c.warn_at == at(2026, 11, 21, 22, 24)
    assert c.escalate_at == at(2026, 11, 21, 22, 45)
    assert c.escalate_county_at == at(2026, 11, 21, 23)


@pytest.mark.parametrize(("moment", "light"), [
    (at(2026, 11, 26, 17), "green"), (at(2026, 11, 27, 10), "yellow"),
    (at(2026, 11, 30, 10), "red")])
def test_the_light_turns_yellow_at_the_warning_and_red_at_the_deadline(hotline, cal, moment,
                                                                        light):
    assert clock(hotline, cal).light(moment) == light


def test_an_ended_clock_has_no_light(hotline, cal):
    c = sla.on_action("handle", {"handle": clock(hotline, cal)}, now=at(2026, 11, 24, 9),
                      limits={}, profile=hotline, cal=cal).clocks["handle"]
    assert c.light(at(2026, 12, 24)) is None
    assert c.on_time is True


def test_remaining_time_is_counted_on_the_phases_own_clock(hotline, city, cal):
    assert clock(hotline, cal).remaining_minutes(at(2026, 11, 27, 10), cal) == 420
    assert clock(hotline, cal).remaining_minutes(at(2026, 12, 1, 10), cal) == -420
    natural = clock(city, cal, phase="accept", start=at(2026, 11, 21, 22))
    assert natural.remaining_minutes(at(2026, 11, 21, 22, 10), cal) == 20


@pytest.mark.parametrize(("limit", "minutes", "text"), [
    (Limit(3, "wd"), 1.5 * 480, "剩余 1.5 个工作日"),
    (Limit(3, "wd"), 60, "剩余 1 个工作小时"),  # less than a day: the hours of it
    (Limit(3, "wd"), 20.4, "剩余 20 分钟（工作时间）"),
    (Limit(8, "wh"), 600, "剩余 10 个工作小时"),  # hours stay hours however many
    (Limit(8, "wh"), -90, "超期 1.5 个工作小时"),
    (Limit(2, "wd"), -3 * 480, "超期 3 个工作日"),
    (Limit(2, "h"), 90, "剩余 1.5 小时"),
    (Limit(30, "min"), 1.2, "剩余 1 分钟"),
    (Limit(30, "min"), -20, "超期 20 分钟"),
    (Limit(72, "h"), 60 * 60, "剩余 2.5 天"),
])
def test_time_left_is_told_in_the_unit_the_limit_counts(limit, minutes, text):
    assert sla.remaining_text(limit, minutes, day_minutes=480, overdue=minutes < 0) == text


def test_a_working_deadline_passed_out_of_hours_reads_overdue_not_one_minute_left():
    # due Friday 17:30, read on Saturday: no working minute in between, but it has passed
    assert sla.remaining_text(Limit(2, "wd"), 0, day_minutes=480, overdue=True) == "已超期"
    assert sla.remaining_text(Limit(2, "wd"), 0, day_minutes=480, overdue=False) == "即将到期"


def test_a_clock_survives_a_round_trip_through_the_database_as_naive_utc(hotline, cal):
    c = clock(hotline, cal)
    doc = c.to_doc()
    stored = {k: v.astimezone(UTC).replace(tzinfo=None) if isinstance(v, datetime) else v
              for k, v in doc.items()}
    assert sla.Clock.from_doc(stored) == c


# --- actions ---------------------------------------------------------------------------------
def act(action, clocks, profile, cal, now, category="0101", priority="normal", **kwargs):
    limits = profile.limits_for(category, priority) if profile else {}
    return sla.on_action(action, clocks, now=now, limits=limits, profile=profile, cal=cal,
                         **kwargs)


def test_a_report_starts_the_accept_clock_and_accepting_ends_it(city, cal):
    t0 = at(2026, 11, 23, 9)
    clocks = act("report", {}, city, cal, t0).clocks
    update = act("accept", clocks, city, cal, t0 + timedelta(minutes=40))
    assert update.clocks["accept"].on_time is False
    assert update.clocks["dispatch"].started_at == t0 + timedelta(minutes=40)
    assert update.flags == {"accepted": True}


def test_dispatching_starts_sign_and_handle_where_the_profile_times_them(city, hotline, cal):
    t0 = at(2026, 11, 23, 9)
    assert set(act("dispatch", {}, city, cal, t0).clocks) == {"handle"}
    update = act("dispatch", {}, hotline, cal, t0)
    assert set(update.clocks) == {"sign", "handle"}
    assert update.flags == {"dispatched": True, "ontime_dispatch": True}


def test_without_a_profile_no_clock_starts(cal):
    assert act("report", {}, None, cal, at(2026, 11, 23, 9)).clocks == {}


def test_suspending_for_a_working_day_moves_every_point_by_a_working_day(hotline, cal):
    c = clock(hotline, cal)
    paused = act("suspend", {"handle": c}, hotline, cal, at(2026, 11, 24, 10)).clocks
    assert paused["handle"].light(at(2026, 12, 30)) == "green"  # frozen while suspended
    resumed = act("resume", paused, hotline, cal, at(2026, 11, 25, 10)).clocks["handle"]
    assert resumed.deadline == at(2026, 12, 1, 10)
    assert resumed.warn_at == at(2026, 11, 30, 10)
    assert resumed.base_deadline == resumed.deadline
    assert resumed.suspended_wm == 420 and resumed.paused_at is None


def test_a_natural_clock_moves_by_the_natural_time_spent_suspended(city, cal):
    c = clock(city, cal, phase="accept", start=at(2026, 11, 21, 22))
    paused = act("suspend", {"accept": c}, city, cal, at(2026, 11, 21, 22, 10)).clocks
    resumed = act("resume", paused, city, cal, at(2026, 11, 21, 23, 10)).clocks["accept"]
    assert resumed.deadline == at(2026, 11, 21, 23, 30)


def test_an_approved_extension_moves_the_handle_deadline_and_its_points(hotline, cal):
    c = clock(hotline, cal)
    update = act("approve_extension", {"handle": c}, hotline, cal, at(2026, 11, 24, 9),
                 extension_until=at(2026, 12, 2, 10))
    moved = update.clocks["handle"]
    assert (moved.deadline, moved.warn_at) == (at(2026, 12, 2, 10), at(2026, 12, 1, 10))
    assert moved.base_deadline == c.deadline
    assert update.flags == {"extended": True}


def test_an_approval_whose_target_is_not_later_changes_no_deadline(hotline, cal):
    c = clock(hotline, cal)
    update = act("approve_extension", {"handle": c}, hotline, cal, at(2026, 11, 24, 9),
                 extension_until=c.deadline - timedelta(days=1))
    assert update.clocks["handle"] == c


def test_an_extension_on_a_natural_clock_moves_by_natural_time(city, cal):
    c = clock(city, cal, category="0401", priority="urgent")
    moved = act("approve_extension", {"handle": c}, city, cal, at(2026, 11, 23, 9, 30),
                extension_until=c.deadline + timedelta(hours=1)).clocks["handle"]
    assert moved.deadline == at(2026, 11, 23, 13)  # 10:00 + 2 h + 1 h


def test_an_extension_request_is_resolved_from_working_days(hotline, cal):
    c = clock(hotline, cal)
    assert sla.extension_deadline(c, profile=hotline, cal=cal, now=at(2026, 11, 24),
                                  duration_wd=3) == at(2026, 12, 3, 10)


def test_an_extension_request_may_name_the_new_deadline(hotline, cal):
    c = clock(hotline, cal)
    assert sla.extension_deadline(c, profile=hotline, cal=cal, now=at(2026, 11, 24),
                                  until=at(2026, 12, 4, 12)) == at(2026, 12, 4, 12)


@pytest.mark.parametrize(("kwargs", "reason"), [
    ({"duration_wd": 11}, "extension_too_long"),
    ({"until": at(2027, 1, 30)}, "extension_too_long"),
    ({"duration_wd": -1}, "invalid_extension"),
    ({"duration_wd": 0}, "invalid_extension"),
    ({"until": at(2026, 11, 28)}, "invalid_extension"),
    ({"until": at(2028, 1, 1)}, "invalid_extension"),
])
def test_an_extension_beyond_the_maximum_or_not_later_is_refused(hotline, cal, kwargs, reason):
    with pytest.raises(SlaError) as err:
        sla.extension_deadline(clock(hotline, cal), profile=hotline, cal=cal,
                               now=at(2026, 11, 24), **kwargs)
    assert err.value.reason == reason


def test_without_a_maximum_any_later_extension_is_allowed(city, cal):
    c = clock(city, cal)
    assert sla.extension_deadline(c, profile=city, cal=cal, now=at(2026, 11, 24),
                                  duration_wd=100) > c.deadline


def test_a_return_is_allowed_within_the_window_only(hotline, city, cal):
    dispatched = at(2026, 11, 23, 10)
    sla.check_return(hotline, dispatched_at=dispatched, now=at(2026, 11, 25, 9), cal=cal)
    sla.check_return(city, dispatched_at=dispatched, now=at(2027, 1, 1), cal=cal)
    sla.check_return(hotline, dispatched_at=None, now=at(2027, 1, 1), cal=cal)
    with pytest.raises(SlaError, match="退回时限") as err:
        sla.check_return(hotline, dispatched_at=dispatched, now=at(2026, 11, 25, 10, 1), cal=cal)
    assert err.value.reason == "return_window_closed"


def test_handling_records_working_time_minus_suspension_and_starts_verification(hotline, cal):
    clocks = act("dispatch", {}, hotline, cal, at(2026, 11, 23, 9)).clocks
    clocks = act("sign", clocks, hotline, cal, at(2026, 11, 23, 10)).clocks
    clocks = act("suspend", clocks, hotline, cal, at(2026, 11, 23, 11)).clocks
    clocks = act("resume", clocks, hotline, cal, at(2026, 11, 24, 11)).clocks
    update = act("handle", clocks, hotline, cal, at(2026, 11, 24, 15))
    assert update.handle_wm == (420 + 270) - 420  # 23 Nov 9:00 → 24 Nov 15:00, less a day
    assert update.flags == {"due": True, "handled": True, "ontime_handle": True}
    assert update.clocks["verify"].running


def test_a_failed_verification_restarts_handling_in_a_new_round(hotline, cal):
    clocks = act("handle", {"handle": clock(hotline, cal)}, hotline, cal,
                 at(2026, 11, 24, 9)).clocks
    update = act("verify_fail", clocks, hotline, cal, at(2026, 11, 25, 9))
    assert update.clocks["handle"].round == 2
    assert update.clocks["handle"].started_at == at(2026, 11, 25, 9)
    assert update.flags == {"reworked": True}


def test_a_return_abandons_sign_and_handle_and_restarts_dispatch(hotline, cal):
    clocks = act("dispatch", {}, hotline, cal, at(2026, 11, 23, 9)).clocks
    update = act("return", clocks, hotline, cal, at(2026, 11, 23, 10))
    assert set(update.clocks) == {"dispatch"} and update.clocks["dispatch"].running
    assert update.flags == {"returned": True}


def test_a_restarted_phase_without_a_limit_any_more_is_dropped(city, hotline, cal):
    clocks = {"sign": clock(hotline, cal, phase="sign")}
    assert "sign" not in act("redispatch", clocks, city, cal, at(2026, 11, 23, 10)).clocks


def test_closing_is_on_time_when_handling_and_verification_were(hotline, cal):
    clocks = act("handle", {"handle": clock(hotline, cal)}, hotline, cal,
                 at(2026, 11, 24, 9)).clocks
    assert act("verify_pass", clocks, hotline, cal, at(2026, 11, 24, 10)).flags == {
        "closed": True, "ontime_close": True}
    late = act("verify_pass", clocks, hotline, cal, at(2026, 12, 24, 10)).flags
    assert late == {"closed": True, "ontime_close": False}


@pytest.mark.parametrize(("action", "kwargs", "flags"), [
    ("self_handle", {}, {"due": True, "handled": True, "ontime_handle": True,
                         "self_handled": True}),
    ("reopen", {}, {"closed": False, "ontime_close": False, "handled": False, "reopened": True}),
    ("evaluate", {"rating": "basically_satisfied"}, {"evaluated": True, "satisfied": True}),
    ("evaluate", {"rating": "dissatisfied"}, {"evaluated": True, "satisfied": False,
                                              "dissatisfied": True}),
    ("reopen", {"flags": {"dissatisfied": True}},
     {"closed": False, "ontime_close": False, "handled": False, "reopened": True, "redone": True}),
    ("supervise", {}, {}),
    ("sign", {}, {"ontime_sign": True}),
])
def test_actions_set_the_flags_the_indicators_sum(hotline, cal, action, kwargs, flags):
    assert act(action, {}, hotline, cal, at(2026, 11, 23, 9), **kwargs).flags == flags


def test_ending_actions_stop_every_running_clock(hotline, cal):
    clocks = act("report", {}, hotline, cal, at(2026, 11, 23, 9)).clocks
    ended = act("cancel", clocks, hotline, cal, at(2026, 11, 23, 9, 5)).clocks
    assert not any(c.running for c in ended.values())


# --- notices ---------------------------------------------------------------------------------
def test_notices_fire_once_each_in_order(hotline, cal):
    clocks = {"handle": clock(hotline, cal)}
    clocks, first = sla.fire(clocks, at(2026, 11, 27, 10))
    assert [n.key for n in first] == ["warning"]
    clocks, late = sla.fire(clocks, at(2026, 12, 4))
    assert [(n.type, n.level) for n in late] == [
        ("sla.overdue", 0), ("sla.escalated", 1), ("sla.escalated", 2)]
    assert sla.notice_flags(late) == {"due": True, "overdue": True}
    assert sla.fire(clocks, at(2027, 1, 1))[1] == []


def test_paused_and_ended_clocks_give_no_notice(hotline, cal):
    c = clock(hotline, cal)
    paused = act("suspend", {"handle": c}, hotline, cal, at(2026, 11, 24)).clocks
    ended = {"handle": act("handle", {"handle": c}, hotline, cal, at(2026, 11, 24)).clocks["handle"]}
    assert sla.fire(paused, at(2027, 1, 1))[1] == sla.fire(ended, at(2027, 1, 1))[1] == []


def test_a_warning_elsewhere_than_handling_sets_no_indicator_flag(hotline, cal):
    _, notices = sla.fire({"sign": clock(hotline, cal, phase="sign")}, at(2026, 11, 30))
    assert sla.notice_flags(notices) == {}


def test_the_summary_points_at_the_earliest_deadline_and_next_notice(hotline, cal):
    clocks = act("dispatch", {}, hotline, cal, at(2026, 11, 23, 9)).clocks
    summary = sla.summary(clocks)
    assert summary["due_at"] == at(2026, 11, 23, 17, 30)  # sign: 1 wd
    assert summary["next_check_at"] == at(2026, 11, 23, 9)  # its warning: 1 wd before
    assert summary["phases"] == ["sign", "handle"] and not summary["paused"]


def test_a_suspended_case_is_next_checked_when_it_should_resume(hotline, cal):
    clocks = act("suspend", {"handle": clock(hotline, cal)}, hotline, cal, at(2026, 11, 24)).clocks
    summary = sla.summary(clocks, resume_at=at(2026, 12, 1))
    assert summary["due_at"] is None and summary["paused"]
    assert summary["next_check_at"] == at(2026, 12, 1)


@pytest.mark.parametrize(("now", "light"), [
    (at(2026, 11, 1), "green"), (at(2026, 11, 10), "yellow"), (at(2026, 11, 20), "red")])
def test_the_case_light_reads_from_its_earliest_points(now, light):
    assert sla.light_at(at(2026, 11, 20), at(2026, 11, 10), now) == light


def test_a_case_without_a_running_clock_has_no_light():
    assert sla.light_at(None, None, at(2026, 11, 1)) is None


def test_limits_read_in_chinese():
    assert Limit(5, "wd").label() == "5个工作日"
    assert Limit(1.5, "wh").label() == "1.5个工作小时"
