"""Service-level timers at scale (TKT-5), on a fresh migrated database:

    python -m bench.tickets_sla --tickets 100000 --due 2000 --replicas 1,2

- set-up: ``--tickets`` open tickets (40 % answered, 40 % with the customer's follow-up unanswered,
  20 % awaiting feedback; every tier, one in ten business-stopping) with their warning, breach and
  auto-rule deadlines. The domain opens one template ticket per kind and ``handlers.sync_deadlines``
  computes its deadlines, captured as the rows the service writes; ``INSERT ... SELECT`` then copies
  each template to its share of the tickets (with its first message and log line) and its
  deadlines to theirs, ids substituted.
  Every ticket was answered with a plan when opened, so no 15-minute target falls due meanwhile.
- fire: for each ``--replicas`` count, that many real ticket_svc processes (``platform_kit.run``,
  their deadline poller, worker pool and outbox relay, on their own RabbitMQ vhost) run against the
  database; ``--due`` resolution warning and breach deadlines of P2 tickets not used before are made
  due at once (a busy minute) and timed until every one has fired. Each must have been recorded and
  alerted exactly once, and nothing else fired.
- reschedule: identity's ``calendar_changed`` handled as ticket_svc handles it: the edit is stored
  and one ``ticket_reschedule`` share per provider is scheduled, which the replicas' pollers fire
  (each provider's open tickets with a deadline on or after the day, in a transaction of their own);
  timed until every share has run: a holiday two weeks ahead, one tomorrow (nearly every deadline
  moves) on the first replica count, and the same work again (removed, added) on the others.
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import time
import uuid
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import sessionmaker

from bench.scratch import delete_vhost, new_vhost, stop_on_sigterm
from platform_kit import migrate
from platform_kit.db import UnitOfWork, make_engine
from platform_kit.migrate import drop_database
from platform_kit.stack import ProcessSpec, Stack, default_specs
from platform_kit.workcal import ServiceHours, default_calendar
from ticket_svc import handlers
from ticket_svc.adapters.repository import timers_to_json
from ticket_svc.domain.model import AGENT, AWAITING_FEEDBACK, REPLY_KIND, Clock, Ticket
from ticket_svc.service import TicketService

TEMPLATE_ID = "00000000-0000-4000-8000-00000000feed"
PROVIDERS = 20
# the bench's ticket_svc processes listen on these ports (+ the caller's e2e offset, if any)
PORT_BASE = 8405 + int(os.environ.get("PLATFORM_E2E_PORT_OFFSET", "11000"))


def out(line: str) -> None:
    print(line, flush=True)  # noqa: T201 - a command-line report


class _Capture:
    """Stands in for a unit of work: records what ``sync_deadlines`` schedules."""

    def __init__(self):
        self.rows: list[dict] = []

    def schedule(self, kind: str, key: str, due_at: datetime, payload: dict) -> None:
        self.rows.append({"kind": kind, "key": key, "due_at": due_at.isoformat(), "payload": json.dumps(payload)})

    def cancel_deadline(self, kind: str, key: str) -> None:
        pass


def templates(opened: datetime) -> list[tuple[Ticket, list[dict], float]]:
    """One ticket per kind, its deadlines as the service writes them, and its share of the tickets."""
    clock = Clock(default_calendar(), ServiceHours())
    out_ = []
    for tier in ("P0", "P1", "P2", "P3", None):
        for category, category_share in (("fault", 0.9), ("server_down", 0.1)):
            # processing, half of them with the customer's follow-up unanswered (its 4-hour reply
            # timer running), or awaiting feedback (the auto rules)
            for state, status_share in (("answered", 0.4), ("follow_up", 0.4), ("waiting", 0.2)):
                ticket, _ = Ticket.open(
                    id=TEMPLATE_ID, message_id=f"{TEMPLATE_ID}-m", customer_org_id="cust", customer_user_id="u",
                    provider_id="prov", vendor_id="ven", title="工单 网站无法访问", description="首页返回 502",
                    category=category, tier=tier, now=opened, clock=clock)
                # answered with a plan at once, as a ticket being worked on: nothing of the
                # set-up falls due (the 15-minute targets) while the bench runs
                ticket.agent_message(f"{TEMPLATE_ID}-r", "agent", "您好！您的问题已收到，预计今天完成",
                                     REPLY_KIND, opened, clock, plan=True)
                if state == "follow_up":
                    ticket.customer_message(f"{TEMPLATE_ID}-f", "u", "还是打不开，请尽快处理", opened, clock)
                if state == "waiting":
                    ticket.change_status(AWAITING_FEEDBACK, AGENT, "agent", opened, clock, "请提供截图")
                capture = _Capture()
                handlers.sync_deadlines(ticket, clock, capture)
                out_.append((ticket, capture.rows, 0.2 * category_share * status_share))
    return out_


COPY = """
WITH new AS (
    INSERT INTO tickets (id, customer_org_id, customer_user_id, provider_id, vendor_id, title, category, tier,
                         status, escalated, complaint, complaint_note, suspected, waiting_since, waiting_round,
                         reminded, rating_comment, breached, breach_count, priority_rank, timers, search_text,
                         opened_at, updated_at)
    SELECT gen_random_uuid()::text, 'cust-' || (g % 1000), 'user-' || (g % 1000), 'prov-' || (g % :providers),
           'ven', :title || ' ' || g, :category, :tier, :status, false, false, '', '[]'::jsonb, :waiting_since,
           :waiting_round, false, '', '[]'::jsonb, 0, :priority_rank, CAST(:timers AS jsonb), :title || ' ' || g,
           :opened_at, :opened_at
    FROM generate_series(1, :n) AS g
    RETURNING id
), messages AS (
    INSERT INTO ticket_messages (id, ticket_id, seq, author_id, side, kind, body, at, attachments)
    SELECT new.id || '-m', new.id, 0, 'user', 'customer', 'reply', :body, :opened_at, '[]'::jsonb FROM new
    -- the agent's answer and any follow-up are left out: fired deadlines and reschedules read no messages
), log AS (
    INSERT INTO ticket_log (ticket_id, at, action, actor, detail)
    SELECT new.id, :opened_at, 'opened', 'user', :category FROM new
)
INSERT INTO deadlines (kind, key, due_at, payload)
SELECT d.kind, replace(d.key, :template, new.id), d.due_at, CAST(replace(d.payload, :template, new.id) AS jsonb)
FROM new CROSS JOIN jsonb_to_recordset(CAST(:deadlines AS jsonb)) AS d(kind text, key text, due_at timestamptz,
                                                                        payload text)
"""


def populate(engine, count: int, opened: datetime) -> float:
    started = time.perf_counter()
    kinds = templates(opened)
    with engine.begin() as conn:
        left = count
        for index, (ticket, deadlines, share) in enumerate(kinds):
            n = left if index == len(kinds) - 1 else round(count * share)
            left -= n
            conn.execute(text(COPY), {
                "providers": PROVIDERS, "title": ticket.title, "category": ticket.category, "tier": ticket.tier,
                "status": ticket.status, "waiting_since": ticket.waiting_since, "waiting_round": ticket.waiting_round,
                "priority_rank": ticket.priority_rank, "timers": json.dumps(timers_to_json(ticket.timers)),
                "opened_at": opened, "n": n, "body": ticket.messages[0].body, "template": TEMPLATE_ID,
                "deadlines": json.dumps(deadlines)})
    with engine.begin() as conn:
        conn.execute(text("ANALYZE tickets"))
        conn.execute(text("ANALYZE deadlines"))
    return time.perf_counter() - started


def due_keys(engine, count: int, skip: int) -> list[str]:
    """Breach and warning deadlines of ``count`` processing P-tier tickets not used before."""
    with engine.connect() as conn:
        ids = conn.execute(text("SELECT id FROM tickets WHERE status = 'processing' AND tier = 'P2' "
                                "ORDER BY id OFFSET :skip LIMIT :n"), {"skip": skip, "n": count // 2}).scalars().all()
    return ids


@contextmanager
def replicas_running(url: str, vhost: str, replicas: int):
    """``replicas`` ticket_svc processes on the bench database and vhost, stopped afterwards."""
    amqp = f"amqp://guest:guest@127.0.0.1:5672/{vhost}"
    env = {"AMQP_URI": amqp, "TICKET_DATABASE_URL": url, "REDIS_KEY_PREFIX": vhost, "LOG_LEVEL": "WARNING",
           "JWT_SECRET": secrets.token_urlsafe(32), "FILE_STORAGE_DIR": f"var/bench-files/{vhost}"}
    module = next(s.module for s in default_specs() if s.name == "ticket")
    specs = [ProcessSpec(f"ticket-{k}", module, PORT_BASE + 10 * k) for k in range(replicas)]
    stack = Stack(specs, env=env, log_dir=Path("var/bench-logs/tickets_sla") / vhost)
    stack.start()
    try:
        stack.wait_healthy(timeout=120)
        yield stack
    finally:
        stack.stop(grace=5)


def wait_fired(engine, stack: Stack, replicas: int, where: str, params: dict, started: float) -> float:
    """Seconds from ``started`` until no deadline matching ``where`` is left."""
    while True:
        with engine.connect() as conn:
            left = conn.execute(text(f"SELECT count(*) FROM deadlines WHERE {where}"), params).scalar_one()
        if not left:
            return time.perf_counter() - started
        if len(stack.running()) < replicas:
            raise RuntimeError("a ticket_svc replica stopped: see var/bench-logs/tickets_sla/")
        if time.perf_counter() - started > 1800:
            raise RuntimeError(f"{left} deadlines still due after 30 minutes")
        time.sleep(0.2)


def fire(engine, url: str, vhost: str, replicas: int, ids: list[str]) -> tuple[int, float]:
    """Make the first-response warning and breach of ``ids`` due now, and time until every one
    has fired on ``replicas`` processes."""
    keys = [f"{ticket_id}:resolution" for ticket_id in ids]
    where = "key = ANY(:keys) AND kind IN ('ticket_sla_warning', 'ticket_sla_breach')"
    with replicas_running(url, vhost, replicas) as stack:
        with engine.begin() as conn:
            before = conn.execute(text("SELECT count(*) FROM deadlines")).scalar_one()
            made = conn.execute(text("UPDATE deadlines SET due_at = now() - interval '1 second' WHERE " + where),
                                {"keys": keys}).rowcount
        took = wait_fired(engine, stack, replicas, where, {"keys": keys}, time.perf_counter())
    with engine.connect() as conn:
        after = conn.execute(text("SELECT count(*) FROM deadlines")).scalar_one()
        alerts = conn.execute(text(
            "SELECT count(*), count(DISTINCT envelope->'data'->>'dedupe_key') FROM outbox_events "
            "WHERE event_type = 'ticket_notification_requested' "
            "AND envelope->'data'->'variables'->>'ticket_id' = ANY(:ids)"), {"ids": ids}).one()
        breaches = conn.execute(text("SELECT count(*) FROM outbox_events WHERE event_type = 'ticket_sla_breached' "
                                     "AND envelope->'data'->>'ticket_id' = ANY(:ids)"), {"ids": ids}).scalar_one()
    # exactly the deadlines made due fired (nothing else fell due meanwhile), each alerted once
    assert before - after == made, f"{before - after} deadlines fired, {made} were made due"
    assert breaches == len(ids) and alerts[0] == alerts[1] == made, (breaches, alerts, made)
    return made, took


def repositories() -> dict:
    return TicketService.db.repositories


def reschedule(engine, factory, url: str, vhost: str, replicas: int, day: date,
               kind: str | None) -> tuple[int, int, float]:
    """The operator makes ``day`` a holiday (or removes it again: ``kind`` None), as identity's
    ``calendar_changed`` reaches ticket_svc: the handler stores it and schedules one share per
    provider, which ``replicas`` processes fire. Returns providers, tickets reached, seconds."""
    start_of_day = datetime.combine(day, datetime.min.time(), tzinfo=default_calendar().tz)
    with engine.connect() as conn:
        reached = conn.execute(text(
            "SELECT count(*) FROM tickets WHERE status IN ('processing', 'awaiting_feedback', "
            "'awaiting_confirmation') AND id IN (SELECT split_part(key, ':', 1) FROM deadlines "
            "WHERE kind LIKE 'ticket_%' AND due_at >= :from)"), {"from": start_of_day}).scalar_one()
    with replicas_running(url, vhost, replicas) as stack:
        started = time.perf_counter()
        session = factory()
        try:
            uow = UnitOfWork(session, "ticket", repositories())
            providers = handlers.calendar_changed({"event_id": str(uuid.uuid4())},
                                                  {"day": day, "kind": kind, "name": "bench"}, uow, datetime.now(UTC))
        finally:
            session.close()
        took = wait_fired(engine, stack, replicas, "kind = :kind", {"kind": handlers.RESCHEDULE}, started)
    return providers, reached, took


def _weekday(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=2000, help="deadlines made due at once, per replica count")
    parser.add_argument("--replicas", default="1,2", help="ticket_svc process counts to fire with")
    parser.add_argument("--skip-reschedule", action="store_true")
    args = parser.parse_args()
    name, amqp_uri = new_vhost("bench_tickets")
    url = f"postgresql://postgres@127.0.0.1:5432/{name}"
    # the queues of every listener, so that the replicas' relays publish what they fire, as in production
    for service in migrate.services():
        migrate.declare_topology(service, amqp_uri)
    stop_on_sigterm()  # still stop the replicas and drop the database
    migrate.upgrade("ticket", url)
    engine = make_engine(url)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    try:
        # opened now: the first 7x24 deadline (P0's warning) falls 12 minutes later, after the firing runs
        took = populate(engine, args.tickets, datetime.now(UTC))
        with engine.connect() as conn:
            total = conn.execute(text("SELECT count(*) FROM deadlines")).scalar_one()
        out(f"set-up: {args.tickets} open tickets, {total} deadlines in {took:.1f}s (INSERT ... SELECT)")
        used = 0
        for replicas in (int(r) for r in args.replicas.split(",")):
            ids = due_keys(engine, args.due, used)
            used += len(ids)
            made, took = fire(engine, url, name, replicas, ids)
            out(f"fire with {replicas} replica(s): {made} due deadlines ({len(ids)} breaches, {made - len(ids)} "
                f"warnings) in {took:.1f}s = {made / took:.0f}/s, {made / took / replicas:.0f}/s per replica; "
                "each alerted once")
        if not args.skip_reschedule:
            counts = [int(r) for r in args.replicas.split(",")]
            today = default_calendar().local_date(datetime.now(UTC))
            tomorrow = _weekday(today + timedelta(days=1))
            runs = [(counts[0], _weekday(today + timedelta(days=14)), "holiday", "a holiday two weeks ahead"),
                    (counts[0], tomorrow, "holiday", "a holiday tomorrow")]
            # the same work again (every deadline moves back) on the next replica count
            runs += [(n, tomorrow, None if k % 2 == 0 else "holiday",
                      "tomorrow's holiday removed" if k % 2 == 0 else "a holiday tomorrow")
                     for k, n in enumerate(counts[1:])]
            for replicas, day, kind, label in runs:
                providers, reached, took = reschedule(engine, factory, url, name, replicas, day, kind)
                out(f"calendar change ({label}) with {replicas} replica(s): {reached} open tickets of {providers} "
                    f"providers rescheduled in {took:.1f}s ({reached / took:.0f}/s)")
    finally:
        engine.dispose()
        drop_database(url)
        delete_vhost(name)


if __name__ == "__main__":
    main()
