"""Service-level timers of a ticket, counted in service hours (TKT-2, TKT-5, TKT-8). Pure Python.

A timer is a target amount of *service time* and what has been used of it. While it runs,
``running_since`` is set; a pause (waiting for the customer) folds the time used so far into
``used`` and clears it. The due instant is never stored as the truth: it is recomputed from
(``running_since``, ``used``, the calendar, the service hours) whenever one of them changes,
which is what lets a calendar edit or new service hours move every deadline correctly.

The seed's targets (seed 001, section 8): first response within 15 minutes, a reply with a
plan within 30 minutes, never more than 4 service hours without answering a customer message.
The professional-service tiers (seed 003, 3.1) add response and resolution targets, P0 and P1
counted 7x24 and P2 and P3 in the provider's service hours on working days.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from platform_kit.workcal import ServiceHours, WorkCalendar

# a warning goes out when this share of a target is used (TKT-5: "a warning before a breach")
WARN_AT = 0.8


class TimerName(StrEnum):
    FIRST_RESPONSE = "first_response"
    PLAN = "plan"
    REPLY = "reply"
    RESOLUTION = "resolution"
    SAME_DAY = "same_day"


@dataclass(frozen=True)
class Tier:
    """A professional-service severity tier (TKT-8, seed 003)."""

    code: str
    response: timedelta
    resolution: timedelta | None
    round_the_clock: bool


TIERS: dict[str, Tier] = {
    "P0": Tier("P0", timedelta(minutes=15), timedelta(hours=4), True),
    "P1": Tier("P1", timedelta(hours=1), timedelta(hours=8), True),
    "P2": Tier("P2", timedelta(hours=2), timedelta(hours=24), False),
    "P3": Tier("P3", timedelta(hours=4), None, False),
}

FIRST_RESPONSE = timedelta(minutes=15)
PLAN = timedelta(minutes=30)
REPLY = timedelta(hours=4)


def hours_for(tier: str | None, provider_hours: ServiceHours) -> ServiceHours:
    """Which clock a ticket's timers run on: 7x24 for P0/P1, otherwise the provider's hours."""
    if tier is not None and TIERS[tier].round_the_clock:
        return ServiceHours.always()
    return provider_hours


# a same-day target leaves at least this much service time after the first response is due:
# less is no day to solve a stopped business in, and the target runs to the next service day's close
SAME_DAY_WORK = timedelta(hours=2)


def _close_of(calendar: WorkCalendar, hours: ServiceHours, moment: datetime) -> datetime:
    """The close of the service day ``moment`` falls in (the next one when it falls outside)."""
    effective = calendar.add_service_time(moment, timedelta(microseconds=1), hours) - timedelta(microseconds=1)
    local = effective.astimezone(calendar.tz)
    midnight = datetime.combine(local.date(), datetime.min.time(), tzinfo=calendar.tz)
    return (midnight + hours.closes).astimezone(UTC)


def same_day_target(calendar: WorkCalendar, hours: ServiceHours, opened_at: datetime,
                    response: timedelta = FIRST_RESPONSE) -> timedelta:
    """Business-stopping tickets want a same-day resolution (TKT-4): the service time to the close
    of the service day in which the first response is due, when at least ``SAME_DAY_WORK`` of it
    is left after that response; otherwise to the close of the next service day.

    So a ticket opened late (17:55 on office hours, 23:50 on a 7x24 clock) is not due minutes
    later, before the provider even owes a first response."""
    respond_by = calendar.add_service_time(opened_at, response, hours)
    close = _close_of(calendar, hours, respond_by)
    if calendar.working_time_between(respond_by, close, hours=hours) < SAME_DAY_WORK:
        close = _close_of(calendar, hours, close + timedelta(microseconds=1))
    return calendar.working_time_between(opened_at, close, hours=hours)


@dataclass
class Timer:
    name: str
    target: timedelta | None
    """None: measured (for reports) but without a target, like P3 resolution."""
    used: timedelta = timedelta(0)
    running_since: datetime | None = None
    met_at: datetime | None = None
    warned_at: datetime | None = None
    breached_at: datetime | None = None
    cycle: int = 1
    """The reply timer restarts for each unanswered customer message; a deadline fired for an
    earlier cycle is stale and ignored."""

    @property
    def active(self) -> bool:
        return self.met_at is None

    @property
    def running(self) -> bool:
        return self.active and self.running_since is not None

    def start(self, now: datetime) -> None:
        if self.active and self.running_since is None:
            self.running_since = now

    def restart(self, now: datetime) -> None:
        """A new cycle of the same target (the 4-hour reply timer after an answered message)."""
        self.used, self.running_since, self.met_at = timedelta(0), now, None
        self.warned_at = self.breached_at = None
        self.cycle += 1

    def resume(self, now: datetime) -> None:
        """A target met too early (a solution the customer rejected) runs on from what it used."""
        if self.met_at is not None:
            self.met_at, self.running_since = None, now

    def pause(self, calendar: WorkCalendar, hours: ServiceHours, now: datetime) -> None:
        if self.running:
            self.used += calendar.working_time_between(self.running_since, now, hours=hours)
            self.running_since = None

    def elapsed(self, calendar: WorkCalendar, hours: ServiceHours, now: datetime) -> timedelta:
        """Service time used so far (what reports call the response or resolution time)."""
        running = (calendar.working_time_between(self.running_since, now, hours=hours)
                   if self.running else timedelta(0))
        return self.used + running

    def meet(self, calendar: WorkCalendar, hours: ServiceHours, now: datetime) -> timedelta | None:
        """The target is met; returns the service time it took, None if it was met before."""
        if not self.active:
            return None
        took = self.elapsed(calendar, hours, now)
        self.used, self.running_since, self.met_at = took, None, now
        return took

    def due_at(self, calendar: WorkCalendar, hours: ServiceHours) -> datetime | None:
        """When it breaches if nothing happens; None when stopped, met or already breached."""
        if not self.running or self.breached_at is not None or self.target is None:
            return None
        left = max(self.target - self.used, timedelta(0))
        return calendar.add_service_time(self.running_since, left, hours)

    def warn_at(self, calendar: WorkCalendar, hours: ServiceHours) -> datetime | None:
        if (not self.running or self.target is None or self.warned_at is not None
                or self.breached_at is not None):
            return None
        mark = self.target * WARN_AT
        if self.used >= mark:
            return self.running_since
        return calendar.add_service_time(self.running_since, mark - self.used, hours)


def deadline_key(ticket_id: str, timer: str) -> str:
    return f"{ticket_id}:{timer}"
