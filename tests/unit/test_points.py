"""Points (积分, workflows/points.py): rules as data, scored per day by the version in force."""

from __future__ import annotations

from datetime import date

import pytest

from workflows.points import DEFAULTS, Day, PointRulesError, in_force, parse, score


def test_a_partial_rule_set_is_completed_with_the_defaults():
    rules = parse({"per_visit": 3})
    assert rules["per_visit"] == 3.0 and rules["per_log"] == DEFAULTS["per_log"]


@pytest.mark.parametrize(("raw", "field"), [
    ({"per_nap": 1}, "per_nap"), ({"per_visit": "3"}, "per_visit"), ({"per_visit": True}, "per_visit"),
    ({"per_visit": float("nan")}, "per_visit"), ({"per_visit": 5000}, "per_visit"),
    ({"patrol_hours_cap_per_day": 25}, "patrol_hours_cap_per_day"),
])
def test_a_rule_that_does_not_parse_names_its_key(raw, field):
    with pytest.raises(PointRulesError) as error:
        parse(raw)
    assert error.value.field == field and error.value.message


def test_patrol_hours_count_up_to_the_days_cap():
    rules = parse({"per_patrol_hour": 2, "patrol_hours_cap_per_day": 4})
    assert score(Day(patrol_hours=6.5), rules) == 8.0


def test_every_fact_adds_its_weight_and_a_missed_check_in_costs():
    day = Day(patrol_hours=1, events_found=2, self_handled=1, verifications_on_time=1, visits=3,
              logs=1, missed_checkin=True)
    assert score(day, DEFAULTS) == 1 + 4 + 1 + 1 + 3 + 0.5 - 2


def test_each_day_is_scored_by_the_version_in_force():
    versions = [(date(2026, 11, 1), parse({"per_visit": 2})), (date(2026, 12, 1), parse({"per_visit": 5}))]
    assert in_force(versions, date(2026, 10, 31)) == DEFAULTS
    assert in_force(versions, date(2026, 11, 30))["per_visit"] == 2
    assert in_force(versions, date(2026, 12, 1))["per_visit"] == 5
