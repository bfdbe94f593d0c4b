"""The audit log, read by the platform operator; actors named, people and integrator keys alike."""
from __future__ import annotations

from identity_svc.domain import access
from platform_contracts.actor import Actor


def audit_log(actor: Actor | None, filters: dict, uow) -> dict:
    """Newest first, a page at a time (``next_cursor`` for older entries)."""
    access.require_operator(actor)
    items, next_cursor = uow.audit.page(**filters)
    actors = {e.actor_user_id for e in items if e.actor_user_id}
    people, keys = uow.users.names(actors), uow.api_keys.names(actors)
    for entry in items:
        if entry.actor_user_id in people:
            entry.actor_name, entry.actor_kind = people[entry.actor_user_id], "user"
        elif entry.actor_user_id in keys:  # an integrator key acts as a service account (GW-6)
            entry.actor_name, entry.actor_kind = keys[entry.actor_user_id], "api_key"
    return {"items": items, "next_cursor": next_cursor}
