from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, MetaData, String, Text, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

metadata = MetaData()


class Base(DeclarativeBase):
    metadata = metadata


class TemplateRow(Base):
    """A template: its owner and its versions (``template_versions``)."""

    __tablename__ = "templates"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    owner_id: Mapped[str | None] = mapped_column(String(36), index=True, doc="vendor id; None for public templates")
    name: Mapped[str] = mapped_column(String(200), doc="the newest version's name, for lists")
    latest_status: Mapped[str] = mapped_column(String(20), doc="the newest version's status, for lists")
    copied_from: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))


class TemplateVersion(Base):
    """One version of a template; every version is kept (TPL-1)."""

    __tablename__ = "template_versions"
    __table_args__ = (UniqueConstraint("template_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[str] = mapped_column(String(36), ForeignKey("templates.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    owner_id: Mapped[str | None] = mapped_column(String(36), doc="vendor id; None for public templates")
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20))
    nodes: Mapped[list] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), doc="submitted for approval")
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(String(36))
    reason: Mapped[str | None] = mapped_column(Text)


class ProductBinding(Base):
    __tablename__ = "product_bindings"

    product_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    vendor_id: Mapped[str] = mapped_column(String(36), index=True)
    product_code: Mapped[str] = mapped_column(String(64))
    product_name: Mapped[str] = mapped_column(String(200))
    template_id: Mapped[str] = mapped_column(String(36))
    template_name: Mapped[str] = mapped_column(String(200), server_default="")
    template_version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))


class ProductProviders(Base):
    """dispatch_svc's provider list of a product (product_providers_set), for the product list."""

    __tablename__ = "product_providers"

    product_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    provider_ids: Mapped[list] = mapped_column(JSONB)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))


class FormTemplateRow(Base):
    __tablename__ = "form_templates"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, server_default="")
    fields: Mapped[list] = mapped_column(JSONB)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))


class MessageTemplateRow(Base):
    """notify_svc's message templates by name (message_template_changed), to check reminder rules."""

    __tablename__ = "message_templates"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    variables: Mapped[list] = mapped_column(JSONB)
    channels: Mapped[list] = mapped_column(JSONB)
    deleted: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))
