"""Loads, locks and saves dispatch's aggregates; the only place that knows its tables.

Held counts are derived from the projects themselves each time an aggregate is loaded (open
projects of a product by provider; unreleased holds of an employee), so they cannot drift from
what is really held; the ``held`` columns keep the last saved value for the CHECK constraints.

Locking (DSP-8): every loader that hands out an aggregate for a change takes ``FOR UPDATE`` on its
rows, in a fixed order inside each kind (providers by id, employees by user id), so concurrent
dispatches in any number of replicas serialise on the rows they touch and never deadlock.
"""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from dispatch_svc.adapters.orm import (
    DepartmentRow,
    DispatchProject,
    EmployeeHoldRow,
    EmployeeRow,
    ProductProvider,
    ProviderAssignment,
    QueuedProject,
)
from dispatch_svc.domain.model import (
    Employee,
    EmployeeHold,
    ProductProviders,
    ProjectDispatch,
    ProviderLink,
    QueueEntry,
)
from platform_contracts.nodes import DEPARTMENT_FIRST
from platform_kit import paging
from platform_kit.clock import utcnow

_PROJECT_FIELDS = ("order_id", "product_id", "vendor_id", "customer_id", "round", "provider_id", "provider_round",
                   "provider_rule", "provider_held", "excluded_provider_id", "claim_node_key", "claim_round",
                   "claimed_by", "claim_department_id", "claimed_at", "closed")
_EMPLOYEE_FIELDS = ("org_id", "display_name", "department_id", "active", "capacity", "open", "held", "kept_over")
_QUEUE_SORTS = {"enqueued_at": QueuedProject.enqueued_at, "project_id": QueuedProject.project_id,
                "product_id": QueuedProject.product_id, "reason": QueuedProject.reason}
_EMPLOYEE_SORTS = {"user_id": EmployeeRow.user_id, "display_name": EmployeeRow.display_name,
                   "capacity": EmployeeRow.capacity, "held": EmployeeRow.held}


def _derived(held: int, limit: int, kept_over: int) -> tuple[int, int]:
    """(held, kept_over) from the real count: a count found above the limit is kept, not taken away."""
    return held, (held if held > limit else min(kept_over, held))


class DispatchRepository:
    def __init__(self, session: Session):
        self.session = session
        self._projects: dict[str, DispatchProject] = {}
        self._holds: dict[str, dict[tuple[str, int], EmployeeHoldRow]] = {}
        self._queued: dict[str, QueuedProject | None] = {}  # as loaded with the project (None: not queued)
        self._providers: dict[str, dict[str, ProductProvider]] = {}
        self._employees: dict[str, EmployeeRow] = {}

    # --- projects ------------------------------------------------------------------------------

    def project_for(self, data: dict) -> ProjectDispatch:
        """The project's record, created on first sight (from a node_reached), locked."""
        self.session.execute(pg_insert(DispatchProject).values(
            project_id=data["project_id"], order_id=data["order_id"], product_id=data["product_id"],
            vendor_id=data["vendor_id"], customer_id=data["customer_id"], round=data["round"],
        ).on_conflict_do_nothing(index_elements=["project_id"]))
        return self.project(data["project_id"])

    def project(self, project_id: str, *, lock: bool = True) -> ProjectDispatch | None:
        row = self.session.get(DispatchProject, project_id, with_for_update=lock, populate_existing=True)
        return self._project_of(row) if row else None

    def project_by_order(self, order_id: str, *, lock: bool = True) -> ProjectDispatch | None:
        query = select(DispatchProject).where(DispatchProject.order_id == order_id)
        row = self.session.execute(query.with_for_update() if lock else query).scalar_one_or_none()
        return self._project_of(row) if row else None

    def _project_of(self, row: DispatchProject) -> ProjectDispatch:
        self._projects[row.project_id] = row
        holds = self.session.execute(select(EmployeeHoldRow).where(EmployeeHoldRow.project_id == row.project_id)
                                     .order_by(EmployeeHoldRow.id)).scalars().all()
        self._holds[row.project_id] = {(h.node_key, h.round): h for h in holds}
        queued = self._queued[row.project_id] = self.session.get(QueuedProject, row.project_id,
                                                                  populate_existing=True)
        waiting = None
        if queued is not None:
            waiting = QueueEntry(queued.level, queued.node_key, queued.round, queued.reason, queued.enqueued_at,
                                 provider_id=queued.provider_id, role=queued.role, rule=queued.rule)
        return ProjectDispatch(
            project_id=row.project_id, **{f: getattr(row, f) for f in _PROJECT_FIELDS},
            holds=[EmployeeHold(h.node_key, h.round, h.user_id, h.role, h.rule, h.released_at is not None)
                   for h in holds],
            waiting=waiting)

    def save_project(self, project: ProjectDispatch) -> None:
        row = self._projects[project.project_id]
        now = utcnow()
        provider_was = (row.provider_id, row.provider_round, row.provider_held)
        for f in _PROJECT_FIELDS:
            setattr(row, f, getattr(project, f))
        if project.provider_rule is not None and provider_was[1] != project.provider_round:
            self.session.execute(pg_insert(ProviderAssignment).values(
                project_id=project.project_id, round=project.provider_round, product_id=project.product_id,
                provider_id=project.provider_id, rule=project.provider_rule,
            ).on_conflict_do_nothing())
        if provider_was[2] and (not project.provider_held or provider_was[1] != project.provider_round):
            assignment = self.session.get(ProviderAssignment, (project.project_id, provider_was[1]))
            if assignment is not None and assignment.released_at is None:
                assignment.released_at = now
        rows = self._holds.setdefault(project.project_id, {})
        for hold in project.holds:
            hold_row = rows.get((hold.node_key, hold.round))
            if hold_row is None:
                hold_row = rows[(hold.node_key, hold.round)] = EmployeeHoldRow(
                    project_id=project.project_id, node_key=hold.node_key, round=hold.round,
                    provider_id=project.provider_id or "", role=hold.role)
                self.session.add(hold_row)
            hold_row.user_id, hold_row.rule = hold.user_id, hold.rule
            if hold.released and hold_row.released_at is None:
                hold_row.released_at = now
        # the row loaded with the project (a missing row is not remembered by the session: asking
        # again would cost a round trip per dispatch)
        queued = self._queued.pop(project.project_id) if project.project_id in self._queued \
            else self.session.get(QueuedProject, project.project_id)
        waiting = project.waiting
        if waiting is None and queued is not None:
            self.session.delete(queued)
        elif waiting is not None:
            if queued is None:
                queued = QueuedProject(project_id=project.project_id, product_id=project.product_id,
                                       vendor_id=project.vendor_id)
                self.session.add(queued)
            queued.level, queued.node_key, queued.round, queued.reason = (
                waiting.level, waiting.node_key, waiting.round, waiting.reason)
            queued.enqueued_at, queued.provider_id, queued.role, queued.rule = (
                waiting.since, waiting.provider_id, waiting.role, waiting.rule)
        self.session.flush()

    # --- the queue -----------------------------------------------------------------------------

    def waiting(self, *, level: str | None = None, key: str | None = None,
                vendor_id: str | None = None) -> list[tuple[str, tuple | None]]:
        """Waiting projects, oldest first, each with what it waits for (None: only its own claim
        department knows, so it is never skipped)."""
        query = select(QueuedProject.project_id, QueuedProject.level, QueuedProject.product_id,
                       QueuedProject.provider_id, QueuedProject.role, QueuedProject.rule) \
            .order_by(QueuedProject.enqueued_at, QueuedProject.project_id)
        if level is not None:
            query = query.where(QueuedProject.level == level)
        if key is not None:
            column = QueuedProject.product_id if level == "provider" else QueuedProject.provider_id
            query = query.where(column == key)
        if vendor_id is not None:
            query = query.where(QueuedProject.vendor_id == vendor_id)
        return [(pid, (lvl, product_id) if lvl == "provider"
                 else None if rule == DEPARTMENT_FIRST else (lvl, provider_id, role))
                for pid, lvl, product_id, provider_id, role, rule in self.session.execute(query)]

    def queue(self, *, scopes: list[tuple[str, str]] | None = None, level: str | None = None,
              product_id: str | None = None, vendor_id: str | None = None, provider_id: str | None = None,
              sort: str = "enqueued_at", limit: int = 50, offset: int = 0) -> tuple[list[dict], int]:
        query = select(QueuedProject, DispatchProject.order_id).outerjoin(
            DispatchProject, DispatchProject.project_id == QueuedProject.project_id)
        if scopes is not None:
            query = query.where(or_(*[
                (QueuedProject.level == lvl) & ((QueuedProject.vendor_id if lvl == "provider"
                                                 else QueuedProject.provider_id) == org) for lvl, org in scopes]))
        for column, value in ((QueuedProject.level, level), (QueuedProject.product_id, product_id),
                              (QueuedProject.vendor_id, vendor_id), (QueuedProject.provider_id, provider_id)):
            if value is not None:
                query = query.where(column == value)
        total = paging.total(self.session, query)
        order = paging.order_by(_QUEUE_SORTS, sort, QueuedProject.project_id)
        rows = self.session.execute(query.order_by(*order).limit(limit).offset(offset)).all()
        return [{"project_id": q.project_id, "order_id": order_id, "product_id": q.product_id,
                 "vendor_id": q.vendor_id, "provider_id": q.provider_id, "level": q.level, "node_key": q.node_key,
                 "round": q.round, "role": q.role, "reason": q.reason, "enqueued_at": q.enqueued_at}
                for q, order_id in rows], total

    # --- providers of a product ----------------------------------------------------------------

    def open_by_provider(self, product_id: str) -> dict[str, int]:
        """Open projects of a product by the provider delivering them (the vendor itself included)."""
        return dict(self.session.execute(
            select(DispatchProject.provider_id, func.count()).where(
                DispatchProject.product_id == product_id, DispatchProject.closed.is_(False),
                DispatchProject.provider_id.is_not(None)).group_by(DispatchProject.provider_id)).all())

    def product(self, product_id: str, *, lock: bool = True) -> ProductProviders:
        query = select(ProductProvider).where(ProductProvider.product_id == product_id) \
            .order_by(ProductProvider.provider_id).execution_options(populate_existing=True)
        rows = self.session.execute(query.with_for_update() if lock else query).scalars().all()
        self._providers[product_id] = {r.provider_id: r for r in rows}
        # counted after the lock is taken, so concurrent dispatches see each other's projects
        counts = self.open_by_provider(product_id)
        return ProductProviders(product_id, rows[0].vendor_id if rows else None, {
            r.provider_id: ProviderLink(r.provider_id, r.weight, r.max_held,
                                        *_derived(counts.get(r.provider_id, 0), r.max_held, r.kept_over))
            for r in rows}, open_by_provider=counts)

    def save_product(self, product: ProductProviders) -> None:
        rows = self._providers.setdefault(product.product_id, {})
        for provider_id in [p for p in rows if p not in product.links]:
            self.session.delete(rows.pop(provider_id))
        for provider_id, link in product.links.items():
            row = rows.get(provider_id)
            if row is None:
                row = rows[provider_id] = ProductProvider(product_id=product.product_id, provider_id=provider_id)
                self.session.add(row)
            row.vendor_id = product.vendor_id
            row.weight, row.max_held, row.held, row.kept_over = link.weight, link.max_held, link.held, link.kept_over
        self.session.flush()

    def saturation(self, *, org_id: str | None = None, product_id: str | None = None) -> list[dict]:
        query = select(ProductProvider).order_by(ProductProvider.product_id, ProductProvider.provider_id)
        if org_id is not None:
            query = query.where(or_(ProductProvider.vendor_id == org_id, ProductProvider.provider_id == org_id))
        if product_id is not None:
            query = query.where(ProductProvider.product_id == product_id)
        held = select(func.count()).where(
            DispatchProject.product_id == ProductProvider.product_id,
            DispatchProject.provider_id == ProductProvider.provider_id,
            DispatchProject.closed.is_(False)).correlate(ProductProvider).scalar_subquery()
        return [{"product_id": r.product_id, "provider_id": r.provider_id, "vendor_id": r.vendor_id,
                 "held": count, "max_held": r.max_held}
                for r, count in self.session.execute(query.add_columns(held)).all()]

    # --- employees -----------------------------------------------------------------------------

    def _employee_of(self, row: EmployeeRow, held: int | None = None) -> Employee:
        self._employees[row.user_id] = row
        employee = Employee(user_id=row.user_id, roles=tuple(row.roles or ()),
                            **{f: getattr(row, f) for f in _EMPLOYEE_FIELDS})
        if held is not None:
            employee.held, employee.kept_over = _derived(held, row.capacity, row.kept_over)
        return employee

    def _held_by(self, rows) -> dict[str, int]:
        ids = [r.user_id for r in rows]
        if not ids:
            return {}
        return dict(self.session.execute(
            select(EmployeeHoldRow.user_id, func.count()).where(
                EmployeeHoldRow.user_id.in_(ids), EmployeeHoldRow.released_at.is_(None))
            .group_by(EmployeeHoldRow.user_id)).all())

    def employees_of(self, org_id: str, *, lock: bool = True) -> list[Employee]:
        query = select(EmployeeRow).where(EmployeeRow.org_id == org_id).order_by(EmployeeRow.user_id) \
            .execution_options(populate_existing=True)
        rows = self.session.execute(query.with_for_update() if lock else query).scalars().all()
        held = self._held_by(rows)
        return [self._employee_of(r, held.get(r.user_id, 0)) for r in rows]

    def projects_held_by(self, user_id: str) -> list[str]:
        """Open projects in which the user holds a node, oldest hold first."""
        return list(self.session.execute(
            select(EmployeeHoldRow.project_id).where(EmployeeHoldRow.user_id == user_id,
                                                     EmployeeHoldRow.released_at.is_(None))
            .group_by(EmployeeHoldRow.project_id).order_by(func.min(EmployeeHoldRow.id))).scalars())

    def employees(self, user_ids: Iterable[str], *, lock: bool = True) -> dict[str, Employee]:
        ids = sorted(set(user_ids))
        if not ids:
            return {}
        query = select(EmployeeRow).where(EmployeeRow.user_id.in_(ids)).order_by(EmployeeRow.user_id) \
            .execution_options(populate_existing=True)
        rows = self.session.execute(query.with_for_update() if lock else query).scalars().all()
        held = self._held_by(rows)
        return {r.user_id: self._employee_of(r, held.get(r.user_id, 0)) for r in rows}

    def isv_orgs(self, org_ids: Iterable[str]) -> set[str]:
        """Those of ``org_ids`` that are ISVs as identity's events told: dispatch keeps every ISV
        user (an ISV has at least its main account), never a customer organisation's."""
        ids = sorted(set(org_ids))
        return set(self.session.execute(select(EmployeeRow.org_id).where(EmployeeRow.org_id.in_(ids))
                                        .distinct()).scalars()) if ids else set()

    def employee(self, user_id: str, *, lock: bool = True) -> Employee | None:
        return self.employees([user_id], lock=lock).get(user_id)

    def save_employees(self, employees: Iterable[Employee]) -> None:
        for employee in employees:
            row = self._employees.get(employee.user_id)
            if row is None:
                # a user seen for the first time; two deliveries racing meet on the primary key
                self.session.execute(pg_insert(EmployeeRow).values(
                    user_id=employee.user_id, org_id=employee.org_id, capacity=employee.capacity,
                ).on_conflict_do_nothing(index_elements=["user_id"]))
                row = self.session.get(EmployeeRow, employee.user_id, with_for_update=True)
                self._employees[employee.user_id] = row
            changed = list(row.roles or ()) != list(employee.roles) or any(
                getattr(row, f) != getattr(employee, f) for f in _EMPLOYEE_FIELDS)
            if not changed:
                continue  # a dispatch locks every employee of the provider but changes one
            row.roles = list(employee.roles)
            for f in _EMPLOYEE_FIELDS:
                setattr(row, f, getattr(employee, f))
            row.updated_at = utcnow()
        self.session.flush()

    def list_employees(self, *, org_id: str | None = None, role: str | None = None,
                       department_id: str | None = None, open: bool | None = None, sort: str = "user_id",
                       limit: int = 50, offset: int = 0) -> tuple[list[Employee], int]:
        query = select(EmployeeRow)
        if org_id is not None:
            query = query.where(EmployeeRow.org_id == org_id)
        if role is not None:
            query = query.where(EmployeeRow.roles.any(role))
        if department_id is not None:
            query = query.where(EmployeeRow.department_id == department_id)
        if open is not None:
            query = query.where(EmployeeRow.open == open)
        total = paging.total(self.session, query)
        order = paging.order_by(_EMPLOYEE_SORTS, sort, EmployeeRow.user_id)
        rows = self.session.execute(query.order_by(*order).limit(limit).offset(offset)).scalars().all()
        held = self._held_by(rows)
        return [self._employee_of(r, held.get(r.user_id, 0)) for r in rows], total

    def departments_of(self, org_id: str) -> dict[str, str | None]:
        rows = self.session.execute(select(DepartmentRow.department_id, DepartmentRow.parent_id).where(
            DepartmentRow.org_id == org_id, DepartmentRow.deleted.is_(False))).all()
        return dict(rows)

    def save_department(self, department_id: str, org_id: str, name: str, parent_id: str | None, *,
                        deleted: bool) -> None:
        stmt = pg_insert(DepartmentRow).values(department_id=department_id, org_id=org_id, name=name,
                                               parent_id=parent_id, deleted=deleted)
        self.session.execute(stmt.on_conflict_do_update(
            index_elements=["department_id"],
            set_={"name": stmt.excluded.name, "parent_id": stmt.excluded.parent_id, "deleted": stmt.excluded.deleted}))
