"""Statutory working time (DESIGN §5): working days with holidays and 调休, office hours.

Pure: no Flask, no database. Holidays and make-up workdays come from `chinese_calendar`;
a region's own days come in as `overrides`. For a year the package does not cover, working
days fall back to Monday–Friday plus overrides, and the year is reported in
`uncovered_years` — never an exception.

Units: `min` and `h` are natural time; `wh` working hours; `wd` working days, where one
working day is the length of a working day's office hours (7 h by default), so that
`working_minutes(a, add(a, x, unit)) == x` in that unit for every working unit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar

DEFAULT_OFFICE_HOURS = ((time(9, 0), time(12, 0)), (time(13, 30), time(17, 30)))
UNITS = ("min", "h", "wh", "wd")
MAX_DAYS = 3 * 366  # no limit in this system spans more than three years of calendar


class CalendarError(ValueError):
    """An amount or unit the calendar cannot add."""


class WorkCalendar:
    def __init__(self, *, office_hours: Iterable[tuple[time, time]] = DEFAULT_OFFICE_HOURS,
                 overrides: Mapping[date, bool] | None = None,
                 timezone: str = "Asia/Shanghai") -> None:
        self.office_hours = tuple(sorted(office_hours))
        if not self.office_hours or any(start >= end for start, end in self.office_hours) or any(
                a[1] > b[0] for a, b in zip(self.office_hours, self.office_hours[1:],
                                            strict=False)):
            raise CalendarError("office hours must be ordered, non-empty, non-overlapping")
        self.overrides = dict(overrides or {})
        self.tz = ZoneInfo(timezone)
        self.uncovered_years: set[int] = set()
        self.day_minutes = sum(_minutes(end) - _minutes(start) for start, end in self.office_hours)

    # --- days -------------------------------------------------------------------------------
    def covers(self, year: int) -> bool:
        """Whether statutory holidays are known for the year."""
        try:
            chinese_calendar.is_workday(date(year, 6, 1))
        except NotImplementedError:
            return False
        return True

    def is_workday(self, day: date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        try:
            return chinese_calendar.is_workday(day)
        except NotImplementedError:
            self.uncovered_years.add(day.year)
            return day.weekday() < 5

    def is_working(self, moment: datetime) -> bool:
        """Whether a moment falls in office hours of a working day."""
        local = self._local(moment)
        clock = local.time()
        return self.is_workday(local.date()) and any(
            start <= clock < end for start, end in self.office_hours)

    # --- durations --------------------------------------------------------------------------
    def add(self, start: datetime, amount: float, unit: str) -> datetime:
        """The moment `amount` `unit`s after `start` (working units skip nights and days off)."""
        if unit not in UNITS:
            raise CalendarError(f"unknown unit {unit!r}; expected one of {UNITS}")
        if amount < 0 or amount != amount:
            raise CalendarError("amount must be a non-negative number")
        if unit == "min":
            return start + timedelta(minutes=amount)
        if unit == "h":
            return start + timedelta(hours=amount)
        minutes = amount * 60 if unit == "wh" else amount * self.day_minutes
        return self._add_working_minutes(self._local(start), minutes)

    def working_minutes(self, a: datetime, b: datetime) -> float:
        """Working minutes between two moments (negative when b is before a)."""
        if b < a:
            return -self.working_minutes(b, a)
        a, b = self._local(a), self._local(b)
        total = 0.0
        day = a.date()
        while day <= b.date():
            if self.is_workday(day):
                for start, end in self._intervals(day):
                    lo, hi = max(start, a), min(end, b)
                    if hi > lo:
                        total += (hi - lo).total_seconds() / 60
            day += timedelta(days=1)
        return total

    def working_between(self, a: datetime, b: datetime, unit: str = "wh") -> float:
        """Working time between two moments in `wh` or `wd`."""
        minutes = self.working_minutes(a, b)
        if unit == "wh":
            return minutes / 60
        if unit == "wd":
            return minutes / self.day_minutes
        raise CalendarError(f"working time is measured in wh or wd, not {unit!r}")

    # --- internals --------------------------------------------------------------------------
    def _local(self, moment: datetime) -> datetime:
        if moment.tzinfo is None:
            raise CalendarError("naive datetime: times must carry an offset")
        return moment.astimezone(self.tz)

    def _intervals(self, day: date) -> list[tuple[datetime, datetime]]:
        return [(datetime.combine(day, start, self.tz), datetime.combine(day, end, self.tz))
                for start, end in self.office_hours]

    def _add_working_minutes(self, start: datetime, minutes: float) -> datetime:
        remaining = timedelta(minutes=minutes)
        day = start.date()
        for _ in range(MAX_DAYS):
            if self.is_workday(day):
                for lo, hi in self._intervals(day):
                    if hi <= start:
                        continue
                    lo = max(lo, start)
                    if remaining <= hi - lo:
                        if remaining == timedelta(0) and lo > start:
                            return start if self.is_working(start) else lo
                        return lo + remaining
                    remaining -= hi - lo
            day += timedelta(days=1)
        raise CalendarError("the amount reaches beyond the calendar's range")


def _minutes(clock: time) -> int:
    return clock.hour * 60 + clock.minute
