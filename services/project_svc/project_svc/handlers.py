"""Use cases of project_svc."""
from __future__ import annotations

import uuid

from platform_contracts.actor import Actor
from platform_kit.clock import utcnow
from platform_kit.errors import NotFound
from project_svc.domain.access import Scope, can_see
from project_svc.domain.model import Project


def create_from_purchase(purchase: dict, flow: dict, uow) -> tuple[Project, bool]:
    """PRJ-1: the purchase becomes a project at 'assign provider'; the same order never twice."""
    repo = uow.projects
    project = Project(
        id=str(uuid.uuid4()), order_id=purchase["order_id"], product_id=purchase["product_id"],
        vendor_id=flow["vendor_id"], customer_id=purchase["customer_id"], template_id=flow["template_id"],
        template_version=flow["template_version"], nodes=flow["nodes"],
    )
    if not repo.add_if_new(project):
        return repo.by_order(purchase["order_id"]), False
    reached = project.start(utcnow())
    repo.save(project)
    uow.emit("project_created", {
        "project_id": project.id, "order_id": project.order_id, "product_id": project.product_id,
        "vendor_id": project.vendor_id, "customer_id": project.customer_id,
        "template_id": project.template_id, "template_version": project.template_version,
    })
    uow.emit("node_reached", reached)
    uow.commit()
    return project, True


def provider_assigned(event: dict, data: dict, uow) -> None:
    if not uow.claim_event(event, "project.provider_assigned"):
        return
    project = uow.projects.get(data["project_id"], for_update=True)
    if project is None:
        raise NotFound(f"project {data['project_id']} does not exist")
    reached = project.assign_provider(data["provider_id"], data["node_key"], data["round"], utcnow())
    if reached is not None:
        uow.projects.save(project)
        uow.emit("node_reached", reached)
    uow.commit()


def provider_queued(event: dict, data: dict, uow) -> None:
    if not uow.claim_event(event, "project.provider_queued"):
        return
    project = uow.projects.get(data["project_id"], for_update=True)
    if project is not None and project.queue(data["node_key"], data["round"], data["reason"], utcnow()):
        uow.projects.save(project)
    uow.commit()


def get_project(project_id: str, actor: Actor, uow) -> Project:
    """Another tenant's project answers exactly like a missing one (ORG-7)."""
    project = uow.projects.get(project_id)
    if project is None or not can_see(actor, project):
        raise NotFound(f"Project {project_id} was not found.")
    return project


def list_projects(query: dict, scope: Scope, uow) -> tuple[list[Project], int]:
    return uow.projects.list(scope=scope, **query)


def purchase_for(actor: Actor | None, purchase: dict) -> dict:
    """Who the buyer is: the marketplace (operator) names the customer; anyone else buys for
    their own organisation, whatever ``customer_id`` they sent (never applied)."""
    if actor is None or actor.is_operator:
        return purchase
    return {**purchase, "customer_id": actor.org_id}
