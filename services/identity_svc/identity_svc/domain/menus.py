"""Which menus each role sees (ORG-7), as the product document lists them per account.

The seed (000, sections 2.1.1 / 2.1.2 / 2.2.1 / 2.2.2) gives the first- and second-level menus
of the vendor admin, the vendor project manager, the provider admin and provider employees. The
platform operator, customer and support-agent menus follow the duties the spec gives them
(templates approval, organisations, calendar; projects and tickets of a customer).

A user with several roles sees the union, without duplicates, in the order of ``MENU_TREE``
(the seed's order, entries the seed does not list coming after it).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from platform_contracts.roles import (
    CUSTOMER_ADMIN,
    CUSTOMER_MANAGER,
    CUSTOMER_ROLE,
    DESIGNER,
    ENGINEER,
    PLATFORM_OPERATOR,
    PROVIDER_ADMIN,
    SERVICE_STAFF,
    SUPPORT_AGENT,
    VENDOR_ADMIN,
    VENDOR_PROJECT_MANAGER,
)


@dataclass(frozen=True)
class Menu:
    key: str
    title: str
    title_zh: str
    path: str
    children: tuple[Menu, ...] = ()


def _leaf(key: str, title: str, title_zh: str) -> Menu:
    return Menu(key, title, title_zh, "/" + key.replace(".", "/").replace("_", "-"))


MENU_TREE: tuple[Menu, ...] = (
    Menu("products", "Products", "产品中心", "/products", (
        _leaf("products.catalogue", "Products", "产品中心"),
    )),
    Menu("projects", "Projects", "项目中心", "/projects", (
        _leaf("projects.manage", "Project management", "项目管理"),
        _leaf("projects.mine", "My projects", "我的项目"),
        _leaf("projects.claim", "Claim orders", "订单认领"),
        _leaf("projects.queue", "Queue", "排队情况"),
        _leaf("projects.dashboard", "Dashboard", "数据看板"),
    )),
    Menu("templates", "Templates", "模板中心", "/templates", (
        _leaf("templates.flows", "Service-flow templates", "服务流程模板"),
        _leaf("templates.public", "Public templates", "公共模板"),
        _leaf("templates.approvals", "Template approvals", "模板审核"),
        _leaf("templates.requirement_forms", "Requirement forms", "需求表单模板"),
    )),
    Menu("settings", "Settings", "系统设置", "/settings", (
        _leaf("settings.profile", "Personal information", "个人信息"),
        _leaf("settings.users", "Users", "用户管理"),
        _leaf("settings.api_keys", "API keys", "API 密钥"),
        _leaf("settings.roles", "Roles", "角色管理"),
        _leaf("settings.holidays", "Holidays", "节假日设置"),
        _leaf("settings.message_templates", "Message templates", "消息模板设置"),
        _leaf("settings.capacity", "Held-order capacity", "持单量设置"),
        _leaf("settings.audit_log", "Audit log", "审计日志"),
    )),
    Menu("purchased", "Purchased services", "已购服务", "/purchased", (
        _leaf("purchased.services", "Purchased services", "已购服务"),
    )),
    Menu("tickets", "Tickets", "工单中心", "/tickets", (
        _leaf("tickets.mine", "My tickets", "我的工单"),
        _leaf("tickets.manage", "Ticket management", "工单管理"),
    )),
    # the supplier money chain (seed 002: 商品订购, 代收代扣协议签署, 对账): customers, suppliers (ISV
    # admins, who always hold the provider admin role) and the operator
    Menu("billing", "Billing", "结算中心", "/billing", (
        _leaf("billing.catalogue", "Products and subscriptions", "商品订购"),
        _leaf("billing.orders", "Orders", "订单查询"),
        _leaf("billing.credit", "Credit accounts", "信用额度"),
        _leaf("billing.statements", "Statements and reconciliation", "对账单"),
        _leaf("billing.settings", "Agreements and settings", "协议与配置"),
    )),
    Menu("operations", "Operations", "平台运营", "/operations", (
        _leaf("operations.organisations", "Organisations", "组织管理"),
        _leaf("operations.provider_relations", "Vendor-provider relations", "服务商关系"),
    )),
)

_PROVIDER_EMPLOYEE = ("projects.mine", "settings.profile", "purchased.services")
_BILLING = ("billing.catalogue", "billing.orders", "billing.credit", "billing.statements", "billing.settings")

# Second-level keys per role; the first level follows from them.
MENUS_BY_ROLE: dict[str, tuple[str, ...]] = {
    # 2.1.1 厂商主账号
    VENDOR_ADMIN: ("products.catalogue", "projects.manage", "projects.queue", "projects.dashboard",
                   "templates.flows", "settings.profile", "settings.users", "settings.roles",
                   "settings.holidays", "settings.message_templates", "purchased.services", "settings.api_keys"),
    # 2.1.2 厂商项目经理
    VENDOR_PROJECT_MANAGER: ("products.catalogue", "projects.manage", "projects.queue", "projects.dashboard",
                             "settings.profile", "purchased.services"),
    # 2.2.1 服务商主账号
    PROVIDER_ADMIN: ("projects.manage", "projects.mine", "projects.claim", "projects.queue", "projects.dashboard",
                     "settings.profile", "settings.users", "settings.capacity", "purchased.services",
                     "tickets.manage", "settings.api_keys", *_BILLING),
    # 2.2.2 服务商员工: claiming orders is the customer manager's job (2.2.2.2, DSP-7)
    CUSTOMER_MANAGER: (*_PROVIDER_EMPLOYEE, "projects.claim"),
    DESIGNER: _PROVIDER_EMPLOYEE,
    ENGINEER: _PROVIDER_EMPLOYEE,
    SERVICE_STAFF: _PROVIDER_EMPLOYEE,
    SUPPORT_AGENT: (*_PROVIDER_EMPLOYEE, "tickets.mine"),
    CUSTOMER_ROLE: ("projects.mine", "tickets.mine", "settings.profile", *_BILLING),
    # the customer's main account manages its organisation's users and integrator keys (GW-6)
    CUSTOMER_ADMIN: ("settings.profile", "settings.users", "settings.api_keys"),
    PLATFORM_OPERATOR: ("operations.organisations", "operations.provider_relations", "templates.public",
                        "templates.approvals", "templates.requirement_forms", "settings.profile",
                        "settings.roles", "settings.holidays", "settings.message_templates",
                        "settings.audit_log", "settings.api_keys", *_BILLING),
}


def _all_keys() -> set[str]:
    return {child.key for top in MENU_TREE for child in top.children}


assert all(set(keys) <= _all_keys() for keys in MENUS_BY_ROLE.values()), "a role names an unknown menu"


def menus_for(roles: Iterable[str]) -> list[dict]:
    """The merged menu tree of these roles: ``[{key, title, title_zh, path, children}]``."""
    visible = {key for role in roles for key in MENUS_BY_ROLE.get(role, ())}
    result = []
    for top in MENU_TREE:
        children = [_entry(child, []) for child in top.children if child.key in visible]
        if children:
            result.append(_entry(top, children))
    return result


def _entry(menu: Menu, children: list[dict]) -> dict:
    return {"key": menu.key, "title": menu.title, "title_zh": menu.title_zh, "path": menu.path,
            "children": children}
