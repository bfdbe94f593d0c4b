"""Use cases of identity_svc: organisations, users, roles, departments (ORG-1..4, ORG-7).

Each takes the caller (an Actor from the Caller dependency, or None for system work), the
validated command and a unit of work; it checks who may do it, applies the domain rules, writes
the rows, the events (outbox) and the audit entries in the one transaction, and returns what
the service dumps. Log-in, tokens and passwords are in ``signin.py``, the calendar in ``holidays.py``.
"""
from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import wraps
from typing import ParamSpec, TypeVar

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from identity_svc import access
from identity_svc.adapters import audit, repository
from identity_svc.adapters.orm import AuditEntry, Department, Organisation, RefreshToken, User
from identity_svc.adapters.sessions import Sessions
from identity_svc.domain import menus, passwords
from identity_svc.domain.errors import Clash, InvalidValue, NotAllowedNow, RuleViolation
from identity_svc.domain.roles import MAIN_ACCOUNT_ROLES, ROLE_CATALOGUE, ROLES_BY_KEY, Role, check_roles
from platform_contracts.actor import Actor
from platform_contracts.roles import ISV, OPERATOR, PLATFORM_OPERATOR
from platform_kit.clock import utcnow
from platform_kit.db import UnitOfWork
from platform_kit.errors import Conflict, Forbidden, NotFound, Unauthenticated, Unprocessable, ValidationFailed

P = ParamSpec("P")
R = TypeVar("R")
OPERATOR_ORG_NAME = "Platform operator"
BOOTSTRAP_LOCK = 0x1D3A7_0B00  # pg_advisory_xact_lock key: one bootstrap at a time


def use_case(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn the domain's rule violations into the platform's errors, in one place."""
    @wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except InvalidValue as err:
            raise ValidationFailed(err.message, err.fields) from None
        except Clash as err:
            raise Conflict(err.message, err.fields) from None
        except NotAllowedNow as err:
            raise Unprocessable(err.message, err.fields) from None
        except RuleViolation as err:  # pragma: no cover - every rule has a kind above
            raise Unprocessable(err.message, err.fields) from None
    return wrapper


# --------------------------------------------------------------------------- views

def organisation_view(session: Session, org: Organisation) -> dict:
    return {"id": org.id, "name": org.name, "kind": org.kind, "admin_user_id": org.admin_user_id,
            "created_at": org.created_at,
            "root_department_id": repository.root_department_id(session, org.id) if org.kind == ISV else None}


def user_snapshot(user: User, org_kind: str) -> dict:
    """What user_created / user_updated carry: never a password or its hash."""
    return {"user_id": user.id, "org_id": user.org_id, "org_kind": org_kind, "login_name": user.login_name,
            "display_name": user.display_name, "phone": user.phone, "email": user.email,
            "roles": list(user.roles), "department_id": user.department_id, "active": user.active}


# --------------------------------------------------------------------------- shared steps

@dataclass(frozen=True)
class NewAccount:
    user: User
    password: str


def _ensure_login_free(session: Session, login_name: str, field: str = "login_name") -> None:
    if repository.user_by_login(session, login_name) is not None:
        raise Clash("This login name is taken.", {field: ["is already used by another account"]})


def _add_user(uow: UnitOfWork, *, org: Organisation, login_name: str, display_name: str, phone: str | None,
              email: str | None, roles: list[str], department_id: str | None, actor: Actor | None,
              password: str | None = None) -> NewAccount:
    """A new account; without ``password`` a one-time password is generated (ORG-4)."""
    session = uow.session
    one_time = password is None
    clear = passwords.generate_password() if one_time else password
    now = utcnow()
    user = User(id=str(uuid.uuid4()), org_id=org.id, login_name=login_name.strip(),
                login_key=repository.login_key(login_name), display_name=display_name.strip(), phone=phone,
                email=email, department_id=department_id, roles=roles,
                password_hash=passwords.hash_password(clear), must_change_password=one_time, active=True,
                password_changed_at=None if one_time else now, created_at=now, updated_at=now)
    session.add(user)
    session.flush()
    uow.emit("user_created", user_snapshot(user, org.kind))
    audit.record(session, "user_created", actor=actor, org_id=org.id, subject_type="user", subject_id=user.id,
                 details={"login_name": user.login_name, "roles": list(roles), "department_id": department_id})
    return NewAccount(user, clear)


def revoke_sessions(session: Session, sessions: Sessions, user_id: str, reason: str,
                    moment: datetime | None = None) -> None:
    """End every session of a user: access tokens (Redis) and refresh tokens (database).

    Access tokens issued up to and including the millisecond of ``moment`` are refused
    (``platform_kit.auth.Revocations``); one issued just after it, e.g. at the next log-in, works.
    """
    moment = moment or utcnow()
    sessions.revocations.revoke_all_before(user_id, moment)
    session.execute(update(RefreshToken)
                    .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
                    .values(revoked_at=moment, revoked_reason=reason))


# --------------------------------------------------------------------------- organisations

@use_case
def bootstrap_operator(cmd: dict, uow: UnitOfWork) -> tuple[Organisation, User, bool]:
    """The operator organisation and its first user, once; afterwards returns them unchanged."""
    session = uow.session
    session.execute(select(func.pg_advisory_xact_lock(BOOTSTRAP_LOCK)))
    org = repository.operator_organisation(session)
    if org is not None:
        return org, repository.get_user(session, org.admin_user_id), False
    problems = passwords.password_problems(cmd["password"], login_name=cmd["login_name"])
    if problems:
        raise InvalidValue("The password does not meet the policy.", {"password": problems})
    _ensure_login_free(session, cmd["login_name"])
    org = Organisation(id=str(uuid.uuid4()), name=OPERATOR_ORG_NAME, name_key=repository.name_key(OPERATOR_ORG_NAME),
                       kind=OPERATOR, created_at=utcnow())
    session.add(org)
    session.flush()
    account = _add_user(uow, org=org, login_name=cmd["login_name"], display_name=OPERATOR_ORG_NAME, phone=None,
                        email=None, roles=[PLATFORM_OPERATOR], department_id=None, actor=None,
                        password=cmd["password"])
    org.admin_user_id = account.user.id
    _organisation_created(uow, org, None, None)
    return org, account.user, True


@use_case
def create_organisation(actor: Actor | None, cmd: dict, uow: UnitOfWork) -> tuple[Organisation, NewAccount]:
    """ORG-1: an ISV or customer organisation with its main account (and, for an ISV, its root
    department). The admin's one-time password is returned once."""
    actor = access.require_operator(actor)
    session = uow.session
    if repository.organisation_by_name(session, cmd["name"]) is not None:
        raise Clash("An organisation with this name exists.", {"name": ["is already used by another organisation"]})
    admin = cmd["admin"]
    if repository.user_by_login(session, admin["login_name"]) is not None:
        raise Clash("This login name is taken.", {"admin": {"login_name": ["is already used by another account"]}})
    name = " ".join(cmd["name"].split())
    org = Organisation(id=str(uuid.uuid4()), name=name, name_key=repository.name_key(name), kind=cmd["kind"],
                       created_at=utcnow())
    session.add(org)
    session.flush()
    root_id = None
    if org.kind == ISV:
        root = Department(id=str(uuid.uuid4()), org_id=org.id, parent_id=None, name=name)
        session.add(root)
        session.flush()
        root_id = root.id
        uow.emit("department_changed", {"department_id": root.id, "org_id": org.id, "change": "created",
                                        "name": root.name, "parent_id": None})
    account = _add_user(uow, org=org, login_name=admin["login_name"], display_name=admin["display_name"],
                        phone=admin["phone"], email=admin["email"], roles=list(MAIN_ACCOUNT_ROLES[org.kind]),
                        department_id=root_id, actor=actor)
    org.admin_user_id = account.user.id
    _organisation_created(uow, org, root_id, actor)
    return org, account


def _organisation_created(uow: UnitOfWork, org: Organisation, root_id: str | None, actor: Actor | None) -> None:
    uow.session.flush()
    uow.emit("organisation_created", {"org_id": org.id, "name": org.name, "kind": org.kind,
                                      "admin_user_id": org.admin_user_id, "root_department_id": root_id})
    audit.record(uow.session, "organisation_created", actor=actor, org_id=org.id, subject_type="organisation",
                 subject_id=org.id, details={"name": org.name, "kind": org.kind, "admin_user_id": org.admin_user_id})


def get_organisation(actor: Actor | None, org_id: str, session: Session) -> Organisation:
    actor = access.require_actor(actor)
    return access.require_visible_org(actor, repository.get_organisation(session, org_id), org_id)


def list_organisations(actor: Actor | None, filters: dict, session: Session) -> tuple[list[Organisation], int]:
    access.require_operator(actor)
    return repository.list_organisations(session, **filters)


# --------------------------------------------------------------------------- users

@use_case
def create_user(actor: Actor | None, cmd: dict, uow: UnitOfWork) -> NewAccount:
    """ORG-4: a user of the caller's own organisation, with a one-time password."""
    actor = access.require_org_admin(actor)
    session = uow.session
    org = repository.get_organisation(session, actor.org_id)
    if org is None:
        raise NotFound(f"Organisation {actor.org_id} was not found.")
    roles = check_roles(org.kind, cmd["roles"])
    department_id = _department_for(session, org, cmd.get("department_id"))
    _ensure_login_free(session, cmd["login_name"])
    return _add_user(uow, org=org, login_name=cmd["login_name"], display_name=cmd["display_name"],
                     phone=cmd["phone"], email=cmd["email"], roles=roles, department_id=department_id, actor=actor)


def _department_for(session: Session, org: Organisation, department_id: str | None) -> str | None:
    """ORG-3: an ISV user is in exactly one department of its ISV (the root unless chosen)."""
    if org.kind != ISV:
        if department_id:
            raise InvalidValue("Only ISV users belong to departments.",
                               {"department_id": ["only users of an ISV belong to a department"]})
        return None
    if not department_id:
        return repository.root_department_id(session, org.id)
    department = session.get(Department, department_id)
    if department is None or department.org_id != org.id:
        raise InvalidValue("No such department in this organisation.",
                           {"department_id": [f"department {department_id} is not in this organisation"]})
    return department.id


def get_user(actor: Actor | None, user_id: str, session: Session) -> User:
    actor = access.require_actor(actor)
    return access.require_visible_user(actor, repository.get_user(session, user_id), user_id)


def list_users(actor: Actor | None, filters: dict, session: Session) -> tuple[list[User], int]:
    """Admins list their own organisation; the operator any organisation, or all of them."""
    actor = access.require_actor(actor)
    if not access.is_operator(actor):
        if not access.is_admin(actor):
            raise Forbidden("Only an administrator of your organisation may list its users.")
        if filters["org_id"] and filters["org_id"] != actor.org_id:
            raise NotFound(f"Organisation {filters['org_id']} was not found.")
        filters = {**filters, "org_id": actor.org_id}
    return repository.list_users(session, **filters)


SELF_SERVICE_FIELDS = ("display_name", "phone", "email")


@use_case
def update_user(actor: Actor | None, user_id: str, cmd: dict, uow: UnitOfWork, sessions: Sessions) -> User:
    """Names, contact, department, active flag. Users edit their own names and contact (个人信息);
    their organisation's admin edits everything but may not deactivate itself; the operator may
    (de)activate any account."""
    actor = access.require_actor(actor)
    session = uow.session
    user = access.require_visible_user(actor, repository.get_user(session, user_id, for_update=True), user_id)
    is_self = user.id == actor.user_id
    if access.manages_org(actor, user.org_id):
        allowed = set(cmd)
    elif is_self:
        allowed = set(SELF_SERVICE_FIELDS)
    else:  # the operator, on another organisation's user
        allowed = {"active"}
    refused = sorted(set(cmd) - allowed)
    if refused:
        raise Forbidden("You may not change these fields.",
                        {f: ["only an administrator of the user's organisation may change this"] for f in refused})
    if is_self and "active" in cmd and cmd["active"] != user.active:
        raise Forbidden("You cannot deactivate your own account.", {"active": ["you cannot change this for yourself"]})
    org_kind = repository.org_kind(session, user.org_id)
    changed = []
    for field in ("display_name", "phone", "email"):
        if field in cmd:
            value = cmd[field].strip() if isinstance(cmd[field], str) else cmd[field]
            if value != getattr(user, field):
                setattr(user, field, value)
                changed.append(field)
    if "department_id" in cmd and cmd["department_id"] != user.department_id:
        org = repository.get_organisation(session, user.org_id)
        user.department_id = _department_for(session, org, cmd["department_id"])
        changed.append("department_id")
    if "active" in cmd and cmd["active"] != user.active:
        user.active = cmd["active"]
        changed.append("active")
        if not user.active:
            revoke_sessions(session, sessions, user.id, "deactivated")
    if not changed:
        return user
    user.updated_at = utcnow()
    uow.emit("user_updated", {**user_snapshot(user, org_kind), "changed": changed})
    action = "user_updated"
    if "active" in changed:
        action = "user_reactivated" if user.active else "user_deactivated"
    audit.record(session, action, actor=actor, org_id=user.org_id, subject_type="user", subject_id=user.id,
                 details={"changed": changed})
    return user


@use_case
def assign_roles(actor: Actor | None, user_id: str, cmd: dict, uow: UnitOfWork, sessions: Sessions) -> User:
    """ORG-2: replace a user's roles. Only the admin of the user's organisation; only roles of the
    organisation's kind; the main account keeps its admin roles and nobody else gets them, so no
    one can raise their own roles."""
    actor = access.require_actor(actor)
    session = uow.session
    user = access.require_visible_user(actor, repository.get_user(session, user_id, for_update=True), user_id)
    if not access.manages_org(actor, user.org_id):
        raise Forbidden("Only an administrator of the user's organisation may change roles.",
                        {"roles": ["needs an administrator of the user's organisation"]})
    org = repository.get_organisation(session, user.org_id)
    before = list(user.roles)
    roles = check_roles(org.kind, cmd["roles"], current=before, is_main_account=user.id == org.admin_user_id)
    if roles == before:
        return user
    user.roles = roles
    user.updated_at = utcnow()
    # the roles travel in access tokens: old tokens go, the next refresh carries the new roles
    sessions.revocations.revoke_all_before(user.id)
    uow.emit("user_updated", {**user_snapshot(user, org.kind), "changed": ["roles"]})
    audit.record(session, "roles_changed", actor=actor, org_id=user.org_id, subject_type="user",
                 subject_id=user.id, details={"before": before, "after": roles})
    return user


@use_case
def reset_password(actor: Actor | None, user_id: str, uow: UnitOfWork, sessions: Sessions) -> NewAccount:
    """ORG-4: a new one-time password, shown once; the user must change it again. Every session
    of the user ends. The user's admin may reset it, and the operator for any account."""
    actor = access.require_actor(actor)
    session = uow.session
    user = access.require_visible_user(actor, repository.get_user(session, user_id, for_update=True), user_id)
    if user.id == actor.user_id:
        raise Unprocessable("Change your own password with change_password.",
                            {"user_id": ["is yourself: use change_password"]})
    if not (access.manages_org(actor, user.org_id) or access.is_operator(actor)):
        raise Forbidden("Only an administrator of the user's organisation may reset its password.")
    clear = passwords.generate_password()
    user.password_hash = passwords.hash_password(clear)
    user.must_change_password = True
    user.updated_at = utcnow()
    revoke_sessions(session, sessions, user.id, "password_reset")
    sessions.guard.clear_account(user.login_key)
    audit.record(session, "password_reset", actor=actor, org_id=user.org_id, subject_type="user",
                 subject_id=user.id)
    return NewAccount(user, clear)


def list_roles(filters: dict) -> list[Role]:
    """ORG-2, 角色管理: the preset roles, filtered by organisation kind and by name."""
    roles = [r for r in ROLE_CATALOGUE if not filters["org_kind"] or r.org_kind == filters["org_kind"]]
    if filters["q"]:
        needle = filters["q"].strip().casefold()
        roles = [r for r in roles if needle in r.key or needle in r.title.casefold() or needle in r.title_zh]
    return roles


def me(actor: Actor | None, session: Session) -> dict:
    """The caller as identity knows it now: user, organisation, roles, department and menus."""
    actor = access.require_actor(actor)
    user = repository.get_user(session, actor.user_id)
    if user is None or not user.active:
        raise Unauthenticated("Your account is not active; sign in again.")
    org = repository.get_organisation(session, user.org_id)
    department = None
    if user.department_id:
        tree = repository.department_tree(session, user.org_id)
        chain = tree.path(user.department_id)
        department = {"id": user.department_id, "name": chain[-1].name, "path": [d.name for d in chain]}
    return {"user": user, "organisation": organisation_view(session, org),
            "roles": [ROLES_BY_KEY[r] for r in user.roles if r in ROLES_BY_KEY],
            "department": department, "menus": menus.menus_for(user.roles)}


# --------------------------------------------------------------------------- departments

def _require_isv_admin(actor: Actor | None) -> Actor:
    actor = access.require_org_admin(actor)
    if actor.org_kind != ISV:
        raise Forbidden("Only an ISV's administrator manages departments.")
    return actor


def _own_department(session: Session, actor: Actor, department_id: str) -> Department:
    department = session.get(Department, department_id)
    if department is None or department.org_id != actor.org_id:
        raise NotFound(f"Department {department_id} was not found.")
    return department


def _department_changed(uow: UnitOfWork, actor: Actor, department: Department, change: str) -> None:
    uow.emit("department_changed", {"department_id": department.id, "org_id": department.org_id, "change": change,
                                    "name": department.name, "parent_id": department.parent_id})
    audit.record(uow.session, "department_changed", actor=actor, org_id=department.org_id,
                 subject_type="department", subject_id=department.id,
                 details={"change": change, "name": department.name, "parent_id": department.parent_id})


@use_case
def create_department(actor: Actor | None, cmd: dict, uow: UnitOfWork) -> Department:
    actor = _require_isv_admin(actor)
    session = uow.session
    repository.get_organisation(session, actor.org_id, for_update=True)  # one tree change at a time
    tree = repository.department_tree(session, actor.org_id)
    parent_id = cmd["parent_id"] or tree.root.id
    name = tree.check_create(parent_id, cmd["name"])
    now = utcnow()
    department = Department(id=str(uuid.uuid4()), org_id=actor.org_id, parent_id=parent_id, name=name,
                            created_at=now, updated_at=now)
    session.add(department)
    session.flush()
    _department_changed(uow, actor, department, "created")
    return department


def list_departments(actor: Actor | None, org_id: str | None, session: Session) -> dict:
    """ORG-3: the tree of an ISV, for its members (and the operator, for any ISV)."""
    actor = access.require_actor(actor)
    org_id = org_id or actor.org_id
    org = access.require_visible_org(actor, repository.get_organisation(session, org_id), org_id)
    if org.kind != ISV:
        raise Unprocessable("Only ISVs have departments.", {"org_id": ["is not an ISV"]})
    tree = repository.department_tree(session, org.id)
    return {"org_id": org.id, "root": tree.as_nested(repository.user_counts(session, org.id))}


@use_case
def update_department(actor: Actor | None, department_id: str, cmd: dict, uow: UnitOfWork) -> Department:
    actor = _require_isv_admin(actor)
    session = uow.session
    department = _own_department(session, actor, department_id)
    repository.get_organisation(session, actor.org_id, for_update=True)
    tree = repository.department_tree(session, actor.org_id)
    changes = []
    if "name" in cmd:
        name = tree.check_rename(department.id, cmd["name"])
        if name != department.name:
            department.name = name
            changes.append("renamed")
    if "parent_id" in cmd and cmd["parent_id"] != department.parent_id:
        tree = repository.department_tree(session, actor.org_id) if changes else tree
        tree.check_move(department.id, cmd["parent_id"])
        department.parent_id = cmd["parent_id"]
        changes.append("moved")
    if changes:
        department.updated_at = utcnow()
        session.flush()
        for change in changes:
            _department_changed(uow, actor, department, change)
    return department


@use_case
def delete_department(actor: Actor | None, department_id: str, uow: UnitOfWork) -> Department:
    """Only an empty department: no users, no sub-departments; never the root."""
    actor = _require_isv_admin(actor)
    session = uow.session
    department = _own_department(session, actor, department_id)
    repository.get_organisation(session, actor.org_id, for_update=True)
    tree = repository.department_tree(session, actor.org_id)
    tree.check_delete(department.id, repository.user_counts(session, actor.org_id))
    session.execute(delete(Department).where(Department.id == department.id))
    _department_changed(uow, actor, department, "deleted")
    return department


# --------------------------------------------------------------------------- audit

def audit_log(actor: Actor | None, filters: dict, session: Session) -> dict:
    """The platform operator reads the audit log, newest first, a page at a time."""
    access.require_operator(actor)
    query = select(AuditEntry)
    for field in ("actor_user_id", "action", "org_id"):
        if filters[field]:
            query = query.where(getattr(AuditEntry, field) == filters[field])
    if filters["since"]:
        query = query.where(AuditEntry.at >= filters["since"])
    if filters["until"]:
        query = query.where(AuditEntry.at < filters["until"])
    if filters["cursor"]:
        query = query.where(AuditEntry.id < int(filters["cursor"]))
    rows = session.execute(query.order_by(AuditEntry.id.desc()).limit(filters["limit"] + 1)).scalars().all()
    items = rows[:filters["limit"]]
    return {"items": items, "next_cursor": str(items[-1].id) if len(rows) > filters["limit"] else None}
