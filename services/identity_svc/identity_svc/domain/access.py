"""Who may touch what inside identity_svc (ORG-7).

The caller always comes from the ``Caller`` dependency (the gateway put it in the context
data), never from a payload. An object of another organisation answers NotFound, with none of
its data: its existence is not confirmed. Inside one's own organisation a missing right is
Forbidden.
"""
from __future__ import annotations

from identity_svc.adapters.orm import Organisation, User
from identity_svc.domain.roles import is_isv_admin
from platform_contracts.actor import Actor
from platform_contracts.roles import PLATFORM_OPERATOR
from platform_kit.auth import require_actor
from platform_kit.errors import Forbidden, NotFound

__all__ = ["require_actor", "require_operator", "is_operator", "manages_org", "require_org_admin",
           "require_visible_user", "require_visible_org", "user_not_found", "is_admin"]


def is_operator(actor: Actor) -> bool:
    return actor.is_operator and actor.has_role(PLATFORM_OPERATOR)


def is_admin(actor: Actor) -> bool:
    """ISV admins manage their ISV; platform operators manage the operator organisation."""
    return is_isv_admin(actor.org_kind, actor.roles) or is_operator(actor)


def require_operator(actor: Actor | None) -> Actor:
    actor = require_actor(actor)
    if not is_operator(actor):
        raise Forbidden("Only the platform operator may do this.", {"roles": ["needs: platform_operator"]})
    return actor


def manages_org(actor: Actor, org_id: str) -> bool:
    return actor.org_id == org_id and is_admin(actor)


def require_org_admin(actor: Actor | None) -> Actor:
    """An admin acting on their own organisation (ISV admin, or operator in the operator org)."""
    actor = require_actor(actor)
    if not is_admin(actor):
        raise Forbidden("Only an administrator of your organisation may do this.",
                        {"roles": ["needs one of: vendor_admin, provider_admin, platform_operator"]})
    return actor


def user_not_found(user_id: str) -> NotFound:
    return NotFound(f"User {user_id} was not found.")


def require_visible_user(actor: Actor, user: User | None, user_id: str) -> User:
    """The user, if the caller may read it: itself, its organisation's admin, or the operator."""
    if user is None or (user.org_id != actor.org_id and not is_operator(actor)):
        raise user_not_found(user_id)
    if is_operator(actor) or user.id == actor.user_id or manages_org(actor, user.org_id):
        return user
    raise Forbidden("Only an administrator of your organisation may see other users.")


def require_visible_org(actor: Actor, org: Organisation | None, org_id: str) -> Organisation:
    if org is None or (org.id != actor.org_id and not is_operator(actor)):
        raise NotFound(f"Organisation {org_id} was not found.")
    return org
