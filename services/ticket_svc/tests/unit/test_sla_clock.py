"""TKT-5, TKT-8: the SLA clock against hand-computed cases (Asia/Shanghai wall clock)."""
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from platform_kit.workcal import ServiceHours, default_calendar
from ticket_svc.domain.sla import Timer, TimerName, hours_for, same_day_target

SH = ZoneInfo("Asia/Shanghai")
CAL = default_calendar()
OFFICE = ServiceHours()          # Monday-Friday 09:00-18:00 on working days


def at(*args) -> datetime:
    return datetime(*args, tzinfo=SH)


def due(start, target, hours=OFFICE, calendar=CAL):
    timer = Timer(TimerName.FIRST_RESPONSE, target)
    timer.start(start)
    return timer.due_at(calendar, hours).astimezone(SH)


def test_TKT5_a_ticket_opened_friday_1750_with_15_minutes_is_due_monday_0905():
    assert due(at(2026, 11, 20, 17, 50), timedelta(minutes=15)) == at(2026, 11, 23, 9, 5)


def test_TKT5_the_spring_festival_counts_only_its_make_up_saturdays():
    # Fri 13 Feb 2026 17:00 + 4 h: 1 h on Friday, then the make-up Saturday 14 Feb 09:00 + 3 h
    assert due(at(2026, 2, 13, 17, 0), timedelta(hours=4)) == at(2026, 2, 14, 12, 0)
    # Sat 14 Feb 17:30 + 2 h: 30 min on the make-up Saturday, 15-23 Feb off, Tue 24 Feb 09:00 + 1.5 h
    assert due(at(2026, 2, 14, 17, 30), timedelta(hours=2)) == at(2026, 2, 24, 10, 30)


def test_TKT5_waiting_for_the_customer_pauses_the_clock():
    timer = Timer(TimerName.REPLY, timedelta(hours=4))
    timer.start(at(2026, 11, 23, 10, 0))                  # Monday 10:00
    timer.pause(CAL, OFFICE, at(2026, 11, 23, 11, 0))     # 1 h used
    assert timer.due_at(CAL, OFFICE) is None              # paused: nothing can breach
    timer.start(at(2026, 11, 23, 17, 0))                  # resumed: 3 h left, 1 h today
    assert timer.due_at(CAL, OFFICE).astimezone(SH) == at(2026, 11, 24, 11, 0)
    assert timer.elapsed(CAL, OFFICE, at(2026, 11, 23, 17, 30)) == timedelta(hours=1, minutes=30)


def test_TKT2_extended_service_hours_move_the_deadline():
    every_day_8_to_22 = ServiceHours(start=time(8), end=time(22), every_day=True)
    assert due(at(2026, 11, 20, 21, 50), timedelta(minutes=15), every_day_8_to_22) == at(2026, 11, 21, 8, 5)
    # on working days 09:00-21:00: Friday 20:50 + 15 min is Monday 09:05
    longer = ServiceHours(start=time(9), end=time(21))
    assert due(at(2026, 11, 20, 20, 50), timedelta(minutes=15), longer) == at(2026, 11, 23, 9, 5)


def test_TKT8_P0_at_3am_on_a_holiday_runs_7x24():
    hours = hours_for("P0", OFFICE)
    assert due(at(2026, 10, 1, 3, 0), timedelta(minutes=15), hours) == at(2026, 10, 1, 3, 15)
    assert due(at(2026, 10, 1, 3, 0), timedelta(hours=4), hours) == at(2026, 10, 1, 7, 0)


def test_TKT8_P2_and_P3_run_on_the_providers_hours():
    assert hours_for("P2", OFFICE) is OFFICE and hours_for("P3", OFFICE) is OFFICE
    assert hours_for("P1", OFFICE) == ServiceHours.always()


def test_TKT5_a_calendar_change_moves_a_running_deadline():
    from platform_kit.workcal import CalendarDay, DayKind
    start = at(2026, 11, 20, 17, 50)
    monday_off = CAL.with_overrides(CalendarDay(at(2026, 11, 23, 0, 0).date(), DayKind.HOLIDAY, "storm"))
    assert due(start, timedelta(minutes=15), calendar=monday_off) == at(2026, 11, 24, 9, 5)


def test_TKT5_the_warning_comes_at_eighty_percent_of_the_target():
    timer = Timer(TimerName.FIRST_RESPONSE, timedelta(minutes=15))
    timer.start(at(2026, 11, 23, 10, 0))
    assert timer.warn_at(CAL, OFFICE).astimezone(SH) == at(2026, 11, 23, 10, 12)


def test_TKT5_a_met_timer_has_no_deadline_and_reports_the_service_time_it_took():
    timer = Timer(TimerName.FIRST_RESPONSE, timedelta(minutes=15))
    timer.start(at(2026, 11, 20, 17, 50))
    took = timer.meet(CAL, OFFICE, at(2026, 11, 23, 9, 2))
    assert took == timedelta(minutes=12)
    assert timer.due_at(CAL, OFFICE) is None


def test_TKT4_business_stopping_wants_a_same_day_resolution():
    assert same_day_target(CAL, OFFICE, at(2026, 11, 23, 15, 0)) == timedelta(hours=3)
    # opened after hours: the whole next service day
    assert same_day_target(CAL, OFFICE, at(2026, 11, 20, 19, 0)) == timedelta(hours=9)
    assert datetime(2026, 1, 1, tzinfo=UTC)  # aware times only


def test_TKT4_a_P0_server_down_at_2350_is_not_due_at_midnight_but_by_the_end_of_the_next_day():
    always = hours_for("P0", OFFICE)
    opened = at(2026, 11, 23, 23, 50)
    target = same_day_target(CAL, always, opened, timedelta(minutes=15))
    assert opened + target == at(2026, 11, 25, 0, 0)


def test_TKT4_a_same_day_target_at_1755_is_not_five_minutes_but_runs_to_the_next_service_days_close():
    target = same_day_target(CAL, OFFICE, at(2026, 11, 23, 17, 55))
    assert target == timedelta(hours=9, minutes=5)          # Monday's 5 minutes and all of Tuesday
    timer = Timer(TimerName.SAME_DAY, target)
    timer.start(at(2026, 11, 23, 17, 55))
    assert timer.due_at(CAL, OFFICE).astimezone(SH) == at(2026, 11, 24, 18, 0)


def test_TKT4_a_same_day_target_always_leaves_working_time_after_the_first_response():
    # opened 16:30: the first response is due 16:45 and 1 h 15 min is left: too little, tomorrow's close
    assert same_day_target(CAL, OFFICE, at(2026, 11, 23, 16, 30)) == timedelta(hours=10, minutes=30)
    # opened 15:30 with a 1-hour response target (P1 on office hours would not apply; a P2's is 2 h)
    assert same_day_target(CAL, OFFICE, at(2026, 11, 23, 15, 30), timedelta(hours=2)) == timedelta(hours=11, minutes=30)
    assert same_day_target(CAL, OFFICE, at(2026, 11, 23, 13, 0), timedelta(hours=2)) == timedelta(hours=5)
