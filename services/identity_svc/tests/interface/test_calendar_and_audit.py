"""The working calendar's overrides (ORG-6) and the append-only audit log."""
import random
import uuid
from datetime import date, timedelta

import pytest
import sqlalchemy.exc
from sqlalchemy import text

from platform_kit.errors import Forbidden, Unauthenticated, Unprocessable, ValidationFailed


def random_saturday() -> date:
    """A Saturday of a year without statutory data, unlikely to be used by another test."""
    rng = random.Random(uuid.uuid4().int)
    start = date(rng.randint(2150, 2199), 1, 1)
    start += timedelta(days=(5 - start.weekday()) % 7)
    return start + timedelta(weeks=rng.randint(0, 51))


def test_ORG6_operator_makes_a_saturday_a_working_day_and_other_services_are_told(rpc, operator, isv, outbox):
    saturday = random_saturday()
    saved = rpc(operator).set_calendar_day(saturday.isoformat(), "makeup_workday", "Bridge day")
    assert saved["day"] == saturday.isoformat() and saved["updated_by"] == operator.user_id

    year = rpc(isv.actor).calendar(saturday.year)
    entry = next(d for d in year["days"] if d["day"] == saturday.isoformat())
    assert entry == {"day": saturday.isoformat(), "kind": "makeup_workday", "name": "Bridge day", "working": True,
                     "source": "override"}
    assert year["covers"] is False and year["note"].startswith(f"No statutory holiday data for {saturday.year}")
    assert any(o["day"] == saturday.isoformat() for o in rpc().calendar_overrides())
    assert outbox("calendar_changed", day=saturday.isoformat())[-1]["data"] == {
        "day": saturday.isoformat(), "kind": "makeup_workday", "name": "Bridge day"}

    assert rpc(operator).remove_calendar_day(saturday.isoformat()) == {"day": saturday.isoformat(), "removed": True}
    assert outbox("calendar_changed", day=saturday.isoformat())[-1]["data"]["kind"] is None
    assert all(d["day"] != saturday.isoformat() for d in rpc(isv.actor).calendar(saturday.year)["days"])
    assert rpc(operator).remove_calendar_day(saturday.isoformat())["removed"] is False
    actions = [e["action"] for e in rpc(operator).audit_log({"actor_user_id": operator.user_id, "limit": 200})["items"]
               if e["subject_id"] == saturday.isoformat()]
    assert actions == ["calendar_day_removed", "calendar_day_set"]


def test_ORG6_a_kind_that_does_not_fit_the_weekday_is_refused_naming_kind(rpc, operator):
    saturday = random_saturday()
    with pytest.raises(Unprocessable) as err:  # the day and the kind together: 422
        rpc(operator).set_calendar_day(saturday.isoformat(), "workday", "")
    assert "make-up working day" in err.value.fields["kind"][0]
    with pytest.raises(ValidationFailed) as err:
        rpc(operator).set_calendar_day(saturday.isoformat(), "half_day", "")
    assert "kind" in err.value.fields
    with pytest.raises(ValidationFailed) as err:
        rpc(operator).set_calendar_day("2150-02-30", "holiday", "")
    assert "day" in err.value.fields


def test_ORG6_only_the_operator_edits_the_calendar_and_everyone_signed_in_reads_it(rpc, isv, new_employee,
                                                                                   actor_of):
    monday = random_saturday() + timedelta(days=2)
    with pytest.raises(Forbidden):
        rpc(isv.actor).set_calendar_day(monday.isoformat(), "holiday", "Company day")
    with pytest.raises(Forbidden):
        rpc(isv.actor).remove_calendar_day(monday.isoformat())
    user, _ = new_employee(isv)
    assert rpc(actor_of(user)).calendar(2024)["covers"] is True
    with pytest.raises(Unauthenticated):
        rpc().calendar(2024)


def test_ORG6_a_covered_year_lists_the_statutory_holidays_and_make_up_days(rpc, isv):
    year = rpc(isv.actor).calendar(2024)
    days = {d["day"]: d for d in year["days"]}
    assert year["covers"] is True and year["note"] is None
    assert days["2024-10-01"]["kind"] == "holiday" and days["2024-10-01"]["name"] == "National Day"
    assert days["2024-09-29"] == {"day": "2024-09-29", "kind": "makeup_workday", "name": "National Day",
                                  "working": True, "source": "statutory"}


def test_audit_log_records_log_ins_with_the_client_address_newest_first(rpc, operator, isv, new_employee,
                                                                        random_address):
    user, password = new_employee(isv)
    address = random_address()
    with pytest.raises(Unauthenticated):
        rpc().login(user["login_name"], "wrong-pass-1", address)
    rpc().login(user["login_name"], password, address)
    entries = rpc(operator).audit_log({"org_id": isv.org["id"], "limit": 200})["items"]
    logins = [e for e in entries if e["subject_id"] == user["id"] and e["action"].startswith("login")]
    assert [e["action"] for e in logins] == ["login_succeeded", "login_failed"]
    assert all(e["client_address"] == address for e in logins)
    assert logins[1]["details"]["reason"] == "wrong_password" and logins[0]["actor_user_id"] == user["id"]
    assert {e["action"] for e in entries[-2:]} == {"user_created", "organisation_created"}


def test_audit_log_pages_with_a_cursor_and_is_for_the_operator_only(rpc, operator, isv, new_employee):
    for _ in range(3):
        new_employee(isv)
    first = rpc(operator).audit_log({"org_id": isv.org["id"], "action": "user_created", "limit": 2})
    second = rpc(operator).audit_log({"org_id": isv.org["id"], "action": "user_created", "limit": 2,
                                      "cursor": first["next_cursor"]})
    ids = [int(e["id"]) for e in first["items"] + second["items"]]
    assert len(ids) == 4 and ids == sorted(ids, reverse=True) and second["next_cursor"] is None
    with pytest.raises(Forbidden):
        rpc(isv.actor).audit_log({})


def test_the_audit_log_refuses_update_and_delete(rpc, isv, db):
    with db.connect() as conn:
        entry_id, action = conn.execute(text("select id, action from audit_log where org_id = :o limit 1"),
                                        {"o": isv.org["id"]}).one()
    for statement in ("update audit_log set action = 'forged' where id = :id", "delete from audit_log where id = :id"):
        with db.connect() as conn, pytest.raises(sqlalchemy.exc.DBAPIError, match="append-only"):
            conn.execute(text(statement), {"id": entry_id})
    with db.connect() as conn:
        assert conn.execute(text("select action from audit_log where id = :id"),
                            {"id": entry_id}).scalar_one() == action
