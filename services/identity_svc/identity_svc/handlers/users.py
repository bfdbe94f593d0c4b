"""Users and roles (ORG-2, ORG-4, ORG-7): accounts of an organisation, managed by its admin."""
from __future__ import annotations

from identity_svc.domain import access, audit, menus
from identity_svc.domain.ports import Sessions
from identity_svc.domain.roles import ROLE_CATALOGUE, ROLES_BY_KEY, Role, check_roles
from identity_svc.domain.users import User
from identity_svc.exceptions import NotPermitted, OrganisationNotFound, SignInRefused
from identity_svc.handlers.shared import (
    NewAccount,
    department_for,
    emit,
    end_every_sign_in,
    ensure_login_free,
    open_account,
)
from platform_contracts.actor import Actor
from platform_kit.clock import utcnow


def create_user(actor: Actor | None, cmd: dict, uow) -> NewAccount:
    """ORG-4: a user of the caller's own organisation, with a one-time password."""
    actor = access.require_org_admin(actor)
    org = uow.organisations.get(actor.org_id)
    if org is None:
        raise OrganisationNotFound(actor.org_id)
    roles = check_roles(org.kind, cmd["roles"])
    department_id = department_for(uow, org, cmd.get("department_id"))
    ensure_login_free(uow, cmd["login_name"])
    account = open_account(uow, org=org, login_name=cmd["login_name"], display_name=cmd["display_name"],
                           phone=cmd["phone"], email=cmd["email"], roles=roles, department_id=department_id,
                           actor=actor, now=utcnow())
    uow.commit()
    return account


def get_user(actor: Actor | None, user_id: str, uow) -> User:
    actor = access.require_actor(actor)
    return access.require_visible_user(actor, uow.users.get(user_id), user_id)


def display_names(actor: Actor | None, query: dict, uow) -> dict:
    """The names behind ids that another service's answer carries (the console shows a project's
    provider and operator by name). Only names, only of the ids asked: the caller got those ids
    from rows the answering service had already limited to what the caller may see."""
    access.require_actor(actor)
    users = uow.users.names(query["user_ids"])
    # an integrator key acts as a service account: what it did is shown under its name (GW-6)
    users.update(uow.api_keys.names(set(query["user_ids"]) - set(users)))
    return {"organisations": uow.organisations.names(query["org_ids"]), "users": users}


def list_users(actor: Actor | None, filters: dict, uow) -> tuple[list[User], int]:
    """Admins list their own organisation; the operator any organisation, or all of them."""
    actor = access.require_actor(actor)
    if not access.is_operator(actor):
        if not access.is_admin(actor):
            raise NotPermitted("Only an administrator of your organisation may list its users.")
        if filters["org_id"] and filters["org_id"] != actor.org_id:
            raise OrganisationNotFound(filters["org_id"])
        filters = {**filters, "org_id": actor.org_id}
    return uow.users.list(**filters)


def update_user(actor: Actor | None, user_id: str, cmd: dict, uow, sessions: Sessions) -> User:
    """Names, contact, department, active flag; deactivation ends every sign-in of the user."""
    actor = access.require_actor(actor)
    user = access.require_visible_user(actor, uow.users.get(user_id, for_update=True), user_id)
    access.check_user_edit(actor, user, cmd)
    org = uow.organisations.get(user.org_id)
    changes = dict(cmd)
    if "department_id" in cmd and cmd["department_id"] != user.department_id:
        changes["department_id"] = department_for(uow, org, cmd["department_id"])
    now = utcnow()
    updated = user.edit(changes, org_kind=org.kind, now=now)
    if updated is None:
        return user
    uow.users.save(user)
    changed = updated.data["changed"]
    action = "user_updated"
    if "active" in changed:
        action = "user_reactivated" if user.active else "user_deactivated"
        if not user.active:
            end_every_sign_in(uow, sessions, user.id, "deactivated", now)
    emit(uow, updated)
    uow.audit.add(audit.entry(action, actor=actor, org_id=user.org_id, subject_type="user", subject_id=user.id,
                              details={"changed": changed}))
    uow.commit()
    return user


def assign_roles(actor: Actor | None, user_id: str, cmd: dict, uow, sessions: Sessions) -> User:
    """ORG-2: replace a user's roles. Only the admin of the user's organisation; only roles of the
    organisation's kind; the main account keeps its admin roles and nobody else gets them, so no
    one can raise their own roles."""
    actor = access.require_actor(actor)
    user = access.require_visible_user(actor, uow.users.get(user_id, for_update=True), user_id)
    access.check_role_change(actor, user)
    org = uow.organisations.get(user.org_id)
    before = list(user.roles)
    roles = check_roles(org.kind, cmd["roles"], current=before, is_main_account=user.id == org.admin_user_id)
    now = utcnow()
    updated = user.set_roles(roles, org_kind=org.kind, now=now)
    if updated is None:
        return user
    uow.users.save(user)
    # the roles travel in access tokens: old tokens go, the next refresh carries the new roles
    sessions.revocations.revoke_all_before(user.id, now)
    emit(uow, updated)
    uow.audit.add(audit.entry("roles_changed", actor=actor, org_id=user.org_id, subject_type="user",
                              subject_id=user.id, details={"before": before, "after": roles}))
    uow.commit()
    return user


def reset_password(actor: Actor | None, user_id: str, uow, sessions: Sessions) -> NewAccount:
    """ORG-4: a new one-time password, shown once; the user must change it again. Every sign-in
    of the user ends. The user's admin may reset it, and the operator for any account."""
    actor = access.require_actor(actor)
    user = access.require_visible_user(actor, uow.users.get(user_id, for_update=True), user_id)
    access.check_password_reset(actor, user)
    now = utcnow()
    clear = user.reset_password(now)
    uow.users.save(user)
    end_every_sign_in(uow, sessions, user.id, "password_reset", now)
    sessions.failures.forget_account(user.login_key)
    uow.audit.add(audit.entry("password_reset", actor=actor, org_id=user.org_id, subject_type="user",
                              subject_id=user.id))
    uow.commit()
    return NewAccount(user, clear)


def list_roles(filters: dict) -> list[Role]:
    """ORG-2, 角色管理: the preset roles, filtered by organisation kind and by name."""
    roles = [r for r in ROLE_CATALOGUE if not filters["org_kind"] or r.org_kind == filters["org_kind"]]
    if filters["q"]:
        needle = filters["q"].strip().casefold()
        roles = [r for r in roles if needle in r.key or needle in r.title.casefold() or needle in r.title_zh]
    return roles


def me(actor: Actor | None, uow) -> dict:
    """The caller as identity knows it now: user, organisation, roles, department and menus."""
    actor = access.require_actor(actor)
    if actor.api_key:
        return _me_as_key(actor, uow)
    user = uow.users.get(actor.user_id)
    if user is None or not user.active:
        raise SignInRefused("Your account is not active; sign in again.")
    org = uow.organisations.get(user.org_id)
    department = None
    if user.department_id:
        chain = uow.departments.tree(user.org_id).path(user.department_id)
        department = {"id": user.department_id, "name": chain[-1].name, "path": [d.name for d in chain]}
    return {"user": user, "organisation": org, "roles": [ROLES_BY_KEY[r] for r in user.roles if r in ROLES_BY_KEY],
            "department": department, "menus": menus.menus_for(user.roles)}


def _me_as_key(actor: Actor, uow) -> dict:
    """An integrator key asking who it is: its service account, shaped as a user without a login."""
    key = uow.api_keys.get(actor.user_id)
    if key is None:
        raise SignInRefused("This API key is not valid.")
    org = uow.organisations.get(key.org_id)
    account = {"id": key.id, "org_id": key.org_id, "login_name": key.prefix, "display_name": key.display_name,
               "phone": None, "email": None, "department_id": None, "roles": list(key.roles), "active": True,
               "must_change_password": False, "last_login_at": key.last_used_at, "password_changed_at": None,
               "created_at": key.created_at, "updated_at": key.revoked_at or key.created_at}
    return {"user": account, "organisation": org,
            "roles": [ROLES_BY_KEY[r] for r in key.roles if r in ROLES_BY_KEY], "department": None, "menus": []}
