"""The working calendar (ORG-6) and the timers built on it (PRJ-4, TKT-2, TKT-5, TKT-6, TKT-8).

Expected days come from ``chinese_calendar`` itself where a test is about statutory data,
so that the tests prove the calendar reads the package faithfully rather than restating it.
"""

import time as wallclock
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest

from platform_kit.workcal import (
    CalendarDay,
    DayKind,
    ServiceHours,
    WorkCalendar,
    default_calendar,
    festival_days,
    parse_working_days,
    statutory_days,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
UTC = UTC
OFFICE = ServiceHours()  # Monday-Friday 09:00-18:00 on working days (TKT-2)


def sh(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """An instant given on the Shanghai wall clock."""
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    return default_calendar()


def no_data(year: int) -> None:
    return None


# ---- statutory data (ORG-6) -------------------------------------------------------------


def test_ORG6_spring_festival_2026_holidays_are_the_packages_days(
    cal: WorkCalendar,
) -> None:
    expected = sorted(
        d
        for d, name in chinese_calendar.holidays.items()
        if d.year == 2026 and name == "Spring Festival"
    )
    assert expected == [date(2026, 2, day) for day in range(15, 24)]
    for d in expected:
        entry = cal.day_kind(d)
        assert entry == CalendarDay(d, DayKind.HOLIDAY, "Spring Festival")
        assert not cal.is_working_day(d)


def test_ORG6_spring_festival_2026_makeup_saturdays_are_working_days(
    cal: WorkCalendar,
) -> None:
    makeup = sorted(
        d
        for d, name in chinese_calendar.workdays.items()
        if d.year == 2026 and name == "Spring Festival"
    )
    assert makeup == [date(2026, 2, 14), date(2026, 2, 28)]
    for d in makeup:
        assert d.weekday() == 5
        assert cal.day_kind(d) == CalendarDay(
            d, DayKind.MAKEUP_WORKDAY, "Spring Festival"
        )
        assert cal.is_working_day(d)


def test_ORG6_new_year_2026_makeup_sunday_is_a_working_day(cal: WorkCalendar) -> None:
    assert date(2026, 1, 4).weekday() == 6
    assert cal.day_kind(date(2026, 1, 4)).kind is DayKind.MAKEUP_WORKDAY
    assert cal.is_working_day(date(2026, 1, 4))


def test_ORG6_plain_days_follow_the_weekday_rule(cal: WorkCalendar) -> None:
    assert cal.day_kind(date(2026, 3, 7)) == CalendarDay(
        date(2026, 3, 7), DayKind.WEEKEND
    )
    assert cal.day_kind(date(2026, 3, 9)) == CalendarDay(
        date(2026, 3, 9), DayKind.WORKDAY
    )


@pytest.mark.parametrize("year", [2004, 2019, 2020, 2025, 2026])
def test_ORG6_every_day_agrees_with_chinese_calendar(
    cal: WorkCalendar, year: int
) -> None:
    day = date(year, 1, 1)
    while day.year == year:
        assert cal.is_working_day(day) == chinese_calendar.is_workday(day), day
        day += timedelta(days=1)


def test_ORG6_statutory_days_lists_holidays_and_makeup_days_in_order() -> None:
    days = statutory_days(2026)
    assert days is not None
    assert [d.day for d in days] == sorted(d.day for d in days)
    holidays = {d.day for d in days if d.kind is DayKind.HOLIDAY}
    makeup = {d.day for d in days if d.kind is DayKind.MAKEUP_WORKDAY}
    assert holidays == {d for d in chinese_calendar.holidays if d.year == 2026}
    assert makeup == {d for d in chinese_calendar.workdays if d.year == 2026}
    assert all(d.name for d in days)


@pytest.mark.parametrize("year", [2003, 2031, 2100])
def test_ORG6_statutory_days_is_none_for_years_the_package_does_not_cover(
    year: int,
) -> None:
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(year, 6, 1))
    assert statutory_days(year) is None


# ---- years without data ------------------------------------------------------------------


def test_ORG6_year_without_data_keeps_the_festivals_the_law_fixes_and_says_so(
    cal: WorkCalendar,
) -> None:
    assert cal.covers(2026)
    assert cal.coverage_note(2026) is None
    assert not cal.covers(2031)
    assert cal.coverage_note(2031) == (
        "No statutory holiday data for 2031: the festivals the law fixes count as days off, "
        "but the make-up working days and bridged holidays are not known yet."
    )
    new_year = cal.day_kind(date(2031, 1, 1))  # a Wednesday
    assert new_year.kind is DayKind.HOLIDAY and new_year.name == "New Year's Day"
    assert cal.day_kind(date(2031, 1, 4)).kind is DayKind.WEEKEND
    assert cal.add_working_days(sh(2030, 12, 31, 10), 1) == sh(2031, 1, 2, 10)


def test_ORG6_an_18_working_day_timeout_from_2026_12_08_does_not_end_on_new_years_day_2027(
    cal: WorkCalendar,
) -> None:
    assert not cal.covers(2027)  # the pinned package stops at 2026
    assert cal.add_working_days(sh(2026, 12, 8, 10), 18) == sh(2027, 1, 4, 10)


@pytest.mark.parametrize("year", [2025, 2026])
def test_ORG6_the_festival_rule_agrees_with_the_announced_holidays_of_covered_years(year: int) -> None:
    """Every festival day the rule computes is a holiday in the State Council's schedule."""
    announced = {d.day for d in statutory_days(year) if d.kind is DayKind.HOLIDAY}
    computed = festival_days(year)
    assert len(computed) == 13
    assert {d.day for d in computed} <= announced


def test_ORG6_the_festivals_of_2027_from_the_lunar_calendar() -> None:
    days = {d.day: d.name for d in festival_days(2027)}
    assert days[date(2027, 2, 5)] == days[date(2027, 2, 8)] == "Spring Festival"  # eve .. third day
    assert days[date(2027, 4, 5)] == "Tomb-sweeping Day"
    assert days[date(2027, 6, 9)] == "Dragon Boat Festival"
    assert days[date(2027, 9, 15)] == "Mid-autumn Festival"
    assert {date(2027, 5, 1), date(2027, 5, 2), date(2027, 10, 3)} <= set(days)


def test_ORG6_coverage_note_mentions_days_the_operator_entered_for_an_uncovered_year() -> (
    None
):
    cal = default_calendar(
        [CalendarDay(date(2031, 1, 2), DayKind.HOLIDAY, "New Year's Day")]
    )
    assert not cal.covers(2031)
    assert cal.coverage_note(2031) == (
        "No statutory holiday data for 2031: the festivals the law fixes count as days off, "
        "but the make-up working days and bridged holidays are not known yet, "
        "apart from 1 day set by the platform operator."
    )
    assert not cal.is_working_day(date(2031, 1, 2))
    assert cal.add_working_days(sh(2030, 12, 31, 10), 1) == sh(2031, 1, 3, 10)


def test_ORG6_a_calendar_without_any_source_is_plain_weekends() -> None:
    cal = WorkCalendar(no_data)
    assert not cal.covers(2026)
    assert cal.is_working_day(date(2026, 2, 16))  # Spring Festival is unknown to it
    assert not cal.is_working_day(date(2026, 2, 14))  # and so is the make-up Saturday


# ---- operator overrides ------------------------------------------------------------------


def test_ORG6_operator_makes_a_working_day_a_holiday(cal: WorkCalendar) -> None:
    monday = date(2026, 3, 9)
    edited = cal.with_overrides(
        CalendarDay(monday, DayKind.HOLIDAY, "Platform anniversary")
    )
    assert not edited.is_working_day(monday)
    assert edited.day_kind(monday).name == "Platform anniversary"
    assert edited.add_working_days(sh(2026, 3, 6, 10), 1) == sh(2026, 3, 10, 10)
    assert cal.is_working_day(monday), "the original calendar must not change"


def test_ORG6_operator_changes_and_removes_an_override(cal: WorkCalendar) -> None:
    monday = date(2026, 3, 9)
    edited = cal.with_overrides(CalendarDay(monday, DayKind.HOLIDAY, "Anniversary"))
    renamed = edited.with_overrides(
        CalendarDay(monday, DayKind.HOLIDAY, "Founders' day")
    )
    assert renamed.day_kind(monday).name == "Founders' day"
    assert len(renamed.overrides) == 1
    restored = renamed.without_overrides(monday)
    assert restored.is_working_day(monday)
    assert restored.overrides == {}
    assert restored.without_overrides(monday).overrides == {}, (
        "deleting twice is harmless"
    )


def test_ORG6_operator_overrides_statutory_days_both_ways(cal: WorkCalendar) -> None:
    last_festival_day = date(2026, 2, 23)
    makeup_saturday = date(2026, 2, 28)
    edited = cal.with_overrides(
        CalendarDay(last_festival_day, DayKind.WORKDAY),
        CalendarDay(makeup_saturday, DayKind.WEEKEND),
    )
    assert edited.is_working_day(last_festival_day)
    assert not edited.is_working_day(makeup_saturday)
    assert edited.without_overrides(last_festival_day, makeup_saturday).day_kind(
        last_festival_day
    ).kind is (DayKind.HOLIDAY)


def test_ORG6_overrides_can_be_given_as_a_mapping_and_by_kind_value() -> None:
    monday = date(2026, 3, 9)
    cal = default_calendar({monday: CalendarDay(monday, "holiday", "Stored as text")})  # type: ignore[arg-type]
    assert cal.day_kind(monday).kind is DayKind.HOLIDAY


def test_ORG6_override_mapping_key_must_match_its_day() -> None:
    with pytest.raises(
        ValueError, match="stored under 2026-03-09 describes 2026-03-10"
    ):
        default_calendar(
            {date(2026, 3, 9): CalendarDay(date(2026, 3, 10), DayKind.HOLIDAY)}
        )


@pytest.mark.parametrize(
    ("day", "kind", "message"),
    [
        (
            date(2026, 3, 9),
            DayKind.WEEKEND,
            "is a Monday, so it cannot be a weekend day",
        ),
        (
            date(2026, 3, 9),
            DayKind.MAKEUP_WORKDAY,
            "only a Saturday or Sunday can be a make-up",
        ),
        (
            date(2026, 3, 7),
            DayKind.WORKDAY,
            "is a Saturday: a weekend day made a working day",
        ),
        (date(2026, 3, 7), "day off", "unknown day kind 'day off'"),
    ],
)
def test_ORG6_operator_entries_that_contradict_the_weekday_are_rejected(
    day: date, kind: DayKind, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        CalendarDay(day, kind)


# ---- working days (PRJ-4, TPL-4, TKT-6) --------------------------------------------------


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        (sh(2026, 1, 30, 10), 1, sh(2026, 2, 2, 10)),  # Friday -> Monday, same time
        (sh(2026, 1, 30, 10), 0, sh(2026, 1, 30, 10)),
        (sh(2026, 1, 30, 10), "0.5", sh(2026, 1, 30, 22)),
        (sh(2026, 1, 30, 10), Decimal("1.5"), sh(2026, 2, 2, 22)),
        (sh(2026, 1, 30, 20), 0.5, sh(2026, 2, 2, 8)),  # 4 h on Friday, 8 h on Monday
        (sh(2026, 1, 30, 10), "1.50", sh(2026, 2, 2, 22)),
        (
            sh(2026, 1, 30, 0),
            1,
            sh(2026, 1, 31, 0),
        ),  # due when Friday ends, not on Monday
        (
            sh(2026, 1, 31, 15),
            1,
            sh(2026, 2, 3, 0),
        ),  # Saturday start counts from Monday 00:00
        (sh(2026, 1, 31, 15), "0.5", sh(2026, 2, 2, 12)),
        (sh(2026, 1, 31, 15), 0, sh(2026, 1, 31, 15)),
    ],
)
def test_PRJ4_add_working_days_counts_only_working_dates(
    cal: WorkCalendar, start: datetime, days: object, due: datetime
) -> None:
    assert cal.add_working_days(start, days) == due  # type: ignore[arg-type]


def test_ORG6_two_working_days_across_spring_festival_use_the_makeup_saturdays(
    cal: WorkCalendar,
) -> None:
    # Friday 13 Feb -> Saturday 14 Feb (make-up) -> 15..23 Feb off -> Tuesday 24 Feb.
    assert cal.add_working_days(sh(2026, 2, 13, 15), 1) == sh(2026, 2, 14, 15)
    assert cal.add_working_days(sh(2026, 2, 13, 15), 2) == sh(2026, 2, 24, 15)
    assert cal.add_working_days(sh(2026, 2, 14, 18), "1.5") == sh(2026, 2, 25, 6)


def test_TKT6_seven_working_days_without_feedback_across_spring_festival(
    cal: WorkCalendar,
) -> None:
    # 14 Feb (Sat, make-up), 24, 25, 26, 27, 28 (Sat, make-up), 2 Mar.
    assert cal.add_working_days(sh(2026, 2, 13, 15), 7) == sh(2026, 3, 2, 15)


def test_ORG6_year_boundary_skips_new_years_day(cal: WorkCalendar) -> None:
    assert cal.add_working_days(sh(2019, 12, 31, 10), 1) == sh(2020, 1, 2, 10)


def test_ORG6_year_boundary_2026_lands_on_the_makeup_sunday(cal: WorkCalendar) -> None:
    # 1-3 Jan 2026 are off, Sunday 4 Jan is a make-up working day.
    assert cal.add_working_days(sh(2025, 12, 31, 10), 1) == sh(2026, 1, 4, 10)
    assert cal.add_working_days(sh(2025, 12, 31, 10), 2) == sh(2026, 1, 5, 10)


def test_PRJ4_results_are_utc(cal: WorkCalendar) -> None:
    due = cal.add_working_days(sh(2026, 1, 30, 10), 1)
    assert due.tzinfo == UTC
    assert due == datetime(2026, 2, 2, 2, 0, tzinfo=UTC)


def test_ORG6_utc_instant_that_is_already_saturday_in_shanghai(
    cal: WorkCalendar,
) -> None:
    start = datetime(2026, 1, 30, 17, 0, tzinfo=UTC)  # Saturday 01:00 in Shanghai
    assert cal.local_date(start) == date(2026, 1, 31)
    assert not cal.is_working_day(cal.local_date(start))
    assert cal.add_working_days(start, 1) == datetime(
        2026, 2, 2, 16, 0, tzinfo=UTC
    )  # Tue 00:00 Shanghai


def test_ORG6_utc_instant_that_is_already_monday_in_shanghai(cal: WorkCalendar) -> None:
    start = datetime(
        2026, 2, 1, 16, 30, tzinfo=UTC
    )  # Sunday in UTC, Monday 00:30 in Shanghai
    assert cal.add_working_days(start, "0.5") == sh(2026, 2, 2, 12, 30)


def test_ORG6_the_callers_zone_does_not_change_the_result(cal: WorkCalendar) -> None:
    in_new_york = sh(2026, 1, 30, 10).astimezone(ZoneInfo("America/New_York"))
    assert cal.add_working_days(in_new_york, 1) == sh(2026, 1, 30, 10) + timedelta(
        days=3
    )


def test_ORG6_a_calendar_in_another_zone_counts_that_zones_days() -> None:
    berlin = WorkCalendar(no_data, tz="Europe/Berlin")
    start = datetime(2026, 1, 30, 23, 30, tzinfo=UTC)  # Saturday 00:30 in Berlin
    assert berlin.add_working_days(start, 1) == datetime(2026, 2, 2, 23, 0, tzinfo=UTC)


def test_ORG6_daylight_saving_keeps_the_wall_clock_time() -> None:
    # Berlin moves its clocks on Sunday 29 March 2026; a working day still ends at 10:00.
    berlin = WorkCalendar(no_data, tz="Europe/Berlin")
    start = datetime(2026, 3, 27, 10, tzinfo=ZoneInfo("Europe/Berlin"))
    due = berlin.add_working_days(start, 1)
    assert due == datetime(2026, 3, 30, 10, tzinfo=ZoneInfo("Europe/Berlin"))
    assert berlin.working_time_between(start, due) == timedelta(days=1)


def test_PRJ4_two_thousand_working_days_are_fast_and_exact() -> None:
    cal = default_calendar()
    began = wallclock.perf_counter()
    start = sh(2026, 1, 30, 10)
    due = cal.add_working_days(start, 2000)
    elapsed = wallclock.perf_counter() - began
    assert elapsed < 1.0
    assert cal.working_time_between(start, due) == timedelta(days=2000)


def test_PRJ4_a_year_of_working_time_is_fast_and_matches_the_package() -> None:
    cal = default_calendar()
    began = wallclock.perf_counter()
    total = cal.working_time_between(sh(2026, 1, 1), sh(2027, 1, 1))
    office = cal.working_time_between(sh(2026, 1, 1), sh(2027, 1, 1), hours=OFFICE)
    elapsed = wallclock.perf_counter() - began
    assert elapsed < 1.0
    workdays = len(chinese_calendar.get_workdays(date(2026, 1, 1), date(2026, 12, 31)))
    assert total == timedelta(days=workdays)
    assert office == workdays * timedelta(hours=9)


# ---- working time between two instants ---------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (sh(2026, 1, 30, 10), sh(2026, 1, 30, 16), timedelta(hours=6)),
        (sh(2026, 1, 30, 10), sh(2026, 2, 2, 10), timedelta(days=1)),
        (sh(2026, 1, 31, 10), sh(2026, 2, 1, 23), timedelta(0)),  # a whole weekend
        (sh(2026, 2, 13, 0), sh(2026, 3, 2, 0), timedelta(days=7)),  # 13, 14, 24-28 Feb
        (sh(2026, 1, 30, 16), sh(2026, 1, 30, 10), timedelta(0)),  # end before start
    ],
)
def test_PRJ4_working_time_between_skips_non_working_time(
    cal: WorkCalendar, start: datetime, end: datetime, expected: timedelta
) -> None:
    assert cal.working_time_between(start, end) == expected


@pytest.mark.parametrize("days", ["0.5", 1, "1.5", 2, "6.5", 7, 30, "250.5"])
@pytest.mark.parametrize(
    "start",
    [
        sh(2026, 1, 30, 10),
        sh(2026, 1, 31, 15),
        sh(2026, 2, 13, 20),
        sh(2025, 12, 31, 23, 59),
    ],
)
def test_PRJ4_working_time_between_is_the_inverse_of_add_working_days(
    cal: WorkCalendar, start: datetime, days: object
) -> None:
    due = cal.add_working_days(start, days)  # type: ignore[arg-type]
    assert cal.working_time_between(start, due) == timedelta(
        days=float(Decimal(str(days)))
    )


# ---- service hours (TKT-2, TKT-5, TKT-8) -------------------------------------------------


def test_TKT2_service_hour_from_friday_1730_ends_monday_0930(cal: WorkCalendar) -> None:
    assert cal.add_service_time(
        sh(2026, 3, 6, 17, 30), timedelta(hours=1), OFFICE
    ) == sh(2026, 3, 9, 9, 30)


def test_TKT2_service_hour_skips_a_holiday_monday(cal: WorkCalendar) -> None:
    # 4-6 April 2026 (Saturday to Monday) are Tomb-sweeping days off.
    assert not cal.is_working_day(date(2026, 4, 6))
    assert cal.add_service_time(
        sh(2026, 4, 3, 17, 30), timedelta(hours=1), OFFICE
    ) == sh(2026, 4, 7, 9, 30)


def test_TKT2_service_hour_continues_on_a_makeup_saturday(cal: WorkCalendar) -> None:
    assert cal.add_service_time(
        sh(2026, 2, 13, 17, 30), timedelta(hours=1), OFFICE
    ) == sh(2026, 2, 14, 9, 30)


def test_TKT2_weekday_hours_ignore_holidays_and_makeup_days_when_asked(
    cal: WorkCalendar,
) -> None:
    weekdays = ServiceHours(working_days_only=False)
    assert cal.add_service_time(
        sh(2026, 4, 3, 17, 30), timedelta(hours=1), weekdays
    ) == sh(2026, 4, 6, 9, 30)
    assert cal.add_service_time(
        sh(2026, 2, 13, 17, 30), timedelta(hours=1), weekdays
    ) == sh(2026, 2, 16, 9, 30)


@pytest.mark.parametrize(
    ("start", "duration", "due"),
    [
        (
            sh(2026, 3, 9, 10),
            timedelta(minutes=15),
            sh(2026, 3, 9, 10, 15),
        ),  # first response
        (
            sh(2026, 3, 9, 7),
            timedelta(minutes=15),
            sh(2026, 3, 9, 9, 15),
        ),  # before opening
        (
            sh(2026, 3, 9, 20),
            timedelta(minutes=30),
            sh(2026, 3, 10, 9, 30),
        ),  # after closing
        (
            sh(2026, 3, 7, 12),
            timedelta(minutes=15),
            sh(2026, 3, 9, 9, 15),
        ),  # Saturday ticket
        (
            sh(2026, 3, 9, 17),
            timedelta(hours=1),
            sh(2026, 3, 9, 18),
        ),  # due at closing time
        (
            sh(2026, 3, 9, 15),
            timedelta(hours=4),
            sh(2026, 3, 10, 10),
        ),  # 4 service hours (TKT-5)
        (
            sh(2026, 3, 6, 9),
            timedelta(hours=18),
            sh(2026, 3, 9, 18),
        ),  # two whole windows
        (sh(2026, 3, 9, 10), timedelta(0), sh(2026, 3, 9, 10)),
    ],
)
def test_TKT5_service_level_deadlines_count_service_hours_only(
    cal: WorkCalendar, start: datetime, duration: timedelta, due: datetime
) -> None:
    assert cal.add_service_time(start, duration, OFFICE) == due


def test_TKT8_p0_seven_by_twenty_four_runs_through_weekends_and_holidays(
    cal: WorkCalendar,
) -> None:
    always = ServiceHours.always()
    assert always.length == timedelta(hours=24)
    assert cal.add_service_time(
        sh(2026, 2, 15, 23, 50), timedelta(minutes=15), always
    ) == sh(2026, 2, 16, 0, 5)
    assert cal.add_service_time(sh(2026, 2, 15, 22), timedelta(hours=4), always) == sh(
        2026, 2, 16, 2
    )
    assert cal.working_time_between(
        sh(2026, 2, 14), sh(2026, 2, 24), hours=always
    ) == timedelta(days=10)


def test_TKT8_seven_day_coverage_with_daytime_hours(cal: WorkCalendar) -> None:
    daily = ServiceHours(time(8), time(20), every_day=True)
    assert cal.add_service_time(sh(2026, 2, 15, 19), timedelta(hours=2), daily) == sh(
        2026, 2, 16, 9
    )


def test_TKT5_service_time_between_counts_only_open_windows(cal: WorkCalendar) -> None:
    # Friday 17:30 -> Monday 09:30 is one service hour.
    assert cal.working_time_between(
        sh(2026, 3, 6, 17, 30), sh(2026, 3, 9, 9, 30), hours=OFFICE
    ) == timedelta(hours=1)
    # Nothing of a holiday week counts.
    assert cal.working_time_between(
        sh(2026, 2, 15), sh(2026, 2, 24), hours=OFFICE
    ) == timedelta(0)


@pytest.mark.parametrize(
    "hours",
    [
        OFFICE,
        ServiceHours(working_days_only=False),
        ServiceHours.always(),
        ServiceHours(time(8), time(0)),
    ],
)
@pytest.mark.parametrize(
    "duration",
    [timedelta(minutes=15), timedelta(hours=4), timedelta(hours=9), timedelta(days=9)],
)
@pytest.mark.parametrize(
    "start", [sh(2026, 2, 13, 17, 30), sh(2026, 4, 4, 11), sh(2026, 3, 9, 8, 59)]
)
def test_TKT5_service_time_between_is_the_inverse_of_add_service_time(
    cal: WorkCalendar, start: datetime, duration: timedelta, hours: ServiceHours
) -> None:
    due = cal.add_service_time(start, duration, hours)
    assert cal.working_time_between(start, due, hours=hours) == duration
    if duration > timedelta(minutes=1):
        assert (
            cal.working_time_between(start, due - timedelta(minutes=1), hours=hours)
            < duration
        )


def test_TKT2_service_hours_must_start_before_they_end() -> None:
    with pytest.raises(
        ValueError, match="must start before they end, got 18:00:00-09:00:00"
    ):
        ServiceHours(time(18), time(9))
    with pytest.raises(ValueError, match="must start before they end"):
        ServiceHours(time(9), time(9))
    assert ServiceHours(time(9), time(0)).closes == timedelta(hours=24)


# ---- bad input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "message"),
    [
        ("1.25", "at most one decimal"),
        (1.25, "at most one decimal"),
        (Decimal("0.05"), "at most one decimal"),
        (-1, "must not be negative"),
        ("-0.5", "must not be negative"),
        ("abc", "must be a number like 2 or 1.5"),
        (float("nan"), "finite"),
        ("Infinity", "finite"),
    ],
)
def test_TPL4_working_days_reject_bad_amounts(
    cal: WorkCalendar, days: object, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        cal.add_working_days(sh(2026, 1, 30, 10), days)  # type: ignore[arg-type]


@pytest.mark.parametrize("days", [True, None, [1]])
def test_TPL4_working_days_must_be_numbers(days: object) -> None:
    with pytest.raises(TypeError, match="days must be a number"):
        parse_working_days(days)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "parsed"), [(2, "2.0"), ("1.5", "1.5"), (" 1.50 ", "1.5"), (0.5, "0.5")]
)
def test_TPL4_working_days_accept_one_decimal(value: object, parsed: str) -> None:
    assert parse_working_days(value) == Decimal(parsed)  # type: ignore[arg-type]


def test_ORG6_naive_datetimes_are_rejected(cal: WorkCalendar) -> None:
    naive = datetime(2026, 1, 30, 10)
    with pytest.raises(ValueError, match="start must be timezone-aware"):
        cal.add_working_days(naive, 1)
    with pytest.raises(ValueError, match="end must be timezone-aware"):
        cal.working_time_between(sh(2026, 1, 30), naive)
    with pytest.raises(ValueError, match="start must be timezone-aware"):
        cal.add_service_time(naive, timedelta(minutes=15), OFFICE)


def test_TKT5_negative_service_time_is_rejected(cal: WorkCalendar) -> None:
    with pytest.raises(ValueError, match="duration must not be negative"):
        cal.add_service_time(sh(2026, 3, 9, 10), timedelta(minutes=-1), OFFICE)


def test_ORG6_days_are_asked_with_dates_not_datetimes(cal: WorkCalendar) -> None:
    with pytest.raises(TypeError, match="use WorkCalendar.local_date"):
        cal.is_working_day(sh(2026, 3, 9, 10))


def test_ORG6_a_known_wrong_day_of_the_shipped_data_is_corrected_2005_12_31_was_a_makeup_working_day():
    from platform_kit import workcal

    calendar = workcal.default_calendar()
    assert calendar.is_working_day(date(2005, 12, 31))
    assert any(d.day == date(2005, 12, 31) and d.kind == workcal.DayKind.MAKEUP_WORKDAY
               for d in workcal.statutory_days(2005))
