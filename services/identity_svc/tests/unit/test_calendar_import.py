"""ORG-6, PRJ-4: a whole year of the calendar in one request, and the next-year alert."""
from datetime import date

import pytest

from identity_svc.domain.calendar_import import checked_days, coverage_alert, parse_csv
from identity_svc.exceptions import NotAllowedNow

CSV = """day,kind,name
2027-01-01,holiday,New Year's Day
2027-02-06,makeup_workday,Spring Festival
2027-02-08,holiday,Spring Festival
"""


def test_ORG6_a_csv_year_parses_into_calendar_days_in_date_order():
    days = checked_days(2027, parse_csv(CSV))
    assert [(d.day, d.kind.value) for d in days] == [(date(2027, 1, 1), "holiday"),
                                                     (date(2027, 2, 6), "makeup_workday"),
                                                     (date(2027, 2, 8), "holiday")]


def test_ORG6_every_bad_row_is_named_and_nothing_is_taken():
    rows = [{"day": "2027-13-01", "kind": "holiday"}, {"day": "2026-05-01", "kind": "holiday"},
            {"day": "2027-05-01", "kind": "party"}, {"day": "2027-05-03", "kind": "makeup_workday"},
            {"day": "2027-05-04", "kind": "holiday"}, {"day": "2027-05-04", "kind": "holiday"}]
    with pytest.raises(NotAllowedNow) as refused:
        checked_days(2027, rows)
    assert set(refused.value.fields) == {"days[0].day", "days[1].day", "days[2].kind", "days[3].kind",
                                         "days[5].day"}


def test_ORG6_a_csv_without_its_header_is_refused():
    with pytest.raises(NotAllowedNow):
        parse_csv("2027-01-01,holiday,New Year\n")


def test_PRJ4_from_november_an_unknown_next_year_raises_an_alert_until_it_is_covered_or_entered():
    assert coverage_alert(date(2026, 10, 31), False, 0) is None
    assert "2027" in coverage_alert(date(2026, 11, 1), False, 0)
    assert coverage_alert(date(2026, 11, 1), False, 12) is None
    assert coverage_alert(date(2026, 11, 1), True, 0) is None


def test_ORG6_from_november_the_operator_is_told_daily_that_next_year_is_unknown(world, next_uow):
    from identity_svc.handlers.calendar_import import alert_operator_if_next_year_unknown

    uow = next_uow()
    state = alert_operator_if_next_year_unknown(uow, today=date(2099, 11, 2))  # no statutory data for 2100
    [request] = uow.events_of("identity_notification_requested")
    assert state["alert"] and request["receivers"] == [{"org_id": world.operator.org_id, "user_id": None,
                                                        "role": None, "email": None, "phone": None}]
    assert request["message_template"] == "calendar next year unknown – notify operator"
    assert request["dedupe_key"] == "calendar-coverage:2100:2099-11-02", "once a day, not once per sweep"

    quiet = next_uow()
    assert alert_operator_if_next_year_unknown(quiet, today=date(2099, 10, 31))["alert"] is None
    assert quiet.events == [], "nothing before November"


def test_ORG6_a_year_not_announced_yet_shows_the_festivals_the_law_fixes():
    from identity_svc.domain.calendar import year_view

    view = year_view(2027, [])
    assert view["covers"] is False and "festivals the law fixes" in view["note"]
    festivals = {d["day"]: d for d in view["days"]}
    assert festivals[date(2027, 1, 1)]["source"] == "festival" and not festivals[date(2027, 1, 1)]["working"]
    assert festivals[date(2027, 2, 6)]["name"] == "Spring Festival"
    assert {d["source"] for d in year_view(2026, [])["days"]} == {"statutory"}
