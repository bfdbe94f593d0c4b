"""Who may touch what inside identity_svc (ORG-7). Pure rules over the caller (an Actor).

The caller always comes from the ``Caller`` dependency (the gateway put it in the context
data), never from a payload. An object of another organisation answers NotFound, with none of
its data: its existence is not confirmed. Inside one's own organisation a missing right is
Forbidden.
"""
from __future__ import annotations

from identity_svc.domain.organisations import Organisation
from identity_svc.domain.roles import is_customer_admin, is_isv_admin
from identity_svc.domain.users import CONTACT_FIELDS, User
from identity_svc.exceptions import NotAllowedNow, NotPermitted, OrganisationNotFound, SignInRefused, UserNotFound
from platform_contracts.actor import Actor
from platform_contracts.roles import ISV, PLATFORM_OPERATOR


def require_actor(actor: Actor | None) -> Actor:
    if actor is None:
        raise SignInRefused("This call needs a signed-in user.")
    return actor


def is_operator(actor: Actor) -> bool:
    return actor.is_operator and actor.has_role(PLATFORM_OPERATOR)


def is_admin(actor: Actor) -> bool:
    """ISV admins manage their ISV, customer admins their customer organisation, platform
    operators the operator organisation. An integrator key is never an admin, whatever roles it
    carries: a key that could make users or keys would outlive its own revocation through them."""
    if actor.api_key:
        return False
    return (is_isv_admin(actor.org_kind, actor.roles) or is_customer_admin(actor.org_kind, actor.roles)
            or is_operator(actor))


def require_operator(actor: Actor | None) -> Actor:
    actor = require_actor(actor)
    if not is_operator(actor):
        raise NotPermitted("Only the platform operator may do this.", {"roles": ["needs: platform_operator"]})
    return actor


def manages_org(actor: Actor, org_id: str) -> bool:
    return actor.org_id == org_id and is_admin(actor)


def require_org_admin(actor: Actor | None) -> Actor:
    """An admin acting on their own organisation (ISV or customer admin, or operator in the operator org)."""
    actor = require_actor(actor)
    if not is_admin(actor):
        if actor.api_key:
            raise NotPermitted("An API key cannot manage users or API keys; an administrator signs in for that.",
                               {"X-Api-Key": ["sign in as an administrator instead"]})
        raise NotPermitted("Only an administrator of your organisation may do this.",
                           {"roles": ["needs one of: vendor_admin, provider_admin, customer_admin, "
                                      "platform_operator"]})
    return actor


def require_isv_admin(actor: Actor | None) -> Actor:
    actor = require_org_admin(actor)
    if actor.org_kind != ISV:
        raise NotPermitted("Only an ISV's administrator manages departments.")
    return actor


def require_visible_user(actor: Actor, user: User | None, user_id: str) -> User:
    """The user, if the caller may read it: itself, its organisation's admin, or the operator."""
    if user is None or (user.org_id != actor.org_id and not is_operator(actor)):
        raise UserNotFound(user_id)
    if is_operator(actor) or user.id == actor.user_id or manages_org(actor, user.org_id):
        return user
    raise NotPermitted("Only an administrator of your organisation may see other users.")


def require_visible_org(actor: Actor, org: Organisation | None, org_id: str) -> Organisation:
    if org is None or (org.id != actor.org_id and not is_operator(actor)):
        raise OrganisationNotFound(org_id)
    return org


def check_user_edit(actor: Actor, user: User, changes: dict) -> None:
    """Users edit their own names and contact (个人信息); their organisation's admin edits
    everything but may not deactivate itself; the operator may (de)activate any account."""
    is_self = user.id == actor.user_id
    if manages_org(actor, user.org_id):
        allowed = set(changes)
    elif is_self:
        allowed = set(CONTACT_FIELDS)
    else:  # the operator, on another organisation's user
        allowed = {"active"}
    refused = sorted(set(changes) - allowed)
    if refused:
        raise NotPermitted("You may not change these fields.",
                           {f: ["only an administrator of the user's organisation may change this"]
                            for f in refused})
    if is_self and "active" in changes and changes["active"] != user.active:
        raise NotPermitted("You cannot deactivate your own account.",
                           {"active": ["you cannot change this for yourself"]})


def check_role_change(actor: Actor, user: User) -> None:
    if not manages_org(actor, user.org_id):
        raise NotPermitted("Only an administrator of the user's organisation may change roles.",
                           {"roles": ["needs an administrator of the user's organisation"]})


def check_password_reset(actor: Actor, user: User) -> None:
    if user.id == actor.user_id:
        raise NotAllowedNow("Change your own password with change_password.",
                            {"user_id": ["is yourself: use change_password"]})
    if not (manages_org(actor, user.org_id) or is_operator(actor)):
        raise NotPermitted("Only an administrator of the user's organisation may reset its password.")
