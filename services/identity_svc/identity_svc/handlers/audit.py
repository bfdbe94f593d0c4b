"""The audit log, read by the platform operator."""
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
    return {"items": items, "next_cursor": next_cursor}
