"""Service-level timers at scale (issue 13, TKT-5), per replica, on a fresh migrated database:

    python -m bench.tickets_sla --tickets 100000 --due 2000

- set-up: ``--tickets`` open tickets with their warning, breach and auto-rule deadlines
  (bulk-inserted; the domain computes every deadline on the working calendar);
- fire: ``--due`` breach deadlines made due at once (a busy minute) are leased as the kernel's
  poller leases them (``FOR UPDATE SKIP LOCKED``, 50 at a time) and fired through ticket_svc's
  handler, one transaction each, single-threaded: one replica's worker pool runs several at once,
  so this is a floor for one replica;
- reschedule: a calendar change (identity's ``calendar_changed``) recomputes every open ticket's
  deadlines in one transaction, as ``handlers.calendar_changed`` does, and rewrites those due on or
  after the changed day: a holiday two weeks ahead (few rewrites) and one tomorrow (nearly all).
"""
from __future__ import annotations

import argparse
import time
import uuid
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import insert, select, text, update
from sqlalchemy.orm import sessionmaker

from platform_kit import migrate
from platform_kit.db import UnitOfWork, make_engine
from platform_kit.migrate import drop_database
from platform_kit.tables import deadlines
from platform_kit.workcal import ServiceHours, default_calendar
from ticket_svc import handlers
from ticket_svc.adapters.repository import timers_to_json
from ticket_svc.domain.model import Clock, Ticket
from ticket_svc.service import TicketService

BATCH = 5000


def out(line: str) -> None:
    print(line, flush=True)  # noqa: T201 - a command-line report


def ticket_row(ticket: Ticket) -> dict:
    return {"id": ticket.id, "customer_org_id": ticket.customer_org_id, "customer_user_id": ticket.customer_user_id,
            "provider_id": ticket.provider_id, "vendor_id": ticket.vendor_id, "product_id": None,
            "order_id": None, "project_id": None, "title": ticket.title, "category": ticket.category,
            "tier": ticket.tier, "status": ticket.status, "assignee_id": None, "escalated": False, "complaint": False,
            "complaint_note": "", "suspected": [], "waiting_since": None, "waiting_round": 0, "reminded": False,
            "rating": None, "rating_comment": "", "first_response_seconds": None, "resolution_seconds": None,
            "breached": [], "breach_count": 0, "priority_rank": ticket.priority_rank,
            "timers": timers_to_json(ticket.timers), "search_text": ticket.title, "opened_at": ticket.opened_at,
            "updated_at": ticket.opened_at, "resolved_at": None, "closed_at": None}


def deadline_rows(ticket: Ticket, clock: Clock) -> list[dict]:
    rows = []
    for name, (warn, breach, cycle) in ticket.timer_deadlines(clock).items():
        payload = {"ticket_id": ticket.id, "timer": str(name), "cycle": cycle}
        for kind, due in ((handlers.WARNING, warn), (handlers.BREACH, breach)):
            if due is not None:
                rows.append({"kind": kind, "key": f"{ticket.id}:{name}", "due_at": due, "payload": payload})
    return rows


def populate(engine, count: int) -> tuple[list[str], float]:
    from ticket_svc.adapters.orm import TicketRow

    clock = Clock(default_calendar(), ServiceHours())
    providers = [f"prov-{i}" for i in range(20)]
    opened = datetime.now(UTC) - timedelta(minutes=1)
    started = time.perf_counter()
    ids: list[str] = []
    tickets, due = [], []
    with engine.begin() as conn:
        for i in range(count):
            ticket, _ = Ticket.open(id=str(uuid.uuid4()), message_id=str(uuid.uuid4()), customer_org_id="cust",
                                    customer_user_id="u", provider_id=providers[i % len(providers)], vendor_id="ven",
                                    title=f"工单 {i} 网站无法访问", description="首页 502", category="fault",
                                    tier=("P0", "P1", "P2", "P3", None)[i % 5], now=opened, clock=clock)
            ids.append(ticket.id)
            tickets.append(ticket_row(ticket))
            due.extend(deadline_rows(ticket, clock))
            if len(tickets) >= BATCH:
                conn.execute(insert(TicketRow), tickets)
                conn.execute(insert(deadlines), due)
                tickets, due = [], []
        if tickets:
            conn.execute(insert(TicketRow), tickets)
            conn.execute(insert(deadlines), due)
    return ids, time.perf_counter() - started


def fire(engine, factory, ids: list[str], count: int) -> float:
    keys = [f"{ticket_id}:first_response" for ticket_id in ids[:count]]
    with engine.begin() as conn:
        conn.execute(update(deadlines).where(deadlines.c.kind == handlers.BREACH, deadlines.c.key.in_(keys))
                     .values(due_at=datetime.now(UTC) - timedelta(seconds=1)))
    started = time.perf_counter()
    fired = 0
    while True:
        now = datetime.now(UTC)
        with engine.begin() as conn:
            rows = conn.execute(select(deadlines).where(deadlines.c.kind == handlers.BREACH, deadlines.c.due_at <= now,
                                                        deadlines.c.locked_until.is_(None))
                                .order_by(deadlines.c.due_at).limit(50).with_for_update(skip_locked=True)
                                ).mappings().all()
            if rows:
                conn.execute(update(deadlines).where(deadlines.c.id.in_([r["id"] for r in rows]))
                             .values(locked_until=now + timedelta(seconds=60)))
        if not rows:
            break
        for row in rows:
            session = factory()
            try:
                handlers.timer_fired("breach", row["payload"], UnitOfWork(session, "ticket", repositories()),
                                     datetime.now(UTC))
            finally:
                session.close()
            with engine.begin() as conn:
                conn.execute(deadlines.delete().where(deadlines.c.id == row["id"]))
            fired += 1
    assert fired == count, f"fired {fired} of {count}"
    return time.perf_counter() - started


def repositories() -> dict:
    return TicketService.db.repositories


def reschedule(factory, days_ahead: int) -> tuple[int, float]:
    """The operator makes the first weekday ``days_ahead`` from today a holiday."""
    started = time.perf_counter()
    session = factory()
    try:
        uow = UnitOfWork(session, "ticket", repositories())
        event = {"event_id": str(uuid.uuid4())}
        day = _weekday(default_calendar().local_date(datetime.now(UTC)) + timedelta(days=days_ahead))
        moved = handlers.calendar_changed(event, {"day": day, "kind": "holiday", "name": "bench"}, uow)
    finally:
        session.close()
    return moved, time.perf_counter() - started


def _weekday(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=2000)
    args = parser.parse_args()
    url = f"postgresql://postgres@127.0.0.1:5432/bench_tickets_{uuid.uuid4().hex[:8]}"
    migrate.upgrade("ticket", url)
    engine = make_engine(url)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    try:
        ids, took = populate(engine, args.tickets)
        with engine.connect() as conn:
            total = conn.execute(text("select count(*) from deadlines")).scalar_one()
        out(f"set-up: {args.tickets} open tickets, {total} deadlines in {took:.1f}s")
        took = fire(engine, factory, ids, min(args.due, args.tickets))
        out(f"fire: {args.due} due breach deadlines in {took:.1f}s ({args.due / took:.0f}/s, one worker)")
        for days_ahead in (14, 1):
            moved, took = reschedule(factory, days_ahead)
            out(f"calendar change {days_ahead} day(s) ahead: {moved} open tickets rescheduled in {took:.1f}s "
                f"({moved / took:.0f}/s)")
    finally:
        engine.dispose()
        drop_database(url)


if __name__ == "__main__":
    main()
