"""the whole dispatch: employees, departments, project records, employee holds, two-level queue,
limits that may be lowered below what is held but never grown past (DSP-4..9)

Revision ID: 7d1c2e9a4b30
Revises: 5004049606a5
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "7d1c2e9a4b30"
down_revision = "5004049606a5"


def upgrade() -> None:
    op.add_column("product_providers", sa.Column("kept_over", sa.Integer(), server_default=sa.text("0"),
                                                 nullable=False))
    op.drop_constraint("held_within_max", "product_providers", type_="check")
    op.create_check_constraint("held_counts", "product_providers",
                               "held >= 0 and kept_over >= 0 and kept_over <= held")
    op.create_check_constraint("held_never_grows_past_max", "product_providers",
                               "held <= greatest(max_held, kept_over)")

    op.add_column("provider_queue", sa.Column("level", sa.String(length=10), server_default=sa.text("'provider'"),
                                              nullable=False))
    op.add_column("provider_queue", sa.Column("provider_id", sa.String(length=36), nullable=True))
    op.add_column("provider_queue", sa.Column("role", sa.String(length=40), nullable=True))
    op.add_column("provider_queue", sa.Column("rule", sa.String(length=20), nullable=True))
    op.create_index(op.f("ix_provider_queue_provider_id"), "provider_queue", ["provider_id"], unique=False)

    op.create_table(
        "dispatch_projects",
        sa.Column("project_id", sa.String(length=36), nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("product_id", sa.String(length=64), nullable=False),
        sa.Column("vendor_id", sa.String(length=36), nullable=False),
        sa.Column("customer_id", sa.String(length=36), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.String(length=36), nullable=True),
        sa.Column("provider_round", sa.Integer(), nullable=True),
        sa.Column("provider_rule", sa.String(length=20), nullable=True),
        sa.Column("provider_held", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("excluded_provider_id", sa.String(length=36), nullable=True),
        sa.Column("claim_node_key", sa.String(length=64), nullable=True),
        sa.Column("claim_round", sa.Integer(), nullable=True),
        sa.Column("claimed_by", sa.String(length=36), nullable=True),
        sa.Column("claim_department_id", sa.String(length=36), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("project_id"),
        sa.UniqueConstraint("order_id"),
    )
    op.create_index(op.f("ix_dispatch_projects_provider_id"), "dispatch_projects", ["provider_id"], unique=False)

    op.create_table(
        "employee_holds",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("project_id", sa.String(length=36), nullable=False),
        sa.Column("node_key", sa.String(length=64), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("provider_id", sa.String(length=36), nullable=False),
        sa.Column("role", sa.String(length=40), nullable=False),
        sa.Column("rule", sa.String(length=20), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_employee_holds_project_id"), "employee_holds", ["project_id"], unique=False)
    op.create_index("ix_employee_holds_user_open", "employee_holds", ["user_id"], unique=False,
                    postgresql_where=sa.text("released_at is null"))

    op.create_table(
        "employees",
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("org_id", sa.String(length=36), nullable=False),
        sa.Column("display_name", sa.String(length=100), server_default=sa.text("''"), nullable=False),
        sa.Column("roles", postgresql.ARRAY(sa.String(length=40)), server_default=sa.text("'{}'"), nullable=False),
        sa.Column("department_id", sa.String(length=36), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("open", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("held", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("kept_over", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("capacity between 0 and 50", name="capacity_range"),
        sa.CheckConstraint("held >= 0 and kept_over >= 0 and kept_over <= held", name="held_counts"),
        sa.CheckConstraint("held <= greatest(capacity, kept_over)", name="held_never_grows_past_capacity"),
        sa.PrimaryKeyConstraint("user_id"),
    )
    op.create_index(op.f("ix_employees_org_id"), "employees", ["org_id"], unique=False)

    op.create_table(
        "departments",
        sa.Column("department_id", sa.String(length=36), nullable=False),
        sa.Column("org_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("parent_id", sa.String(length=36), nullable=True),
        sa.Column("deleted", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.PrimaryKeyConstraint("department_id"),
    )
    op.create_index(op.f("ix_departments_org_id"), "departments", ["org_id"], unique=False)
