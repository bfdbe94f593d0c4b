from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Computed,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

metadata = MetaData()


# what ``q`` searches: the order id (the number a person reads), product code and name, customer name
SEARCH_TEXT = "lower(order_id || ' ' || product_code || ' ' || product_name || ' ' || customer_name)"


class Base(DeclarativeBase):
    metadata = metadata


class ProjectRow(Base):
    __tablename__ = "projects"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    order_id: Mapped[str] = mapped_column(String(64), unique=True, doc="PRJ-1: one project per order")
    product_id: Mapped[str] = mapped_column(String(64), index=True)
    vendor_id: Mapped[str] = mapped_column(String(36), index=True)
    customer_id: Mapped[str] = mapped_column(String(36), index=True)
    provider_id: Mapped[str | None] = mapped_column(String(36), index=True)
    template_id: Mapped[str] = mapped_column(String(36))
    template_version: Mapped[int] = mapped_column(Integer)
    nodes: Mapped[list] = mapped_column(JSONB)
    current_index: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), index=True)
    round: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))
    # the engine's state (PRJ-2..9)
    product_code: Mapped[str] = mapped_column(String(64), server_default="")
    product_name: Mapped[str] = mapped_column(String(200), server_default="")
    operators: Mapped[dict] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    claimed_by: Mapped[str | None] = mapped_column(String(36))
    claim_department_id: Mapped[str | None] = mapped_column(String(36))
    due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    remaining_seconds: Mapped[int | None] = mapped_column(BigInteger)
    late_side: Mapped[str | None] = mapped_column(String(10))
    late_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    submissions: Mapped[dict] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    rating: Mapped[int | None] = mapped_column(Integer)
    rating_comment: Mapped[str] = mapped_column(Text, server_default="")
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_reason: Mapped[str] = mapped_column(Text, server_default="")
    # denormalised for lists, filters and sorting without reading the flow (PRJ-3, PRJ-10)
    current_node_key: Mapped[str] = mapped_column(String(64), server_default="")
    current_node_name: Mapped[str] = mapped_column(String(200), server_default="")
    current_node_kind: Mapped[str] = mapped_column(String(32), server_default="")
    current_side: Mapped[str] = mapped_column(String(10), server_default="")
    current_operator_id: Mapped[str | None] = mapped_column(String(36), index=True)
    # search (``q``): the customer's name when bought, and one text of what a person types to find a
    # project, kept by PostgreSQL itself and indexed by trigrams (prefix and contains, any size)
    customer_name: Mapped[str] = mapped_column(String(200), server_default="")
    search_text: Mapped[str] = mapped_column(Text, Computed(SEARCH_TEXT, persisted=True))

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        # keyset paging newest first, inside a tab and per tenant (PRJ-10: deep pages stay fast)
        Index("ix_projects_status_created", "status", "created_at", "id"),
        # ... carrying the other owners, so that counting one capacity of a caller without the rows
        # another capacity covered reads only the index (an ISV user who sells, buys and delivers)
        Index("ix_projects_vendor_status_created", "vendor_id", "status", "created_at", "id",
              postgresql_include=["provider_id", "customer_id"]),
        Index("ix_projects_provider_status_created", "provider_id", "status", "created_at", "id",
              postgresql_include=["vendor_id", "customer_id"]),
        Index("ix_projects_customer_status_created", "customer_id", "status", "created_at", "id",
              postgresql_include=["vendor_id", "provider_id"]),
        Index("ix_projects_created", "created_at", "id"),
        # dashboards (PRJ-11) read only these indexes at any size: new projects by day and the
        # 30/60-day breakdown per owner, and the completion cycle of completed projects
        Index("ix_projects_vendor_created", "vendor_id", "created_at",
              postgresql_include=["status", "late_side"]),
        Index("ix_projects_provider_created", "provider_id", "created_at",
              postgresql_include=["status", "late_side"]),
        Index("ix_projects_vendor_completed", "vendor_id", "completed_at", postgresql_include=["created_at"],
              postgresql_where=text("status = 'completed'")),
        Index("ix_projects_provider_completed", "provider_id", "completed_at", postgresql_include=["created_at"],
              postgresql_where=text("status = 'completed'")),
        # the product filter of the operator's list (the other filter columns have their own)
        Index("ix_projects_product_code_status_created", "product_code", "status", "created_at", "id"),
        # the late filter of every list, per owner (partial: a few percent of the rows)
        Index("ix_projects_late", "status", "created_at", postgresql_where=text("late_side IS NOT NULL")),
        *(Index(f"ix_projects_{owner}_late", f"{owner}_id", "status", "created_at",
                postgresql_where=text("late_side IS NOT NULL")) for owner in ("vendor", "provider", "customer")),
        Index("ix_projects_search_trgm", "search_text", postgresql_using="gin",
              postgresql_ops={"search_text": "gin_trgm_ops"}),
    )


class OrganisationNameRow(Base):
    """Organisation names kept from identity's organisation_created: a purchase's customer name."""

    __tablename__ = "organisation_names"

    org_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))


class FlowLogRow(Base):
    __tablename__ = "flow_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    action: Mapped[str] = mapped_column(String(40))
    node_key: Mapped[str | None] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, server_default="")
    round: Mapped[int] = mapped_column(Integer, server_default=text("1"))


class ParticipantRow(Base):
    """Who handled a project ("my projects: handled by me", PRJ-2)."""

    __tablename__ = "project_participants"

    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(36), primary_key=True, index=True)


class ProductFlowRow(Base):
    """The flow each product is bound to, kept from template_svc's product_template_bound."""

    __tablename__ = "product_flows"

    product_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    vendor_id: Mapped[str] = mapped_column(String(36))
    product_code: Mapped[str] = mapped_column(String(64), server_default="")
    product_name: Mapped[str] = mapped_column(String(200), server_default="")
    template_id: Mapped[str] = mapped_column(String(36))
    template_name: Mapped[str] = mapped_column(String(200), server_default="")
    template_version: Mapped[int] = mapped_column(Integer)
    nodes: Mapped[list] = mapped_column(JSONB)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))


class CalendarDayRow(Base):
    """The operator's calendar overrides, kept from identity_svc's calendar_changed (ORG-6)."""

    __tablename__ = "calendar_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(100), server_default="")


class CalendarVersionRow(Base):
    """One row: a random value drawn anew with every change of ``calendar_days``, in its
    transaction, so that a process may keep the calendar it read and re-read it only when the
    version changed (reading it per change was costly). Random, not a counter: a database created again, or another
    database the same process uses (tests), never shows a version a process kept for other days."""

    __tablename__ = "calendar_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[str] = mapped_column(String(36))

    __table_args__ = (CheckConstraint("id = 1", name="ck_calendar_version_one_row"),)


class RecordRow(Base):
    """Messages (everyone on the project sees them) and notes (never the customer), PRJ-7."""

    __tablename__ = "project_records"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"))
    kind: Mapped[str] = mapped_column(String(10))
    author_id: Mapped[str] = mapped_column(String(36))
    # the author's organisation: a former provider's notes stay its own (domain.access.record_visible)
    author_org_id: Mapped[str | None] = mapped_column(String(36))
    node_key: Mapped[str | None] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_project_records_project_kind_at", "project_id", "kind", "at"),)


class FileRow(Base):
    __tablename__ = "project_files"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"), index=True)
    node_key: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(300))
    uploaded_by: Mapped[str] = mapped_column(String(36))
    author_org_id: Mapped[str | None] = mapped_column(String(36))  # the uploader's organisation
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class TabCountRow(Base):
    """Projects per status tab of each owner (the platform, a vendor, a provider, a customer), kept
    by the repository in the transaction that changes a project: an unfiltered list's tab counts
    are a few rows to add up instead of a count over every project (PRJ-3 at 1M projects). Each
    owner's counts are spread over ``shard`` rows (by project) so that concurrent changes seldom
    wait on one row; a shard may go below zero, the sum over the shards is the count."""

    __tablename__ = "project_tab_counts"

    scope_kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    scope_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    status: Mapped[str] = mapped_column(String(20), primary_key=True)
    shard: Mapped[int] = mapped_column(Integer, primary_key=True)
    n: Mapped[int] = mapped_column(BigInteger)


class SaturationRow(Base):
    """Each product's providers with held and maximum orders, from dispatch's saturation_changed."""

    __tablename__ = "provider_saturation"

    product_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    provider_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    vendor_id: Mapped[str] = mapped_column(String(36), index=True)
    held: Mapped[int] = mapped_column(Integer)
    max_held: Mapped[int] = mapped_column(Integer)
    # when dispatch emitted the figures this row holds (its event's occurred_at): an older event
    # arriving later changes nothing; null for rows kept before it was recorded
    as_of: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
