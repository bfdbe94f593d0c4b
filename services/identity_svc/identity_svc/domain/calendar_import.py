"""A whole year of holidays and make-up working days in one request (ORG-6, PRJ-4). Pure Python.

Deadlines reach into next year already (29 working days from late November end in January), so
the operator enters next year's days as soon as the State Council publishes them, in one go:

- JSON: ``{"days": [{"day": "2027-01-01", "kind": "holiday", "name": "New Year's Day"}, ...]}``
- CSV: a header ``day,kind,name`` and one row per day (``2027-02-20,makeup_workday,Spring Festival``)

``kind`` is one of ``platform_kit.workcal.DayKind`` (holiday, makeup_workday, workday, weekend); every
day must lie in the year named by the request. All rows are checked before any is stored, and
every bad row is named (``days[3].kind``), so an import is all or nothing. The refusals are 422:
the gateway's schema states the shape of JSON rows, what is left (a day outside the year, a day
listed twice, the rows of a CSV text) no JSON Schema can say.

``coverage_alert``: from 1 November, a next year with neither statutory data nor operator
entries is reported, so the operator imports it before deadlines land there.
"""
from __future__ import annotations

import csv
import io
from datetime import date

from identity_svc.exceptions import NotAllowedNow
from platform_kit.workcal import CalendarDay, DayKind

MAX_DAYS = 366
ALERT_FROM_MONTH = 11


def parse_csv(text: str) -> list[dict]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    if reader.fieldnames is None or not {"day", "kind"} <= {f.strip() for f in reader.fieldnames}:
        raise NotAllowedNow("The CSV needs a header line: day,kind,name.", {"csv": ["header day,kind,name"]})
    return [{(k or "").strip(): (v or "").strip() for k, v in row.items()} for row in reader]


def checked_days(year: int, rows: list[dict]) -> list[CalendarDay]:
    """The rows as calendar days of ``year``, or a refusal naming every bad row."""
    if not rows:
        raise NotAllowedNow("The import has no days.", {"days": ["at least one day"]})
    if len(rows) > MAX_DAYS:
        raise NotAllowedNow(f"At most {MAX_DAYS} days per import.", {"days": [f"at most {MAX_DAYS}"]})
    errors: dict[str, list[str]] = {}
    days: dict[date, CalendarDay] = {}
    for i, row in enumerate(rows):
        where = f"days[{i}]"
        try:
            day = row["day"] if isinstance(row.get("day"), date) else date.fromisoformat(str(row.get("day", "")))
        except ValueError:
            errors[f"{where}.day"] = ["a date as YYYY-MM-DD"]
            continue
        if day.year != year:
            errors[f"{where}.day"] = [f"not in {year}"]
            continue
        if day in days:
            errors[f"{where}.day"] = ["listed twice"]
            continue
        kind = str(row.get("kind", ""))
        if kind not in {k.value for k in DayKind}:
            errors[f"{where}.kind"] = [f"one of {', '.join(k.value for k in DayKind)}"]
            continue
        try:
            days[day] = CalendarDay(day, DayKind(kind), str(row.get("name") or "").strip()[:100])
        except ValueError as err:
            errors[f"{where}.kind"] = [str(err)]
    if errors:
        raise NotAllowedNow("Some days of the import are not valid; nothing was stored.", errors)
    return sorted(days.values(), key=lambda d: d.day)


def coverage_alert(today: date, covers_next_year: bool, entries_next_year: int) -> str | None:
    """A sentence for the operator when next year's calendar is still unknown, else None."""
    if today.month < ALERT_FROM_MONTH or covers_next_year or entries_next_year:
        return None
    return (f"The working calendar has no announced holidays of {today.year + 1}: deadlines running into it "
            "count the festivals the law fixes, but no bridged holidays or make-up working days. "
            f"Import {today.year + 1}'s holidays and make-up working days.")
