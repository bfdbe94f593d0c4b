"""Tables of ticket_svc (its database also holds the kernel's outbox, inbox and deadlines)."""
from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, Integer, MetaData, String, Text, Time, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

metadata = MetaData()


class Base(DeclarativeBase):
    metadata = metadata


class TicketRow(Base):
    __tablename__ = "tickets"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    customer_org_id: Mapped[str] = mapped_column(String(36), index=True)
    customer_user_id: Mapped[str] = mapped_column(String(36))
    provider_id: Mapped[str] = mapped_column(String(36), index=True)
    vendor_id: Mapped[str | None] = mapped_column(String(36))
    product_id: Mapped[str | None] = mapped_column(String(64))
    order_id: Mapped[str | None] = mapped_column(String(64), index=True)
    project_id: Mapped[str | None] = mapped_column(String(36))
    title: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(40))
    tier: Mapped[str | None] = mapped_column(String(2))
    requested_tier: Mapped[str | None] = mapped_column(String(2))
    number: Mapped[str | None] = mapped_column(String(20), unique=True, index=True)
    status: Mapped[str] = mapped_column(String(30), index=True)
    assignee_id: Mapped[str | None] = mapped_column(String(36), index=True)
    escalated: Mapped[bool] = mapped_column(Boolean)
    complaint: Mapped[bool] = mapped_column(Boolean)
    complaint_note: Mapped[str] = mapped_column(Text)
    suspected: Mapped[list] = mapped_column(JSONB)
    waiting_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    waiting_round: Mapped[int] = mapped_column(Integer)
    reminded: Mapped[bool] = mapped_column(Boolean)
    rating: Mapped[int | None] = mapped_column(Integer)
    rating_comment: Mapped[str] = mapped_column(Text)
    first_response_seconds: Mapped[int | None] = mapped_column(Integer)
    resolution_seconds: Mapped[int | None] = mapped_column(Integer)
    breached: Mapped[list] = mapped_column(JSONB)
    breach_count: Mapped[int] = mapped_column(Integer)
    priority_rank: Mapped[int] = mapped_column(Integer)
    timers: Mapped[dict] = mapped_column(JSONB)
    search_text: Mapped[str] = mapped_column(Text, doc="title and customer-visible text, for trigram search")
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        Index("ix_tickets_search_trgm", "search_text", postgresql_using="gin",
              postgresql_ops={"search_text": "gin_trgm_ops"}),
        Index("ix_tickets_queue", "provider_id", "status", "priority_rank", "opened_at"),
    )


class MessageRow(Base):
    __tablename__ = "ticket_messages"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    ticket_id: Mapped[str] = mapped_column(ForeignKey("tickets.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    author_id: Mapped[str] = mapped_column(String(36))
    side: Mapped[str] = mapped_column(String(10))
    kind: Mapped[str] = mapped_column(String(10))
    body: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    attachments: Mapped[list] = mapped_column(JSONB)


class LogRow(Base):
    __tablename__ = "ticket_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[str] = mapped_column(ForeignKey("tickets.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    action: Mapped[str] = mapped_column(String(60))
    actor: Mapped[str] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(Text)


class UserRow(Base):
    """identity's users, as its events describe them (agents, admins, customers)."""

    __tablename__ = "users"

    user_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    org_id: Mapped[str] = mapped_column(String(36), index=True)
    org_kind: Mapped[str] = mapped_column(String(20))
    display_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(200), index=True)
    roles: Mapped[list] = mapped_column(JSONB)
    active: Mapped[bool] = mapped_column(Boolean)


class OrganisationRow(Base):
    __tablename__ = "organisations"

    org_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))


class AgentDutyRow(Base):
    __tablename__ = "agent_duty"

    user_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    provider_id: Mapped[str] = mapped_column(String(36), index=True)
    on_duty: Mapped[bool] = mapped_column(Boolean)
    since: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SubjectRow(Base):
    """Orders/projects: who bought, whose product, who delivers (project and dispatch events)."""

    __tablename__ = "subjects"

    project_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    order_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    product_id: Mapped[str | None] = mapped_column(String(64), index=True)
    vendor_id: Mapped[str | None] = mapped_column(String(36))
    customer_id: Mapped[str | None] = mapped_column(String(36))
    provider_id: Mapped[str | None] = mapped_column(String(36))


class ServiceHoursRow(Base):
    __tablename__ = "service_hours"

    provider_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    start: Mapped[time] = mapped_column(Time)
    end: Mapped[time] = mapped_column(Time)
    every_day: Mapped[bool] = mapped_column(Boolean)


class CalendarDayRow(Base):
    """The operator's calendar edits (identity's calendar_changed), for counting service time."""

    __tablename__ = "calendar_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(100))


class UploadRow(Base):
    """A file uploaded to a ticket: what the platform measured and whom it came from (TKT-7); a
    message attaches it by its key, once."""

    __tablename__ = "ticket_uploads"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    ticket_id: Mapped[str] = mapped_column(String(36), index=True)
    name: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(Integer)
    content_type: Mapped[str] = mapped_column(String(100))
    uploaded_by: Mapped[str] = mapped_column(String(36))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    message_id: Mapped[str | None] = mapped_column(String(64))


class EntitlementRow(Base):
    """A provider's service contract tier for a product, a customer, or a customer on a product
    (TKT-8); '' stands for "every" so that the key is unique and upserted."""

    __tablename__ = "ticket_entitlements"

    provider_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    customer_org_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    product_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    tier: Mapped[str] = mapped_column(String(2))


class AbusiveWordRow(Base):
    __tablename__ = "abusive_words"

    word: Mapped[str] = mapped_column(String(50), primary_key=True)


class CannedReplyRow(Base):
    __tablename__ = "canned_replies"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    provider_id: Mapped[str] = mapped_column(String(36), index=True)
    key: Mapped[str] = mapped_column(String(60))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))
