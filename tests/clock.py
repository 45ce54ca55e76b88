"""Moments in Shanghai time for tests: `at(2026, 11, 23, 10)`."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

SH = ZoneInfo("Asia/Shanghai")


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=SH)


def naive_add_working_minutes(start: datetime, minutes: int) -> datetime:
    """A deliberately simple reference: step minute by minute through the statutory calendar
    (chinese_calendar) and the default office hours until `minutes` working minutes passed."""
    import chinese_calendar

    def working(moment: datetime) -> bool:
        clock = moment.hour * 60 + moment.minute
        return chinese_calendar.is_workday(moment.date()) and (
            9 * 60 <= clock < 12 * 60 or 13 * 60 + 30 <= clock < 17 * 60 + 30)

    moment, counted = start.astimezone(SH).replace(second=0, microsecond=0), 0
    while counted < minutes:
        if working(moment):
            counted += 1
        moment += timedelta(minutes=1)
    return moment
