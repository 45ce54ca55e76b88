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

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from threading import Lock
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
        self._spans = [(_minutes(start), _minutes(end)) for start, end in self.office_hours]
        self._table: _Table | None = None
        self._growing = Lock()

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
        if amount < 0 or amount != amount or amount == float("inf"):
            raise CalendarError("amount must be a non-negative number")
        if unit == "min":
            return start + timedelta(minutes=amount)
        if unit == "h":
            return start + timedelta(hours=amount)
        minutes = amount * 60 if unit == "wh" else amount * self.day_minutes
        return self.add_working_minutes(start, minutes)

    def add_working_minutes(self, start: datetime, minutes: float) -> datetime:
        """The moment `minutes` working minutes after `start`; with 0, the next working moment."""
        local = self._local(start)
        table = self._covering(local.date())
        origin = self._index(table, local)
        target, limit = origin + minutes, local.date() + timedelta(days=MAX_DAYS)
        if target == origin:  # nothing to add (or too little to register in a float)
            return start if self.is_working(start) else self._moment(table, origin, opening=True)
        while table.cum[-1] < target and table.last_day < limit:
            table = self._covering(date(table.last_day.year + 1, 12, 31))
        if table.cum[-1] < target or (
                moment := self._moment(table, target, opening=False)).date() > limit:
            raise CalendarError("the amount reaches beyond the calendar's range")
        return moment

    def working_minutes(self, a: datetime, b: datetime) -> float:
        """Working minutes between two moments (negative when b is before a)."""
        a, b = self._local(a), self._local(b)
        table = self._covering(min(a.date(), b.date()), max(a.date(), b.date()))
        return self._index(table, b) - self._index(table, a)

    def working_between(self, a: datetime, b: datetime, unit: str = "wh") -> float:
        """Working time between two moments in `wh` or `wd`."""
        minutes = self.working_minutes(a, b)
        if unit == "wh":
            return minutes / 60
        if unit == "wd":
            return minutes / self.day_minutes
        raise CalendarError(f"working time is measured in wh or wd, not {unit!r}")

    # --- internals --------------------------------------------------------------------------
    # Working time is read off a table: `cum[i]` is the number of working minutes from the
    # table's first day up to the start of day i. A moment's index is its day's entry plus the
    # office minutes already past that day; adding x working minutes is finding the moment
    # whose index is larger by x (a bisection). The table grows a year at a time, on demand.
    # One calendar is shared by the threads of a process: a table is immutable once built, a
    # larger one is built under a lock and swapped in whole, and each call reads one table.
    def _local(self, moment: datetime) -> datetime:
        if moment.tzinfo is None:
            raise CalendarError("naive datetime: times must carry an offset")
        return moment.astimezone(self.tz)

    def _covering(self, first: date, last: date | None = None) -> _Table:
        """A table that reaches from `first` to `last` (default: `first`), whole years."""
        last = last or first
        table = self._table
        if table is not None and table.first <= first and last <= table.last_day:
            return table
        with self._growing:
            table = self._table  # another thread may have grown it meanwhile
            if table is not None and table.first <= first and last <= table.last_day:
                return table
            start = date(first.year, 1, 1)
            end = date(last.year, 12, 31)
            if table is not None:
                start, end = min(start, table.first), max(end, table.last_day)
            self._table = table = self._build(start, end, reuse=table)
            return table

    def _build(self, first: date, last: date, reuse: _Table | None) -> _Table:
        if reuse is not None and reuse.first == first:  # growing forward keeps the known days
            workdays, cum = list(reuse.workdays), list(reuse.cum)
        else:
            workdays, cum = [], [0.0]
        day = first + timedelta(days=len(workdays))
        while day <= last:
            working = self.is_workday(day)
            workdays.append(working)
            cum.append(cum[-1] + (self.day_minutes if working else 0))
            day += timedelta(days=1)
        return _Table(first, tuple(cum), tuple(workdays))

    def _index(self, table: _Table, local: datetime) -> float:
        i = (local.date() - table.first).days
        index = table.cum[i]
        if table.workdays[i]:
            clock = (local.hour * 60 + local.minute + local.second / 60
                     + local.microsecond / 60_000_000)
            for lo, hi in self._spans:
                if clock <= lo:
                    break
                index += min(clock, hi) - lo
        return index

    def _moment(self, table: _Table, index: float, *, opening: bool) -> datetime:
        """The first moment with this index: at an opening (when counting starts there) or at
        the end of the minute that reaches it (so that 3 h from 09:00 is 12:00, not 13:30)."""
        i = (bisect_right(table.cum, index) if opening else bisect_left(table.cum, index)) - 1
        offset = index - table.cum[i]
        day = table.first + timedelta(days=i)
        for lo, hi in self._spans:
            if offset < hi - lo or (not opening and offset <= hi - lo):
                return datetime(day.year, day.month, day.day, tzinfo=self.tz) + timedelta(
                    minutes=lo + offset)
            offset -= hi - lo
        raise AssertionError("unreachable: a working day holds day_minutes")  # pragma: no cover


@dataclass(frozen=True)
class _Table:
    """Working days from `first`, and the working minutes before each (never changed)."""

    first: date
    cum: tuple[float, ...]
    workdays: tuple[bool, ...]

    @property
    def last_day(self) -> date:
        return self.first + timedelta(days=len(self.workdays) - 1)


def _minutes(clock: time) -> int:
    return clock.hour * 60 + clock.minute
