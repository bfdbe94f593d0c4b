"""Tables of dispatch_svc. Counts of held orders carry CHECK constraints, so no code path, replica or
race can push a provider or an employee past its limit (DSP-8): ``held`` may exceed the limit
only by what was held when the limit was lowered (``kept_over``), and ``kept_over`` never grows
above ``held``."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

metadata = MetaData()


class Base(DeclarativeBase):
    metadata = metadata


class ProductProvider(Base):
    """DSP-1: who delivers a product, with the vendor's weight and maximum of held orders."""

    __tablename__ = "product_providers"
    __table_args__ = (
        CheckConstraint("max_held between 0 and 2000", name="max_held_range"),
        CheckConstraint("weight >= 0", name="weight_not_negative"),
        CheckConstraint("held >= 0 and kept_over >= 0 and kept_over <= held", name="held_counts"),
        CheckConstraint("held <= greatest(max_held, kept_over)", name="held_never_grows_past_max"),
    )

    product_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    provider_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    vendor_id: Mapped[str] = mapped_column(String(36), index=True)
    weight: Mapped[int] = mapped_column(Integer)
    max_held: Mapped[int] = mapped_column(Integer)
    held: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    kept_over: Mapped[int] = mapped_column(Integer, server_default=text("0"))


class ProviderAssignment(Base):
    """Which provider holds which project in which round; released when the project ends or moves."""

    __tablename__ = "provider_assignments"

    project_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    round: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[str] = mapped_column(String(64))
    provider_id: Mapped[str] = mapped_column(String(36), index=True)
    rule: Mapped[str] = mapped_column(String(20))
    assigned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))
    released_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class QueuedProject(Base):
    """DSP-3/DSP-5: projects waiting for a provider (provider level) or an employee (employee level)."""

    __tablename__ = "provider_queue"

    project_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    round: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[str] = mapped_column(String(64), index=True)
    vendor_id: Mapped[str] = mapped_column(String(36), index=True)
    node_key: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(200))
    enqueued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))
    level: Mapped[str] = mapped_column(String(10), server_default=text("'provider'"))
    provider_id: Mapped[str | None] = mapped_column(String(36), index=True)
    role: Mapped[str | None] = mapped_column(String(40))
    rule: Mapped[str | None] = mapped_column(String(20))


class DispatchProject(Base):
    """What dispatch did for one project: provider, claim, round; its employee holds are rows below."""

    __tablename__ = "dispatch_projects"
    __table_args__ = (Index("ix_dispatch_projects_open_by_provider", "product_id", "provider_id",
                            postgresql_where=text("not closed")),)

    project_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    order_id: Mapped[str] = mapped_column(String(64), unique=True)
    product_id: Mapped[str] = mapped_column(String(64))
    vendor_id: Mapped[str] = mapped_column(String(36))
    customer_id: Mapped[str] = mapped_column(String(36))
    round: Mapped[int] = mapped_column(Integer)
    provider_id: Mapped[str | None] = mapped_column(String(36), index=True)
    provider_round: Mapped[int | None] = mapped_column(Integer)
    provider_rule: Mapped[str | None] = mapped_column(String(20))
    provider_held: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    excluded_provider_id: Mapped[str | None] = mapped_column(String(36))
    claim_node_key: Mapped[str | None] = mapped_column(String(64))
    claim_round: Mapped[int | None] = mapped_column(Integer)
    claimed_by: Mapped[str | None] = mapped_column(String(36))
    claim_department_id: Mapped[str | None] = mapped_column(String(36))
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))


class EmployeeHoldRow(Base):
    """One held order of an employee: the operator of an assign-order node (DSP-5)."""

    __tablename__ = "employee_holds"
    __table_args__ = (Index("ix_employee_holds_user_open", "user_id", postgresql_where=text("released_at is null")),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_id: Mapped[str] = mapped_column(String(36), index=True)
    node_key: Mapped[str] = mapped_column(String(64))
    round: Mapped[int] = mapped_column(Integer)
    user_id: Mapped[str] = mapped_column(String(36))
    provider_id: Mapped[str] = mapped_column(String(36))
    role: Mapped[str] = mapped_column(String(40))
    rule: Mapped[str] = mapped_column(String(20))
    assigned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))
    released_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class EmployeeRow(Base):
    """A provider's user: identity's facts (roles, department, active) plus capacity and switch (DSP-4)."""

    __tablename__ = "employees"
    __table_args__ = (
        CheckConstraint("capacity between 0 and 50", name="capacity_range"),
        CheckConstraint("held >= 0 and kept_over >= 0 and kept_over <= held", name="held_counts"),
        CheckConstraint("held <= greatest(capacity, kept_over)", name="held_never_grows_past_capacity"),
    )

    user_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    org_id: Mapped[str] = mapped_column(String(36), index=True)
    display_name: Mapped[str] = mapped_column(String(100), server_default=text("''"))
    roles: Mapped[list[str]] = mapped_column(ARRAY(String(40)), server_default=text("'{}'"))
    department_id: Mapped[str | None] = mapped_column(String(36))
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    capacity: Mapped[int] = mapped_column(Integer)
    open: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    held: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    kept_over: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))


class DepartmentRow(Base):
    """ISV departments (ORG-3), for department-first dispatch inside the claimer's subtree (DSP-6)."""

    __tablename__ = "departments"

    department_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    org_id: Mapped[str] = mapped_column(String(36), index=True)
    name: Mapped[str] = mapped_column(String(100))
    parent_id: Mapped[str | None] = mapped_column(String(36))
    deleted: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
