"""The working calendar's editable part (ORG-6): the platform operator's overrides.

The rules (which kind fits which weekday, what the statutory data says, the note for years
without data) are ``platform_kit.workcal``'s; this module stores the operator's edits, shows a
year, and tells other services with ``calendar_changed`` so that their copy stays the same.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import extract, select
from sqlalchemy.orm import Session

from identity_svc import access
from identity_svc.adapters import audit
from identity_svc.adapters.orm import CalendarOverride
from identity_svc.domain.errors import InvalidValue
from identity_svc.handlers import use_case
from platform_contracts.actor import Actor
from platform_kit.clock import utcnow
from platform_kit.db import UnitOfWork
from platform_kit.workcal import CalendarDay, default_calendar, statutory_days


def _as_day(row: CalendarOverride) -> CalendarDay:
    return CalendarDay(row.day, row.kind, row.name)


def calendar(actor: Actor | None, year: int, session: Session) -> dict:
    """Every day of ``year`` that is not a plain weekday or weekend, with its effective kind."""
    access.require_actor(actor)
    rows = session.execute(select(CalendarOverride).where(extract("year", CalendarOverride.day) == year)
                           ).scalars().all()
    overrides = {row.day: _as_day(row) for row in rows}
    cal = default_calendar(overrides.values())
    dates = {d.day for d in statutory_days(year) or ()} | set(overrides)
    days = []
    for day in sorted(dates):
        entry = cal.day_kind(day)
        days.append({"day": day, "kind": entry.kind.value, "name": entry.name, "working": entry.is_working,
                     "source": "override" if day in overrides else "statutory"})
    return {"year": year, "covers": cal.covers(year), "note": cal.coverage_note(year), "days": days}


def calendar_overrides(session: Session) -> list[CalendarOverride]:
    """Every override, oldest date first: what other services load at start."""
    return list(session.execute(select(CalendarOverride).order_by(CalendarOverride.day)).scalars().all())


@use_case
def set_calendar_day(actor: Actor | None, cmd: dict, uow: UnitOfWork) -> CalendarOverride:
    actor = access.require_operator(actor)
    try:
        entry = CalendarDay(cmd["day"], cmd["kind"], cmd["name"].strip())
    except ValueError as err:  # the kind does not fit the weekday
        raise InvalidValue("This kind of day does not fit that date.", {"kind": [str(err)]}) from None
    session = uow.session
    row = session.get(CalendarOverride, entry.day, with_for_update=True)
    previous = {"kind": row.kind, "name": row.name} if row else None
    if row is None:
        row = CalendarOverride(day=entry.day)
        session.add(row)
    row.kind, row.name, row.updated_by, row.updated_at = entry.kind.value, entry.name, actor.user_id, utcnow()
    session.flush()
    uow.emit("calendar_changed", {"day": entry.day.isoformat(), "kind": entry.kind.value, "name": entry.name})
    audit.record(session, "calendar_day_set", actor=actor, subject_type="calendar_day",
                 subject_id=entry.day.isoformat(),
                 details={"kind": entry.kind.value, "name": entry.name, "previous": previous})
    return row


def remove_calendar_day(actor: Actor | None, day: date, uow: UnitOfWork) -> bool:
    """The date follows the statutory calendar again. Removing nothing is not an error."""
    actor = access.require_operator(actor)
    session = uow.session
    row = session.get(CalendarOverride, day, with_for_update=True)
    if row is None:
        return False
    previous = {"kind": row.kind, "name": row.name}
    session.delete(row)
    uow.emit("calendar_changed", {"day": day.isoformat(), "kind": None, "name": ""})
    audit.record(session, "calendar_day_removed", actor=actor, subject_type="calendar_day",
                 subject_id=day.isoformat(), details={"previous": previous})
    return True
