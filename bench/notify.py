"""Notification fan-out and webhook delivery rates (NTF-3, NTF-4, GW-5), one worker, on a
fresh migrated database, to real local peers (an HTTP SMS provider, aiosmtpd, a webhook receiver):

    python -m bench.notify --events 200 --receivers 5 --webhooks 500

- fan-out: ``--events`` NotificationRequest events, each to ``--receivers`` users with inbox, SMS
  and e-mail, through ``handlers.notification_requested`` (one transaction per event: deliveries,
  inbox messages and their deadlines);
- send: every pending delivery through ``handlers.deliver`` to the peers, one transaction each;
- webhooks: ``--webhooks`` events to one subscribed endpoint, fanned out and POSTed signed.

Single-threaded: a replica runs several workers at once, so these are floors for one replica.
"""
from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from notify_svc import handlers
from notify_svc.adapters.channels import EmailChannel, HttpSmsProvider, SmsChannel, SmtpProvider, WebhookClient
from notify_svc.adapters.orm import DeliveryRow, WebhookDeliveryRow
from notify_svc.domain.delivery import Policy
from notify_svc.domain.recipients import Person
from notify_svc.domain.webhooks import WebhookPolicy
from notify_svc.service import NotifyService
from notify_svc.testing import HttpPeer, SmtpSink
from platform_contracts.actor import Actor
from platform_kit import migrate
from platform_kit.db import UnitOfWork, make_engine
from platform_kit.migrate import drop_database


def out(line: str) -> None:
    print(line, flush=True)  # noqa: T201 - a command-line report


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--receivers", type=int, default=5)
    parser.add_argument("--webhooks", type=int, default=500)
    args = parser.parse_args()
    url = f"postgresql://postgres@127.0.0.1:5432/bench_notify_{uuid.uuid4().hex[:8]}"
    migrate.upgrade("notify", url)
    engine = make_engine(url)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    repositories = NotifyService.db.repositories
    sms, hook, smtp = HttpPeer(), HttpPeer(), SmtpSink(tempfile.mkdtemp())

    try:
        with factory() as session:
            work = UnitOfWork(session, "notify", repositories)
            handlers.seed_templates(work)
            org = "bench-org"
            for i in range(args.receivers):
                work.people.save(Person(f"u-{i}", org, f"用户{i}", phone=f"1380000{i:04d}", email=f"u{i}@bench.test",
                                        roles=["customer"], channels=["inbox", "sms", "email"]))
            work.commit()
        now = datetime.now(UTC)
        policy = Policy(quiet_start=now.time().replace(microsecond=0), quiet_end=now.time().replace(microsecond=0))
        started = time.perf_counter()
        for i in range(args.events):
            event = {"event_id": str(uuid.uuid4()), "event_type": "ticket_notification_requested", "source": "ticket",
                     "occurred_at": now.isoformat(), "data": {}}
            data = {"receivers": [{"org_id": org}], "message_template": "ticket awaiting feedback – notify customer",
                    "variables": {"ticket_id": f"tk-{i}", "title": "网站无法访问"}, "urgent": True,
                    "dedupe_key": f"bench:{i}", "channels": None, "link": None}
            with factory() as session:
                handlers.notification_requested(event, data, UnitOfWork(session, "notify", repositories), policy,
                                                datetime.now(UTC), {"sms", "email"})
        fanned = time.perf_counter() - started
        created = args.events * args.receivers * 3
        out(f"fan-out: {args.events} events → {created} deliveries in {fanned:.2f}s "
            f"({args.events / fanned:.0f} events/s, {created / fanned:.0f} deliveries/s)")

        channels = {"sms": SmsChannel([HttpSmsProvider("sms-primary", sms.url + "/send", "bench-key")]),
                    "email": EmailChannel([SmtpProvider("smtp-primary", "127.0.0.1", smtp.port, "bench@p.test")])}
        with factory() as session:
            pending = list(session.execute(select(DeliveryRow.id).where(DeliveryRow.status == "pending")).scalars())
        started = time.perf_counter()
        for delivery_id in pending:
            with factory() as session:
                handlers.deliver(delivery_id, UnitOfWork(session, "notify", repositories), channels, policy,
                                 datetime.now(UTC))
        sent = time.perf_counter() - started
        out(f"send: {len(pending)} SMS and e-mails to the local peers in {sent:.2f}s ({len(pending) / sent:.0f}/s; "
            f"SMS received {len(sms.received)}, e-mails {len(smtp.messages())})")

        webhook_policy = WebhookPolicy(allow_private=True)
        admin = Actor("u-0", org, "customer", ("customer",))
        with factory() as session:
            handlers.create_endpoint(admin, {"url": hook.url + "/hook", "event_types": ["project_completed"]},
                                     UnitOfWork(session, "notify", repositories), resolve=WebhookClient().resolve,
                                     policy=webhook_policy, known_events={"project_completed"}, now=now)
        started = time.perf_counter()
        for i in range(args.webhooks):
            event = {"event_id": str(uuid.uuid4()), "event_type": "project_completed", "source": "project",
                     "occurred_at": now.isoformat(), "data": {"project_id": f"p-{i}", "customer_id": org,
                                                              "vendor_id": "v", "order_id": "o", "round": 1}}
            with factory() as session:
                handlers.event_for_webhooks(event, UnitOfWork(session, "notify", repositories), datetime.now(UTC))
        with factory() as session:
            hooks = list(session.execute(select(WebhookDeliveryRow.id)).scalars())
        client = WebhookClient()
        for hook_id in hooks:
            with factory() as session:
                handlers.deliver_webhook(hook_id, UnitOfWork(session, "notify", repositories), client=client,
                                         policy=webhook_policy, now=datetime.now(UTC))
        took = time.perf_counter() - started
        out(f"webhooks: {args.webhooks} events fanned out and POSTed signed in {took:.2f}s "
            f"({args.webhooks / took:.0f}/s; received {len(hook.received)})")
    finally:
        sms.stop()
        hook.stop()
        smtp.stop()
        engine.dispose()
        drop_database(url)


if __name__ == "__main__":
    main()
