"""The platform's preset roles (ORG-2) and the rules for giving them to users.

Roles are preset by the platform, never created by tenants; service flows dispatch by role.
An ISV's main account (ORG-1) holds both admin roles, vendor_admin and provider_admin: they
come with the organisation and are never handed out afterwards, so no assignment can make a
second admin, and the main account cannot drop them. The seed gives ISV sub-accounts the work
roles only (vendor project manager on the vendor side, designer, engineer, ... on the provider side).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from identity_svc.exceptions import NotAllowedNow
from platform_contracts.roles import (
    CUSTOMER,
    CUSTOMER_ADMIN,
    CUSTOMER_MANAGER,
    CUSTOMER_ROLE,
    DESIGNER,
    ENGINEER,
    ISV,
    OPERATOR,
    PLATFORM_OPERATOR,
    PROVIDER_ADMIN,
    ROLES_BY_ORG_KIND,
    SERVICE_STAFF,
    SUPPORT_AGENT,
    VENDOR_ADMIN,
    VENDOR_PROJECT_MANAGER,
)


@dataclass(frozen=True)
class Role:
    key: str
    org_kind: str
    title: str
    title_zh: str
    description: str
    main_account_only: bool = False


ROLE_CATALOGUE: tuple[Role, ...] = (
    Role(PLATFORM_OPERATOR, OPERATOR, "Platform operator", "云市场小二",
         "Runs the marketplace: organisations, provider relations, public templates, roles, calendar."),
    Role(VENDOR_ADMIN, ISV, "Vendor admin", "厂商管理员",
         "The ISV's main account on the vendor side: products, templates, providers, users.",
         main_account_only=True),
    Role(VENDOR_PROJECT_MANAGER, ISV, "Vendor project manager", "厂商项目经理",
         "Helps the vendor admin manage projects and part of the configuration."),
    Role(PROVIDER_ADMIN, ISV, "Provider admin", "服务商管理员",
         "The ISV's main account on the provider side: departments, employees, capacity, projects.",
         main_account_only=True),
    Role(CUSTOMER_MANAGER, ISV, "Customer manager", "客户经理",
         "Claims orders by their marketplace order id; work is then dispatched inside the department."),
    Role(DESIGNER, ISV, "Designer", "设计师", "Does the design work of a delivery."),
    Role(ENGINEER, ISV, "Engineer", "工程师", "Installs, configures and customises."),
    Role(SERVICE_STAFF, ISV, "Service staff", "服务人员", "Carries out service steps of a delivery."),
    Role(SUPPORT_AGENT, ISV, "Support agent", "客服人员", "Answers after-sales tickets while on duty."),
    Role(CUSTOMER_ROLE, CUSTOMER, "Customer", "客户",
         "Bought a product: submits requirements, confirms delivery, rates, opens tickets."),
    Role(CUSTOMER_ADMIN, CUSTOMER, "Customer admin", "客户管理员",
         "The customer's main account: manages the organisation's users and integrator keys.",
         main_account_only=True),
)
ROLES_BY_KEY = {role.key: role for role in ROLE_CATALOGUE}

# what the main account of each kind of organisation holds from the start
MAIN_ACCOUNT_ROLES = {OPERATOR: (PLATFORM_OPERATOR,), ISV: (VENDOR_ADMIN, PROVIDER_ADMIN),
                      CUSTOMER: (CUSTOMER_ROLE, CUSTOMER_ADMIN)}
ISV_ADMIN_ROLES = (VENDOR_ADMIN, PROVIDER_ADMIN)

assert {r.key for r in ROLE_CATALOGUE} == {k for keys in ROLES_BY_ORG_KIND.values() for k in keys}


def roles_of_kind(org_kind: str) -> tuple[Role, ...]:
    return tuple(r for r in ROLE_CATALOGUE if r.org_kind == org_kind)


def ordered(roles: Iterable[str]) -> list[str]:
    """Roles without duplicates, in catalogue order (stable output, whatever order came in)."""
    wanted = set(roles)
    return [r.key for r in ROLE_CATALOGUE if r.key in wanted]


def check_roles(org_kind: str, wanted: Iterable[str], *, current: Iterable[str] = (),
                is_main_account: bool = False) -> list[str]:
    """The roles a user of ``org_kind`` ends up with, or NotAllowedNow (422) naming ``roles``: the
    request schemas already refuse unknown names and an empty list (400), what is left depends on
    the organisation and the account, which no schema can state.

    ``current`` is what the user holds now (empty for a new user). Rules:
    every role must exist and belong to the organisation's kind; at least one role;
    main-account-only roles are kept by the main account and given to nobody else.
    """
    wanted = list(wanted)
    problems = []
    unknown = [r for r in wanted if r not in ROLES_BY_KEY]
    if unknown:
        problems.append(f"unknown role(s): {', '.join(sorted(set(unknown)))}")
    foreign = [r for r in wanted if r in ROLES_BY_KEY and ROLES_BY_KEY[r].org_kind != org_kind]
    if foreign:
        problems.append(f"not a role of a(n) {org_kind} organisation: {', '.join(sorted(set(foreign)))}; "
                        f"choose from {', '.join(ROLES_BY_ORG_KIND.get(org_kind, ()))}")
    if not wanted:
        problems.append("give at least one role")
    reserved = [r for r in ordered(wanted) if ROLES_BY_KEY[r].main_account_only]
    held = set(current)
    if is_main_account:
        dropped = [r for r in MAIN_ACCOUNT_ROLES.get(org_kind, ()) if r in held and r not in wanted]
        if dropped:
            problems.append(f"the organisation's main account keeps {', '.join(dropped)}")
    else:
        granted = [r for r in reserved if r not in held]
        if granted:
            problems.append(f"{', '.join(granted)} belong(s) to the organisation's main account only")
    if problems:
        raise NotAllowedNow("These roles cannot be given.", {"roles": problems})
    return ordered(wanted)


def is_isv_admin(org_kind: str, roles: Iterable[str]) -> bool:
    return org_kind == ISV and any(r in ISV_ADMIN_ROLES for r in roles)


def is_customer_admin(org_kind: str, roles: Iterable[str]) -> bool:
    return org_kind == CUSTOMER and CUSTOMER_ADMIN in roles
