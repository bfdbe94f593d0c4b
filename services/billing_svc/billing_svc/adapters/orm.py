"""Tables of billing_svc (SQLAlchemy 2). Money columns are BigInteger minor units."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

metadata = MetaData()


class Base(DeclarativeBase):
    metadata = metadata


class CustomerRow(Base):
    __tablename__ = "customers"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    platform_agreement_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    withholding_agreement_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    payment_account: Mapped[str | None] = mapped_column(String(128))
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    confirmed_by: Mapped[str | None] = mapped_column(String(36))
    callback_url: Mapped[str | None] = mapped_column(String(500))
    notice_email: Mapped[str | None] = mapped_column(String(254))
    unpaid: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    block_threshold: Mapped[int] = mapped_column(Integer, server_default=text("3"))


class SupplierRow(Base):
    __tablename__ = "suppliers"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    fulfilment_url: Mapped[str | None] = mapped_column(String(500))
    report_url: Mapped[str | None] = mapped_column(String(500))


class ProductRow(Base):
    __tablename__ = "products"
    __table_args__ = (UniqueConstraint("supplier_id", "code"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    supplier_id: Mapped[str] = mapped_column(String(36), index=True)
    code: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(200))
    face_value: Mapped[int] = mapped_column(BigInteger)
    price: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    listed: Mapped[bool] = mapped_column(Boolean)
    suspended: Mapped[bool] = mapped_column(Boolean)
    visible_to: Mapped[list] = mapped_column(JSONB)


class SubscriptionRow(Base):
    __tablename__ = "subscriptions"
    __table_args__ = (UniqueConstraint("customer_id", "product_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(36), index=True)
    supplier_id: Mapped[str] = mapped_column(String(36), index=True)
    product_id: Mapped[str] = mapped_column(String(36))
    product_code: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20))
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class RoutingCursorRow(Base):
    """BIL-4: one round-robin cursor per customer and product code, locked FOR UPDATE."""
    __tablename__ = "routing_cursors"

    customer_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    product_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    cursor: Mapped[int] = mapped_column(BigInteger)


class PriceLockRow(Base):
    __tablename__ = "price_locks"

    id: Mapped[int] = mapped_column(primary_key=True)
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    set_by: Mapped[str] = mapped_column(String(36))


class OrderRow(Base):
    __tablename__ = "orders"
    __table_args__ = (UniqueConstraint("customer_id", "idempotency_key"),
                      Index("ix_orders_stuck", "created_at",
                            postgresql_where=text("""steps @> '[{"status": "stuck"}]'""")))

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(36), index=True)
    supplier_id: Mapped[str] = mapped_column(String(36), index=True)
    product_id: Mapped[str] = mapped_column(String(36))
    product_code: Mapped[str] = mapped_column(String(64))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    idempotency_key: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(20), index=True)
    reason: Mapped[str] = mapped_column(Text, server_default="")
    hold_id: Mapped[str | None] = mapped_column(String(36))
    supplier_ref: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    steps: Mapped[list] = mapped_column(JSONB)
    refunds: Mapped[list] = mapped_column(JSONB)
    fulfil_attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    operator_actions: Mapped[list] = mapped_column(JSONB, server_default=text("'[]'::jsonb"))


class AccountRow(Base):
    __tablename__ = "ledger_accounts"

    id: Mapped[str] = mapped_column(String(120), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3))
    floor: Mapped[int | None] = mapped_column(BigInteger)
    balance: Mapped[int] = mapped_column(BigInteger)
    pending: Mapped[int] = mapped_column(BigInteger)


class TransferRow(Base):
    """Immutable: inserted once, never updated (a correction is a new transfer)."""
    __tablename__ = "ledger_transfers"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True, doc="one effect per idempotency key")
    kind: Mapped[str] = mapped_column(String(20))
    currency: Mapped[str] = mapped_column(String(3))
    pending_id: Mapped[str | None] = mapped_column(String(36))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    memo: Mapped[str] = mapped_column(Text, server_default="")


class PostingRow(Base):
    __tablename__ = "ledger_postings"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    transfer_id: Mapped[str] = mapped_column(String(36), index=True)
    account_id: Mapped[str] = mapped_column(String(120), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    position: Mapped[int] = mapped_column(Integer)


class HoldRow(Base):
    __tablename__ = "ledger_holds"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    status: Mapped[str] = mapped_column(String(10))
    currency: Mapped[str] = mapped_column(String(3))
    postings: Mapped[list] = mapped_column(JSONB)


class StagedContractRow(Base):
    __tablename__ = "staged_contracts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    project_id: Mapped[str] = mapped_column(String(36), index=True)
    customer_id: Mapped[str] = mapped_column(String(36), index=True)
    supplier_id: Mapped[str] = mapped_column(String(36), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    terms_days: Mapped[int] = mapped_column(Integer)
    overdue_period_days: Mapped[int] = mapped_column(Integer)
    stages: Mapped[list] = mapped_column(JSONB)
    reached: Mapped[dict] = mapped_column(JSONB)
    accepted: Mapped[list] = mapped_column(JSONB, server_default=text("'[]'::jsonb"))
    status: Mapped[str] = mapped_column(String(10), server_default="proposed")
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(String(36))


class KnownProjectRow(Base):
    """Billing's read model of delivery projects, from project_svc's events (never from a request):
    who may propose a staged contract for which customer (BIL-12)."""
    __tablename__ = "known_projects"

    project_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    vendor_id: Mapped[str] = mapped_column(String(36))
    customer_id: Mapped[str] = mapped_column(String(36))
    provider_id: Mapped[str | None] = mapped_column(String(36))


class ProjectProgressRow(Base):
    """Nodes reached per project, kept before any contract names the project (events come first)."""
    __tablename__ = "project_progress"

    project_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    reached: Mapped[dict] = mapped_column(JSONB)
    accepted: Mapped[list] = mapped_column(JSONB, server_default=text("'[]'::jsonb"))


class MismatchRow(Base):
    """BIL-11: a mismatch reconciliation found, kept with its resolution (which orders are flagged is
    decided by the reconciliation rules; this only remembers what they found)."""
    __tablename__ = "reconciliation_mismatches"
    __table_args__ = (UniqueConstraint("day", "source", "reference", "problem"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    source: Mapped[str] = mapped_column(String(20))
    reference: Mapped[str] = mapped_column(String(200))
    problem: Mapped[str] = mapped_column(String(100))
    ledger: Mapped[object | None] = mapped_column(JSONB)
    theirs: Mapped[object | None] = mapped_column(JSONB)
    found_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(10), server_default="open", index=True)
    resolution: Mapped[str | None] = mapped_column(Text)
    resolved_by: Mapped[str | None] = mapped_column(String(36))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
