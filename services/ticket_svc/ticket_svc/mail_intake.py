"""The ticket e-mail intake (TKT-10): an SMTP server (aiosmtpd) on a local port that turns a
customer's e-mail into a ticket or a reply on one.

It is part of ticket_svc (its database, its handlers, its file storage) but its own small process:
aiosmtpd runs on asyncio, the service on eventlet. Each message is handled in one transaction of
ticket_svc's database; the events it writes to the outbox are published by the service's relay.
Run it with ``python -m ticket_svc.mail_intake``; configuration from the environment:

``TICKET_DATABASE_URL``, ``TICKET_SMTP_HOST`` (127.0.0.1), ``TICKET_SMTP_PORT`` (2525),
``TICKET_MAIL_ADDRESS`` (the address customers write to, also a loop guard), ``SMTP_SENDER`` (the
address notify_svc sends from, a loop guard too), and the ``FILE_STORAGE_*`` settings of
ticket_svc.
"""
from __future__ import annotations

import asyncio
import logging
import os
import signal
import threading
import uuid
from io import BytesIO

from sqlalchemy.orm import sessionmaker

from platform_kit.clock import utcnow
from platform_kit.db import UnitOfWork, make_engine
from platform_kit.storage import Storage, storage_from_config
from ticket_svc import handlers
from ticket_svc.adapters.repository import PeopleRepository, SettingsRepository, SubjectRepository, TicketRepository
from ticket_svc.domain.attachments import make_key
from ticket_svc.domain.mail import MailAttachment, parse

log = logging.getLogger("ticket_svc.mail_intake")
REPOSITORIES = {"tickets": TicketRepository, "people": PeopleRepository, "subjects": SubjectRepository,
                "settings": SettingsRepository}
MAX_MESSAGE_BYTES = 30 * 1024 * 1024


class Intake:
    """What the SMTP server calls for each accepted message (``handle_DATA``)."""

    def __init__(self, database_url: str, storage: Storage, own_addresses: set[str]):
        self.engine = make_engine(database_url, pool_size=2)
        self.sessions = sessionmaker(bind=self.engine, expire_on_commit=False)
        self.storage = storage
        self.own = {a.lower() for a in own_addresses if a}

    def _store(self, ticket_id: str, item: MailAttachment) -> str:
        return self.storage.put(make_key(ticket_id, uuid.uuid4().hex), BytesIO(item.content), item.content_type).key

    def receive(self, raw: bytes) -> str:
        mail = parse(raw, self.own)
        with self.sessions() as session:
            uow = UnitOfWork(session, "ticket", REPOSITORIES)
            try:
                outcome = handlers.mail_received(mail, uow, utcnow(), self._store)
            except Exception:
                uow.rollback()
                raise
        log.info("mail from %s (%s): %s", mail.sender, mail.subject[:80], outcome)
        return outcome

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd's name)
        raw = envelope.original_content or envelope.content
        try:
            await asyncio.get_running_loop().run_in_executor(None, self.receive, raw)
        except Exception:
            log.exception("mail from %s not taken", envelope.mail_from)
            return "451 Requested action aborted: local error in processing"
        return "250 Message accepted for delivery"

    def close(self) -> None:
        self.engine.dispose()


def controller(intake: Intake, host: str, port: int):
    from aiosmtpd.controller import Controller

    return Controller(intake, hostname=host, port=port, data_size_limit=MAX_MESSAGE_BYTES)


def main() -> int:
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO"),
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    env = os.environ
    storage = storage_from_config({k: v for k, v in env.items() if k.startswith("FILE_STORAGE_")}
                                  | {"FILE_STORAGE_DIR": env.get("FILE_STORAGE_DIR", "var/files/ticket")})
    intake = Intake(env.get("TICKET_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/ticket_svc"), storage,
                    {env.get("TICKET_MAIL_ADDRESS", "support@localhost"), env.get("SMTP_SENDER", "")})
    host, port = env.get("TICKET_SMTP_HOST", "127.0.0.1"), int(env.get("TICKET_SMTP_PORT", "2525"))
    server = controller(intake, host, port)
    server.start()
    log.info("ticket e-mail intake listening on %s:%s", host, port)
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()
    server.stop()
    intake.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
