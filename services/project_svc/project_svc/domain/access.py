"""Who may see which project and which of its records (ORG-7, PRJ-7): one rule per record kind.
Pure Python.

A project's rule is a ``Scope`` (what the caller sees, one condition per capacity) and ``admits``,
which decides for one project. The repository translates the same ``Scope`` into SQL for lists,
counts and exports (``ProjectRepository._capacities``); tests/interface/test_access_rule.py checks
that the two agree on every capacity, before and after a change of provider.

A former provider (and each of its employees) keeps nothing of a project after a change of provider
(PRJ-5): the employee capacity holds only while the employee's organisation is the project's
provider. Its notes and files stay its own: the new provider never reads them (``record_visible``);
the vendor and the platform operator still do, the customer still sees the files delivered to it.
"""
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
    operator_user: str | None = None  # projects this employee operates or handled (PRJ-2) ...
    operator_org: str | None = None   # ... while its organisation delivers them (never a former provider)


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
        # an employee sees the projects dispatch gave it, and those it handled, of its own provider
        operator_user=actor.user_id,
        operator_org=actor.org_id,
    )


def admits(scope: Scope, project) -> bool:
    """The rule itself, for one project (or a row with its ``participants``)."""
    if scope.everything:
        return True
    people = set(project.participants) | set((getattr(project, "operators", None) or {}).values())
    return any((
        scope.vendor_of is not None and project.vendor_id == scope.vendor_of,
        scope.provider_of is not None and project.provider_id == scope.provider_of,
        scope.customer_of is not None and project.customer_id == scope.customer_of,
        scope.operator_user is not None and project.provider_id is not None
        and project.provider_id == scope.operator_org and scope.operator_user in people,
    ))


def can_see(actor: Actor, project) -> bool:
    return admits(scope_of(actor), project)


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


def record_visible(actor: Actor, project, record: dict) -> bool:
    """Whether the caller, who sees ``project``, sees one of its records: a message, a note
    (``kind``) or a file (no ``kind``), each with the organisation of its author (``author_org_id``,
    None for records kept before it was recorded: shown as before).

    Messages: everyone on the project. Notes: the vendor and the operator all; the provider side
    its own and the vendor's, never a former provider's. Files: the vendor, the operator and the
    customer all; the provider side all but a former provider's."""
    kind = record.get("kind", "file")
    if kind == "message":
        return True
    if kind == "note" and not sees_notes(actor, project):
        return False
    who = who_for(actor, project)
    if who.platform or who.vendor or (kind == "file" and who.as_customer):
        return True
    author = record.get("author_org_id")
    return author is None or author in (actor.org_id, project.vendor_id, project.customer_id)
