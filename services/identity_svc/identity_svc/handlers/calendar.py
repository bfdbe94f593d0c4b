"""The working calendar (ORG-6): everyone signed in reads it, the platform operator edits it."""
from __future__ import annotations

from datetime import date

from identity_svc.domain import access, audit
from identity_svc.domain.calendar import CalendarOverride, year_view
from identity_svc.handlers.shared import emit
from platform_contracts.actor import Actor
from platform_kit.clock import utcnow


def calendar(actor: Actor | None, year: int, uow) -> dict:
    access.require_actor(actor)
    return year_view(year, uow.calendar.of_year(year))


def calendar_overrides(uow) -> list[CalendarOverride]:
    """Every override, oldest date first: what other services load at start."""
    return uow.calendar.all()


def set_calendar_day(actor: Actor | None, cmd: dict, uow) -> CalendarOverride:
    actor = access.require_operator(actor)
    existing = uow.calendar.get(cmd["day"], for_update=True)
    override, changed = CalendarOverride.set(cmd["day"], cmd["kind"], cmd["name"], actor.user_id, utcnow())
    uow.calendar.put(override)
    emit(uow, changed)
    uow.audit.add(audit.entry("calendar_day_set", actor=actor, subject_type="calendar_day",
                              subject_id=override.day.isoformat(),
                              details={"kind": override.kind, "name": override.name,
                                       "previous": existing.previous if existing else None}))
    uow.commit()
    return override


def remove_calendar_day(actor: Actor | None, day: date, uow) -> bool:
    """The date follows the statutory calendar again. Removing nothing is not an error."""
    actor = access.require_operator(actor)
    existing = uow.calendar.get(day, for_update=True)
    if existing is None:
        return False
    uow.calendar.remove(day)
    emit(uow, existing.removed())
    uow.audit.add(audit.entry("calendar_day_removed", actor=actor, subject_type="calendar_day",
                              subject_id=day.isoformat(), details={"previous": existing.previous}))
    uow.commit()
    return True
