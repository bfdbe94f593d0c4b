"""The platform's working calendar (ORG-6): which days count, and how time counts on them.

Services count timeouts "in working days" (TPL-4, TPL-7, PRJ-4, TKT-6) and service-level
timers "in service hours" (TKT-2, TKT-5, TKT-8). If each service did its own arithmetic, the
same deadline would be late in one screen and on time in another, so the
rules live here once, as pure code: no database, no RPC, no network. Services load the
operator's edits from their own storage and pass them in as overrides.

The time model, decided once so that every caller agrees:

* Days are dates on the wall clock of the calendar's time zone (``Asia/Shanghai`` by
  default), whatever zone the caller's datetimes are in. Datetimes must be timezone-aware;
  every datetime returned is in UTC.
* A working date contributes its whole wall-clock day, 00:00 to 24:00, to "working time";
  non-working dates contribute nothing. One working day is 24 hours of working time, half a
  working day is 12 hours. Consequently ``add_working_days(Fri 10:00, 1)`` is the next
  working day at 10:00 (14 hours left on Friday + 10 hours on Monday), and a start on a
  non-working day counts from 00:00 of the next working day.
* Service hours are the same idea with a narrower daily window (09:00-18:00 by default).
* A deadline is the *earliest* instant at which the requested time has elapsed. A count that
  ends exactly when a working day (or service window) closes is due at that closing instant
  (24:00 of the working day = 00:00 of the following date), not at the next opening.
  Adding zero returns the start itself.
* Durations are wall-clock durations in the calendar's zone: in a zone with daylight saving
  time a day still counts as 24 hours. (Asia/Shanghai has none.)

``working_time_between`` is the exact inverse of the two "add" functions, which is what lets
a service store "how much working time was used" when a clock is paused (PRJ-4) and add
the rest later.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from functools import lru_cache
from types import MappingProxyType
from zoneinfo import ZoneInfo

import chinese_calendar

__all__ = [
    "DEFAULT_TIME_ZONE",
    "CalendarDay",
    "DayKind",
    "ServiceHours",
    "StatutorySource",
    "WorkCalendar",
    "default_calendar",
    "festival_days",
    "parse_working_days",
    "statutory_days",
]

DEFAULT_TIME_ZONE = "Asia/Shanghai"

_DAY = timedelta(days=1)
_MIDNIGHT = time(0)
_TENTH = Decimal("0.1")
_SECONDS_PER_DAY = 86_400
_WEEKDAY_NAMES = (
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
)


def _offset(moment: time) -> timedelta:
    return timedelta(
        hours=moment.hour,
        minutes=moment.minute,
        seconds=moment.second,
        microseconds=moment.microsecond,
    )


def _midnight(day: date) -> datetime:
    return datetime.combine(day, _MIDNIGHT)


class DayKind(StrEnum):
    """What a date is. String values so that services can store and send them as they are."""

    WORKDAY = "workday"
    WEEKEND = "weekend"
    HOLIDAY = "holiday"
    MAKEUP_WORKDAY = "makeup_workday"
    """A Saturday or Sunday made a working day to bridge a holiday (调休)."""

    @property
    def is_working(self) -> bool:
        return self in (DayKind.WORKDAY, DayKind.MAKEUP_WORKDAY)


@dataclass(frozen=True, slots=True)
class CalendarDay:
    """One date with its kind and, for holidays and make-up days, the holiday's name.

    The kind must agree with the weekday (WEEKEND and MAKEUP_WORKDAY only on Saturday or
    Sunday, WORKDAY only Monday to Friday) so that an operator's typo is rejected when it
    is entered instead of silently shifting deadlines. A weekday off is a HOLIDAY.
    """

    day: date
    kind: DayKind
    name: str = ""

    def __post_init__(self) -> None:
        if isinstance(self.day, datetime) or not isinstance(self.day, date):
            raise TypeError(f"CalendarDay.day must be a date, got {self.day!r}")
        if not isinstance(self.kind, DayKind):
            try:
                object.__setattr__(self, "kind", DayKind(self.kind))
            except ValueError:
                allowed = ", ".join(kind.value for kind in DayKind)
                raise ValueError(
                    f"unknown day kind {self.kind!r} for {self.day}: expected one of {allowed}"
                ) from None
        weekday = self.day.weekday()
        on_weekend = weekday >= 5
        weekday_name = _WEEKDAY_NAMES[weekday]
        if self.kind is DayKind.WEEKEND and not on_weekend:
            raise ValueError(
                f"{self.day} is a {weekday_name}, so it cannot be a weekend day: "
                "mark a weekday off as a holiday"
            )
        if self.kind is DayKind.MAKEUP_WORKDAY and not on_weekend:
            raise ValueError(
                f"{self.day} is a {weekday_name}, which is already a working day: "
                "only a Saturday or Sunday can be a make-up working day"
            )
        if self.kind is DayKind.WORKDAY and on_weekend:
            raise ValueError(
                f"{self.day} is a {weekday_name}: a weekend day made a working day is a "
                "make-up working day"
            )

    @property
    def is_working(self) -> bool:
        return self.kind.is_working


@dataclass(frozen=True, slots=True)
class ServiceHours:
    """The daily window in which service-level timers run (TKT-2, TKT-5, TKT-8).

    ``end`` is exclusive; ``end == time(0)`` means midnight at the end of the day (24:00),
    because ``datetime.time`` cannot say 24:00. Which days have a window:

    * ``every_day=True``: every calendar day (7-day or 7x24 coverage); ``working_days_only``
      is then ignored.
    * ``working_days_only=True`` (the default): the calendar's working days, so holidays are
      off and make-up Saturdays/Sundays are on.
    * both False: Monday to Friday by the weekday alone, holidays and make-up days ignored.

    Windows crossing midnight (22:00-06:00) are not supported; use two tiers instead.
    """

    start: time = time(9)
    end: time = time(18)
    every_day: bool = False
    working_days_only: bool = True

    def __post_init__(self) -> None:
        for label, value in (("start", self.start), ("end", self.end)):
            if not isinstance(value, time):
                raise TypeError(
                    f"ServiceHours.{label} must be a datetime.time, got {value!r}"
                )
            if value.tzinfo is not None:
                raise ValueError(
                    f"ServiceHours.{label} must be a wall-clock time without a time zone: "
                    "the calendar's time zone applies"
                )
        if self.opens >= self.closes:
            raise ValueError(
                f"service hours must start before they end, got {self.start.isoformat()}"
                f"-{self.end.isoformat()} (use end=00:00 for 24:00)"
            )

    @classmethod
    def always(cls) -> ServiceHours:
        """7x24 coverage, as for P0/P1 support tiers (TKT-8)."""
        return cls(
            start=_MIDNIGHT, end=_MIDNIGHT, every_day=True, working_days_only=False
        )

    @property
    def opens(self) -> timedelta:
        """Opening time as an offset from midnight."""
        return _offset(self.start)

    @property
    def closes(self) -> timedelta:
        """Closing time as an offset from midnight; 24 hours when ``end`` is 00:00."""
        return _DAY if self.end == _MIDNIGHT else _offset(self.end)

    @property
    def length(self) -> timedelta:
        """Service time one covered day provides."""
        return self.closes - self.opens


# Whole working days: the window that makes "working days" a special case of service hours.
_WHOLE_WORKING_DAYS = ServiceHours(start=_MIDNIGHT, end=_MIDNIGHT)

StatutorySource = Callable[[int], Iterable[CalendarDay] | None]
"""Returns a year's statutory holidays and make-up days, or None when it has no data.

Days not returned follow the weekday rule (Monday-Friday work, weekends off).
"""


class _CachedSource:
    """Asks the statutory source once per year; shared by calendars derived from each other."""

    def __init__(self, source: StatutorySource) -> None:
        self._source = source
        self._years: dict[int, Mapping[date, CalendarDay] | None] = {}

    def __call__(self, year: int) -> Mapping[date, CalendarDay] | None:
        if year in self._years:
            return self._years[year]
        entries = self._source(year)
        data: Mapping[date, CalendarDay] | None = None
        if entries is not None:
            days: dict[date, CalendarDay] = {}
            for entry in entries:
                if not isinstance(entry, CalendarDay):
                    raise TypeError(
                        f"statutory source returned {entry!r}, expected a CalendarDay"
                    )
                if entry.day.year != year:
                    raise ValueError(
                        f"statutory source returned {entry.day} when asked for {year}"
                    )
                days[entry.day] = entry
            data = MappingProxyType(days)
        self._years[year] = data
        return data


class WorkCalendar:
    """Working days and working time, from statutory data plus the operator's overrides.

    Immutable: an operator's edit produces a new calendar (``with_overrides`` /
    ``without_overrides``), so a calendar shared by concurrent handlers never changes
    under them and its per-year caches never go stale.
    """

    def __init__(
        self,
        base: StatutorySource,
        overrides: Mapping[date, CalendarDay] | Iterable[CalendarDay] = (),
        tz: ZoneInfo | str = DEFAULT_TIME_ZONE,
        festivals: StatutorySource | None = None,
    ) -> None:
        self._base = base if isinstance(base, _CachedSource) else _CachedSource(base)
        # the holidays the law fixes, for a year the statutory source has no data for yet
        self._festivals = (festivals if festivals is None or isinstance(festivals, _CachedSource)
                           else _CachedSource(festivals))
        self._overrides: Mapping[date, CalendarDay] = MappingProxyType(
            _override_map(overrides)
        )
        self._override_years: dict[int, int] = {}
        for day in self._overrides:
            self._override_years[day.year] = self._override_years.get(day.year, 0) + 1
        if isinstance(tz, str):
            tz = ZoneInfo(tz)
        if not isinstance(tz, ZoneInfo):
            raise TypeError(f"tz must be a ZoneInfo or an IANA zone name, got {tz!r}")
        self._tz = tz
        # Sorted ordinals of each year's working dates: counting and stepping by bisect
        # keeps a 2000-working-day deadline or a year-long measurement to a few lookups.
        self._working: dict[int, tuple[int, ...]] = {}

    def __repr__(self) -> str:
        return f"WorkCalendar(tz={self._tz.key!r}, overrides={len(self._overrides)})"

    @property
    def tz(self) -> ZoneInfo:
        return self._tz

    @property
    def overrides(self) -> Mapping[date, CalendarDay]:
        """The operator's edits, read-only."""
        return self._overrides

    def with_overrides(self, *days: CalendarDay) -> WorkCalendar:
        """A calendar with these days added or replaced, as when the operator edits them."""
        merged = dict(self._overrides)
        merged.update(_override_map(days))
        return WorkCalendar(self._base, merged, self._tz, self._festivals)

    def without_overrides(self, *days: date) -> WorkCalendar:
        """A calendar where these days follow the statutory data again.

        Removing a date that has no override is not an error, so that a repeated delete is
        harmless.
        """
        for day in days:
            _require_date(day, "day")
        remaining = {d: entry for d, entry in self._overrides.items() if d not in days}
        return WorkCalendar(self._base, remaining, self._tz, self._festivals)

    # ---- days ---------------------------------------------------------------------------

    def day_kind(self, d: date) -> CalendarDay:
        """The day as the platform treats it: override, else statutory data, else weekday."""
        _require_date(d, "d")
        override = self._overrides.get(d)
        if override is not None:
            return override
        base = self._base(d.year)
        if base is None and self._festivals is not None:
            base = self._festivals(d.year)
        if base is not None:
            entry = base.get(d)
            if entry is not None:
                return entry
        return CalendarDay(d, DayKind.WEEKEND if d.weekday() >= 5 else DayKind.WORKDAY)

    def is_working_day(self, d: date) -> bool:
        return self.day_kind(d).is_working

    def local_date(self, moment: datetime) -> date:
        """The calendar date of an instant in the calendar's time zone."""
        return self._local(moment, "moment").date()

    def covers(self, year: int) -> bool:
        """Whether statutory data exists for the year (overrides alone do not count)."""
        return self._base(year) is not None

    def coverage_note(self, year: int) -> str | None:
        """A sentence for screens and logs when a year falls back to weekends, else None.

        Deadlines in such a year still work, but holidays are missing until the operator
        enters them or the statutory package is updated, and people should know that.
        """
        if self.covers(year):
            return None
        edited = self._override_years.get(year, 0)
        if self._festivals is not None:
            note = (f"No statutory holiday data for {year}: the festivals the law fixes count as "
                    "days off, but the make-up working days and bridged holidays are not known yet")
        else:
            note = f"No statutory holiday data for {year}: only weekends count as days off"
        if edited == 0:
            return note + "."
        days = "day" if edited == 1 else "days"
        return note + f", apart from {edited} {days} set by the platform operator."

    # ---- time ---------------------------------------------------------------------------

    def add_working_days(
        self, start: datetime, days: Decimal | float | int | str
    ) -> datetime:
        """The deadline ``days`` working days after ``start`` (TPL-4, TPL-7, PRJ-4, TKT-6).

        ``days`` may have one decimal: 1.5 is 36 hours of working time. See the module
        docstring for how working time is counted; the result is in UTC.
        """
        amount = parse_working_days(days)
        duration = timedelta(seconds=int(amount * _SECONDS_PER_DAY))
        return self.add_service_time(start, duration, _WHOLE_WORKING_DAYS)

    def working_time_between(
        self, start: datetime, end: datetime, *, hours: ServiceHours | None = None
    ) -> timedelta:
        """Working time from ``start`` to ``end``: whole working days, or service hours.

        Returns zero when ``end`` is not after ``start`` (clocks of different replicas may
        disagree by a little; a negative elapsed time would only confuse timers).
        """
        rule = _WHOLE_WORKING_DAYS if hours is None else _require_hours(hours)
        local_start = self._local(start, "start")
        local_end = self._local(end, "end")
        if end <= start or local_end <= local_start:
            return timedelta(0)
        first, last = local_start.date(), local_end.date()
        start_offset = local_start - _midnight(first)
        end_offset = local_end - _midnight(last)
        if first == last:
            return self._overlap(rule, first, start_offset, end_offset)
        total = self._overlap(rule, first, start_offset, _DAY)
        total += self._overlap(rule, last, timedelta(0), end_offset)
        total += self._count_days(rule, first + _DAY, last) * rule.length
        return total

    def add_service_time(
        self, start: datetime, duration: timedelta, hours: ServiceHours
    ) -> datetime:
        """The instant at which ``duration`` of service time after ``start`` has elapsed.

        For SLA deadlines such as "first response within 15 service minutes" (TKT-5). A
        start outside the window counts from the next opening; the result is in UTC.
        """
        rule = _require_hours(hours)
        local_start = self._local(start, "start")
        if not isinstance(duration, timedelta):
            raise TypeError(f"duration must be a timedelta, got {duration!r}")
        if duration < timedelta(0):
            raise ValueError(f"duration must not be negative, got {duration}")
        if duration == timedelta(0):
            return start.astimezone(UTC)
        day = local_start.date()
        offset = local_start - _midnight(day)
        remaining = duration
        try:
            if offset < rule.closes and self._counts(rule, day):
                begin = max(offset, rule.opens)
                available = rule.closes - begin
                if remaining <= available:
                    return self._to_utc(_midnight(day) + begin + remaining)
                remaining -= available
            whole_days, rest = divmod(remaining, rule.length)
            if rest:
                nth, at = whole_days + 1, rule.opens + rest
            else:
                nth, at = whole_days, rule.closes
            target = self._nth_after(rule, day, nth)
            return self._to_utc(_midnight(target) + at)
        except OverflowError:
            raise ValueError(
                f"{duration} of service time after {start.isoformat()} ends after {date.max}"
            ) from None

    # ---- internals ----------------------------------------------------------------------

    def _local(self, moment: datetime, label: str) -> datetime:
        """The naive wall-clock time of an aware instant in the calendar's zone."""
        if not isinstance(moment, datetime):
            raise TypeError(f"{label} must be a datetime, got {moment!r}")
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError(
                f"{label} must be timezone-aware, got the naive datetime {moment.isoformat()}: "
                "attach a time zone (UTC or the user's zone) before computing deadlines"
            )
        return moment.astimezone(self._tz).replace(tzinfo=None)

    def _to_utc(self, local: datetime) -> datetime:
        return local.replace(tzinfo=self._tz).astimezone(UTC)

    def _working_ordinals(self, year: int) -> tuple[int, ...]:
        cached = self._working.get(year)
        if cached is None:
            first = date(year, 1, 1).toordinal()
            last = date(year, 12, 31).toordinal()
            cached = tuple(
                ordinal
                for ordinal in range(first, last + 1)
                if self.is_working_day(date.fromordinal(ordinal))
            )
            self._working[year] = cached
        return cached

    def _counts(self, rule: ServiceHours, d: date) -> bool:
        """Whether the day has a service window under the rule."""
        if rule.every_day:
            return True
        if rule.working_days_only:
            return self.is_working_day(d)
        return d.weekday() < 5

    def _overlap(
        self, rule: ServiceHours, d: date, lo: timedelta, hi: timedelta
    ) -> timedelta:
        """Service time on day ``d`` between offsets ``lo`` and ``hi`` from its midnight."""
        if not self._counts(rule, d):
            return timedelta(0)
        return max(min(hi, rule.closes) - max(lo, rule.opens), timedelta(0))

    def _count_days(self, rule: ServiceHours, first: date, stop: date) -> int:
        """How many days in ``[first, stop)`` have a service window."""
        if stop <= first:
            return 0
        if rule.every_day:
            return (stop - first).days
        if not rule.working_days_only:
            return _count_weekdays(first, stop)
        total = 0
        lo, hi = first.toordinal(), stop.toordinal()
        for year in range(first.year, stop.year + 1):
            ordinals = self._working_ordinals(year)
            total += bisect_left(ordinals, hi) - bisect_left(ordinals, lo)
        return total

    def _nth_after(self, rule: ServiceHours, d: date, n: int) -> date:
        """The ``n``-th day (n >= 1) strictly after ``d`` that has a service window."""
        if rule.every_day:
            return d + timedelta(days=n)
        if not rule.working_days_only:
            weeks, rest = divmod(n - 1, 5)
            current = d + timedelta(weeks=weeks)
            needed = rest + 1
            while True:
                current += _DAY
                if current.weekday() < 5:
                    needed -= 1
                    if needed == 0:
                        return current
        year, ordinal = d.year, d.toordinal()
        while True:
            ordinals = self._working_ordinals(year)
            index = bisect_right(ordinals, ordinal)
            available = len(ordinals) - index
            if n <= available:
                return date.fromordinal(ordinals[index + n - 1])
            n -= available
            year += 1


def parse_working_days(value: Decimal | float | int | str) -> Decimal:
    """A number of working days with at most one decimal, as templates store timeouts.

    TPL-4 allows one decimal ("1.5 days"); more precision would be a figure nobody can read
    on a screen, so it is rejected rather than rounded. Trailing zeros are fine ("1.50").
    """
    if isinstance(value, bool) or not isinstance(value, Decimal | float | int | str):
        raise TypeError(f"days must be a number or a numeric string, got {value!r}")
    try:
        if isinstance(value, float):
            amount = Decimal(repr(value))
        else:
            amount = Decimal(value.strip() if isinstance(value, str) else value)
    except InvalidOperation:
        raise ValueError(
            f"days must be a number like 2 or 1.5, got {value!r}"
        ) from None
    if not amount.is_finite():
        raise ValueError(f"days must be a finite number, got {value!r}")
    if amount < 0:
        raise ValueError(f"days must not be negative, got {value!r}")
    try:
        rounded = amount.quantize(_TENTH)
    except InvalidOperation:
        raise ValueError(f"days is too large, got {value!r}") from None
    if rounded != amount:
        raise ValueError(f"days may have at most one decimal (like 1.5), got {value!r}")
    return rounded


def statutory_days(year: int) -> list[CalendarDay] | None:
    """China's statutory holidays and make-up working days of a year, from ``chinese_calendar``.

    Returns None for a year the package has no data for (it covers a fixed range of years
    and raises NotImplementedError outside it), so the calendar can say so instead of
    pretending the year has no holidays.
    """
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return None
    return list(_statutory_index().get(year, ()))


def default_calendar(
    overrides: Mapping[date, CalendarDay] | Iterable[CalendarDay] = (),
    tz: ZoneInfo | str = DEFAULT_TIME_ZONE,
) -> WorkCalendar:
    """The Chinese statutory calendar plus the operator's overrides (ORG-6); a year the package has
    no data for yet still keeps the festivals the law fixes (``festival_days``)."""
    return WorkCalendar(_STATUTORY, overrides, tz, _FESTIVALS)


def festival_days(year: int) -> list[CalendarDay]:
    """The public holidays the law itself fixes for any year (《全国年节及纪念日放假办法》 as amended
    with effect from 2025: 13 days), for a year whose announced schedule is not in the statutory
    package yet. The lunar dates and the Qingming solar term come from ``lunar_python``. The
    State Council's yearly notice adds what no rule can foresee: weekends moved to bridge holidays
    and the make-up working days; the operator enters those until the package ships them.
    """
    from lunar_python import Lunar

    def lunar(month: int, day: int) -> date:
        solar = Lunar.fromYmd(year, month, day).getSolar()
        return date(solar.getYear(), solar.getMonth(), solar.getDay())

    spring = lunar(1, 1)
    qingming = Lunar.fromYmd(year, 3, 1).getJieQiTable()["清明"]
    named: list[tuple[date, chinese_calendar.Holiday]] = [
        (date(year, 1, 1), chinese_calendar.Holiday.new_years_day),
        *((spring + timedelta(days=n), chinese_calendar.Holiday.spring_festival) for n in range(-1, 3)),
        (date(qingming.getYear(), qingming.getMonth(), qingming.getDay()), chinese_calendar.Holiday.tomb_sweeping_day),
        (date(year, 5, 1), chinese_calendar.Holiday.labour_day),
        (date(year, 5, 2), chinese_calendar.Holiday.labour_day),
        (lunar(5, 5), chinese_calendar.Holiday.dragon_boat_festival),
        (lunar(8, 15), chinese_calendar.Holiday.mid_autumn_festival),
        *((date(year, 10, day), chinese_calendar.Holiday.national_day) for day in (1, 2, 3)),
    ]
    return [CalendarDay(day, DayKind.HOLIDAY, str(name.value)) for day, name in named if day.year == year]


# Days the shipped statutory data has wrong, corrected against the State Council's notices.
# 2005-12-31 (a Saturday) was a make-up working day for the 2006 New Year holiday (国办发明电〔2005〕14号).
STATUTORY_CORRECTIONS: tuple[CalendarDay, ...] = (
    CalendarDay(date(2005, 12, 31), DayKind.MAKEUP_WORKDAY, "New Year's Day"),
)


@lru_cache(maxsize=1)
def _statutory_index() -> Mapping[int, tuple[CalendarDay, ...]]:
    by_year: dict[int, list[CalendarDay]] = {}
    for day, name in chinese_calendar.holidays.items():
        by_year.setdefault(day.year, []).append(
            CalendarDay(day, DayKind.HOLIDAY, _holiday_name(name))
        )
    for day, name in chinese_calendar.workdays.items():
        # The package lists only weekend days here; a weekday would simply be a workday.
        kind = DayKind.MAKEUP_WORKDAY if day.weekday() >= 5 else DayKind.WORKDAY
        by_year.setdefault(day.year, []).append(
            CalendarDay(day, kind, _holiday_name(name))
        )
    for fix in STATUTORY_CORRECTIONS:
        days = by_year.setdefault(fix.day.year, [])
        days[:] = [entry for entry in days if entry.day != fix.day] + [fix]
    return MappingProxyType(
        {
            year: tuple(sorted(days, key=lambda entry: entry.day))
            for year, days in by_year.items()
        }
    )


def _holiday_name(raw: object) -> str:
    """The English holiday name from the package's Holiday enum, or the raw text."""
    if isinstance(raw, chinese_calendar.Holiday):
        return str(raw.value)
    try:
        return str(chinese_calendar.Holiday(raw).value)
    except ValueError:
        return "" if raw is None else str(raw)


_STATUTORY = _CachedSource(statutory_days)
_FESTIVALS = _CachedSource(festival_days)


def _override_map(
    overrides: Mapping[date, CalendarDay] | Iterable[CalendarDay],
) -> dict[date, CalendarDay]:
    result: dict[date, CalendarDay] = {}
    if isinstance(overrides, Mapping):
        for key, entry in overrides.items():
            if not isinstance(entry, CalendarDay):
                raise TypeError(
                    f"override for {key} must be a CalendarDay, got {entry!r}"
                )
            if key != entry.day:
                raise ValueError(f"override stored under {key} describes {entry.day}")
            result[key] = entry
        return result
    for entry in overrides:
        if not isinstance(entry, CalendarDay):
            raise TypeError(f"override must be a CalendarDay, got {entry!r}")
        if entry.day in result and result[entry.day] != entry:
            raise ValueError(f"two different overrides for {entry.day}")
        result[entry.day] = entry
    return result


def _require_date(value: object, label: str) -> None:
    if isinstance(value, datetime):
        raise TypeError(
            f"{label} must be a date, got the datetime {value.isoformat()}: "
            "use WorkCalendar.local_date() to get the date in the calendar's time zone"
        )
    if not isinstance(value, date):
        raise TypeError(f"{label} must be a date, got {value!r}")


def _require_hours(hours: object) -> ServiceHours:
    if not isinstance(hours, ServiceHours):
        raise TypeError(f"hours must be ServiceHours, got {hours!r}")
    return hours


def _count_weekdays(first: date, stop: date) -> int:
    """Mondays to Fridays in ``[first, stop)``."""
    weeks, rest = divmod((stop - first).days, 7)
    start_weekday = first.weekday()
    return weeks * 5 + sum(1 for i in range(rest) if (start_weekday + i) % 7 < 5)
