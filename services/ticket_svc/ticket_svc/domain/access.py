"""Which side of a ticket the caller is on, and which tickets a list may show (ORG-7). Pure."""
from __future__ import annotations

from dataclasses import dataclass

from platform_contracts.actor import Actor
from platform_contracts.roles import PROVIDER_ADMIN, SUPPORT_AGENT, VENDOR_ADMIN, VENDOR_PROJECT_MANAGER
from ticket_svc.domain.model import AGENT, CUSTOMER, PLATFORM, VENDOR

OBSERVER = "observer"
AGENT_ROLES = (SUPPORT_AGENT, PROVIDER_ADMIN)
VENDOR_ROLES = (VENDOR_ADMIN, VENDOR_PROJECT_MANAGER)


def side_of(actor: Actor, ticket) -> str | None:
    """agent (the provider's support staff), platform (the operator once escalated: it answers,
    for itself), customer, observer (the operator before escalation), vendor (the product's vendor
    when a provider handles the ticket: read-only, replies only), or None: it answers as missing."""
    if actor.org_id == ticket.provider_id and actor.has_role(*AGENT_ROLES):
        return AGENT
    if actor.is_operator:
        return PLATFORM if ticket.escalated else OBSERVER
    if actor.org_id == ticket.customer_org_id:
        return CUSTOMER
    if ticket.vendor_id and actor.org_id == ticket.vendor_id and actor.has_role(*VENDOR_ROLES):
        return VENDOR
    return None


@dataclass(frozen=True)
class Scope:
    everything: bool = False
    provider_of: str | None = None
    customer_of: str | None = None
    vendor_of: str | None = None


def scope_of(actor: Actor) -> Scope:
    if actor.is_operator:
        return Scope(everything=True)
    return Scope(provider_of=actor.org_id if actor.has_role(*AGENT_ROLES) else None, customer_of=actor.org_id,
                 vendor_of=actor.org_id if actor.has_role(*VENDOR_ROLES) else None)
