"""Organisations (ORG-1) and the platform operator's bootstrap."""
from __future__ import annotations

from identity_svc.domain import access, audit, departments, passwords
from identity_svc.domain.organisations import OPERATOR_ORG_NAME, Organisation
from identity_svc.domain.roles import MAIN_ACCOUNT_ROLES
from identity_svc.domain.users import User
from identity_svc.exceptions import Clash, InvalidValue, NotPermitted
from identity_svc.handlers.shared import NewAccount, emit, ensure_login_free, new_id, open_account
from platform_contracts.actor import Actor
from platform_contracts.roles import CUSTOMER, OPERATOR, PLATFORM_OPERATOR
from platform_kit.clock import utcnow


def _complete(uow, org: Organisation, account: NewAccount, root_id: str | None, actor: Actor | None) -> None:
    created = org.hand_to(account.user.id, root_id)
    uow.organisations.save(org)
    emit(uow, created)
    uow.audit.add(audit.entry("organisation_created", actor=actor, org_id=org.id, subject_type="organisation",
                              subject_id=org.id,
                              details={"name": org.name, "kind": org.kind, "admin_user_id": org.admin_user_id}))


def bootstrap_operator(cmd: dict, uow) -> tuple[Organisation, User, bool]:
    """The operator organisation and its first user, once; afterwards returns them unchanged."""
    org = uow.organisations.operator(exclusive=True)
    if org is not None:
        return org, uow.users.get(org.admin_user_id), False
    problems = passwords.password_problems(cmd["password"], login_name=cmd["login_name"])
    if problems:
        raise InvalidValue("The password does not meet the policy.", {"password": problems})
    ensure_login_free(uow, cmd["login_name"])
    now = utcnow()
    org = Organisation.found(new_id(), OPERATOR_ORG_NAME, OPERATOR, now)
    uow.organisations.add(org)
    account = open_account(uow, org=org, login_name=cmd["login_name"], display_name=OPERATOR_ORG_NAME, phone=None,
                           email=None, roles=[PLATFORM_OPERATOR], department_id=None, actor=None, now=now,
                           password=cmd["password"])
    _complete(uow, org, account, None, None)
    uow.commit()
    return org, account.user, True


def create_organisation(actor: Actor | None, cmd: dict, uow) -> tuple[Organisation, NewAccount]:
    """ORG-1: an ISV or customer organisation with its main account (and, for an ISV, its root
    department). The admin's one-time password is returned once."""
    actor = access.require_operator(actor)
    if uow.organisations.by_name(cmd["name"]) is not None:
        raise Clash("An organisation with this name exists.", {"name": ["is already used by another organisation"]})
    admin = cmd["admin"]
    ensure_login_free(uow, admin["login_name"], {"admin": {"login_name": ["is already used by another account"]}})
    now = utcnow()
    org = Organisation.found(new_id(), cmd["name"], cmd["kind"], now)
    uow.organisations.add(org)
    root_id = None
    if org.has_departments:
        root, created = departments.root_of(org.id, new_id(), org.name, now)
        uow.departments.add_root(root)
        emit(uow, created)
        root_id = root.id
    account = open_account(uow, org=org, login_name=admin["login_name"], display_name=admin["display_name"],
                           phone=admin["phone"], email=admin["email"], roles=list(MAIN_ACCOUNT_ROLES[org.kind]),
                           department_id=root_id, actor=actor, now=now)
    _complete(uow, org, account, root_id, actor)
    uow.commit()
    return org, account


def get_organisation(actor: Actor | None, org_id: str, uow) -> Organisation:
    actor = access.require_actor(actor)
    return access.require_visible_org(actor, uow.organisations.get(org_id), org_id)


def list_organisations(actor: Actor | None, filters: dict, uow) -> tuple[list[Organisation], int]:
    access.require_operator(actor)
    return uow.organisations.list(**filters)


def customer_directory(actor: Actor | None, filters: dict, uow) -> tuple[list[Organisation], int]:
    """Customer organisations whose name holds ``q``, for an ISV's admin naming the customers a
    product is shown to (BIL-3) and for the operator. Only customers, found by a part of their name
    (a search, not a listing), answered with their id and name (the schema drops the rest)."""
    actor = access.require_org_admin(actor)
    if actor.org_kind == CUSTOMER:  # a customer's admin has no products to show to anyone
        raise NotPermitted("Only an ISV's administrator or the operator may search customers.",
                           {"roles": ["needs one of: vendor_admin, provider_admin, platform_operator"]})
    q = filters["q"].strip()
    if len(q) < 2:
        return [], 0
    return uow.organisations.list(kind=CUSTOMER, q=q, limit=filters["limit"], offset=filters["offset"])
