"""Integrator keys (GW-6): made, listed and revoked by an organisation's admin; checked for the gateway."""
from __future__ import annotations

from datetime import timedelta

from identity_svc.domain import access, audit
from identity_svc.domain.api_keys import REVOCATION_MARK, ApiKey, parse, revocation_id, scope
from identity_svc.domain.ports import Sessions
from identity_svc.domain.signin import AccessGrant
from identity_svc.exceptions import AccountDeactivated, ApiKeyNotFound, BadApiKey, OrganisationNotFound
from platform_contracts.actor import Actor
from platform_kit.clock import utcnow


def create_api_key(actor: Actor | None, cmd: dict, uow, sessions: Sessions) -> tuple[ApiKey, str]:
    """A key of the caller's organisation with roles the caller holds now; the clear key is returned once."""
    actor = access.require_org_admin(actor)
    creator = uow.users.get(actor.user_id)
    if creator is None or not creator.active:
        raise AccountDeactivated("Your account is not active; sign in again.")
    roles = scope(creator.roles, cmd["roles"])
    now = utcnow()
    key, clear = ApiKey.issue(org_id=creator.org_id, name=cmd["name"], roles=roles, created_by=creator.id, now=now,
                              days=cmd["expires_in_days"], hasher=sessions.key_hasher,
                              rate_limit_per_minute=cmd.get("rate_limit_per_minute"))
    uow.api_keys.add(key)
    uow.audit.add(audit.entry("api_key_created", actor=actor, org_id=key.org_id, subject_type="api_key",
                              subject_id=key.id, details={"name": key.name, "roles": roles,
                                                          "expires_at": key.expires_at.isoformat()}))
    uow.commit()
    return key, clear


def _visible_key(actor: Actor, key: ApiKey | None, key_id: str) -> ApiKey:
    """Another organisation's key answers as a missing one (ORG-7); the operator sees every key."""
    if key is None or (key.org_id != actor.org_id and not access.is_operator(actor)):
        raise ApiKeyNotFound(key_id)
    return key


def list_api_keys(actor: Actor | None, filters: dict, uow) -> tuple[list[ApiKey], int]:
    """An admin lists its organisation's keys; the operator any organisation's (``org_id``)."""
    actor = access.require_org_admin(actor)
    org_id = filters["org_id"] or actor.org_id
    if org_id != actor.org_id and not access.is_operator(actor):
        raise OrganisationNotFound(org_id)
    return uow.api_keys.list(org_id=org_id, state=filters["state"], now=utcnow(), limit=filters["limit"],
                             offset=filters["offset"])


def revoke_api_key(actor: Actor | None, key_id: str, uow, sessions: Sessions) -> ApiKey:
    """The key stops working at once: the gateway reads the revocation mark in Redis on every
    request, and identity refuses the key from its row after that. Revoking again changes nothing."""
    actor = access.require_org_admin(actor)
    key = _visible_key(actor, uow.api_keys.get(key_id, for_update=True), key_id)
    now = utcnow()
    if not key.revoke(actor.user_id, now):
        return key
    # marked before the commit: a failed commit leaves a key refused, never one working after revocation
    sessions.revocations.revoke(key.id, AccessGrant(revocation_id(key.id), now + REVOCATION_MARK))
    uow.api_keys.save(key)
    uow.audit.add(audit.entry("api_key_revoked", actor=actor, org_id=key.org_id, subject_type="api_key",
                              subject_id=key.id, details={"name": key.name}))
    uow.commit()
    return key


def authenticate_api_key(cmd: dict, uow, sessions: Sessions) -> dict:
    """For the gateway: the service account a clear key acts as, or BadApiKey. The state of a key
    (revoked, expired) is told only to a caller who holds its secret."""
    parsed = parse(cmd["key"])
    if parsed is None:
        raise BadApiKey("The API key is not valid: it looks like dpk_<32 hex digits>_<secret>.")
    key_id, secret = parsed
    key = uow.api_keys.get(key_id, for_update=True)
    if key is None or not key.opens_with(secret, sessions.key_hasher):
        raise BadApiKey()
    now = utcnow()
    state = key.state(now)
    if state == "revoked":
        raise BadApiKey("This API key was revoked; ask your organisation's administrator for a new one.")
    if state == "expired":
        raise BadApiKey("This API key has expired; ask your organisation's administrator for a new one.")
    org_kind = uow.organisations.kind_of(key.org_id)
    key.rehash_if_old(secret, sessions.key_hasher)
    if key.used(now):
        uow.api_keys.save(key)
        uow.commit()
    actor = Actor(key.id, key.org_id, org_kind, tuple(key.roles), None, api_key=True)
    return {"actor": actor, "key": key,
            # the gateway keeps a verified key for a short while; never past its expiry
            "valid_until": min(key.expires_at, now + timedelta(days=1))}
