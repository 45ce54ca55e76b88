"""Moments in Shanghai time for tests: `at(2026, 11, 23, 10)`."""

import os
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


def from_now(**delta: float) -> datetime:
    """An instant relative to the test's clock (real, moved by time-machine or by faketime).
    Never write a literal for "some time ahead" or "some time ago": it expires."""
    return datetime.now(SH) + timedelta(**delta)


def iso_from_now(**delta: float) -> str:
    """`from_now` as the API takes it: ISO-8601 with the Shanghai offset."""
    return from_now(**delta).isoformat(timespec="seconds")


_FAKETIME_VARS = ("LD_PRELOAD", "FAKETIME", "FAKETIME_NO_CACHE", "DONT_FAKE_MONOTONIC")


def child_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for a child process a test starts, on the test's own clock.

    Under libfaketime with a start-at time (`faketime -f '@2027-03-15 10:00:00' make test`),
    every process's clock starts anew at that instant: a worker started minutes into the run
    would live minutes in our past (its claims never due, our tokens issued in its future).
    Rebase the child's start to our current (moved) time."""
    env = dict(os.environ if base is None else base)
    if env.get("FAKETIME", "").startswith("@"):
        env["FAKETIME"] = "@" + datetime.now().strftime("%Y-%m-%d %H:%M:%S")
    return env


def clock_free_env() -> dict[str, str]:
    """This process's environment without libfaketime, for programs that cannot start under it
    (redis-server: a jemalloc clash). Redis keeps real time; nothing we test reads its clock."""
    return clock_free(dict(os.environ))


def clock_free(env: dict[str, str]) -> dict[str, str]:
    """`env` without libfaketime: for a child process that must shut down cleanly when the test
    stops it (under libfaketime its timed waits at exit — pymongo's monitors, thread joins —
    never return) and whose clock the test does not rely on."""
    return {k: v for k, v in env.items() if k not in _FAKETIME_VARS}
