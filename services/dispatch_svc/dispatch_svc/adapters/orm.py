from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, Integer, MetaData, String, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

metadata = MetaData()


class Base(DeclarativeBase):
    metadata = metadata


class ProductProvider(Base):
    """DSP-1: who delivers a product, with the vendor's weight and maximum of held orders."""

    __tablename__ = "product_providers"
    __table_args__ = (
        CheckConstraint("max_held between 0 and 2000", name="max_held_range"),
        CheckConstraint("held >= 0 and held <= max_held", name="held_within_max"),
        CheckConstraint("weight >= 0", name="weight_not_negative"),
    )

    product_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    provider_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    vendor_id: Mapped[str] = mapped_column(String(36), index=True)
    weight: Mapped[int] = mapped_column(Integer)
    max_held: Mapped[int] = mapped_column(Integer)
    held: Mapped[int] = mapped_column(Integer, server_default=text("0"))


class ProviderAssignment(Base):
    """Which provider holds which project in which round; makes the assignment idempotent."""

    __tablename__ = "provider_assignments"

    project_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    round: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[str] = mapped_column(String(64))
    provider_id: Mapped[str] = mapped_column(String(36), index=True)
    rule: Mapped[str] = mapped_column(String(20))
    assigned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))
    released_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class QueuedProject(Base):
    """DSP-3: projects waiting for a provider with spare capacity."""

    __tablename__ = "provider_queue"

    project_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    round: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[str] = mapped_column(String(64), index=True)
    vendor_id: Mapped[str] = mapped_column(String(36), index=True)
    node_key: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(200))
    enqueued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))
