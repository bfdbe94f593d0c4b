"""Use cases of dispatch_svc."""
from __future__ import annotations

from sqlalchemy import delete, select

from dispatch_svc.adapters.orm import ProductProvider, ProviderAssignment, QueuedProject
from dispatch_svc.domain.choice import ProviderSlot, choose_provider
from platform_kit.db import UnitOfWork
from platform_kit.errors import Unprocessable

NO_CAPACITY = "every provider of the product is at its maximum of held orders"


def node_reached(event: dict, data: dict, uow: UnitOfWork) -> None:
    """Act on the nodes dispatch owns; other nodes are none of its business."""
    if data["node_kind"] != "assign_provider":
        return
    if not uow.claim_event(event, "dispatch.assign_provider"):
        return
    assign_provider(data, uow)


def assign_provider(request: dict, uow: UnitOfWork) -> bool:
    """DSP-1/2/3: choose a provider, hold one of its orders, or queue. Returns True if assigned.

    Capacity rows are locked (``FOR UPDATE``) in a fixed order, so concurrent dispatches of
    the same product, in any replica, serialise and never exceed a maximum (DSP-8).
    """
    session = uow.session
    project_id, round_ = request["project_id"], request["round"]
    if session.get(ProviderAssignment, (project_id, round_)) is not None:
        return True
    rows = session.execute(
        select(ProductProvider).where(ProductProvider.product_id == request["product_id"])
        .order_by(ProductProvider.provider_id).with_for_update()
    ).scalars().all()
    if not rows:
        provider_id, rule = request["vendor_id"], "vendor_self"
    else:
        slot = choose_provider([ProviderSlot(r.provider_id, r.weight, r.max_held, r.held) for r in rows])
        if slot is None:
            _enqueue(request, uow)
            return False
        chosen = next(r for r in rows if r.provider_id == slot.provider_id)
        chosen.held += 1
        provider_id, rule = chosen.provider_id, "weighted"
    session.add(ProviderAssignment(project_id=project_id, round=round_, product_id=request["product_id"],
                                   provider_id=provider_id, rule=rule))
    session.execute(delete(QueuedProject).where(QueuedProject.project_id == project_id))
    uow.emit("provider_assigned", {"project_id": project_id, "provider_id": provider_id,
                                   "product_id": request["product_id"], "node_key": request["node_key"],
                                   "round": round_, "rule": rule})
    return True


def _enqueue(request: dict, uow: UnitOfWork) -> None:
    session = uow.session
    if session.get(QueuedProject, request["project_id"]) is None:
        session.add(QueuedProject(project_id=request["project_id"], round=request["round"],
                                  product_id=request["product_id"], vendor_id=request["vendor_id"],
                                  node_key=request["node_key"], reason=NO_CAPACITY))
        uow.emit("provider_queued", {"project_id": request["project_id"], "product_id": request["product_id"],
                                     "node_key": request["node_key"], "round": request["round"],
                                     "reason": NO_CAPACITY})


def retry_queue(uow: UnitOfWork, *, vendor_id: str | None = None) -> int:
    """DSP-3: try every queued project again (hourly, or at once by hand). Returns how many moved."""
    query = select(QueuedProject).order_by(QueuedProject.enqueued_at)
    if vendor_id:
        query = query.where(QueuedProject.vendor_id == vendor_id)
    moved = 0
    for queued in uow.session.execute(query.with_for_update(skip_locked=True)).scalars().all():
        request = {"project_id": queued.project_id, "round": queued.round, "product_id": queued.product_id,
                   "vendor_id": queued.vendor_id, "node_key": queued.node_key}
        if assign_provider(request, uow):
            moved += 1
    return moved


def set_product_providers(cmd: dict, uow: UnitOfWork) -> list[ProductProvider]:
    """DSP-1: the vendor's provider list for a product; a lowered maximum keeps current holdings."""
    session = uow.session
    existing = {r.provider_id: r for r in session.execute(
        select(ProductProvider).where(ProductProvider.product_id == cmd["product_id"]).with_for_update()
    ).scalars()}
    if any(r.vendor_id != cmd["vendor_id"] for r in existing.values()):
        raise Unprocessable("This product belongs to another vendor.", {"product_id": ["not yours"]})
    wanted = {p["provider_id"]: p for p in cmd["providers"]}
    for provider_id, row in existing.items():
        if provider_id not in wanted:
            if row.held:
                raise Unprocessable(
                    f"Provider {provider_id} still holds {row.held} open project(s) of this product.",
                    {"providers": [f"{provider_id} cannot be removed while it holds projects"]})
            session.delete(row)
    for provider_id, p in wanted.items():
        row = existing.get(provider_id)
        if row is None:
            row = ProductProvider(product_id=cmd["product_id"], provider_id=provider_id,
                                  vendor_id=cmd["vendor_id"], held=0)
            session.add(row)
        if p["max_held"] < (row.held or 0):
            raise Unprocessable(
                f"Provider {provider_id} holds {row.held} projects; its maximum cannot be lower.",
                {"providers": [f"max_held of {provider_id} must be at least {row.held}"]})
        row.weight, row.max_held = p["weight"], p["max_held"]
    session.flush()
    return [session.get(ProductProvider, (cmd["product_id"], pid)) for pid in sorted(wanted)]
