"""The platform operator's pages in the browser: organisations (the admin's one-time password
shown once), the working calendar (a whole year imported, a bad row named first; one day changed and
undone) and the audit log (filtered, paged)."""
import uuid

import pytest
import requests

pytestmark = pytest.mark.e2e

YEAR = 2027
GOOD_CSV = (f"day,kind,name\n{YEAR}-01-01,holiday,元旦\n{YEAR}-02-06,holiday,春节\n{YEAR}-02-07,holiday,春节\n"
            f"{YEAR}-02-08,holiday,春节\n{YEAR}-02-14,makeup_workday,春节调休\n{YEAR}-10-01,holiday,国庆节\n")


def calendar(e2e, year: int) -> dict:
    answer = requests.get(e2e.url(f"/api/v1/calendar/{year}"), headers=e2e.auth("operator"), timeout=15)
    assert answer.status_code == 200, answer.text
    return {d["day"]: d for d in answer.json()["days"]}


def test_ORG1_the_operator_creates_an_organisation_and_sees_the_admins_password_once(e2e, console):
    operator = console("operator")
    operator.wait_signed_in()
    operator.open("/operations.organisations")
    page = operator.page
    page.wait_for_selector("[data-testid=organisations] .ant-table-row")
    operator.screenshot("operator-organisations")
    suffix = uuid.uuid4().hex[:8]
    page.click("[data-testid=new-organisation]")
    page.fill("#org-name", f"Console ISV {suffix}")
    page.fill("#org-admin-login", f"console-{suffix}")
    page.fill("#org-admin-name", "Console admin")
    page.fill("#org-admin-email", "not an address")
    page.click("[data-testid=organisation-ok]")
    # the API's message appears under the e-mail field; nothing was created
    page.wait_for_selector("[data-testid=organisation-form] .ant-form-item-has-error #org-admin-email")
    page.fill("#org-admin-email", f"admin-{suffix}@example.com")
    page.click("[data-testid=organisation-ok]")
    password = page.inner_text("[data-testid=one-time-password]").strip()
    assert len(password) == 8
    operator.screenshot("operator-organisation-password")
    signed = requests.post(e2e.url("/api/v1/auth/login"), timeout=15,
                           json={"login_name": f"console-{suffix}", "password": password})
    assert signed.status_code == 200 and signed.json()["must_change_password"] is True
    page.click("[data-testid=password-seen]")
    page.wait_for_selector("[data-testid=one-time-password]", state="detached")
    assert password not in page.content(), "the password is gone once the dialog is closed"
    page.fill("#org-search", suffix)
    page.press("#org-search", "Enter")
    page.wait_for_selector(f"[data-testid=organisations] >> text=Console ISV {suffix}")
    # the new organisation is on the unfiltered first page too: wait for the search's answer
    page.wait_for_function("() => document.querySelectorAll('[data-testid=organisations] .ant-table-row')"
                           ".length === 1", timeout=15_000)
    assert page.locator("[data-testid=organisations] .ant-table-row").count() == 1


def test_ORG6_the_operator_imports_a_whole_year_of_holidays_and_changes_one_day(e2e, console):
    operator = console("operator")
    operator.wait_signed_in()
    operator.open("/settings.holidays")
    page = operator.page
    page.wait_for_selector("[data-testid=calendar] [data-day='2026-01-01']")
    page.click("[data-testid=import-year]")
    page.fill("#import-year", str(YEAR))
    # a bad row first: a day outside the year is named, nothing is stored
    page.fill("#import-text", GOOD_CSV + "2028-01-01,holiday,wrong year\n")
    page.click("[data-testid=import-ok]")
    errors = page.wait_for_selector("[data-testid=import-errors]")
    assert "2028-01-01,holiday,wrong year" in errors.inner_text(), "the wrong line of the file is quoted"
    assert calendar(e2e, YEAR).get(f"{YEAR}-01-01", {}).get("source") != "override", "nothing was stored"
    page.fill("#import-text", GOOD_CSV)
    page.click("[data-testid=import-ok]")
    page.wait_for_selector("text=6 days imported, 6 changed")
    page.wait_for_selector(f"[data-testid=calendar] [data-day='{YEAR}-02-14'][data-kind=makeup_workday]")
    assert page.get_attribute(f"[data-day='{YEAR}-10-01']", "data-kind") == "holiday"
    days = calendar(e2e, YEAR)
    assert days[f"{YEAR}-02-14"]["kind"] == "makeup_workday" and days[f"{YEAR}-02-06"]["name"] == "春节"
    operator.screenshot("operator-calendar")

    # one day changed by hand (a weekday made a holiday), then undone
    page.click(f"[data-day='{YEAR}-03-03']")
    page.click("[data-testid=day-form] .ant-select-selector")
    page.locator(".ant-select-dropdown .ant-select-item-option[title=Holiday] >> visible=true").click()
    page.wait_for_selector("[data-testid=day-form] .ant-select-selection-item[title=Holiday]")
    page.fill("#day-name", "Console holiday")
    page.click("[data-testid=day-ok]")
    try:
        page.wait_for_selector("[data-testid=day-form]", state="detached")
    except Exception:
        operator.screenshot("operator-calendar-day-failed")
        raise
    page.wait_for_selector(f"[data-day='{YEAR}-03-03'][data-kind=holiday][data-source=override]")
    assert calendar(e2e, YEAR)[f"{YEAR}-03-03"]["name"] == "Console holiday"
    page.click(f"[data-day='{YEAR}-03-03']")
    page.click("[data-testid=day-undo]")
    page.wait_for_selector(f"[data-day='{YEAR}-03-03'][data-kind=workday]")
    assert f"{YEAR}-03-03" not in calendar(e2e, YEAR)

    # the audit log has the import's days, filtered by action, newest first, paged by cursor
    operator.open("/settings.audit_log")
    page.fill("#audit-action", "calendar_day_set")
    page.click("[data-testid=audit-search]")
    page.wait_for_selector("[data-testid=audit-log] .ant-table-row >> text=calendar_day_set")
    actions = page.eval_on_selector_all("[data-testid=audit-log] .ant-table-row .ant-tag",
                                        "els => els.map(e => e.innerText)")
    assert actions and set(actions) == {"calendar_day_set"}
    operator.screenshot("operator-audit-log")


def test_ORG6_the_vendor_sees_the_calendar_read_only(e2e, console):
    vendor = console("vendor.admin")
    vendor.wait_signed_in()
    vendor.open("/settings.holidays")
    vendor.page.wait_for_selector("[data-testid=calendar] [data-day='2026-10-01'][data-kind=holiday]")
    assert vendor.page.query_selector("[data-testid=import-year]") is None
    vendor.page.click("[data-day='2026-10-01']")
    assert vendor.page.query_selector("[data-testid=day-form]") is None
