"""WorkCalendar: statutory working days (holidays, 调休), office hours, working-time sums."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.clock import SH, at
from workflows.calendar import CalendarError, WorkCalendar


def test_the_spring_festival_make_up_saturday_is_a_working_day(cal):
    assert cal.is_workday(date(2026, 2, 14))
    assert cal.add(at(2026, 2, 13, 16), 1, "wd") == at(2026, 2, 14, 16)


def test_the_spring_festival_holiday_is_skipped(cal):
    assert not cal.is_workday(date(2026, 2, 17))
    assert cal.add(at(2026, 2, 13, 16), 2, "wd") == at(2026, 2, 24, 16)


def test_national_day_is_skipped_and_its_make_up_sunday_counts(cal):
    assert cal.is_workday(date(2026, 9, 20))
    assert cal.add(at(2026, 9, 30, 10), 1, "wd") == at(2026, 10, 8, 10)


def test_the_lunch_break_does_not_count(cal):
    assert cal.add(at(2026, 11, 23, 11, 30), 1, "wh") == at(2026, 11, 23, 14, 0)
    assert not cal.is_working(at(2026, 11, 23, 12, 30))


def test_a_start_after_hours_begins_counting_next_working_morning(cal):
    assert cal.add(at(2026, 11, 23, 18, 0), 1, "wh") == at(2026, 11, 24, 10, 0)


def test_a_start_before_hours_begins_counting_at_nine(cal):
    assert cal.add(at(2026, 11, 23, 8, 0), 1, "wh") == at(2026, 11, 23, 10, 0)


def test_a_friday_evening_start_counts_from_monday(cal):
    assert cal.add(at(2026, 11, 20, 17, 0), 1, "wh") == at(2026, 11, 23, 9, 30)


@pytest.mark.parametrize(("moment", "working"), [
    (at(2026, 11, 23, 9, 0), True), (at(2026, 11, 23, 17, 29), True),
    (at(2026, 11, 23, 17, 30), False), (at(2026, 11, 21, 10, 0), False),
])
def test_is_working_follows_office_hours_and_days(cal, moment, working):
    assert cal.is_working(moment) is working


def test_zero_working_time_from_inside_office_hours_is_the_start(cal):
    assert cal.add(at(2026, 11, 23, 10, 0), 0, "wh") == at(2026, 11, 23, 10, 0)


def test_zero_working_time_from_a_night_is_the_next_opening(cal):
    assert cal.add(at(2026, 11, 23, 20, 0), 0, "wh") == at(2026, 11, 24, 9, 0)


def test_natural_units_ignore_the_calendar(cal):
    assert cal.add(at(2026, 2, 17, 23, 0), 90, "min") == at(2026, 2, 18, 0, 30)
    assert cal.add(at(2026, 2, 17, 23, 0), 2, "h") == at(2026, 2, 18, 1, 0)


def test_times_in_another_offset_are_read_in_shanghai(cal):
    utc = datetime(2026, 11, 23, 1, 0, tzinfo=ZoneInfo("UTC"))  # 09:00 in Shanghai
    assert cal.add(utc, 1, "wh") == at(2026, 11, 23, 10, 0)


def test_a_year_the_package_does_not_cover_falls_back_to_weekdays_and_is_reported(cal):
    assert not cal.covers(2027)
    assert cal.is_workday(date(2027, 1, 4))
    assert not cal.is_workday(date(2027, 1, 9))
    assert cal.uncovered_years == {2027}
    assert cal.covers(2026)


def test_region_overrides_win_over_the_statutory_calendar():
    cal = WorkCalendar(overrides={date(2026, 11, 23): False, date(2026, 11, 22): True})
    assert not cal.is_workday(date(2026, 11, 23))
    assert cal.is_workday(date(2026, 11, 22))
    assert cal.add(at(2026, 11, 21, 18), 1, "wh") == at(2026, 11, 22, 10, 0)


def test_an_override_in_an_uncovered_year_is_honoured():
    cal = WorkCalendar(overrides={date(2027, 2, 8): False})
    assert not cal.is_workday(date(2027, 2, 8))


def test_working_time_between_two_moments(cal):
    assert cal.working_between(at(2026, 11, 23, 9), at(2026, 11, 24, 9)) == 7
    assert cal.working_between(at(2026, 11, 23, 9), at(2026, 11, 30, 9), "wd") == 5
    assert cal.working_between(at(2026, 11, 24, 9), at(2026, 11, 23, 9)) == -7


@pytest.mark.parametrize(("amount", "unit"), [(1, "days"), (-1, "wh"), (float("nan"), "wd")])
def test_a_bad_amount_or_unit_is_refused(cal, amount, unit):
    with pytest.raises(CalendarError):
        cal.add(at(2026, 11, 23, 9), amount, unit)


def test_working_time_is_measured_in_working_units_only(cal):
    with pytest.raises(CalendarError):
        cal.working_between(at(2026, 11, 23, 9), at(2026, 11, 24, 9), "h")


def test_a_naive_datetime_is_refused(cal):
    with pytest.raises(CalendarError):
        cal.add(datetime(2026, 11, 23, 9), 1, "wh")


@pytest.mark.parametrize("hours", [(), ((time(12), time(9)),),
                                   ((time(9), time(12)), (time(11), time(14)))])
def test_office_hours_must_make_sense(hours):
    with pytest.raises(CalendarError):
        WorkCalendar(office_hours=hours)


def test_custom_office_hours_set_the_length_of_a_working_day():
    cal = WorkCalendar(office_hours=[(time(8), time(12)), (time(14), time(18))])
    assert cal.day_minutes == 480
    # a full working day from the morning opening ends at that day's close
    assert cal.add(at(2026, 11, 23, 8), 1, "wd") == at(2026, 11, 23, 18)


def test_an_amount_beyond_the_calendar_range_is_refused():
    start = date(2026, 1, 1)
    closed = {start + timedelta(days=i): False for i in range(3 * 366 + 1)}
    with pytest.raises(CalendarError):
        WorkCalendar(overrides=closed).add(at(2026, 1, 1, 9), 1, "wh")


starts = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 11, 30),
                      timezones=st.just(SH))
amounts = st.floats(min_value=0, max_value=200, allow_nan=False)


@settings(max_examples=150, deadline=None)
@given(start=starts, amount=amounts, unit=st.sampled_from(["wh", "wd"]))
def test_working_time_between_a_start_and_start_plus_x_is_x(start, amount, unit):
    cal = WorkCalendar()
    end = cal.add(start, amount, unit)
    assert cal.working_between(start, end, unit) == pytest.approx(amount, abs=1e-6)


@settings(max_examples=100, deadline=None)
@given(start=starts, a=amounts, b=amounts)
def test_adding_more_working_time_never_ends_earlier(start, a, b):
    cal = WorkCalendar()
    small, large = sorted((a, b))
    assert cal.add(start, small, "wh") <= cal.add(start, large, "wh")


def test_working_time_across_years_reads_the_same_whichever_year_is_asked_first():
    later_first, earlier_first = WorkCalendar(), WorkCalendar()
    a, b = at(2025, 12, 31, 17, 0), at(2026, 1, 5, 10, 0)  # 1–3 Jan off, Sunday 4 Jan worked
    later_first.working_minutes(b, b)
    assert later_first.working_minutes(a, b) == earlier_first.working_minutes(a, b) == 30 + 420 + 60
    assert earlier_first.working_minutes(a, at(2027, 1, 4, 9, 30)) > 0


def test_one_calendar_shared_by_threads_gives_every_reader_the_right_working_time():
    """Readers of one cached calendar, each forcing the year tables to grow or be rebuilt
    (an earlier year, a later one), must all see the figures a calendar of their own gives."""
    import sys
    import threading

    spans = [(at(year, 3, 2, 9), at(year, 3, 6, 17, 30)) for year in range(2010, 2027)]
    expected = [WorkCalendar().working_minutes(a, b) for a, b in spans]
    ends = [WorkCalendar().add_working_minutes(a, x) for (a, _), x in zip(spans, expected, strict=True)]
    wrong: list[object] = []
    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        for round_ in range(6):
            shared = WorkCalendar()
            barrier = threading.Barrier(8)

            def read(offset: int, shared: WorkCalendar = shared, barrier=barrier) -> None:
                barrier.wait()
                order = list(range(len(spans)))[offset::2] + list(range(len(spans)))[::-1]
                for i in order:
                    try:
                        got = shared.working_minutes(*spans[i])
                        back = shared.add_working_minutes(spans[i][0], expected[i])
                    except Exception as exc:  # noqa: BLE001 - an IndexError is the defect
                        wrong.append(exc)
                        continue
                    if got != expected[i] or back != ends[i]:
                        wrong.append((spans[i], got, back))

            threads = [threading.Thread(target=read, args=((n + round_) % 2,)) for n in range(8)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
    finally:
        sys.setswitchinterval(switch)
    assert wrong == []
