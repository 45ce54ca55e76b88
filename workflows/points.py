"""Points (积分) of a grid worker's day (issue 18): a county's rules, as data, and the score.

Pure. A rule set names what each counted fact is worth; `per_patrol_hour` is capped per day by
`patrol_hours_cap_per_day`; `per_missed_checkin_day` (usually negative) is charged for each
working day without a check-in. Rule sets are versioned by the day they take effect: each day
is scored by the version in force that day.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

WEIGHTS = {  # fact -> what one of it is worth by default
    "per_patrol_hour": 1.0,
    "per_event_found": 2.0,
    "per_self_handled": 1.0,
    "per_verification_on_time": 1.0,
    "per_visit": 1.0,
    "per_log": 0.5,
    "per_missed_checkin_day": -2.0,
}
DEFAULTS = {**WEIGHTS, "patrol_hours_cap_per_day": 8.0}
LIMIT = 1000.0  # no weight beyond ±1000 points


class PointRulesError(ValueError):
    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.message, self.field = message, field


def parse(raw: Mapping[str, Any]) -> dict[str, float]:
    """A complete rule set from a partial one (the rest are the defaults); PointRulesError
    names the first unknown key or bad number."""
    rules = dict(DEFAULTS)
    for key, value in raw.items():
        if key not in DEFAULTS:
            raise PointRulesError(f"未知的积分规则 {key}", field=key)
        if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
            raise PointRulesError(f"积分规则 {key} 须为数字", field=key)
        if key == "patrol_hours_cap_per_day" and not 0 <= value <= 24:
            raise PointRulesError("每日巡查时长上限须在 0–24 小时之间", field=key)
        if abs(value) > LIMIT:
            raise PointRulesError(f"积分规则 {key} 须在 ±{LIMIT:g} 之间", field=key)
        rules[key] = float(value)
    return rules


@dataclass(frozen=True)
class Day:
    """What one worker did on one day."""

    patrol_hours: float = 0.0
    events_found: int = 0
    self_handled: int = 0
    verifications_on_time: int = 0
    visits: int = 0
    logs: int = 0
    missed_checkin: bool = False


def score(day: Day, rules: Mapping[str, float]) -> float:
    hours = min(day.patrol_hours, rules["patrol_hours_cap_per_day"])
    return round(hours * rules["per_patrol_hour"] + day.events_found * rules["per_event_found"]
                 + day.self_handled * rules["per_self_handled"]
                 + day.verifications_on_time * rules["per_verification_on_time"]
                 + day.visits * rules["per_visit"] + day.logs * rules["per_log"]
                 + (rules["per_missed_checkin_day"] if day.missed_checkin else 0.0), 2)


def in_force(versions: Sequence[tuple[date, Mapping[str, float]]], day: date) -> Mapping[str, float]:
    """The rule set in force on `day`: the latest version taking effect on or before it; the
    defaults before the first (versions sorted by their day)."""
    index = bisect_right([effective for effective, _ in versions], day)
    return versions[index - 1][1] if index else DEFAULTS
