"""The audit log, read by the platform operator."""
from __future__ import annotations

from identity_svc.domain import access
from platform_contracts.actor import Actor


def audit_log(actor: Actor | None, filters: dict, uow) -> dict:
    """Newest first, a page at a time (``next_cursor`` for older entries)."""
    access.require_operator(actor)
    items, next_cursor = uow.audit.page(**filters)
    return {"items": items, "next_cursor": next_cursor}
