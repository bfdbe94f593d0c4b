"""ORG-1..4 and NTF-1 in the browser: an ISV admin builds its department tree, creates a user
in a department and sees the one-time password exactly once; the profile, roles and message templates."""
import uuid

import pytest
import requests

from platform_kit.testing import _wait_until as wait_until

pytestmark = pytest.mark.e2e

MODAL_OK = ".ant-modal-wrap:visible .ant-modal-footer .ant-btn-primary"


def test_ORG3_ORG4_an_admin_creates_a_department_and_a_user_and_sees_the_one_time_password_once(e2e, console):
    isv = e2e.new_organisation("isv")
    suffix = uuid.uuid4().hex[:6]
    dept, moved, login = f"Support {suffix}", f"Night shift {suffix}", f"agent-{suffix}"

    tab = console(isv["login"])
    tab.wait_signed_in()
    tab.open("/settings.users")
    page = tab.page
    # the tree: pick the root (the organisation), add a child department
    page.click("[data-testid=department-tree] .ant-tree-node-content-wrapper >> nth=0")
    page.click("[data-testid=department-add]")
    page.fill("[data-testid=department-name]", dept)
    page.click(MODAL_OK)
    page.wait_for_selector(f"[data-testid=department-tree] >> text={dept} (0)")
    # a second one, then moved under the first
    page.click("[data-testid=department-tree] .ant-tree-node-content-wrapper >> nth=0")
    page.click("[data-testid=department-add]")
    page.fill("[data-testid=department-name]", moved)
    page.click(MODAL_OK)
    page.click(f"[data-testid=department-tree] >> text={moved} (0)")
    page.click("[data-testid=department-move]")
    tab.choose("[data-testid=department-form] .ant-form-item:has(#parent_id)", dept)
    page.click(MODAL_OK)

    def moved_under() -> bool:
        tree = requests.get(e2e.url("/api/v1/departments"), headers=isv["headers"], timeout=15).json()["root"]
        first = next((c for c in tree["children"] if c["name"] == dept), None)
        return bool(first and any(c["name"] == moved for c in first["children"]))
    wait_until(moved_under, timeout=15, message="the department moved under the first")

    # a user in the first department: select it, create, the password shows once
    page.click(f"[data-testid=department-tree] .ant-tree-title:has-text('{dept} (')")
    page.click("[data-testid=new-user]")
    page.fill("[data-testid=user-form] #login_name", login)
    page.fill("[data-testid=user-form] #display_name", f"Agent {suffix}")
    tab.choose("[data-testid=user-form] .ant-form-item:has(#roles)", "Support agent")
    page.keyboard.press("Escape")
    # the API's field error shows under its field first: an e-mail that is not one
    page.fill("[data-testid=user-form] #email", "not-an-email")
    page.click(MODAL_OK)
    page.wait_for_selector("[data-testid=user-form] #email_help")
    tab.screenshot("users-field-error")
    page.fill("[data-testid=user-form] #email", f"{login}@example.com")
    page.click(MODAL_OK)
    shown = page.wait_for_selector("[data-testid=one-time-password]")
    password = shown.inner_text().strip()
    assert len(password) == 8, password
    tab.screenshot("users-one-time-password")
    page.click(".ant-modal-confirm-btns .ant-btn-primary")
    page.wait_for_selector("[data-testid=one-time-password]", state="detached")
    page.wait_for_selector(f"[data-testid=user-table] >> text={login}")
    assert password not in page.content(), "the one-time password is shown once, then nowhere"
    tab.screenshot("users-and-departments")

    users = requests.get(e2e.url("/api/v1/users"), headers=isv["headers"], params={"q": login}, timeout=15).json()
    user = next(u for u in users["items"] if u["login_name"] == login)
    tree = requests.get(e2e.url("/api/v1/departments"), headers=isv["headers"], timeout=15).json()["root"]
    assert user["department_id"] == next(c["id"] for c in tree["children"] if c["name"] == dept)
    assert user["roles"] == ["support_agent"] and user["must_change_password"] is True
    # the password works once, for the first sign-in's change
    assert requests.post(e2e.url("/api/v1/auth/login"), json={"login_name": login, "password": password},
                         timeout=15).status_code == 200

    # disabling the user from the list
    row = page.locator(f"[data-testid=user-table] tr:has-text('{login}')")
    row.locator("[data-testid=user-disable]").click()
    page.click(".ant-popover:visible .ant-btn-primary")
    row.locator("text=Disabled").wait_for()
    assert requests.post(e2e.url("/api/v1/auth/login"), json={"login_name": login, "password": password},
                         timeout=15).status_code in (401, 403)


def test_ORG4_NTF1_profile_preferences_roles_and_message_templates(e2e, console):
    isv = e2e.new_organisation("isv")
    tab = console(isv["login"])
    tab.wait_signed_in()
    tab.open("/settings.profile")
    page = tab.page
    page.wait_for_selector("[data-testid=profile-preferences]")
    tab.choose("[data-testid=profile-preferences] .ant-form-item:has(#timezone)", "Europe/Berlin", search=True)
    tab.choose("[data-testid=profile-preferences] .ant-form-item:has(#language)", "English")
    page.click("[data-testid=profile-save-preferences]")

    def saved() -> bool:
        prefs = requests.get(e2e.url("/api/v1/notification-preferences"), headers=isv["headers"], timeout=15).json()
        return prefs.get("timezone") == "Europe/Berlin" and prefs.get("language") == "en"
    wait_until(saved, timeout=15, message="the time zone saved")
    assert page.evaluate("localStorage.getItem('console.tz')") == "Europe/Berlin"
    tab.screenshot("profile")

    tab.open("/settings.roles")
    page.wait_for_selector("text=Support agent")
    tab.screenshot("roles")

    tab.open("/settings.message_templates")
    page.wait_for_selector("[data-testid=message-template-table] .ant-table-row")
    total = requests.get(e2e.url("/api/v1/message-templates"), headers=isv["headers"], timeout=15).json()["total"]
    assert total > 0
    page.locator("[data-testid=message-template-table] .ant-table-row a").first.click()
    page.wait_for_selector(".ant-drawer-open >> text=Preview")
    tab.screenshot("message-templates")


def test_GW6_ORG4_a_customer_admin_adds_a_user_and_an_api_key_shown_once_then_revokes_it(e2e, console):
    buyer = e2e.new_organisation("customer")
    suffix = uuid.uuid4().hex[:6]
    tab = console(buyer["login"])
    tab.wait_signed_in()
    page = tab.page
    # users of a customer: a flat list, no department tree
    tab.open("/settings.users")
    page.wait_for_selector("[data-testid=user-table]")
    assert page.query_selector("[data-testid=department-tree]") is None
    page.click("[data-testid=new-user]")
    page.fill("[data-testid=user-form] #login_name", f"buyer-{suffix}")
    page.fill("[data-testid=user-form] #display_name", f"采购员 {suffix}")
    tab.choose("[data-testid=user-form] .ant-form-item:has(#roles)", "客户 / Customer")
    page.keyboard.press("Escape")
    page.click(MODAL_OK)
    page.wait_for_selector("[data-testid=one-time-password]")
    page.click(".ant-modal-confirm .ant-btn-primary")

    tab.open("/settings.api_keys")
    page.click("[data-testid=new-api-key-button]")
    page.fill("[data-testid=api-key-form] #name", f"ERP {suffix}")
    tab.choose("[data-testid=api-key-form] .ant-form-item:has(#roles)", "客户 / Customer")
    page.keyboard.press("Escape")
    page.click(MODAL_OK)
    shown = page.wait_for_selector("[data-testid=new-api-key]")
    key = shown.inner_text().strip()
    assert key.startswith("dpk_")
    tab.screenshot("api-key-shown-once")
    page.click(".ant-modal-confirm .ant-btn-primary")
    assert requests.get(e2e.url("/api/v1/me"), headers={"X-Api-Key": key}, timeout=15).status_code == 200
    row = page.wait_for_selector(f"[data-testid=api-key-table] .ant-table-row:has-text('ERP {suffix}')")
    assert key not in page.inner_text("[data-testid=api-keys]"), "the secret is shown once, in the dialog only"
    row.query_selector("[data-testid=api-key-revoke]").click()
    page.click(".ant-popover:visible .ant-btn-primary")
    wait_until(lambda: requests.get(e2e.url("/api/v1/me"), headers={"X-Api-Key": key}, timeout=15).status_code == 401,
               timeout=15, message="the revoked key refused")
