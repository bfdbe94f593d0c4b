"""Use cases of template_svc: each takes a validated command and a unit of work."""
from __future__ import annotations

import uuid

from sqlalchemy import select

from platform_kit.clock import utcnow
from platform_kit.db import UnitOfWork
from platform_kit.errors import NotFound, Unprocessable, ValidationFailed
from template_svc.adapters.orm import ProductBinding, TemplateVersion
from template_svc.domain.flow import Node, structural_violations


def create_template(cmd: dict, uow: UnitOfWork) -> TemplateVersion:
    nodes = [Node(**n) for n in cmd["nodes"]]
    problems = structural_violations(nodes)
    if problems:
        raise ValidationFailed("The flow is not valid.", {"nodes": problems})
    published = cmd["publish"]
    row = TemplateVersion(
        template_id=str(uuid.uuid4()), version=1, owner_id=cmd["owner_id"], name=cmd["name"],
        status="published" if published else "draft", nodes=cmd["nodes"],
        published_at=utcnow() if published else None,
    )
    uow.session.add(row)
    uow.session.flush()
    return row


def latest_published(session, template_id: str) -> TemplateVersion | None:
    return session.execute(
        select(TemplateVersion)
        .where(TemplateVersion.template_id == template_id, TemplateVersion.status == "published")
        .order_by(TemplateVersion.version.desc()).limit(1)
    ).scalar_one_or_none()


def bind_product(cmd: dict, uow: UnitOfWork) -> ProductBinding:
    """TPL-12: a product binds the latest published version of one template."""
    template = latest_published(uow.session, cmd["template_id"])
    if template is None:
        raise Unprocessable("Only a published template can be bound to a product.",
                            {"template_id": ["no published version of this template"]})
    if template.owner_id not in (None, cmd["vendor_id"]):
        raise NotFound("No such template.", {"template_id": ["not found"]})
    binding = uow.session.get(ProductBinding, cmd["product_id"], with_for_update=True)
    if binding is None:
        binding = ProductBinding(product_id=cmd["product_id"])
        uow.session.add(binding)
    binding.vendor_id = cmd["vendor_id"]
    binding.product_code = cmd["product_code"]
    binding.product_name = cmd["product_name"]
    binding.template_id = template.template_id
    binding.template_version = template.version
    binding.updated_at = utcnow()
    uow.emit("product_template_bound", {
        "product_id": binding.product_id, "vendor_id": binding.vendor_id,
        "template_id": template.template_id, "template_version": template.version,
    })
    return binding


def product_flow(session, product_id: str) -> dict:
    binding = session.get(ProductBinding, product_id)
    if binding is None:
        raise NotFound(f"Product {product_id} has no service flow bound.", {"product_id": ["no bound template"]})
    template = session.execute(
        select(TemplateVersion).where(TemplateVersion.template_id == binding.template_id,
                                      TemplateVersion.version == binding.template_version)
    ).scalar_one()
    return {
        "product_id": binding.product_id, "vendor_id": binding.vendor_id,
        "product_code": binding.product_code, "product_name": binding.product_name,
        "template_id": template.template_id, "template_version": template.version, "nodes": template.nodes,
    }

