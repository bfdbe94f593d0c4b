"""Loads and saves the Project aggregate and its surroundings; the only place that knows the tables."""
from __future__ import annotations

import zlib
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import (
    String,
    and_,
    bindparam,
    delete,
    false,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    tuple_,
    union,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from platform_kit import paging
from platform_kit.clock import for_sql, utcnow
from platform_kit.exceptions import ValidationFailed
from platform_kit.workcal import CalendarDay, DayKind, WorkCalendar, default_calendar
from project_svc.adapters.orm import (
    CalendarDayRow,
    CalendarVersionRow,
    FileRow,
    FlowLogRow,
    OrganisationNameRow,
    ParticipantRow,
    ProductFlowRow,
    ProjectRow,
    RecordRow,
    SaturationRow,
    TabCountRow,
)
from project_svc.domain.access import Scope
from project_svc.domain.model import OPEN, STATUSES, LogEntry, Project
from project_svc.exceptions import CursorNotRecognised

_FIELDS = ("id", "order_id", "product_id", "vendor_id", "customer_id", "template_id", "template_version",
           "nodes", "status", "current_index", "round", "provider_id", "product_code", "product_name",
           "operators", "claimed_by", "claim_department_id", "due_at", "remaining_seconds", "late_side",
           "late_since", "submissions", "rating", "rating_comment", "created_at", "completed_at", "closed_reason",
           "customer_name")
_MUTABLE = tuple(f for f in _FIELDS if f not in ("id", "order_id", "product_id", "vendor_id", "customer_id",
                                                  "template_id", "template_version", "nodes", "created_at",
                                                  "customer_name"))
# the columns a list may sort on (keyset: the column, then id)
SORTS = {"created_at": ProjectRow.created_at, "updated_at": ProjectRow.updated_at, "order_id": ProjectRow.order_id,
         "completed_at": ProjectRow.completed_at}
# a nullable sort column's NULL (an open project's completed_at) as a value the keyset compares:
# NULL in a row-value comparison is neither less nor greater, and the walk would stop at it. Sorted
# last ascending and first descending, where PostgreSQL puts NULLs anyway.
NULL_SORTS_AS = datetime(9999, 12, 31, tzinfo=UTC)
NULLABLE_SORTS = frozenset({"completed_at"})
# the list filters that narrow by a column's value (besides status, late, dates and "mine")
COLUMN_FILTERS = (("order_id", ProjectRow.order_id), ("customer_id", ProjectRow.customer_id),
                  ("product_id", ProjectRow.product_id), ("product_code", ProjectRow.product_code),
                  ("provider_id", ProjectRow.provider_id), ("vendor_id", ProjectRow.vendor_id),
                  ("operator_id", ProjectRow.current_operator_id),
                  ("current_node_kind", ProjectRow.current_node_kind))
# a filtered list counts each tab up to this many rows and then says "at least" (counts_capped):
# an exact count of a filter that matches most of a million projects costs a scan of them
COUNT_CAP = 10_000
# ... and a search (q) up to this many: a common word matches a fifth of the rows, and each match
# counted is a row read; a person refines the words rather than reading thousands of hits
SEARCH_COUNT_CAP = 1_000
TAB_SHARDS = 16
# a list row (PRJ-3): only these columns are read for lists and exports, never the flow or forms
SUMMARY = tuple(getattr(ProjectRow, name) for name in (
    "id", "order_id", "product_id", "product_code", "product_name", "vendor_id", "customer_id",
    "provider_id", "status", "round", "template_id", "template_version", "current_node_key",
    "current_node_name", "current_node_kind", "current_side", "current_operator_id", "late_side",
    "late_since", "due_at", "created_at", "updated_at", "completed_at", "rating"))


def project_from_row(row) -> Project:
    """The aggregate from one row of a statement that selects its columns and its log and
    participants as JSON (the load for a change, and the one-statement read)."""
    project = Project(**{f: row[f] for f in _FIELDS})
    project.operators = dict(row["operators"] or {})
    project.submissions = dict(row["submissions"] or {})
    project.log = [LogEntry(datetime.fromisoformat(e["at"]), e["action"], e["node_key"], e["actor"], e["note"],
                            e["round"]) for e in row["log"]]
    project.participants = set(row["participants"])
    return project


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


# A change loads the aggregate in one round trip: the row (locked for a change), its log and
# participants, and the calendar's version (the process keeps the calendar: CalendarRepository);
# an event's handler also claims the event in the same statement (the kernel's processed_events,
# written exactly as UnitOfWork.claim_event writes it). A dispatch reply cost five round trips for
# these before (claim, lock, log and participants, the whole calendar), measured. Timestamps inside
# json_build_object are ISO-8601 text with their offset.
_CLAIM = ("with claim as (insert into processed_events (event_id, handler) values (:event_id, :handler) "
          "on conflict do nothing returning 1)")
_LOAD = """{claim}
select {columns}, p.version, {claimed} as claimed,
  (select coalesce(json_agg(json_build_object('at', l.at, 'action', l.action, 'node_key', l.node_key,
                                              'actor', l.actor, 'note', l.note, 'round', l.round) order by l.id),
                   '[]')
     from flow_log l where l.project_id = p.id) as log,
  (select coalesce(array_agg(pp.user_id), '{{}}') from project_participants pp where pp.project_id = p.id)
    as participants,
  (select c.version from calendar_version c where c.id = 1) as calendar_version
from projects p where p.id = :project_id{lock}
"""
_COLUMNS = ", ".join(f"p.{f}" for f in _FIELDS)
_LOAD_READ = text(_LOAD.format(claim="", columns=_COLUMNS, claimed="true", lock=""))
_LOAD_LOCKED = text(_LOAD.format(claim="", columns=_COLUMNS, claimed="true", lock=" for update of p"))
_LOAD_CLAIMED = text(_LOAD.format(claim=_CLAIM, columns=_COLUMNS, claimed="(select count(*) from claim) = 1",
                                  lock=" for update of p"))
_PROJECTS = ProjectRow.__table__


class ProjectRepository:
    """The Project aggregate, loaded and saved with Core statements (no ORM unit of work): a load is
    one statement, a save is one statement (the row's UPDATE with its version check, the new log
    entries, new participants and the tab counts' moves, as data-modifying CTEs)."""

    def __init__(self, session: Session):
        self.session = session
        self._stored: dict[str, dict] = {}   # each project's mutable columns and version as stored
        self._logged: dict[str, int] = {}
        self._participants: dict[str, set[str]] = {}
        self._inserted: set[str] = set()  # projects inserted in this transaction

    # ---- the aggregate -----------------------------------------------------------------------

    def add_if_new(self, project: Project) -> bool:
        """Insert unless a project for the same order exists (PRJ-1, also under concurrent posts)."""
        values = {f: getattr(project, f) for f in _FIELDS if f != "created_at" or project.created_at}
        values.update(self._denormalised(project))
        # the customer's name as kept from identity, in the same statement (no round trip more)
        values["customer_name"] = func.coalesce(select(OrganisationNameRow.name).where(
            OrganisationNameRow.org_id == project.customer_id).scalar_subquery(), project.customer_name)
        inserted = self.session.execute(
            pg_insert(_PROJECTS).values(**values).on_conflict_do_nothing(index_elements=["order_id"])
            .returning(_PROJECTS.c.version)).scalar_one_or_none()
        if inserted is None:
            return False
        self._count(project.id, None, _owned_status(project))
        self._stored[project.id] = {**self._columns(project), "version": inserted}
        self._inserted.add(project.id)
        self._logged[project.id] = 0
        self._participants[project.id] = set()
        return True

    def get(self, project_id: str, *, for_update: bool = False) -> Project | None:
        return self._load(_LOAD_LOCKED if for_update else _LOAD_READ, {"project_id": project_id})[1]

    def claim_and_lock(self, event: dict, handler: str, project_id: str) -> tuple[bool, Project | None]:
        """Claim ``event`` for ``handler`` (once per event, as ``uow.claim_event``) and load the project
        locked, in one statement. (False, ...) when the event was handled before: do nothing. A
        missing project answers (True, None) (its claim is kept if the caller commits)."""
        return self._load(_LOAD_CLAIMED, {"project_id": project_id, "event_id": event["event_id"],
                                          "handler": handler})

    def _load(self, statement, params: dict) -> tuple[bool, Project | None]:
        row = self.session.execute(statement, params).mappings().one_or_none()
        if row is None:
            return True, None
        project = project_from_row(row)
        self.session.info[CALENDAR_VERSION] = row["calendar_version"]
        self._stored[project.id] = {**self._columns(project), "version": row["version"]}
        self._logged[project.id] = len(project.log)
        self._participants[project.id] = set(project.participants)
        return row["claimed"], project

    def by_order(self, order_id: str) -> Project | None:
        project_id = self.session.execute(select(ProjectRow.id).where(ProjectRow.order_id == order_id)).scalar()
        return self.get(project_id) if project_id else None

    @classmethod
    def _columns(cls, project: Project) -> dict:
        values = {f: getattr(project, f) for f in _MUTABLE}
        values.update(operators=dict(project.operators), submissions=dict(project.submissions))
        values.update(cls._denormalised(project))
        return values

    def save(self, project: Project) -> None:
        """One statement: the row's changed columns (checking and moving its version), the new log
        entries, new participants and the tab counts' moves; nothing when nothing changed."""
        stored = self._stored[project.id]
        columns = self._columns(project)
        changed = {f: v for f, v in columns.items() if stored[f] != v}
        new_entries = project.log[self._logged.get(project.id, 0):]
        known = self._participants.setdefault(project.id, set())
        # visibility of employees: who was assigned, and who acted (PRJ-2 "handled by me")
        joined = sorted((project.participants | set(project.operators.values())) - known)
        # a project inserted in this transaction already holds what it was created with: touching
        # it again would be one UPDATE more per purchase for nothing
        update = bool(changed) or bool(new_entries and project.id not in self._inserted)
        as_stored = SimpleNamespace(status=stored["status"], provider_id=stored["provider_id"],
                                    customer_id=project.customer_id, vendor_id=project.vendor_id)
        counts = _count_rows(project.id, _owned_status(as_stored), _owned_status(project))
        params: dict[str, Any] = {"p_id": project.id}
        if update:
            params.update({f"u_{f}": v for f, v in changed.items()}, p_version=stored["version"],
                          u_version=stored["version"] + 1, u_updated_at=utcnow())
        for n, e in enumerate(new_entries):
            params.update({f"l{n}_at": e.at, f"l{n}_action": e.action, f"l{n}_node_key": e.node_key,
                           f"l{n}_actor": e.actor, f"l{n}_note": e.note, f"l{n}_round": e.round})
        params.update({f"j{n}_user_id": user_id for n, user_id in enumerate(joined)})
        for n, row in enumerate(counts):
            params.update({f"c{n}_{k}": v for k, v in row.items()})
        shape = (tuple(sorted(changed)) if update else None, len(new_entries), len(joined), len(counts))
        if shape != (None, 0, 0, 0):
            matched = self.session.execute(_save_statement(shape), params).scalar_one()
            if update and matched != 1:
                raise StaleDataError(f"project {project.id} changed since it was loaded (version {stored['version']})")
        if update:
            stored.update(columns, version=stored["version"] + 1)
        self._logged[project.id] = len(project.log)
        known.update(joined)

    def _count(self, project_id: str, before: tuple | None, after: tuple | None) -> None:
        rows = _count_rows(project_id, before, after)
        if rows:
            self.session.execute(_save_statement((None, 0, 0, len(rows))),
                                 {f"c{n}_{k}": v for n, row in enumerate(rows) for k, v in row.items()})

    @staticmethod
    def _denormalised(project: Project) -> dict:
        node = project.current_node
        side, operator = project.current_operator()
        return {"current_node_key": node["key"], "current_node_name": node["name"], "current_node_kind": node["kind"],
                "current_side": side, "current_operator_id": operator}

    # ---- lists (PRJ-2, PRJ-3, PRJ-10) --------------------------------------------------------

    @staticmethod
    def _capacities(scope: Scope) -> list:
        """What a scope sees, one condition per capacity (vendor, provider, customer, employee)."""
        seen = [column == value for column, value in ((ProjectRow.vendor_id, scope.vendor_of),
                                                       (ProjectRow.provider_id, scope.provider_of),
                                                       (ProjectRow.customer_id, scope.customer_of))
                if value is not None]
        if scope.operator_user is not None:
            seen.append(_employee_capacity(scope))
        return seen

    def _visible(self, query, scope: Scope):
        if scope.everything:
            return query
        seen = self._capacities(scope)
        return query.where(or_(*seen)) if seen else query.where(false())

    def _filtered(self, query, scope: Scope, f: dict, *, with_status: bool = True):
        return self._narrowed(self._visible(query, scope), f, with_status=with_status)

    @staticmethod
    def _narrowed(query, f: dict, *, with_status: bool = True):
        for name, column in COLUMN_FILTERS:
            if f.get(name):
                query = query.where(column == f[name])
        if f.get("q"):
            # trigram GIN index: a prefix or any part of order id, product or customer name
            query = query.where(ProjectRow.search_text.like(paging.like_pattern(f["q"].strip().lower())))
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
        nullable = sort.lstrip("-") in NULLABLE_SORTS
        sort_key = func.coalesce(column, NULL_SORTS_AS) if nullable else column
        descending = sort.startswith("-")
        limit, offset = f.get("limit", 50), 0 if f.get("cursor") else f.get("offset") or 0

        def walk(query, sort_by, id_column):
            if f.get("cursor"):
                value, last_id = _cursor(f["cursor"], column)
                if value is None and nullable:
                    value = NULL_SORTS_AS
                key = tuple_(sort_by, id_column)
                query = query.where(key < (value, last_id) if descending else key > (value, last_id))
            order = (sort_by.desc(), id_column.desc()) if descending else (sort_by.asc(), id_column.asc())
            return query.order_by(*order)

        capacities = [] if scope.everything else self._capacities(scope)
        if len(capacities) > 1:
            # one ordered walk per capacity on its own index, merged: an OR of them would have
            # PostgreSQL gather and sort every visible row of the tab before the first page
            keys = union(*(walk(self._narrowed(select(sort_key.label("sort_key"), ProjectRow.id).where(seen), f),
                                sort_key, ProjectRow.id).limit(offset + limit + 1) for seen in capacities)).subquery()
            query = walk(select(*SUMMARY).join(keys, keys.c.id == ProjectRow.id), keys.c.sort_key, keys.c.id)
        else:
            query = walk(self._filtered(select(*SUMMARY), scope, f), sort_key, ProjectRow.id)
        rows = list(self.session.execute(query.limit(limit + 1).offset(offset or None)))
        more = len(rows) > limit
        rows = rows[:limit]
        if f.get("cursor"):
            # a next page: the caller has the counts of the first one; counting again would make
            # every deep page cost a scan of the whole tab
            counts, total, capped = None, None, None
        else:
            if _filters_beyond_scope(f):
                counts, capped = self._capped_counts(scope, f)
            else:
                counts, capped = self._owned_counts(scope), False
            total = counts.get(f["status"], 0) if f.get("status") else sum(counts.values())
        next_cursor = paging.encode_cursor([getattr(rows[-1], column.key), rows[-1].id]) if more and rows else None
        return {"items": [row._asdict() for row in rows], "total": total, "counts": counts,
                "counts_capped": capped, "next_cursor": next_cursor}

    def _owned_counts(self, scope: Scope) -> dict[str, int]:
        """Exact tab counts of an unfiltered list. The caller sees the union of what it owns in
        each capacity (vendor, provider, customer, the employee's own projects): the largest of
        them comes from the kept counts, each other one is counted without the rows an earlier
        one already covered (small sets: an organisation's purchases, an employee's projects)."""
        counts = Counter(dict.fromkeys(STATUSES, 0))
        if scope.everything:
            counts.update(self._kept_counts("all", ""))
            return dict(counts)
        owners = [(kind, column, value) for kind, column, value in (
            ("vendor", ProjectRow.vendor_id, scope.vendor_of), ("provider", ProjectRow.provider_id, scope.provider_of),
            ("customer", ProjectRow.customer_id, scope.customer_of)) if value is not None]
        kept = {kind: self._kept_counts(kind, value) for kind, _, value in owners}
        owners.sort(key=lambda owner: -sum(kept[owner[0]].values()))
        covered = []
        for kind, column, value in owners:
            if not covered:
                counts.update(kept[kind])
            else:
                counts.update(self._status_counts(column == value, *covered))
            covered.append(column.is_distinct_from(value))
        if scope.operator_user is not None:
            counts.update(self._status_counts(_employee_capacity(scope), *covered))
        return dict(counts)

    def recount_tabs(self) -> None:
        """Rebuild every owner's tab counts from the projects (after a bulk load that bypassed the
        repository); takes the table's write lock so that no change slips in between."""
        self.session.execute(text("LOCK TABLE projects IN SHARE MODE"))
        self.session.execute(delete(TabCountRow))
        self.session.execute(text("""
            INSERT INTO project_tab_counts (scope_kind, scope_id, status, shard, n)
            SELECT kind, owner, status, 0, count(*) FROM (
                SELECT 'all' AS kind, '' AS owner, status FROM projects
                UNION ALL SELECT 'vendor', vendor_id, status FROM projects
                UNION ALL SELECT 'provider', provider_id, status FROM projects WHERE provider_id IS NOT NULL
                UNION ALL SELECT 'customer', customer_id, status FROM projects
            ) AS owned GROUP BY kind, owner, status"""))

    def _kept_counts(self, kind: str, owner: str) -> dict[str, int]:
        return {status: int(n) for status, n in self.session.execute(
            select(TabCountRow.status, func.sum(TabCountRow.n))
            .where(TabCountRow.scope_kind == kind, TabCountRow.scope_id == owner)
            .group_by(TabCountRow.status)).all()}

    def _status_counts(self, *where) -> dict[str, int]:
        return dict(self.session.execute(select(ProjectRow.status, func.count()).where(*where)
                                         .group_by(ProjectRow.status)).all())

    def _capped_counts(self, scope: Scope, f: dict) -> tuple[dict[str, int], bool]:
        """Each tab counted under the filters up to COUNT_CAP (one statement); True when one reached it."""
        cap = SEARCH_COUNT_CAP if f.get("q") else COUNT_CAP
        matching = self._filtered(select(ProjectRow.id), scope, f, with_status=False)
        per_tab = [select(func.count()).select_from(matching.where(ProjectRow.status == status)
                                                    .limit(cap + 1).subquery()).scalar_subquery().label(status)
                   for status in STATUSES]
        found = self.session.execute(select(*per_tab)).one()._asdict()
        return {status: min(n, cap) for status, n in found.items()}, any(n > cap for n in found.values())

    def stream(self, scope: Scope, f: dict, batch: int = 1000) -> Iterator[dict]:
        """Every row of the tab under the filters, newest first, in keyset batches (exports)."""
        cursor = None
        while True:
            query = self._filtered(select(*SUMMARY), scope, f)
            if cursor:
                query = query.where(tuple_(ProjectRow.created_at, ProjectRow.id) < cursor)
            rows = list(self.session.execute(query.order_by(ProjectRow.created_at.desc(), ProjectRow.id.desc())
                                             .limit(batch)))
            yield from (row._asdict() for row in rows)
            if len(rows) < batch:
                return
            cursor = (rows[-1].created_at, rows[-1].id)

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


def _employee_capacity(scope: Scope):
    """``access.admits``'s employee capacity in SQL: a project the employee operates or handled
    (its participant rows hold both), while the employee's organisation delivers it."""
    return and_(ProjectRow.provider_id == scope.operator_org,
                ProjectRow.id.in_(select(ParticipantRow.project_id)
                                  .where(ParticipantRow.user_id == scope.operator_user)))


def _count_rows(project_id: str, before: tuple | None, after: tuple | None) -> list[dict]:
    """The tab counts' moves of a project between two (status, owners...) states, in key order (rows
    locked in key order, so two changes never wait on each other crosswise)."""
    if before == after:
        return []
    deltas: Counter = Counter()
    for owned, step in ((before, -1), (after, 1)):
        if owned is not None:
            status, *owners = owned
            for key in owners:
                deltas[(*key, status)] += step
    shard = zlib.crc32(project_id.encode()) % TAB_SHARDS
    return [{"scope_kind": kind, "scope_id": owner, "status": status, "shard": shard, "n": n}
            for (kind, owner, status), n in sorted(deltas.items()) if n]


# A save's statement for each shape (the columns it updates, how many log entries, participants and
# tab-count rows it writes), built once with named parameters: SQLAlchemy then compiles it once too.
# Built per call, the statement's construction and compilation were the largest part of a save's
# CPU (profiled). There are few shapes: a transition changes a handful of column sets.
_SAVE_STATEMENTS: dict[tuple, Any] = {}
_SAVE_STATEMENTS_KEPT = 1000


def _save_statement(shape: tuple):
    statement = _SAVE_STATEMENTS.get(shape)
    if statement is not None:
        return statement
    changed, entries, joined, counts = shape

    def param(name: str, column):
        return bindparam(name, type_=column.type)

    writes = []
    if changed is not None:
        writes.append(_PROJECTS.update()
                      .where(_PROJECTS.c.id == param("p_id", _PROJECTS.c.id),
                             _PROJECTS.c.version == param("p_version", _PROJECTS.c.version))
                      .values({**{f: param(f"u_{f}", _PROJECTS.c[f]) for f in changed},
                               "version": param("u_version", _PROJECTS.c.version),
                               "updated_at": param("u_updated_at", _PROJECTS.c.updated_at)})
                      .returning(_PROJECTS.c.id))
    log = FlowLogRow.__table__
    if entries:
        writes.append(insert(log).values([
            {"project_id": param("p_id", log.c.project_id),
             **{f: param(f"l{n}_{f}", log.c[f]) for f in ("at", "action", "node_key", "actor", "note", "round")}}
            for n in range(entries)]))
    participants = ParticipantRow.__table__
    if joined:
        writes.append(pg_insert(participants).values([
            {"project_id": param("p_id", participants.c.project_id),
             "user_id": param(f"j{n}_user_id", participants.c.user_id)} for n in range(joined)])
            .on_conflict_do_nothing())
    tabs = TabCountRow.__table__
    if counts:
        upsert = pg_insert(tabs).values([{f: param(f"c{n}_{f}", tabs.c[f])
                                          for f in ("scope_kind", "scope_id", "status", "shard", "n")}
                                         for n in range(counts)])
        writes.append(upsert.on_conflict_do_update(index_elements=["scope_kind", "scope_id", "status", "shard"],
                                                   set_={"n": tabs.c.n + upsert.excluded.n}))
    ctes = [w.cte(f"w{n}") for n, w in enumerate(writes)]
    # the first CTE is the UPDATE when there is one: the count of rows it matched
    if changed is not None:
        statement = select(func.count()).select_from(ctes[0]).add_cte(*ctes[1:])
    else:
        statement = select(literal(1)).add_cte(*ctes)
    if len(_SAVE_STATEMENTS) >= _SAVE_STATEMENTS_KEPT:
        _SAVE_STATEMENTS.clear()
    _SAVE_STATEMENTS[shape] = statement
    return statement


def _owned_status(project) -> tuple:
    """A project's status and the owners whose tab counts hold it (a project or its row)."""
    owners = [("all", ""), ("customer", project.customer_id), ("vendor", project.vendor_id)]
    if project.provider_id:
        owners.append(("provider", project.provider_id))
    return (project.status, *owners)


def _filters_beyond_scope(f: dict) -> bool:
    """Whether a list query filters beyond its caller's scope and the status tab."""
    return (any(f.get(name) for name, _ in COLUMN_FILTERS) or f.get("late") is not None
            or bool(f.get("created_from") or f.get("created_to") or f.get("mine") or f.get("q")))


class OrganisationNameRepository:
    """Organisation names kept from identity's events: a new project's customer name (for search)
    is read from here inside its INSERT."""

    def __init__(self, session: Session):
        self.session = session

    def upsert(self, org_id: str, name: str) -> None:
        stmt = pg_insert(OrganisationNameRow).values(org_id=org_id, name=name)
        self.session.execute(stmt.on_conflict_do_update(index_elements=["org_id"], set_={"name": stmt.excluded.name}))


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
        """The product's flow; the calendar's version comes along (a purchase starts the flow's
        clock on the calendar the process keeps: CalendarRepository)."""
        row = self.session.execute(_PRODUCT_FLOW, {"product_id": product_id}).mappings().one_or_none()
        if row is None:
            return None
        self.session.info[CALENDAR_VERSION] = row["calendar_version"]
        return {c: row[c] for c in _PRODUCT_FLOW_COLUMNS}


_PRODUCT_FLOW_COLUMNS = ("product_id", "vendor_id", "product_code", "product_name", "template_id", "template_name",
                         "template_version", "nodes")
_PRODUCT_FLOW = text(f"""
select {", ".join(f"f.{c}" for c in _PRODUCT_FLOW_COLUMNS)},
  (select c.version from calendar_version c where c.id = 1) as calendar_version
from product_flows f where f.product_id = :product_id
""")  # noqa: S608 - the column names are constants, the id a bound parameter


# the session.info key under which a load of the aggregate leaves the calendar's version
CALENDAR_VERSION = "project.calendar_version"
# (version, calendar) this process read last; a WorkCalendar is immutable, so workers share it
_CALENDAR: tuple[str, WorkCalendar] | None = None


class CalendarRepository:
    """The operator's overrides of the working calendar, kept from identity_svc's events.

    Every change draws a new ``calendar_version`` in its transaction. The process keeps the calendar it
    read with its version; ``calendar()`` answers from it without a round trip when the aggregate's
    load in this transaction saw the same version (the load reads it), and reads the calendar and
    its version in one statement otherwise."""

    def __init__(self, session: Session):
        self.session = session

    def set_day(self, day: date, kind: str | None, name: str) -> None:
        self.session.execute(update(CalendarVersionRow).where(CalendarVersionRow.id == 1)
                             .values(version=func.gen_random_uuid().cast(String)))
        self.session.info.pop(CALENDAR_VERSION, None)
        if kind is None:
            self.session.execute(delete(CalendarDayRow).where(CalendarDayRow.day == day))
            return
        stmt = pg_insert(CalendarDayRow).values(day=day, kind=kind, name=name)
        self.session.execute(stmt.on_conflict_do_update(index_elements=["day"],
                                                        set_={"kind": stmt.excluded.kind, "name": stmt.excluded.name}))

    def calendar(self) -> WorkCalendar:
        global _CALENDAR
        kept, seen = _CALENDAR, self.session.info.get(CALENDAR_VERSION)
        if kept is not None and seen is not None and kept[0] == seen:
            return kept[1]
        rows = self.session.execute(_CALENDAR_READ).all()
        version = rows[0].version
        calendar = default_calendar([CalendarDay(r.day, DayKind(r.kind), r.name) for r in rows if r.day is not None])
        self.session.info[CALENDAR_VERSION] = version
        _CALENDAR = (version, calendar)
        return calendar


# the calendar and its version in one statement (a version row with no days: one row of nulls)
_CALENDAR_READ = text("""
select v.version, d.day, d.kind, d.name
from calendar_version v left join calendar_days d on true where v.id = 1
""")


class RecordRepository:
    """Messages, notes and files of projects (PRJ-7)."""

    def __init__(self, session: Session):
        self.session = session

    def add_record(self, **values: Any) -> dict:
        row = RecordRow(**values)
        self.session.add(row)
        self.session.flush()
        return self._record(row)

    def record(self, record_id: str) -> dict | None:
        row = self.session.get(RecordRow, record_id)
        return self._record(row) if row is not None else None

    def records(self, project_id: str, kinds: tuple[str, ...]) -> list[dict]:
        rows = self.session.execute(select(RecordRow).where(RecordRow.project_id == project_id,
                                                            RecordRow.kind.in_(kinds))
                                    .order_by(RecordRow.at, RecordRow.id)).scalars()
        return [self._record(r) for r in rows]

    @staticmethod
    def _record(row: RecordRow) -> dict:
        return {"id": row.id, "kind": row.kind, "author_id": row.author_id, "author_org_id": row.author_org_id,
                "node_key": row.node_key, "body": row.body, "at": row.at}

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
                                             "sha256", "storage_key", "uploaded_by", "author_org_id", "at")}


class SaturationRepository:
    def __init__(self, session: Session):
        self.session = session

    def set(self, data: dict, as_of: datetime | None = None) -> None:
        """Keep a provider's figures for a product; with ``as_of`` (when dispatch emitted them), only
        if they are not older than those kept: events that arrive out of order, or twice, leave the
        newest figures."""
        stmt = pg_insert(SaturationRow).values(product_id=data["product_id"], provider_id=data["provider_id"],
                                               vendor_id=data["vendor_id"], held=data["held"],
                                               max_held=data["max_held"], as_of=as_of)
        newer = or_(SaturationRow.as_of.is_(None), stmt.excluded.as_of.is_(None),
                    SaturationRow.as_of <= stmt.excluded.as_of)
        self.session.execute(stmt.on_conflict_do_update(
            index_elements=["product_id", "provider_id"],
            set_={"vendor_id": stmt.excluded.vendor_id, "held": stmt.excluded.held,
                  "max_held": stmt.excluded.max_held, "as_of": stmt.excluded.as_of}, where=newer))

    def provider_count(self, product_id: str) -> int:
        return self.session.execute(select(func.count()).select_from(SaturationRow)
                                    .where(SaturationRow.product_id == product_id)).scalar_one()
