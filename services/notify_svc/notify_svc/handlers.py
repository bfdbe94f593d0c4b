"""Use cases of notify_svc."""
from __future__ import annotations

from sqlalchemy import func, select, update

from notify_svc.adapters.orm import InboxMessage
from platform_contracts.actor import Actor
from platform_contracts.roles import CUSTOMER_ROLE, PROVIDER_ADMIN, VENDOR_ADMIN
from platform_kit.clock import utcnow
from platform_kit.db import UnitOfWork
from platform_kit.errors import NotFound


def provider_assigned(event: dict, data: dict, uow: UnitOfWork) -> None:
    """Tell the chosen provider it has a new project (in-site message, NTF-5)."""
    if not uow.claim_event(event, "notify.provider_assigned"):
        return
    uow.session.add(InboxMessage(
        recipient_id=data["provider_id"], recipient_kind="organisation",
        title="New delivery project assigned",
        body=f"Project {data['project_id']} of product {data['product_id']} was assigned to you.",
        link=f"/projects/{data['project_id']}", source_event_id=event["event_id"],
    ))


def recipients_of(actor: Actor) -> list[str]:
    """A user reads its own messages; admins also read their organisation's (NTF-5, ORG-7)."""
    ids = [actor.user_id]
    if actor.is_operator or actor.has_role(VENDOR_ADMIN, PROVIDER_ADMIN, CUSTOMER_ROLE):
        ids.append(actor.org_id)
    return ids


def inbox(session, recipients: list[str], query: dict) -> dict:
    base = select(InboxMessage).where(InboxMessage.recipient_id.in_(recipients))
    unread = base.where(InboxMessage.read_at.is_(None))
    shown = unread if query["unread_only"] else base
    total = session.execute(select(func.count()).select_from(shown.subquery())).scalar_one()
    unread_count = session.execute(select(func.count()).select_from(unread.subquery())).scalar_one()
    items = session.execute(
        shown.order_by(InboxMessage.created_at.desc(), InboxMessage.id.desc())
        .limit(query["limit"]).offset(query["offset"])
    ).scalars().all()
    return {"items": items, "total": total, "unread": unread_count}


def mark_read(uow: UnitOfWork, recipients: list[str], message_id: int) -> InboxMessage:
    message = uow.session.get(InboxMessage, message_id)
    if message is None or message.recipient_id not in recipients:
        raise NotFound(f"Message {message_id} was not found.")
    if message.read_at is None:
        uow.session.execute(update(InboxMessage).where(InboxMessage.id == message_id).values(read_at=utcnow()))
        uow.session.refresh(message)
    return message
