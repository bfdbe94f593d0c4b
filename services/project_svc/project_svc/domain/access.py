"""Who may see which project (ORG-7), as one rule with two uses: checking one project, and
narrowing a list query; and who the caller is to one project (``who_for``). Pure Python."""
from __future__ import annotations

from dataclasses import dataclass

from platform_contracts.actor import Actor
from platform_contracts.roles import CUSTOMER, PROVIDER_ADMIN, VENDOR_ADMIN, VENDOR_PROJECT_MANAGER
from project_svc.domain.model import Who


@dataclass(frozen=True)
class Scope:
    everything: bool = False
    vendor_of: str | None = None      # projects of this vendor's products
    provider_of: str | None = None    # projects this provider delivers
    customer_of: str | None = None    # projects this organisation bought (ORG-5)
    operator_user: str | None = None  # projects this employee operates or handled (PRJ-2)


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
        # an employee sees the projects dispatch gave it, and those it handled
        operator_user=actor.user_id,
    )


def can_see(actor: Actor, project) -> bool:
    scope = scope_of(actor)
    return scope.everything or any((
        scope.vendor_of is not None and project.vendor_id == scope.vendor_of,
        scope.provider_of is not None and project.provider_id == scope.provider_of,
        scope.customer_of is not None and project.customer_id == scope.customer_of,
        scope.operator_user is not None and project.provider_id == actor.org_id
        and (scope.operator_user in project.operators.values() or scope.operator_user in project.participants
             or scope.operator_user == project.claimed_by),
    ))


def who_for(actor: Actor, project) -> Who:
    in_provider = project.provider_id is not None and actor.org_id == project.provider_id
    return Who(
        user_id=actor.user_id,
        as_customer=actor.org_id == project.customer_id,
        provider_admin=in_provider and actor.has_role(PROVIDER_ADMIN),
        provider_member=in_provider,
        vendor=actor.org_id == project.vendor_id and actor.has_role(VENDOR_ADMIN, VENDOR_PROJECT_MANAGER),
        platform=actor.is_operator,
    )


def sees_notes(actor: Actor, project) -> bool:
    """Notes are never shown to the customer (PRJ-7): only to the delivering and selling side."""
    if actor.is_operator:
        return True
    if actor.org_kind == CUSTOMER:
        return False
    who = who_for(actor, project)
    return who.vendor or who.provider_member
