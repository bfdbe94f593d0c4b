"""Loads and saves the Project aggregate; the only place that knows its tables."""
from __future__ import annotations

from sqlalchemy import false, func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from platform_kit.clock import utcnow
from project_svc.adapters.orm import FlowLogRow, ProjectRow
from project_svc.domain.access import Scope
from project_svc.domain.model import LogEntry, Project

_FIELDS = ("id", "order_id", "product_id", "vendor_id", "customer_id", "template_id", "template_version",
           "nodes", "status", "current_index", "round", "provider_id")


class ProjectRepository:
    def __init__(self, session: Session):
        self.session = session
        self._rows: dict[str, ProjectRow] = {}
        self._logged: dict[str, int] = {}

    def add_if_new(self, project: Project) -> bool:
        """Insert unless a project for the same order exists (PRJ-1, also under concurrent posts)."""
        values = {f: getattr(project, f) for f in _FIELDS}
        inserted = self.session.execute(
            pg_insert(ProjectRow).values(**values).on_conflict_do_nothing(index_elements=["order_id"])
            .returning(ProjectRow.id)
        ).scalar_one_or_none()
        if inserted is None:
            return False
        self._rows[project.id] = self.session.get(ProjectRow, project.id)
        self._logged[project.id] = 0
        return True

    def get(self, project_id: str, *, for_update: bool = False) -> Project | None:
        row = self.session.get(ProjectRow, project_id, with_for_update=for_update)
        if row is None:
            return None
        self._rows[project_id] = row
        project = self._to_domain(row)
        self._logged[project_id] = len(project.log)
        return project

    def by_order(self, order_id: str) -> Project | None:
        row = self.session.execute(select(ProjectRow).where(ProjectRow.order_id == order_id)).scalar_one_or_none()
        return self.get(row.id) if row else None

    def save(self, project: Project) -> None:
        row = self._rows[project.id]
        for f in ("status", "current_index", "round", "provider_id"):
            setattr(row, f, getattr(project, f))
        row.updated_at = utcnow()
        for entry in project.log[self._logged.get(project.id, 0):]:
            self.session.add(FlowLogRow(project_id=project.id, at=entry.at, action=entry.action,
                                        node_key=entry.node_key, actor=entry.actor, note=entry.note))
        self._logged[project.id] = len(project.log)
        self.session.flush()

    def _log_of(self, project_id: str) -> list[LogEntry]:
        rows = self.session.execute(
            select(FlowLogRow).where(FlowLogRow.project_id == project_id).order_by(FlowLogRow.id)
        ).scalars()
        return [LogEntry(r.at, r.action, r.node_key, r.actor, r.note) for r in rows]

    def _to_domain(self, row: ProjectRow) -> Project:
        project = Project(**{f: getattr(row, f) for f in _FIELDS})
        project.log = self._log_of(row.id)
        return project

    def list(self, *, scope: Scope, status: str | None = None, vendor_id: str | None = None,
             provider_id: str | None = None, customer_id: str | None = None, limit: int = 50,
             offset: int = 0) -> tuple[list[Project], int]:
        query = select(ProjectRow)
        if not scope.everything:
            visible = [column == value for column, value in ((ProjectRow.vendor_id, scope.vendor_of),
                                                              (ProjectRow.provider_id, scope.provider_of),
                                                              (ProjectRow.customer_id, scope.customer_of))
                       if value is not None]
            query = query.where(or_(*visible)) if visible else query.where(false())
        for column, value in ((ProjectRow.status, status), (ProjectRow.vendor_id, vendor_id),
                              (ProjectRow.provider_id, provider_id), (ProjectRow.customer_id, customer_id)):
            if value is not None:
                query = query.where(column == value)
        total = self.session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
        rows = self.session.execute(
            query.order_by(ProjectRow.created_at.desc(), ProjectRow.id).limit(limit).offset(offset)
        ).scalars()
        return [Project(**{f: getattr(r, f) for f in _FIELDS}) for r in rows], total
