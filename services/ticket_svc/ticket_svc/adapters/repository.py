"""Loads and saves tickets and the facts ticket_svc keeps; the only place with SQL."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta

from sqlalchemy import delete, false, func, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session, aliased

from platform_kit import paging
from platform_kit.clock import for_sql
from platform_kit.tables import deadlines
from platform_kit.workcal import CalendarDay, ServiceHours
from ticket_svc.adapters.orm import (
    AbusiveWordRow,
    AgentDutyRow,
    CalendarDayRow,
    CannedReplyRow,
    EntitlementRow,
    LogRow,
    MessageRow,
    OrganisationRow,
    ServiceHoursRow,
    SubjectRow,
    TicketRow,
    UploadRow,
    UserRow,
)
from ticket_svc.domain.access import Scope
from ticket_svc.domain.assignment import AgentLoad
from ticket_svc.domain.canned import DEFAULT_CANNED_REPLIES
from ticket_svc.domain.entitlement import Entitlement
from ticket_svc.domain.model import BUSINESS_STOPPING, CUSTOMER, OPEN_STATUSES, REPLY_KIND, LogEntry, Message, Ticket
from ticket_svc.domain.reports import TicketFigures
from ticket_svc.domain.sla import Timer, TimerName

_SCALARS = ("customer_org_id", "customer_user_id", "provider_id", "vendor_id", "product_id", "order_id",
            "project_id", "number", "title", "category", "tier", "requested_tier", "status", "assignee_id", "escalated",
            "complaint",
            "complaint_note", "waiting_since", "waiting_round", "reminded", "rating", "rating_comment",
            "first_response_seconds", "resolution_seconds", "resolved_at", "closed_at", "opened_at")
_SEARCH_LIMIT = 20_000
SORTS = {"priority": (TicketRow.priority_rank, TicketRow.opened_at), "opened_at": (TicketRow.opened_at,),
         "updated_at": (TicketRow.updated_at,), "status": (TicketRow.status, TicketRow.opened_at)}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def timers_to_json(timers: dict[str, Timer]) -> dict:
    return {name: {"target": None if t.target is None else t.target.total_seconds(),
                   "used": t.used.total_seconds(), "running_since": _iso(t.running_since), "met_at": _iso(t.met_at),
                   "warned_at": _iso(t.warned_at), "breached_at": _iso(t.breached_at), "cycle": t.cycle}
            for name, t in timers.items()}


def timers_from_json(data: dict) -> dict[str, Timer]:
    return {name: Timer(name, None if v["target"] is None else timedelta(seconds=v["target"]),
                        timedelta(seconds=v["used"]), _dt(v["running_since"]), _dt(v["met_at"]),
                        _dt(v["warned_at"]), _dt(v["breached_at"]), v["cycle"])
            for name, v in data.items()}


class TicketRepository:
    def __init__(self, session: Session):
        self.session = session
        self._rows: dict[str, TicketRow] = {}
        self._saved: dict[str, tuple[int, int]] = {}
        self._partial: set[str] = set()

    # ---- one ticket -----------------------------------------------------------------------

    def add(self, ticket: Ticket) -> None:
        row = TicketRow(id=ticket.id)
        self.session.add(row)
        self._rows[ticket.id] = row
        self._saved[ticket.id] = (0, 0)
        self.save(ticket)

    def next_number(self, year: int) -> str:
        """A readable ticket number, T-<year>-<six digits or more>, from one sequence."""
        seq = self.session.execute(text("select nextval('ticket_number_seq')")).scalar_one()
        return f"T-{year}-{seq:06d}"

    def id_of_number(self, number: str) -> str | None:
        return self.session.execute(select(TicketRow.id).where(TicketRow.number == number)).scalar_one_or_none()

    def get(self, ticket_id: str, *, for_update: bool = False, conversation: bool = True) -> Ticket | None:
        """``conversation=False``: without its messages and log (a fired deadline needs neither, and
        reading them was a quarter of a replica's time firing); what it adds to the log is saved,
        a message added to it is refused."""
        row = self.session.get(TicketRow, ticket_id, with_for_update=for_update, populate_existing=for_update)
        if row is None:
            return None
        ticket = self._load(row, full=conversation)
        if not conversation:
            self._saved[row.id] = (0, 0)
            self._partial.add(row.id)
        return ticket

    def save(self, ticket: Ticket) -> None:
        row = self._rows[ticket.id]
        for name in _SCALARS:
            setattr(row, name, getattr(ticket, name))
        row.suspected, row.breached = list(ticket.suspected), list(ticket.breached)
        row.breach_count, row.priority_rank = len(ticket.breached), ticket.priority_rank
        row.timers = timers_to_json(ticket.timers)
        row.updated_at = ticket.updated_at or ticket.opened_at
        if ticket.id in self._partial:
            if ticket.messages:
                raise RuntimeError("a ticket loaded without its conversation takes no messages")
        else:
            visible = [m.body for m in ticket.messages if m.kind == REPLY_KIND and m.side == CUSTOMER]
            row.search_text = "\n".join([ticket.title, *visible])[:_SEARCH_LIMIT]
        messages_saved, log_saved = self._saved.get(ticket.id, (0, 0))
        self.session.flush()
        for seq, message in enumerate(ticket.messages[messages_saved:], start=messages_saved):
            self.session.add(MessageRow(id=message.id, ticket_id=ticket.id, seq=seq, author_id=message.author_id,
                                        side=message.side, kind=message.kind, body=message.body, at=message.at,
                                        attachments=message.attachments))
        for message in ticket.messages[:messages_saved]:
            if message.id in ticket.edited:
                self.session.execute(update(MessageRow).where(MessageRow.id == message.id)
                                     .values(kind=message.kind, body=message.body, at=message.at))
        ticket.edited.clear()
        for entry in ticket.log[log_saved:]:
            self.session.add(LogRow(ticket_id=ticket.id, at=entry.at, action=entry.action, actor=entry.actor,
                                    detail=entry.detail))
        self._saved[ticket.id] = (len(ticket.messages), len(ticket.log))
        self.session.flush()

    # ---- uploads (TKT-7) ---------------------------------------------------------------------

    def add_upload(self, upload: dict) -> None:
        self.session.add(UploadRow(**upload))
        self.session.flush()

    def upload(self, key: str) -> dict | None:
        row = self.session.get(UploadRow, key)
        return None if row is None else {c: getattr(row, c) for c in (
            "key", "ticket_id", "name", "size", "content_type", "uploaded_by", "uploaded_at", "message_id")}

    def attach_upload(self, key: str, message_id: str) -> None:
        self.session.execute(update(UploadRow).where(UploadRow.key == key).values(message_id=message_id))

    def _load(self, row: TicketRow, *, full: bool) -> Ticket:
        ticket = Ticket(id=row.id, **{name: getattr(row, name) for name in _SCALARS},
                        suspected=list(row.suspected), breached=list(row.breached), updated_at=row.updated_at,
                        timers=timers_from_json(row.timers))
        if full:
            ticket.messages = [Message(r.id, r.author_id, r.side, r.kind, r.body, r.at, list(r.attachments))
                               for r in self.session.execute(select(MessageRow).where(MessageRow.ticket_id == row.id)
                                                             .order_by(MessageRow.seq)).scalars()]
            ticket.log = [LogEntry(r.at, r.action, r.actor, r.detail)
                          for r in self.session.execute(select(LogRow).where(LogRow.ticket_id == row.id)
                                                        .order_by(LogRow.id)).scalars()]
        self._rows[row.id] = row
        self._saved[row.id] = (len(ticket.messages), len(ticket.log)) if full else (10**9, 10**9)
        return ticket

    # ---- many -----------------------------------------------------------------------------

    def list(self, *, scope: Scope, status: str | None = None, tier: str | None = None,
             category: str | None = None, business_stopping: bool | None = None, complaint: bool | None = None,
             suspected: bool | None = None, breached: bool | None = None,
             assignee_id: str | None = None, customer_org_id: str | None = None, provider_id: str | None = None,
             order_id: str | None = None, number: str | None = None, escalated: bool | None = None,
             unassigned: bool | None = None, opened_from: datetime | None = None,
             opened_to: datetime | None = None, q: str | None = None, sort: str = "priority", limit: int = 50,
             offset: int = 0, dues_kind: str | None = None) -> tuple[list[tuple[Ticket, dict[str, datetime]]], int]:
        """A page of tickets (without their conversation), each with the due instants of its
        deadlines of ``dues_kind`` by timer name, read in the page's own statement: the queue's
        countdowns need no read per row."""
        query = select(TicketRow)
        if not scope.everything:
            visible = [c == v for c, v in ((TicketRow.provider_id, scope.provider_of),
                                           (TicketRow.customer_org_id, scope.customer_of),
                                           (TicketRow.vendor_id, scope.vendor_of)) if v is not None]
            query = query.where(or_(*visible)) if visible else query.where(false())
        if business_stopping is not None:
            stopping = TicketRow.category.in_(BUSINESS_STOPPING)
            query = query.where(stopping if business_stopping else ~stopping)
        for column, value in ((TicketRow.status, status), (TicketRow.tier, tier), (TicketRow.category, category),
                              (TicketRow.complaint, complaint),
                              (TicketRow.assignee_id, assignee_id), (TicketRow.customer_org_id, customer_org_id),
                              (TicketRow.provider_id, provider_id), (TicketRow.escalated, escalated),
                              (TicketRow.order_id, order_id), (TicketRow.number, number)):
            if value is not None:
                query = query.where(column == value)
        if suspected is not None:
            has = func.jsonb_array_length(TicketRow.suspected) > 0
            query = query.where(has if suspected else ~has)
        if breached is not None:
            query = query.where(TicketRow.breach_count > 0 if breached else TicketRow.breach_count == 0)
        if unassigned:
            query = query.where(TicketRow.assignee_id.is_(None), TicketRow.status.in_(OPEN_STATUSES))
        if opened_from is not None:
            query = query.where(TicketRow.opened_at >= for_sql(opened_from))
        if opened_to is not None:
            query = query.where(TicketRow.opened_at < for_sql(opened_to))
        if q:
            # ILIKE on a trigram index: works for Chinese substrings (no word boundaries needed)
            query = query.where(TicketRow.search_text.ilike(paging.like_pattern(q)))
        total = paging.total(self.session, query)
        order = paging.order_by(SORTS, sort, TicketRow.id)
        page = query.order_by(*order).limit(limit).offset(offset)
        if dues_kind is None:
            return [(self._load(r, full=False), {}) for r in self.session.execute(page).scalars()], total
        # the page is cut first, then its rows' deadlines read: a SELECT-list subquery beside the
        # LIMIT would run for every row the OFFSET skips too. Deadline keys are "<ticket id>:<timer>":
        # one probe of the (kind, key) index per timer name of each row on the page.
        cut = page.subquery()
        row = aliased(TicketRow, cut)
        dues = (select(func.jsonb_object_agg(func.split_part(deadlines.c.key, ":", 2), deadlines.c.due_at))
                .where(deadlines.c.kind == dues_kind, deadlines.c.key.in_([row.id + f":{name}" for name in TimerName]))
                .scalar_subquery())
        again = {name: tuple(getattr(row, c.key) for c in columns) for name, columns in SORTS.items()}
        rows = self.session.execute(select(row, dues).order_by(*paging.order_by(again, sort, row.id))).all()
        return [(self._load(ticket, full=False), {name: datetime.fromisoformat(at) for name, at in (due or {}).items()})
                for ticket, due in rows], total

    def unassigned(self, provider_id: str) -> list[Ticket]:
        rows = self.session.execute(
            select(TicketRow).where(TicketRow.provider_id == provider_id, TicketRow.assignee_id.is_(None),
                                    TicketRow.status.in_(OPEN_STATUSES))
            .order_by(TicketRow.priority_rank, TicketRow.opened_at).with_for_update(skip_locked=True)
        ).scalars().all()
        return [self._load(r, full=True) for r in rows]

    def open_assigned_to(self, user_id: str, *, for_update: bool = False) -> list[Ticket]:
        query = select(TicketRow).where(TicketRow.assignee_id == user_id, TicketRow.status.in_(OPEN_STATUSES))
        if for_update:
            query = query.with_for_update()
        return [self._load(r, full=True) for r in self.session.execute(query.order_by(TicketRow.opened_at)).scalars()]

    def open_tickets(self, provider_id: str | None = None, *, due_from: datetime | None = None,
                     kinds: tuple[str, ...] = (), batch: int = 2000) -> Iterator[Ticket]:
        """Open tickets (of one provider), in batches, without their conversation, to recompute
        their deadlines; read-only (they are not attached to the session and cannot be saved).

        ``due_from``: only tickets with a deadline of ``kinds`` due at or after it. A deadline
        due earlier was counted over days before it, so a calendar change from that instant on
        cannot move it; the tickets with none later are left alone (a holiday entered weeks ahead
        touches few tickets). Deadline keys begin with the ticket id (``<id>`` or ``<id>:<timer>``).
        """
        table = TicketRow.__table__
        base = select(table).where(table.c.status.in_(OPEN_STATUSES))
        if provider_id is not None:
            base = base.where(table.c.provider_id == provider_id)
        if due_from is not None:
            due = (select(func.split_part(deadlines.c.key, ":", 1))
                   .where(deadlines.c.kind.in_(kinds), deadlines.c.due_at >= for_sql(due_from)))
            base = base.where(table.c.id.in_(due))
        last = ""
        while True:
            rows = self.session.execute(base.where(table.c.id > last).order_by(table.c.id).limit(batch)).all()
            if not rows:
                return
            for row in rows:
                yield Ticket(id=row.id, **{name: getattr(row, name) for name in _SCALARS},
                             suspected=list(row.suspected), breached=list(row.breached), updated_at=row.updated_at,
                             timers=timers_from_json(row.timers))
            last = rows[-1].id

    def open_count_of(self, provider_id: str) -> int:
        return self.session.execute(select(func.count()).select_from(TicketRow).where(
            TicketRow.provider_id == provider_id, TicketRow.status.in_(OPEN_STATUSES))).scalar_one()

    def providers_with_open_tickets(self) -> list[str]:
        return list(self.session.execute(select(TicketRow.provider_id).where(TicketRow.status.in_(OPEN_STATUSES))
                                         .distinct().order_by(TicketRow.provider_id)).scalars())

    def figures(self, provider_id: str, opened_from: datetime, opened_to: datetime) -> list[TicketFigures]:
        rows = self.session.execute(
            select(TicketRow.assignee_id, TicketRow.status, TicketRow.first_response_seconds,
                   TicketRow.resolution_seconds, TicketRow.breach_count, TicketRow.rating, TicketRow.opened_at)
            .where(TicketRow.provider_id == provider_id, TicketRow.opened_at >= for_sql(opened_from),
                   TicketRow.opened_at < for_sql(opened_to))
        ).all()
        return [TicketFigures(r.assignee_id, r.status in OPEN_STATUSES, r.first_response_seconds,
                              r.resolution_seconds, r.breach_count, r.rating, r.opened_at) for r in rows]


class PeopleRepository:
    """identity's users and organisations as ticket_svc keeps them, and who is on duty."""

    def __init__(self, session: Session):
        self.session = session

    def upsert_user(self, data: dict) -> None:
        values = {"user_id": data["user_id"], "org_id": data["org_id"], "org_kind": data["org_kind"],
                  "display_name": data["display_name"], "roles": list(data["roles"]), "active": data["active"],
                  "email": (data.get("email") or "").strip().lower() or None}
        stmt = pg_insert(UserRow).values(**values)
        self.session.execute(stmt.on_conflict_do_update(index_elements=["user_id"], set_=values))
        if not data["active"] or "support_agent" not in data["roles"]:
            # a deactivated or former agent takes no more tickets
            self.session.execute(update(AgentDutyRow).where(AgentDutyRow.user_id == data["user_id"])
                                 .values(on_duty=False))

    def upsert_org(self, org_id: str, name: str, kind: str) -> None:
        stmt = pg_insert(OrganisationRow).values(org_id=org_id, name=name, kind=kind)
        self.session.execute(stmt.on_conflict_do_update(index_elements=["org_id"], set_={"name": name}))

    def user(self, user_id: str) -> dict | None:
        row = self.session.get(UserRow, user_id)
        return None if row is None else {"user_id": row.user_id, "org_id": row.org_id, "roles": list(row.roles),
                                         "active": row.active, "display_name": row.display_name}

    def user_by_email(self, email: str) -> dict | None:
        """The active user with this e-mail address (TKT-10: who wrote to the intake)."""
        row = self.session.execute(select(UserRow).where(UserRow.email == email.strip().lower(),
                                                         UserRow.active.is_(True)).limit(1)).scalar_one_or_none()
        return None if row is None else self.user(row.user_id)

    def operator_org_ids(self) -> list[str]:
        return list(self.session.execute(select(OrganisationRow.org_id).where(OrganisationRow.kind == "operator"))
                    .scalars())

    def set_duty(self, user_id: str, provider_id: str, on: bool, now: datetime) -> None:
        stmt = pg_insert(AgentDutyRow).values(user_id=user_id, provider_id=provider_id, on_duty=on, since=now)
        self.session.execute(stmt.on_conflict_do_update(index_elements=["user_id"],
                                                        set_={"on_duty": on, "since": now,
                                                              "provider_id": provider_id}))

    def is_on_duty(self, user_id: str) -> bool:
        row = self.session.get(AgentDutyRow, user_id)
        return bool(row and row.on_duty)

    def agent_loads(self, provider_id: str) -> list[AgentLoad]:
        """Lock the provider's duty rows so that two tickets opened at once see each other's load."""
        duty = self.session.execute(
            select(AgentDutyRow).where(AgentDutyRow.provider_id == provider_id, AgentDutyRow.on_duty.is_(True))
            .order_by(AgentDutyRow.user_id).with_for_update()
        ).scalars().all()
        if not duty:
            return []
        counts = dict(self.session.execute(
            select(TicketRow.assignee_id, func.count()).where(
                TicketRow.assignee_id.in_([d.user_id for d in duty]), TicketRow.status.in_(OPEN_STATUSES))
            .group_by(TicketRow.assignee_id)).all())
        return [AgentLoad(d.user_id, d.on_duty, d.since, counts.get(d.user_id, 0)) for d in duty]

    def agents_of(self, provider_id: str) -> list[dict]:
        rows = self.session.execute(select(UserRow).where(UserRow.org_id == provider_id, UserRow.active.is_(True),
                                                          UserRow.roles.contains(["support_agent"]))
                                    .order_by(UserRow.user_id)).scalars()
        return [self.user(r.user_id) for r in rows]

    def duty_of(self, provider_id: str) -> list[dict]:
        rows = self.session.execute(select(AgentDutyRow).where(AgentDutyRow.provider_id == provider_id)
                                    .order_by(AgentDutyRow.user_id)).scalars()
        return [{"user_id": r.user_id, "on_duty": r.on_duty, "since": r.since} for r in rows]


class SubjectRepository:
    """Orders and projects: the customer, the vendor and the provider (project and dispatch events)."""

    def __init__(self, session: Session):
        self.session = session

    @staticmethod
    def _dict(row: SubjectRow | None) -> dict | None:
        if row is None:
            return None
        return {"project_id": row.project_id, "order_id": row.order_id, "product_id": row.product_id,
                "vendor_id": row.vendor_id, "customer_id": row.customer_id, "provider_id": row.provider_id}

    def upsert_project(self, project_id: str, order_id: str, product_id: str, vendor_id: str,
                       customer_id: str) -> None:
        values = {"order_id": order_id, "product_id": product_id, "vendor_id": vendor_id, "customer_id": customer_id}
        stmt = pg_insert(SubjectRow).values(project_id=project_id, **values)
        self.session.execute(stmt.on_conflict_do_update(index_elements=["project_id"], set_=values))

    def set_provider(self, project_id: str, provider_id: str, product_id: str) -> None:
        # provider_assigned may overtake project_created: keep whichever arrives first
        stmt = pg_insert(SubjectRow).values(project_id=project_id, provider_id=provider_id, product_id=product_id)
        self.session.execute(stmt.on_conflict_do_update(index_elements=["project_id"],
                                                        set_={"provider_id": provider_id}))

    def get(self, project_id: str) -> dict | None:
        return self._dict(self.session.get(SubjectRow, project_id))

    def by_order(self, order_id: str) -> dict | None:
        return self._dict(self.session.execute(select(SubjectRow).where(SubjectRow.order_id == order_id))
                          .scalar_one_or_none())

    def orders_of(self, customer_id: str) -> list[str]:
        return list(self.session.execute(select(SubjectRow.order_id).where(SubjectRow.customer_id == customer_id,
                                                                           SubjectRow.order_id.is_not(None))
                                         .order_by(SubjectRow.order_id)).scalars())

    def vendor_of_product(self, product_id: str) -> str | None:
        return self.session.execute(select(SubjectRow.vendor_id).where(SubjectRow.product_id == product_id,
                                                                       SubjectRow.vendor_id.is_not(None)).limit(1)
                                    ).scalar_one_or_none()


class SettingsRepository:
    """Calendar edits, service hours, the abusive-word list and canned replies."""

    def __init__(self, session: Session):
        self.session = session

    def calendar_overrides(self) -> list[CalendarDay]:
        return [CalendarDay(r.day, r.kind, r.name) for r in self.session.execute(select(CalendarDayRow)).scalars()]

    def set_calendar_day(self, entry: CalendarDay | None, day: date) -> None:
        if entry is None:
            self.session.execute(delete(CalendarDayRow).where(CalendarDayRow.day == day))
            return
        values = {"kind": entry.kind.value, "name": entry.name}
        stmt = pg_insert(CalendarDayRow).values(day=day, **values)
        self.session.execute(stmt.on_conflict_do_update(index_elements=["day"], set_=values))

    def service_hours(self, provider_id: str) -> ServiceHours | None:
        row = self.session.get(ServiceHoursRow, provider_id)
        return None if row is None else ServiceHours(start=row.start, end=row.end, every_day=row.every_day)

    def set_service_hours(self, provider_id: str, hours: ServiceHours) -> None:
        values = {"start": hours.start, "end": hours.end, "every_day": hours.every_day}
        stmt = pg_insert(ServiceHoursRow).values(provider_id=provider_id, **values)
        self.session.execute(stmt.on_conflict_do_update(index_elements=["provider_id"], set_=values))

    def abusive_words(self) -> tuple[str, ...]:
        return tuple(self.session.execute(select(AbusiveWordRow.word).order_by(AbusiveWordRow.word)).scalars())

    def set_abusive_words(self, words: list[str]) -> None:
        self.session.execute(delete(AbusiveWordRow))
        if words:
            self.session.execute(pg_insert(AbusiveWordRow).values([{"word": w} for w in words])
                                 .on_conflict_do_nothing())

    def entitlements(self, provider_id: str) -> list[Entitlement]:
        rows = self.session.execute(select(EntitlementRow).where(EntitlementRow.provider_id == provider_id)
                                    .order_by(EntitlementRow.customer_org_id, EntitlementRow.product_id)).scalars()
        return [Entitlement(r.provider_id, r.customer_org_id or None, r.product_id or None, r.tier) for r in rows]

    def set_entitlement(self, contract: Entitlement) -> None:
        key = {"provider_id": contract.provider_id, "customer_org_id": contract.customer_org_id or "",
               "product_id": contract.product_id or ""}
        stmt = pg_insert(EntitlementRow).values(**key, tier=contract.tier)
        self.session.execute(stmt.on_conflict_do_update(index_elements=list(key), set_={"tier": contract.tier}))

    def remove_entitlement(self, provider_id: str, customer_org_id: str | None, product_id: str | None) -> None:
        self.session.execute(delete(EntitlementRow).where(EntitlementRow.provider_id == provider_id,
                                                          EntitlementRow.customer_org_id == (customer_org_id or ""),
                                                          EntitlementRow.product_id == (product_id or "")))

    def canned_replies(self, provider_id: str) -> list[dict]:
        own = self.session.execute(select(CannedReplyRow).where(CannedReplyRow.provider_id == provider_id)
                                   .order_by(CannedReplyRow.created_at)).scalars()
        mine = [{"id": r.id, "provider_id": r.provider_id, "key": r.key, "body": r.body} for r in own]
        keys = {r["key"] for r in mine}
        # a provider's own reply under a guide sample's key replaces that sample
        defaults = [{"id": f"default-{key}", "provider_id": None, "key": key, "body": body}
                    for key, body in DEFAULT_CANNED_REPLIES if key not in keys]
        return defaults + mine

    def add_canned_reply(self, reply: dict) -> None:
        self.session.add(CannedReplyRow(**reply))
        self.session.flush()

    def update_canned_reply(self, reply_id: str, provider_id: str, key: str, body: str) -> dict | None:
        row = self.session.get(CannedReplyRow, reply_id)
        if row is None or row.provider_id != provider_id:
            return None
        row.key, row.body = key, body
        self.session.flush()
        return {"id": row.id, "provider_id": row.provider_id, "key": row.key, "body": row.body}

    def delete_canned_reply(self, reply_id: str, provider_id: str) -> bool:
        return bool(self.session.execute(delete(CannedReplyRow).where(
            CannedReplyRow.id == reply_id, CannedReplyRow.provider_id == provider_id)).rowcount)
