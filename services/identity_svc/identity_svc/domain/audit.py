"""The audit log: who did what, when, from where. Entries are only ever added (the migration's
trigger refuses UPDATE, DELETE and TRUNCATE). ``details`` never holds a password or a hash."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from platform_contracts.actor import Actor

# the actions written, for readers and for the audit_log filter
ACTIONS = (
    "login_succeeded", "login_failed", "logout", "refresh_token_reused",
    "password_changed", "password_reset",
    "organisation_created", "user_created", "user_updated", "user_deactivated", "user_reactivated",
    "roles_changed", "department_changed",
    "calendar_day_set", "calendar_day_removed",
    "billing_step_resolved",      # BIL-6: the operator retried, failed or voided a stuck money step (billing_svc)
    "api_key_created", "api_key_revoked",
)


@dataclass
class AuditEntry:
    action: str
    actor_user_id: str | None = None
    actor_org_id: str | None = None
    org_id: str | None = None
    subject_type: str | None = None
    subject_id: str | None = None
    client_address: str | None = None
    correlation_id: str | None = None
    details: dict = field(default_factory=dict)
    id: int | None = None
    at: datetime | None = None
    # filled when read: who the actor is by name, a person ("user") or an integrator key ("api_key")
    actor_name: str | None = None
    actor_kind: str | None = None


def entry(action: str, *, actor: Actor | None = None, actor_user_id: str | None = None,
          actor_org_id: str | None = None, org_id: str | None = None, subject_type: str | None = None,
          subject_id: str | None = None, client_address: str | None = None,
          details: dict | None = None) -> AuditEntry:
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    return AuditEntry(action=action, actor_user_id=actor.user_id if actor else actor_user_id,
                      actor_org_id=actor.org_id if actor else actor_org_id, org_id=org_id,
                      subject_type=subject_type, subject_id=subject_id, client_address=client_address,
                      details=details or {})
