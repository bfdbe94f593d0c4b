"""Signing in to the web console, the first-log-in password change, the menus of each role."""
import uuid

import pytest
import requests

from deploy import demo
from identity_svc.domain.menus import menus_for

pytestmark = pytest.mark.e2e

DEMO_ROLES = ["operator", "vendor.admin", "provider-a.admin", "customer.admin", "vendor.support"]


def expected_menus(e2e, login: str) -> list[str]:
    me = requests.get(e2e.url("/api/v1/me"), headers=e2e.auth(login), timeout=15).json()
    return [child["key"] for top in menus_for(me["user"]["roles"]) for child in top["children"]]


@pytest.mark.parametrize("login", DEMO_ROLES)
def test_ORG7_each_demo_role_signs_in_and_sees_exactly_its_menus(e2e, console, login):
    tab = console(login, motion=True)
    shown = tab.menus()
    assert shown == expected_menus(e2e, login)
    tab.screenshot(f"home-{login}")


def test_ORG7_the_vendor_admin_sees_the_seeds_menus_in_chinese_and_english(e2e, console):
    """Seed 000 2.1.1: the vendor's main account menus, by their Chinese titles; the switch turns them English."""
    tab = console("vendor.admin", lang="zh", motion=True)
    tab.wait_signed_in()
    menu = tab.page.inner_text("[data-testid=menu]")
    for title in ("产品中心", "项目管理", "排队情况", "数据看板", "服务流程模板", "用户管理", "节假日设置", "已购服务"):
        assert title in menu
    assert "组织管理" not in menu and "模板审核" not in menu, "the operator's menus are not the vendor's"
    tab.page.click("[data-testid=lang] >> text=EN")
    tab.page.wait_for_selector("[data-testid=menu] >> text=Project management")
    assert "Dashboard" in tab.page.inner_text("[data-testid=menu]")


def test_ORG4_first_sign_in_changes_the_one_time_password_then_signs_out(e2e, console):
    login = f"first-{uuid.uuid4().hex[:8]}"
    created = requests.post(e2e.url("/api/v1/organisations"), headers=e2e.auth("operator"), timeout=15, json={
        "name": f"Console Org {login}", "kind": "customer",
        "admin": {"login_name": login, "display_name": f"Admin {login}"}})
    assert created.status_code == 201, created.text
    one_time = created.json()["password"]
    tab = console(login, one_time)
    form = tab.page.wait_for_selector("[data-testid=change-password]")
    tab.screenshot("first-login-password-change")
    tab.page.fill("[data-testid=change-password] input >> nth=0", one_time)
    tab.page.fill("[data-testid=change-password] input >> nth=1", demo.DEMO_PASSWORD + "x")
    form.query_selector("button[type=submit]").click()
    assert tab.menus() == expected_menus(e2e, "customer.admin")
    # the new password works through the API too, the old one no longer
    assert requests.post(e2e.url("/api/v1/auth/login"), timeout=15,
                         json={"login_name": login, "password": one_time}).status_code == 401
    tab.page.click("[data-testid=user]")
    tab.page.click("[data-testid=sign-out]")
    tab.page.wait_for_selector("[data-testid=sign-in]")
    assert tab.page.evaluate("localStorage.getItem('console.tokens')") is None


def test_ORG4_a_wrong_password_is_shown_and_nothing_is_signed_in(e2e, console):
    tab = console("vendor.admin", "not-the-password")
    tab.page.wait_for_selector("[data-testid=sign-in] .ant-alert-error")
    assert tab.page.evaluate("localStorage.getItem('console.tokens')") is None
