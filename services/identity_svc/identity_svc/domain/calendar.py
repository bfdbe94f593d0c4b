"""The working calendar's editable part (ORG-6): the platform operator's overrides of a date.

The rules (which kind fits which weekday, the statutory data, the note for years without data)
are ``platform_kit.workcal``'s, shared by every service; an override is one date the operator
changed, and each change returns the ``calendar_changed`` event that keeps other services'
copies the same.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from identity_svc.domain.events import Event
from identity_svc.exceptions import NotAllowedNow
from platform_kit.workcal import CalendarDay, default_calendar, festival_days, statutory_days


@dataclass
class CalendarOverride:
    day: date
    kind: str
    name: str
    updated_by: str | None
    updated_at: datetime

    @property
    def previous(self) -> dict:
        return {"kind": self.kind, "name": self.name}

    @classmethod
    def set(cls, day: date, kind: str, name: str, by: str, now: datetime) -> tuple[CalendarOverride, Event]:
        """The operator's choice for ``day``; refused naming ``kind`` when it does not fit the weekday."""
        try:
            entry = CalendarDay(day, kind, name.strip())
        except ValueError as err:
            raise NotAllowedNow("This kind of day does not fit that date.", {"kind": [str(err)]}) from None
        override = cls(entry.day, entry.kind.value, entry.name, by, now)
        return override, Event("calendar_changed", {"day": day.isoformat(), "kind": override.kind,
                                                    "name": override.name})

    def removed(self) -> Event:
        """The date follows the statutory calendar again."""
        return Event("calendar_changed", {"day": self.day.isoformat(), "kind": None, "name": ""})


def year_view(year: int, overrides: Iterable[CalendarOverride]) -> dict:
    """Every day of ``year`` that is not a plain weekday or weekend, with its effective kind."""
    by_day = {o.day: CalendarDay(o.day, o.kind, o.name) for o in overrides if o.day.year == year}
    cal = default_calendar(by_day.values())
    announced = statutory_days(year)
    # a year not announced yet shows the festivals the law fixes, marked as such
    base, source = (announced, "statutory") if announced is not None else (festival_days(year), "festival")
    dates = {d.day for d in base} | set(by_day)
    days = []
    for day in sorted(dates):
        entry = cal.day_kind(day)
        days.append({"day": day, "kind": entry.kind.value, "name": entry.name, "working": entry.is_working,
                     "source": "override" if day in by_day else source})
    return {"year": year, "covers": cal.covers(year), "note": cal.coverage_note(year), "days": days}
