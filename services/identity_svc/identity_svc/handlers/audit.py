"""The audit log, read by the platform operator; actors named, people and integrator keys alike."""
from __future__ import annotations

from identity_svc.domain import access, audit
from platform_contracts.actor import Actor


def billing_step_resolved(event: dict, data: dict, uow) -> None:
    """BIL-6: billing's payment_step_resolved, written to the audit log once per event."""
    if not uow.claim_event(event, "identity.billing_step_resolved"):
        return
    uow.audit.add(audit.entry(
        "billing_step_resolved", actor_user_id=data["operator_user_id"], actor_org_id=data["operator_org_id"],
        org_id=data["customer_id"], subject_type="billing_order", subject_id=data["order_id"],
        details={"step_key": data["step_key"], "action": data["action"], "note": data["note"],
                 "supplier_id": data["supplier_id"]}))
    uow.commit()


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
