"""Loads and saves notify's aggregates; the only place that knows its tables."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, func, select, update
from sqlalchemy.dialects.postgresql import array
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from notify_svc.adapters.orm import (
    DeliveryRow,
    InboxMessage,
    MessageTemplateRow,
    PersonRow,
    WebhookDeliveryRow,
    WebhookEndpointRow,
)
from notify_svc.domain.delivery import PENDING, Attempt, Delivery
from notify_svc.domain.inbox import InboxEntry
from notify_svc.domain.recipients import Person
from notify_svc.domain.templates import Content, MessageTemplate, TemplateFilter, Variable
from notify_svc.domain.webhooks import Endpoint, WebhookDelivery
from platform_kit import paging
from platform_kit.clock import utcnow


class TemplateRepository:
    def __init__(self, session: Session):
        self.session = session

    def get(self, name: str, *, include_deleted: bool = False) -> MessageTemplate | None:
        row = self.session.execute(
            select(MessageTemplateRow).where(MessageTemplateRow.name == name)).scalar_one_or_none()
        if row is None or (row.deleted and not include_deleted):
            return None
        return self._to_domain(row)

    def get_by_id(self, template_id: str) -> MessageTemplate | None:
        row = self.session.get(MessageTemplateRow, template_id)
        return None if row is None or row.deleted else self._to_domain(row)

    def save(self, template: MessageTemplate) -> None:
        values = {
            "id": template.id, "name": template.name, "description": template.description,
            "node_kind": template.node_kind, "trigger": template.trigger, "recipient": template.recipient,
            "variables": [v.__dict__ for v in template.variables],
            "contents": [c.__dict__ for c in template.contents], "channels": list(template.channels),
            "builtin": template.builtin, "deleted": template.deleted, "updated_at": utcnow(),
        }
        stmt = pg_insert(MessageTemplateRow).values(**values)
        self.session.execute(stmt.on_conflict_do_update(
            index_elements=["id"], set_={k: stmt.excluded[k] for k in values if k != "id"}))

    def add_missing(self, templates: list[MessageTemplate]) -> list[MessageTemplate]:
        """Seed what is missing by name; an edited or deleted template is never overwritten."""
        existing = set(self.session.execute(select(MessageTemplateRow.name)).scalars())
        missing = {t.name: t for t in templates if t.name not in existing}
        if not missing:
            return []
        now = utcnow()
        # two replicas seeding at once: the name decides, the loser inserts nothing
        inserted = set(self.session.execute(pg_insert(MessageTemplateRow).values([
            {"id": t.id, "name": t.name, "description": t.description, "node_kind": t.node_kind,
             "trigger": t.trigger, "recipient": t.recipient, "variables": [v.__dict__ for v in t.variables],
             "contents": [c.__dict__ for c in t.contents], "channels": list(t.channels), "builtin": t.builtin,
             "deleted": False, "updated_at": now} for t in missing.values()
        ]).on_conflict_do_nothing(index_elements=["name"]).returning(MessageTemplateRow.name)).scalars())
        return [t for name, t in missing.items() if name in inserted]

    def list(self, f: TemplateFilter) -> tuple[list[MessageTemplate], int]:
        query = select(MessageTemplateRow)
        if not f.include_deleted:
            query = query.where(MessageTemplateRow.deleted.is_(False))
        if f.name_contains:
            query = query.where(MessageTemplateRow.name.ilike(f"%{f.name_contains}%"))
        for column, value in ((MessageTemplateRow.node_kind, f.node_kind), (MessageTemplateRow.recipient, f.recipient),
                              (MessageTemplateRow.trigger, f.trigger)):
            if value is not None:
                query = query.where(column == value)
        total = paging.total(self.session, query)
        order = paging.order_by({"name": MessageTemplateRow.name, "updated_at": MessageTemplateRow.updated_at},
                                f.sort, MessageTemplateRow.id)
        rows = self.session.execute(query.order_by(*order).limit(f.limit).offset(f.offset)).scalars()
        return [self._to_domain(r) for r in rows], total

    @staticmethod
    def _to_domain(row: MessageTemplateRow) -> MessageTemplate:
        return MessageTemplate(
            id=row.id, name=row.name, description=row.description, node_kind=row.node_kind, trigger=row.trigger,
            recipient=row.recipient, variables=[Variable(**v) for v in row.variables],
            contents=[Content(**c) for c in row.contents], channels=list(row.channels), builtin=row.builtin,
            deleted=row.deleted, updated_at=row.updated_at)


_PERSON_FIELDS = ("user_id", "org_id", "display_name", "phone", "email", "roles", "active", "language",
                  "timezone", "channels")


class PeopleRepository:
    """notify's directory: a copy of identity's users (implements domain.recipients.Directory)."""

    def __init__(self, session: Session):
        self.session = session

    def person(self, user_id: str) -> Person | None:
        row = self.session.get(PersonRow, user_id)
        return Person(**{f: getattr(row, f) for f in _PERSON_FIELDS}) if row else None

    def people_of(self, org_id: str, roles: tuple[str, ...] | None) -> list[Person]:
        query = select(PersonRow).where(PersonRow.org_id == org_id)
        if roles is not None:
            query = query.where(PersonRow.roles.has_any(array(list(roles), type_=String)))
        rows = self.session.execute(query.order_by(PersonRow.user_id)).scalars()
        return [Person(**{f: getattr(r, f) for f in _PERSON_FIELDS}) for r in rows]

    def save(self, person: Person) -> None:
        values = {f: getattr(person, f) for f in _PERSON_FIELDS}
        stmt = pg_insert(PersonRow).values(**values)
        self.session.execute(stmt.on_conflict_do_update(
            index_elements=["user_id"], set_={k: stmt.excluded[k] for k in values if k != "user_id"}))


_DELIVERY_FIELDS = ("id", "dedupe_key", "recipient_key", "recipient_user_id", "channel", "template", "subject",
                    "body", "address", "urgent", "link", "status", "due_at", "last_error", "source_event_id",
                    "digest_of", "created_at", "sent_at")


class DeliveryRepository:
    def __init__(self, session: Session):
        self.session = session

    def add_if_new(self, delivery: Delivery) -> bool:
        """Insert unless this dedupe key already reached this recipient on this channel (NTF-4)."""
        values = self._values(delivery)
        inserted = self.session.execute(
            pg_insert(DeliveryRow).values(**values).on_conflict_do_nothing(constraint="uq_delivery_once")
            .returning(DeliveryRow.id)).scalar_one_or_none()
        return inserted is not None

    def get(self, delivery_id: str, *, for_update: bool = False) -> Delivery | None:
        row = self.session.get(DeliveryRow, delivery_id, with_for_update=for_update)
        return self._to_domain(row) if row else None

    def save(self, delivery: Delivery) -> None:
        values = self._values(delivery)
        self.session.execute(update(DeliveryRow).where(DeliveryRow.id == delivery.id).values(
            **{k: v for k, v in values.items() if k != "id"}))

    def add(self, delivery: Delivery) -> None:
        self.session.execute(pg_insert(DeliveryRow).values(**self._values(delivery)))

    def awaiting_digest(self, recipient_key: str, *, for_update: bool = False) -> list[Delivery]:
        query = (select(DeliveryRow).where(DeliveryRow.recipient_key == recipient_key, DeliveryRow.channel == "email",
                                           DeliveryRow.status == PENDING, DeliveryRow.urgent.is_(False),
                                           DeliveryRow.due_at.is_(None))
                 .order_by(DeliveryRow.created_at, DeliveryRow.id))
        if for_update:
            query = query.with_for_update()
        return [self._to_domain(r) for r in self.session.execute(query).scalars()]

    def list(self, *, status: str | None = None, channel: str | None = None, template: str | None = None,
             recipient_user_id: str | None = None, sort: str = "-created_at", limit: int = 50,
             offset: int = 0) -> tuple[list[Delivery], int]:
        query = select(DeliveryRow)
        for column, value in ((DeliveryRow.status, status), (DeliveryRow.channel, channel),
                              (DeliveryRow.template, template), (DeliveryRow.recipient_user_id, recipient_user_id)):
            if value is not None:
                query = query.where(column == value)
        total = paging.total(self.session, query)
        order = paging.order_by({"created_at": DeliveryRow.created_at, "status": DeliveryRow.status,
                                 "channel": DeliveryRow.channel}, sort, DeliveryRow.id)
        rows = self.session.execute(query.order_by(*order).limit(limit).offset(offset)).scalars()
        return [self._to_domain(r) for r in rows], total

    @staticmethod
    def _values(d: Delivery) -> dict:
        values = {f: getattr(d, f) for f in _DELIVERY_FIELDS}
        values["attempts"] = [{"at": a.at.isoformat(), "provider": a.provider, "ok": a.ok, "answer": a.answer}
                              for a in d.attempts]
        values["created_at"] = d.created_at or utcnow()
        return values

    @staticmethod
    def _to_domain(row: DeliveryRow) -> Delivery:
        d = Delivery(**{f: getattr(row, f) for f in _DELIVERY_FIELDS})
        d.attempts = [Attempt(datetime.fromisoformat(a["at"]), a["provider"], a["ok"], a["answer"])
                      for a in row.attempts]
        return d


class InboxRepository:
    def __init__(self, session: Session):
        self.session = session

    def add_if_new(self, entry: InboxEntry) -> bool:
        inserted = self.session.execute(
            pg_insert(InboxMessage).values(
                recipient_id=entry.recipient_id, recipient_kind=entry.recipient_kind, title=entry.title[:200],
                body=entry.body, link=entry.link, source_event_id=entry.source_id,
            ).on_conflict_do_nothing(constraint="uq_inbox_event_recipient").returning(InboxMessage.id)
        ).scalar_one_or_none()
        return inserted is not None

    def page(self, recipients: list[str], *, unread_only: bool, limit: int,
             offset: int) -> tuple[list[InboxEntry], int, int]:
        base = select(InboxMessage).where(InboxMessage.recipient_id.in_(recipients))
        unread = base.where(InboxMessage.read_at.is_(None))
        shown = unread if unread_only else base
        total = paging.total(self.session, shown)
        unread_count = paging.total(self.session, unread)
        rows = self.session.execute(
            shown.order_by(InboxMessage.created_at.desc(), InboxMessage.id.desc()).limit(limit).offset(offset)
        ).scalars()
        return [self._to_domain(r) for r in rows], total, unread_count

    def get(self, message_id: int) -> InboxEntry | None:
        row = self.session.get(InboxMessage, message_id)
        return self._to_domain(row) if row else None

    def mark_read(self, recipients: list[str], message_id: int | None, at: datetime) -> int:
        """Mark one message (or, with None, all) of these recipients read; returns how many changed."""
        stmt = update(InboxMessage).where(InboxMessage.recipient_id.in_(recipients), InboxMessage.read_at.is_(None))
        if message_id is not None:
            stmt = stmt.where(InboxMessage.id == message_id)
        return self.session.execute(stmt.values(read_at=at)).rowcount

    @staticmethod
    def _to_domain(row: InboxMessage) -> InboxEntry:
        return InboxEntry(id=row.id, recipient_id=row.recipient_id, recipient_kind=row.recipient_kind, title=row.title,
                          body=row.body, link=row.link, source_id=row.source_event_id, created_at=row.created_at,
                          read_at=row.read_at)


_ENDPOINT_FIELDS = ("id", "org_id", "url", "description", "event_types", "secret", "previous_secret",
                    "previous_secret_expires_at", "enabled", "failing_since", "disabled_reason", "created_at")
_HOOK_FIELDS = ("id", "endpoint_id", "org_id", "event_id", "event_type", "payload", "status", "attempts",
                "last_status", "last_error", "created_at", "delivered_at", "next_attempt_at", "window_start", "log")


# built once: read for most events the fan-out sees
_SUBSCRIBED_TYPES = select(func.jsonb_array_elements_text(WebhookEndpointRow.event_types)) \
    .where(WebhookEndpointRow.enabled.is_(True)).distinct()


class WebhookRepository:
    def __init__(self, session: Session):
        self.session = session

    def add_endpoint(self, endpoint: Endpoint) -> None:
        values = {f: getattr(endpoint, f) for f in _ENDPOINT_FIELDS}
        values["created_at"] = endpoint.created_at or utcnow()
        self.session.execute(pg_insert(WebhookEndpointRow).values(**values))

    def endpoint(self, endpoint_id: str, *, for_update: bool = False) -> Endpoint | None:
        row = self.session.get(WebhookEndpointRow, endpoint_id, with_for_update=for_update)
        return Endpoint(**{f: getattr(row, f) for f in _ENDPOINT_FIELDS}) if row else None

    def save_endpoint(self, endpoint: Endpoint) -> None:
        self.session.execute(update(WebhookEndpointRow).where(WebhookEndpointRow.id == endpoint.id).values(
            **{f: getattr(endpoint, f) for f in _ENDPOINT_FIELDS if f not in ("id", "created_at")}))

    def delete_endpoint(self, endpoint_id: str) -> None:
        row = self.session.get(WebhookEndpointRow, endpoint_id)
        if row is not None:
            self.session.delete(row)
            self.session.flush()

    def endpoints(self, org_id: str | None) -> list[Endpoint]:
        query = select(WebhookEndpointRow).order_by(WebhookEndpointRow.created_at, WebhookEndpointRow.id)
        if org_id is not None:
            query = query.where(WebhookEndpointRow.org_id == org_id)
        return [Endpoint(**{f: getattr(r, f) for f in _ENDPOINT_FIELDS}) for r in self.session.execute(query).scalars()]

    def subscribed(self, event_type: str) -> list[Endpoint]:
        rows = self.session.execute(select(WebhookEndpointRow).where(
            WebhookEndpointRow.enabled.is_(True), WebhookEndpointRow.event_types.has_key(event_type))).scalars()
        return [Endpoint(**{f: getattr(r, f) for f in _ENDPOINT_FIELDS}) for r in rows]

    def subscribed_types(self) -> set[str]:
        """Every event type some enabled endpoint subscribes to."""
        return set(self.session.execute(_SUBSCRIBED_TYPES).scalars())

    def add_delivery_if_new(self, delivery: WebhookDelivery) -> bool:
        values = {f: getattr(delivery, f) for f in _HOOK_FIELDS}
        return self.session.execute(
            pg_insert(WebhookDeliveryRow).values(**values).on_conflict_do_nothing(constraint="uq_webhook_delivery_once")
            .returning(WebhookDeliveryRow.id)).scalar_one_or_none() is not None

    def delivery(self, delivery_id: str, *, for_update: bool = False) -> WebhookDelivery | None:
        row = self.session.get(WebhookDeliveryRow, delivery_id, with_for_update=for_update)
        return WebhookDelivery(**{f: getattr(row, f) for f in _HOOK_FIELDS}) if row else None

    def save_delivery(self, delivery: WebhookDelivery) -> None:
        self.session.execute(update(WebhookDeliveryRow).where(WebhookDeliveryRow.id == delivery.id).values(
            **{f: getattr(delivery, f) for f in _HOOK_FIELDS if f != "id"}))

    def deliveries(self, *, org_id: str | None, endpoint_id: str | None = None, status: str | None = None,
                   event_type: str | None = None, sort: str = "-created_at", limit: int = 50,
                   offset: int = 0) -> tuple[list[WebhookDelivery], int]:
        query = select(WebhookDeliveryRow)
        for column, value in ((WebhookDeliveryRow.org_id, org_id), (WebhookDeliveryRow.endpoint_id, endpoint_id),
                              (WebhookDeliveryRow.status, status), (WebhookDeliveryRow.event_type, event_type)):
            if value is not None:
                query = query.where(column == value)
        total = paging.total(self.session, query)
        order = paging.order_by({"created_at": WebhookDeliveryRow.created_at, "status": WebhookDeliveryRow.status},
                                sort, WebhookDeliveryRow.id)
        rows = self.session.execute(query.order_by(*order).limit(limit).offset(offset)).scalars()
        return [WebhookDelivery(**{f: getattr(r, f) for f in _HOOK_FIELDS}) for r in rows], total
