"""Quiet hours (issue 19): when a non-urgent alert to a member of staff waits for their office.

A county holds the non-urgent push and SMS alerts of the roles it lists outside those roles'
office hours (its own by default; a role may have others, e.g. a dispatch centre's long day),
on the county's working calendar (holidays, 调休 and its own days). A held alert is released
at the start of the recipient's next working period, gathered into one digest.

Pure: rules in, rules out; moments from a `WorkCalendar`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from workflows.calendar import CalendarError, WorkCalendar
from workflows.case_table import STAFF_ROLES

MAX_PERIODS = 6  # office periods a role's day may have


class QuietHoursError(ValueError):
    """A quiet-hours rule that does not parse (a 422 `invalid_quiet_hours` at the API)."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.message, self.field = message, field


@dataclass(frozen=True)
class QuietRule:
    role: str
    office_hours: tuple[tuple[time, time], ...] | None = None  # None: the county's own

    def as_raw(self) -> dict[str, Any]:
        hours = None if self.office_hours is None else [
            [start.strftime("%H:%M"), end.strftime("%H:%M")] for start, end in self.office_hours]
        return {"role": self.role, "office_hours": hours}


def _clock(value: Any, field: str) -> time:
    try:
        if not isinstance(value, str) or len(value) != 5:
            raise ValueError(value)
        return time.fromisoformat(value)
    except ValueError:
        raise QuietHoursError(f"时间 {value!r} 不是 HH:MM 格式", field=field) from None


def parse_rules(raw: Iterable[Mapping[str, Any]]) -> tuple[QuietRule, ...]:
    """Rules from their stored or submitted form: one per staff role, each with its own office
    hours or none (the county's). Raises QuietHoursError naming the first fault."""
    rules: list[QuietRule] = []
    for n, item in enumerate(raw):
        field = f"rules[{n}]"
        role = item.get("role")
        if role not in STAFF_ROLES:
            raise QuietHoursError(f"角色 {role!r} 不是工作人员角色", field=f"{field}.role")
        if any(rule.role == role for rule in rules):
            raise QuietHoursError(f"角色 {role} 重复设置", field=f"{field}.role")
        periods = item.get("office_hours")
        if periods is None:
            rules.append(QuietRule(role))
            continue
        if not isinstance(periods, list) or not 0 < len(periods) <= MAX_PERIODS or any(
                not isinstance(period, list) or len(period) != 2 for period in periods):
            raise QuietHoursError(f"办公时段须为 1–{MAX_PERIODS} 个 [开始, 结束]",
                                  field=f"{field}.office_hours")
        hours = tuple((_clock(a, f"{field}.office_hours"), _clock(b, f"{field}.office_hours"))
                      for a, b in periods)
        try:
            WorkCalendar(office_hours=hours)
        except CalendarError:
            raise QuietHoursError("办公时段须按顺序排列、互不重叠，且开始早于结束",
                                  field=f"{field}.office_hours") from None
        rules.append(QuietRule(role, hours))
    return tuple(rules)


def release_at(calendar: WorkCalendar, now: datetime) -> datetime | None:
    """None while `now` is working time on `calendar`; otherwise the start of the next working
    period (the next working day's first office hour, across holidays and 调休)."""
    if calendar.is_working(now):
        return None
    return calendar.add_working_minutes(now, 0)
