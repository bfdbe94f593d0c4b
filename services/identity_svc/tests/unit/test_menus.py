"""ORG-7: each role sees its own menus, as the product document lists them (seed 000)."""
from identity_svc.domain.menus import MENU_TREE, MENUS_BY_ROLE, menus_for
from platform_contracts.roles import ROLES


def titles(entries: list[dict]) -> list[tuple[str, list[str]]]:
    return [(e["title_zh"], [c["title_zh"] for c in e["children"]]) for e in entries]


def test_ORG7_vendor_admin_sees_the_seed_menus_of_the_vendor_main_account():
    assert titles(menus_for(["vendor_admin"])) == [
        ("产品中心", ["产品中心"]),
        ("项目中心", ["项目管理", "排队情况", "数据看板"]),
        ("模板中心", ["服务流程模板"]),
        # the seed's, and the organisation's integrator keys (GW-6)
        ("系统设置", ["个人信息", "用户管理", "API 密钥", "角色管理", "节假日设置", "消息模板设置"]),
        ("已购服务", ["已购服务"]),
    ]


def test_ORG7_vendor_project_manager_sees_products_projects_profile_and_purchases():
    assert titles(menus_for(["vendor_project_manager"])) == [
        ("产品中心", ["产品中心"]),
        ("项目中心", ["项目管理", "排队情况", "数据看板"]),
        ("系统设置", ["个人信息"]),
        ("已购服务", ["已购服务"]),
    ]


def test_ORG7_provider_admin_sees_the_seed_menus_of_the_provider_main_account():
    assert titles(menus_for(["provider_admin"]))[:3] == [
        ("项目中心", ["项目管理", "我的项目", "订单认领", "排队情况", "数据看板"]),
        ("系统设置", ["个人信息", "用户管理", "API 密钥", "持单量设置"]),
        ("已购服务", ["已购服务"]),
    ]


def test_ORG7_provider_employees_see_their_projects_and_only_customer_managers_claim_orders():
    assert titles(menus_for(["engineer"])) == [
        ("项目中心", ["我的项目"]), ("系统设置", ["个人信息"]), ("已购服务", ["已购服务"])]
    assert titles(menus_for(["customer_manager"]))[0] == ("项目中心", ["我的项目", "订单认领"])


def test_ORG7_menus_of_several_roles_are_merged_once_each_in_seed_order():
    merged = menus_for(["provider_admin", "vendor_admin", "engineer"])
    assert [e["key"] for e in merged] == ["products", "projects", "templates", "settings", "purchased", "tickets",
                                                "billing"]
    projects = next(e for e in merged if e["key"] == "projects")
    assert [c["key"] for c in projects["children"]] == [
        "projects.manage", "projects.mine", "projects.claim", "projects.queue", "projects.dashboard"]
    keys = [c["key"] for e in merged for c in e["children"]]
    assert len(keys) == len(set(keys))


def test_ORG7_GW6_a_customers_main_account_manages_its_users_and_keys_its_other_users_do_not():
    settings = dict(titles(menus_for(["customer", "customer_admin"])))["系统设置"]
    assert settings == ["个人信息", "用户管理", "API 密钥"]
    assert dict(titles(menus_for(["customer"])))["系统设置"] == ["个人信息"]


def test_ORG7_entries_have_key_title_path_and_children():
    entry = menus_for(["customer"])[0]
    assert set(entry) == {"key", "title", "title_zh", "path", "children"}
    assert entry["path"] == "/projects" and entry["children"][0]["path"] == "/projects/mine"
    assert entry["children"][0]["children"] == []


def test_ORG7_operator_sees_platform_operations_and_the_audit_log_but_no_vendor_screens():
    keys = {c["key"] for e in menus_for(["platform_operator"]) for c in e["children"]}
    assert {"operations.organisations", "templates.approvals", "settings.holidays", "settings.audit_log"} <= keys
    assert "templates.flows" not in keys and "settings.users" not in keys


def test_every_role_has_menus_and_unknown_roles_add_nothing():
    assert set(MENUS_BY_ROLE) == set(ROLES)
    assert menus_for(["no_such_role"]) == []
    assert len({top.key for top in MENU_TREE}) == len(MENU_TREE)


def test_BIL3_BIL11_customers_suppliers_and_the_operator_see_the_billing_menus_after_the_seeds():
    billing = ["billing.catalogue", "billing.orders", "billing.credit", "billing.statements", "billing.settings"]
    for role in ("customer", "provider_admin", "platform_operator"):
        tops = menus_for([role])
        assert [c["key"] for c in next(e for e in tops if e["key"] == "billing")["children"]] == billing, role
    # the vendor's main-account menus stay exactly the seed's; an ISV admin holds provider_admin too
    assert "billing" not in {e["key"] for e in menus_for(["vendor_admin"])}
    assert "billing" not in {e["key"] for e in menus_for(["engineer", "support_agent"])}
