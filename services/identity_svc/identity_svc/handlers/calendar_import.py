"""Importing a whole year of the working calendar, and the next-year coverage alert (ORG-6)."""
from __future__ import annotations

from datetime import date

from identity_svc.domain import access, audit
from identity_svc.domain.calendar import CalendarOverride
from identity_svc.domain.calendar_import import checked_days, coverage_alert
from identity_svc.handlers.shared import emit
from platform_contracts.actor import Actor
from platform_kit.clock import utcnow
from platform_kit.workcal import DEFAULT_TIME_ZONE, default_calendar


def import_year(actor: Actor | None, year: int, rows: list[dict], uow) -> dict:
    """All rows checked first (each bad one named), then every day set with its calendar_changed."""
    actor = access.require_operator(actor)
    days = checked_days(year, rows)
    now, changed = utcnow(), 0
    for entry in days:
        existing = uow.calendar.get(entry.day, for_update=True)
        if existing is not None and (existing.kind, existing.name) == (entry.kind.value, entry.name):
            continue  # importing the same file twice changes nothing and tells nobody
        override, event = CalendarOverride.set(entry.day, entry.kind.value, entry.name, actor.user_id, now)
        uow.calendar.put(override)
        emit(uow, event)
        uow.audit.add(audit.entry("calendar_day_set", actor=actor, subject_type="calendar_day",
                                  subject_id=entry.day.isoformat(),
                                  details={"kind": override.kind, "name": override.name, "import": year,
                                           "previous": existing.previous if existing else None}))
        changed += 1
    uow.commit()
    return {"year": year, "days": len(days), "changed": changed}


def coverage(actor: Actor | None, uow, today: date | None = None) -> dict:
    """Whether this year and the next are known; from 1 November an unknown next year is an alert."""
    access.require_actor(actor)
    return calendar_coverage(uow, today)


def calendar_coverage(uow, today: date | None = None) -> dict:
    """The same, for the service itself (readiness details, the daily alert)."""
    today = today or default_calendar().local_date(utcnow())
    next_year = today.year + 1
    entries = len(uow.calendar.of_year(next_year))
    cal = default_calendar(tz=DEFAULT_TIME_ZONE)
    return {"today": today, "next_year": next_year, "covers_next_year": cal.covers(next_year),
            "entries_next_year": entries, "alert": coverage_alert(today, cal.covers(next_year), entries)}


def alert_operator_if_next_year_unknown(uow, today: date | None = None) -> dict:
    """ORG-6: from 1 November, tell the platform operator (every channel, once a day) that the next
    year's holidays and make-up days are not known, so deadlines reaching into it are guesses."""
    state = calendar_coverage(uow, today)
    operator = uow.organisations.operator()
    if state["alert"] and operator is not None:
        uow.emit("identity_notification_requested", {
            "receivers": [{"org_id": operator.id}], "message_template": "calendar next year unknown – notify operator",
            "variables": {"year": state["next_year"], "alert": state["alert"]},
            "dedupe_key": f"calendar-coverage:{state['next_year']}:{state['today'].isoformat()}", "urgent": False})
        uow.commit()
    return state
