"""Quiet-hours rules and release moments (workflows/quiet_hours.py, pure)."""

from __future__ import annotations

from datetime import time

import pytest

from tests.clock import at
from workflows.calendar import WorkCalendar
from workflows.quiet_hours import QuietHoursError, QuietRule, parse_rules, release_at

CAL = WorkCalendar()


def test_a_rule_without_hours_follows_the_countys_and_round_trips():
    rule, = parse_rules([{"role": "handler"}])
    assert rule == QuietRule("handler") and rule.as_raw() == {"role": "handler", "office_hours": None}


def test_a_rule_with_its_own_hours_round_trips():
    raw = {"role": "dispatcher", "office_hours": [["08:00", "12:00"], ["13:00", "20:00"]]}
    rule, = parse_rules([raw])
    assert rule.office_hours == ((time(8), time(12)), (time(13), time(20))) and rule.as_raw() == raw


@pytest.mark.parametrize(("raw", "field"), [
    ([{"role": "resident"}], "rules[0].role"),
    ([{}], "rules[0].role"),
    ([{"role": "handler"}, {"role": "handler"}], "rules[1].role"),
    ([{"role": "handler", "office_hours": "09:00-17:00"}], "rules[0].office_hours"),
    ([{"role": "handler", "office_hours": []}], "rules[0].office_hours"),
    ([{"role": "handler", "office_hours": [["09:00"]]}], "rules[0].office_hours"),
    ([{"role": "handler", "office_hours": [["9:00", "17:00"]]}], "rules[0].office_hours"),
    ([{"role": "handler", "office_hours": [[900, "17:00"]]}], "rules[0].office_hours"),
    ([{"role": "handler", "office_hours": [["25:00", "26:00"]]}], "rules[0].office_hours"),
    ([{"role": "handler", "office_hours": [["17:00", "09:00"]]}], "rules[0].office_hours"),
    ([{"role": "handler", "office_hours": [["09:00", "13:00"], ["12:00", "17:00"]]}],
     "rules[0].office_hours"),
])
def test_a_rule_that_does_not_parse_names_its_field(raw, field):
    with pytest.raises(QuietHoursError) as error:
        parse_rules(raw)
    assert error.value.field == field and error.value.message


def test_nothing_is_held_during_office_hours():
    assert release_at(CAL, at(2026, 10, 9, 10, 0)) is None


def test_a_friday_evening_before_a_make_up_saturday_is_released_on_saturday_morning():
    # 2026-10-10 is a Saturday worked for the National Day holiday (调休)
    assert release_at(CAL, at(2026, 10, 9, 19, 0)) == at(2026, 10, 10, 9, 0)


def test_the_eve_of_national_day_is_released_on_the_first_working_day_after_it():
    assert release_at(CAL, at(2026, 9, 30, 19, 0)) == at(2026, 10, 8, 9, 0)


def test_the_lunch_break_is_released_when_the_afternoon_opens():
    assert release_at(CAL, at(2026, 10, 9, 12, 30)) == at(2026, 10, 9, 13, 30)
