"""Loads and saves the Project aggregate and its surroundings; the only place that knows the tables."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, delete, false, func, or_, select, tuple_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from platform_kit import paging
from platform_kit.clock import for_sql, utcnow
from platform_kit.exceptions import ValidationFailed
from platform_kit.workcal import CalendarDay, DayKind, WorkCalendar, default_calendar
from project_svc.adapters.orm import (
    CalendarDayRow,
    FileRow,
    FlowLogRow,
    ParticipantRow,
    ProductFlowRow,
    ProjectRow,
    RecordRow,
    SaturationRow,
)
from project_svc.domain.access import Scope
from project_svc.domain.model import OPEN, LogEntry, Project
from project_svc.exceptions import CursorNotRecognised

_FIELDS = ("id", "order_id", "product_id", "vendor_id", "customer_id", "template_id", "template_version",
           "nodes", "status", "current_index", "round", "provider_id", "product_code", "product_name",
           "operators", "claimed_by", "claim_department_id", "due_at", "remaining_seconds", "late_side",
           "late_since", "submissions", "rating", "rating_comment", "created_at", "completed_at", "closed_reason")
_MUTABLE = tuple(f for f in _FIELDS if f not in ("id", "order_id", "product_id", "vendor_id", "customer_id",
                                                  "template_id", "template_version", "nodes", "created_at"))
# the columns a list may sort on (keyset: the column, then id)
SORTS = {"created_at": ProjectRow.created_at, "updated_at": ProjectRow.updated_at, "order_id": ProjectRow.order_id,
         "completed_at": ProjectRow.completed_at}


def _cursor(cursor: str, column) -> tuple[Any, str]:
    """The sort value and id of a cursor this list gave, typed like ``column``; anything else (text
    that decodes to other values, of other types) is refused as a whole (422), never sent to SQL."""
    try:
        value, last_id = paging.decode_cursor(cursor, 2)
        kind = column.type.python_type
        if kind is datetime and value is not None:
            value = datetime.fromisoformat(value)
            if value.tzinfo is None:
                raise ValueError
        if not isinstance(last_id, str) or (value is not None and not isinstance(value, kind)):
            raise ValueError
        if isinstance(value, bool) and kind is not bool:
            raise ValueError
        if any(isinstance(v, str) and ("\x00" in v or len(v) > 200) for v in (value, last_id)):
            raise ValueError  # PostgreSQL refuses NUL in text
    except (ValidationFailed, ValueError, TypeError):
        raise CursorNotRecognised() from None
    return value, last_id


class ProjectRepository:
    def __init__(self, session: Session):
        self.session = session
        self._rows: dict[str, ProjectRow] = {}
        self._logged: dict[str, int] = {}
        self._participants: dict[str, set[str]] = {}

    # ---- the aggregate -----------------------------------------------------------------------

    def add_if_new(self, project: Project) -> bool:
        """Insert unless a project for the same order exists (PRJ-1, also under concurrent posts)."""
        values = {f: getattr(project, f) for f in _FIELDS if f != "created_at" or project.created_at}
        values.update(self._denormalised(project))
        inserted = self.session.execute(
            pg_insert(ProjectRow).values(**values).on_conflict_do_nothing(index_elements=["order_id"])
            .returning(ProjectRow.id)
        ).scalar_one_or_none()
        if inserted is None:
            return False
        self._rows[project.id] = self.session.get(ProjectRow, project.id)
        self._logged[project.id] = 0
        self._participants[project.id] = set()
        return True

    def get(self, project_id: str, *, for_update: bool = False) -> Project | None:
        row = self.session.get(ProjectRow, project_id, with_for_update=for_update,
                               populate_existing=for_update)
        if row is None:
            return None
        self._rows[project_id] = row
        project = Project(**{f: getattr(row, f) for f in _FIELDS})
        project.operators = dict(row.operators or {})
        project.submissions = dict(row.submissions or {})
        project.log = [LogEntry(r.at, r.action, r.node_key, r.actor, r.note, r.round) for r in self.session.execute(
            select(FlowLogRow).where(FlowLogRow.project_id == project_id).order_by(FlowLogRow.id)).scalars()]
        project.participants = set(self.session.execute(
            select(ParticipantRow.user_id).where(ParticipantRow.project_id == project_id)).scalars())
        self._logged[project_id] = len(project.log)
        self._participants[project_id] = set(project.participants)
        return project

    def by_order(self, order_id: str) -> Project | None:
        project_id = self.session.execute(select(ProjectRow.id).where(ProjectRow.order_id == order_id)).scalar()
        return self.get(project_id) if project_id else None

    def save(self, project: Project) -> None:
        row = self._rows[project.id]
        for f in _MUTABLE:
            setattr(row, f, getattr(project, f))
        row.operators = dict(project.operators)
        row.submissions = dict(project.submissions)
        for f, value in self._denormalised(project).items():
            setattr(row, f, value)
        row.updated_at = utcnow()
        for entry in project.log[self._logged.get(project.id, 0):]:
            self.session.add(FlowLogRow(project_id=project.id, at=entry.at, action=entry.action,
                                        node_key=entry.node_key, actor=entry.actor, note=entry.note,
                                        round=entry.round))
        self._logged[project.id] = len(project.log)
        # visibility of employees: who was assigned, and who acted (PRJ-2 "handled by me")
        known = self._participants.setdefault(project.id, set())
        for user_id in (project.participants | set(project.operators.values())) - known:
            self.session.execute(pg_insert(ParticipantRow).values(project_id=project.id, user_id=user_id)
                                 .on_conflict_do_nothing())
            known.add(user_id)
        self.session.flush()

    @staticmethod
    def _denormalised(project: Project) -> dict:
        node = project.current_node
        side, operator = project.current_operator()
        return {"current_node_key": node["key"], "current_node_name": node["name"], "current_node_kind": node["kind"],
                "current_side": side, "current_operator_id": operator}

    # ---- lists (PRJ-2, PRJ-3, PRJ-10) --------------------------------------------------------

    def _visible(self, query, scope: Scope):
        if scope.everything:
            return query
        visible = [column == value for column, value in ((ProjectRow.vendor_id, scope.vendor_of),
                                                          (ProjectRow.provider_id, scope.provider_of),
                                                          (ProjectRow.customer_id, scope.customer_of))
                   if value is not None]
        if scope.operator_user is not None:
            visible.append(ProjectRow.id.in_(select(ParticipantRow.project_id)
                                             .where(ParticipantRow.user_id == scope.operator_user)))
        return query.where(or_(*visible)) if visible else query.where(false())

    def _filtered(self, query, scope: Scope, f: dict, *, with_status: bool = True):
        query = self._visible(query, scope)
        for name, column in (("order_id", ProjectRow.order_id), ("customer_id", ProjectRow.customer_id),
                             ("product_id", ProjectRow.product_id), ("product_code", ProjectRow.product_code),
                             ("provider_id", ProjectRow.provider_id), ("vendor_id", ProjectRow.vendor_id),
                             ("operator_id", ProjectRow.current_operator_id),
                             ("current_node_kind", ProjectRow.current_node_kind)):
            if f.get(name):
                query = query.where(column == f[name])
        if with_status and f.get("status"):
            query = query.where(ProjectRow.status == f["status"])
        if f.get("late") is not None:
            query = query.where(ProjectRow.late_side.is_not(None) if f["late"] else ProjectRow.late_side.is_(None))
        if f.get("created_from"):
            query = query.where(ProjectRow.created_at >= for_sql(f["created_from"]))
        if f.get("created_to"):
            query = query.where(ProjectRow.created_at < for_sql(f["created_to"]))
        me = f.get("me")
        if f.get("mine") == "waiting" and me:
            waiting = [ProjectRow.current_operator_id == me["user_id"]]
            if me.get("provider_admin_of"):  # nodes nobody was assigned to fall to the provider admin
                waiting.append(and_(ProjectRow.provider_id == me["provider_admin_of"],
                                    ProjectRow.current_side == "provider", ProjectRow.current_operator_id.is_(None),
                                    ProjectRow.current_node_kind.in_(("confirm", "generic"))))
            if me.get("customer_of"):
                waiting.append(and_(ProjectRow.customer_id == me["customer_of"], ProjectRow.current_side == "customer"))
            query = query.where(or_(*waiting), ProjectRow.status.in_(OPEN))
        elif f.get("mine") == "handled" and me:
            query = query.where(ProjectRow.id.in_(select(ParticipantRow.project_id)
                                                  .where(ParticipantRow.user_id == me["user_id"])))
        return query

    def page(self, scope: Scope, f: dict) -> dict:
        """One page; the first (no cursor) also has the total and the count of every status tab
        under the same filters."""
        sort = f.get("sort") or "-created_at"
        column = SORTS[sort.lstrip("-")]
        descending = sort.startswith("-")
        query = self._filtered(select(ProjectRow), scope, f)
        if f.get("cursor"):
            value, last_id = _cursor(f["cursor"], column)
            key = tuple_(column, ProjectRow.id)
            query = query.where(key < (value, last_id) if descending else key > (value, last_id))
        order = (column.desc(), ProjectRow.id.desc()) if descending else (column.asc(), ProjectRow.id.asc())
        limit = f.get("limit", 50)
        query = query.order_by(*order).limit(limit + 1)
        if not f.get("cursor") and f.get("offset"):
            query = query.offset(f["offset"])
        rows = list(self.session.execute(query).scalars())
        more = len(rows) > limit
        rows = rows[:limit]
        if f.get("cursor"):
            # a next page: the caller has the counts of the first one; counting again would make
            # every deep page cost a scan of the whole tab
            counts, total = None, None
        else:
            counts = dict(self.session.execute(
                self._filtered(select(ProjectRow.status, func.count()), scope, f, with_status=False)
                .group_by(ProjectRow.status)).all())
            total = counts.get(f["status"], 0) if f.get("status") else sum(counts.values())
        next_cursor = paging.encode_cursor([getattr(rows[-1], column.key), rows[-1].id]) if more and rows else None
        return {"items": [self.summary(r) for r in rows], "total": total, "counts": counts,
                "next_cursor": next_cursor}

    def stream(self, scope: Scope, f: dict, batch: int = 1000) -> Iterator[dict]:
        """Every row of the tab under the filters, newest first, in keyset batches (exports)."""
        cursor = None
        while True:
            query = self._filtered(select(ProjectRow), scope, f)
            if cursor:
                query = query.where(tuple_(ProjectRow.created_at, ProjectRow.id) < cursor)
            rows = list(self.session.execute(query.order_by(ProjectRow.created_at.desc(), ProjectRow.id.desc())
                                             .limit(batch)).scalars())
            yield from (self.summary(r) for r in rows)
            if len(rows) < batch:
                return
            cursor = (rows[-1].created_at, rows[-1].id)

    @staticmethod
    def summary(row: ProjectRow) -> dict:
        return {f: getattr(row, f) for f in (
            "id", "order_id", "product_id", "product_code", "product_name", "vendor_id", "customer_id",
            "provider_id", "status", "round", "template_id", "template_version", "current_node_key",
            "current_node_name", "current_node_kind", "current_side", "current_operator_id", "late_side",
            "late_since", "due_at", "created_at", "updated_at", "completed_at", "rating")}

    # ---- dashboards (PRJ-11) -----------------------------------------------------------------

    def _owned(self, query, owner: dict):
        column = ProjectRow.vendor_id if owner["kind"] == "vendor" else ProjectRow.provider_id
        return query.where(column == owner["org_id"])

    def average_cycle_seconds(self, owner: dict, since: datetime, until: datetime) -> float | None:
        return self.session.execute(self._owned(
            select(func.avg(func.extract("epoch", ProjectRow.completed_at - ProjectRow.created_at))), owner)
            .where(ProjectRow.status == "completed", ProjectRow.completed_at >= since,
                   ProjectRow.completed_at < until)).scalar()

    def created_per_local_day(self, owner: dict, since: datetime, until: datetime, tz: str) -> dict[date, int]:
        day = func.date(func.timezone(tz, ProjectRow.created_at))
        return dict(self.session.execute(self._owned(select(day, func.count()), owner)
                                         .where(ProjectRow.created_at >= since, ProjectRow.created_at < until)
                                         .group_by(day)).all())

    def status_breakdown(self, owner: dict, since: datetime, until: datetime) -> dict[str, int]:
        bucket = ProjectRow.status
        rows = self.session.execute(self._owned(
            select(bucket, (ProjectRow.late_side.is_not(None)).label("late"), func.count()), owner)
            .where(ProjectRow.created_at >= since, ProjectRow.created_at < until)
            .group_by(bucket, "late")).all()
        return {f"{status}{':late' if late else ''}": n for status, late, n in rows}

    def saturation(self, owner: dict) -> list[dict]:
        column = SaturationRow.vendor_id if owner["kind"] == "vendor" else SaturationRow.provider_id
        rows = self.session.execute(select(SaturationRow, ProductFlowRow.product_name, ProductFlowRow.product_code)
                                    .outerjoin(ProductFlowRow, ProductFlowRow.product_id == SaturationRow.product_id)
                                    .where(column == owner["org_id"])
                                    .order_by(SaturationRow.product_id, SaturationRow.provider_id)).all()
        return [{"product_id": s.product_id, "product_name": name or "", "product_code": code or "",
                 "provider_id": s.provider_id, "held": s.held, "max_held": s.max_held} for s, name, code in rows]


class ProductFlowRepository:
    """Each product's bound flow, kept from template_svc's events (no RPC per purchase)."""

    def __init__(self, session: Session):
        self.session = session

    def upsert(self, data: dict) -> None:
        values = {k: data[k] for k in ("product_id", "vendor_id", "product_code", "product_name", "template_id",
                                       "template_name", "template_version", "nodes")}
        stmt = pg_insert(ProductFlowRow).values(**values, updated_at=utcnow())
        self.session.execute(stmt.on_conflict_do_update(
            index_elements=["product_id"], set_={k: stmt.excluded[k] for k in (*values, "updated_at")
                                                 if k != "product_id"}))

    def get(self, product_id: str) -> dict | None:
        row = self.session.get(ProductFlowRow, product_id)
        if row is None:
            return None
        return {c: getattr(row, c) for c in ("product_id", "vendor_id", "product_code", "product_name", "template_id",
                                             "template_name", "template_version", "nodes")}


class CalendarRepository:
    """The operator's overrides of the working calendar, kept from identity_svc's events."""

    def __init__(self, session: Session):
        self.session = session

    def set_day(self, day: date, kind: str | None, name: str) -> None:
        if kind is None:
            self.session.execute(delete(CalendarDayRow).where(CalendarDayRow.day == day))
            return
        stmt = pg_insert(CalendarDayRow).values(day=day, kind=kind, name=name)
        self.session.execute(stmt.on_conflict_do_update(index_elements=["day"],
                                                        set_={"kind": stmt.excluded.kind, "name": stmt.excluded.name}))

    def calendar(self) -> WorkCalendar:
        rows = self.session.execute(select(CalendarDayRow)).scalars()
        return default_calendar([CalendarDay(r.day, DayKind(r.kind), r.name) for r in rows])


class RecordRepository:
    """Messages, notes and files of projects (PRJ-7)."""

    def __init__(self, session: Session):
        self.session = session

    def add_record(self, **values: Any) -> dict:
        row = RecordRow(**values)
        self.session.add(row)
        self.session.flush()
        return self._record(row)

    def records(self, project_id: str, kinds: tuple[str, ...]) -> list[dict]:
        rows = self.session.execute(select(RecordRow).where(RecordRow.project_id == project_id,
                                                            RecordRow.kind.in_(kinds))
                                    .order_by(RecordRow.at, RecordRow.id)).scalars()
        return [self._record(r) for r in rows]

    @staticmethod
    def _record(row: RecordRow) -> dict:
        return {"id": row.id, "kind": row.kind, "author_id": row.author_id, "node_key": row.node_key,
                "body": row.body, "at": row.at}

    def add_file(self, **values: Any) -> dict:
        row = FileRow(**values)
        self.session.add(row)
        self.session.flush()
        return self._file(row)

    def files(self, project_id: str) -> list[dict]:
        rows = self.session.execute(select(FileRow).where(FileRow.project_id == project_id)
                                    .order_by(FileRow.at, FileRow.id)).scalars()
        return [self._file(r) for r in rows]

    def file(self, project_id: str, file_id: str) -> dict | None:
        row = self.session.get(FileRow, file_id)
        return self._file(row) if row is not None and row.project_id == project_id else None

    @staticmethod
    def _file(row: FileRow) -> dict:
        return {c: getattr(row, c) for c in ("id", "project_id", "node_key", "name", "content_type", "size",
                                             "sha256", "storage_key", "uploaded_by", "at")}


class SaturationRepository:
    def __init__(self, session: Session):
        self.session = session

    def set(self, data: dict) -> None:
        stmt = pg_insert(SaturationRow).values(product_id=data["product_id"], provider_id=data["provider_id"],
                                               vendor_id=data["vendor_id"], held=data["held"],
                                               max_held=data["max_held"])
        self.session.execute(stmt.on_conflict_do_update(
            index_elements=["product_id", "provider_id"],
            set_={"vendor_id": stmt.excluded.vendor_id, "held": stmt.excluded.held,
                  "max_held": stmt.excluded.max_held}))

    def provider_count(self, product_id: str) -> int:
        return self.session.execute(select(func.count()).select_from(SaturationRow)
                                    .where(SaturationRow.product_id == product_id)).scalar_one()
