from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, MetaData, String, Text, UniqueConstraint, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

metadata = MetaData()


class Base(DeclarativeBase):
    metadata = metadata


class InboxMessage(Base):
    """NTF-5: an in-site message for one recipient (a user, or an organisation's admins)."""

    __tablename__ = "inbox_messages"
    __table_args__ = (UniqueConstraint("source_event_id", "recipient_id", name="uq_inbox_event_recipient"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_id: Mapped[str] = mapped_column(String(36), index=True)
    recipient_kind: Mapped[str] = mapped_column(String(20), doc="organisation or user")
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(300))
    source_event_id: Mapped[str] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
