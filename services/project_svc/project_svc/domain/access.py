"""Who may see which project (ORG-7), as one rule with two uses: checking one project, and
narrowing a list query. Pure Python."""
from __future__ import annotations

from dataclasses import dataclass

from platform_contracts.actor import Actor
from platform_contracts.roles import CUSTOMER, PROVIDER_ADMIN, VENDOR_ADMIN, VENDOR_PROJECT_MANAGER


@dataclass(frozen=True)
class Scope:
    everything: bool = False
    vendor_of: str | None = None      # projects of this vendor's products
    provider_of: str | None = None    # projects this provider delivers
    customer_of: str | None = None    # projects this organisation bought (ORG-5)


def scope_of(actor: Actor) -> Scope:
    if actor.is_operator:
        return Scope(everything=True)
    if actor.org_kind == CUSTOMER:
        return Scope(customer_of=actor.org_id)
    return Scope(
        vendor_of=actor.org_id if actor.has_role(VENDOR_ADMIN, VENDOR_PROJECT_MANAGER) else None,
        provider_of=actor.org_id if actor.has_role(PROVIDER_ADMIN) else None,
        # any ISV user may act as the customer of what its organisation bought (已购服务)
        customer_of=actor.org_id,
    )


def can_see(actor: Actor, project) -> bool:
    scope = scope_of(actor)
    return scope.everything or any((
        scope.vendor_of is not None and project.vendor_id == scope.vendor_of,
        scope.provider_of is not None and project.provider_id == scope.provider_of,
        scope.customer_of is not None and project.customer_id == scope.customer_of,
    ))
