"""Test helpers of notify_svc: in-memory repositories for handler unit tests, and real local peers
(an SMTP server, HTTP servers standing in for the SMS provider, the robots and a customer's
webhook endpoint) for the interface and end-to-end tiers."""
from __future__ import annotations

import copy
import json
import mailbox
import os
import subprocess
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from notify_svc.domain import delivery as dl
from notify_svc.domain.inbox import InboxEntry
from notify_svc.domain.recipients import Person
from notify_svc.domain.templates import MessageTemplate, TemplateFilter
from notify_svc.domain.webhooks import Endpoint, WebhookDelivery

# --- fake repositories ---------------------------------------------------------------------------


class FakeTemplates:
    def __init__(self, templates: list[MessageTemplate] = ()):
        self.rows = {t.name: copy.deepcopy(t) for t in templates}

    def get(self, name, *, include_deleted=False):
        t = self.rows.get(name)
        return None if t is None or (t.deleted and not include_deleted) else copy.deepcopy(t)

    def get_by_id(self, template_id):
        t = next((t for t in self.rows.values() if t.id == template_id), None)
        return None if t is None or t.deleted else copy.deepcopy(t)

    def save(self, template):
        self.rows[template.name] = copy.deepcopy(template)

    def add_missing(self, templates):
        added = [t for t in templates if t.name not in self.rows]
        for t in added:
            self.save(t)
        return added

    def list(self, f: TemplateFilter):
        items = [t for t in sorted(self.rows.values(), key=lambda t: t.name) if f.include_deleted or not t.deleted]
        if f.name_contains:
            items = [t for t in items if f.name_contains.lower() in t.name.lower()]
        return items[f.offset:f.offset + f.limit], len(items)


class FakePeople:
    def __init__(self, people: list[Person] = ()):
        self.rows = {p.user_id: copy.deepcopy(p) for p in people}

    def person(self, user_id):
        return copy.deepcopy(self.rows.get(user_id))

    def people_of(self, org_id, roles):
        return [copy.deepcopy(p) for p in self.rows.values()
                if p.org_id == org_id and (roles is None or set(roles) & set(p.roles))]

    def save(self, person):
        self.rows[person.user_id] = copy.deepcopy(person)


class FakeDeliveries:
    def __init__(self):
        self.rows: dict[str, dl.Delivery] = {}

    def add_if_new(self, d):
        if any((o.dedupe_key, o.recipient_key, o.channel) == (d.dedupe_key, d.recipient_key, d.channel)
               for o in self.rows.values()):
            return False
        self.rows[d.id] = copy.deepcopy(d)
        return True

    def add(self, d):
        self.rows[d.id] = copy.deepcopy(d)

    def get(self, delivery_id, *, for_update=False):
        return copy.deepcopy(self.rows.get(delivery_id))

    def save(self, d):
        self.rows[d.id] = copy.deepcopy(d)

    def awaiting_digest(self, recipient_key, *, for_update=False):
        return [copy.deepcopy(d) for d in self.rows.values()
                if d.recipient_key == recipient_key and d.channel == "email" and d.status == dl.PENDING
                and not d.urgent and d.due_at is None]

    def list(self, *, status=None, channel=None, template=None, recipient_user_id=None, sort="-created_at",
             limit=50, offset=0):
        items = [d for d in self.rows.values() if (status is None or d.status == status)
                 and (channel is None or d.channel == channel)]
        return items[offset:offset + limit], len(items)

    def of(self, channel=None):
        return [d for d in self.rows.values() if channel is None or d.channel == channel]


class FakeInbox:
    def __init__(self):
        self.rows: list[InboxEntry] = []

    def add_if_new(self, entry):
        if any((e.source_id, e.recipient_id) == (entry.source_id, entry.recipient_id) for e in self.rows):
            return False
        entry = copy.deepcopy(entry)
        entry.id = len(self.rows) + 1
        self.rows.append(entry)
        return True

    def page(self, recipients, *, unread_only, limit, offset):
        mine = [e for e in reversed(self.rows) if e.recipient_id in recipients]
        unread = [e for e in mine if e.read_at is None]
        shown = unread if unread_only else mine
        return [copy.deepcopy(e) for e in shown[offset:offset + limit]], len(shown), len(unread)

    def get(self, message_id):
        return next((copy.deepcopy(e) for e in self.rows if e.id == message_id), None)

    def mark_read(self, recipients, message_id, at):
        changed = 0
        for e in self.rows:
            if e.recipient_id in recipients and e.read_at is None and message_id in (None, e.id):
                e.read_at, changed = at, changed + 1
        return changed


class FakeWebhooks:
    def __init__(self):
        self.endpoint_rows: dict[str, Endpoint] = {}
        self.delivery_rows: dict[str, WebhookDelivery] = {}

    def add_endpoint(self, e):
        self.endpoint_rows[e.id] = copy.deepcopy(e)

    def endpoint(self, endpoint_id, *, for_update=False):
        return copy.deepcopy(self.endpoint_rows.get(endpoint_id))

    def save_endpoint(self, e):
        self.endpoint_rows[e.id] = copy.deepcopy(e)

    def delete_endpoint(self, endpoint_id):
        self.endpoint_rows.pop(endpoint_id, None)

    def endpoints(self, org_id):
        return [copy.deepcopy(e) for e in self.endpoint_rows.values() if org_id is None or e.org_id == org_id]

    def subscribed(self, event_type):
        return [copy.deepcopy(e) for e in self.endpoint_rows.values() if e.wants(event_type)]

    def subscribed_types(self):
        self.type_reads = getattr(self, "type_reads", 0) + 1
        return {t for e in self.endpoint_rows.values() if e.enabled for t in e.event_types}

    def add_delivery_if_new(self, d):
        if any((o.endpoint_id, o.event_id) == (d.endpoint_id, d.event_id) for o in self.delivery_rows.values()):
            return False
        self.delivery_rows[d.id] = copy.deepcopy(d)
        return True

    def delivery(self, delivery_id, *, for_update=False):
        return copy.deepcopy(self.delivery_rows.get(delivery_id))

    def save_delivery(self, d):
        self.delivery_rows[d.id] = copy.deepcopy(d)

    def deliveries(self, *, org_id, endpoint_id=None, status=None, event_type=None, sort="-created_at", limit=50,
                   offset=0):
        items = [d for d in self.delivery_rows.values() if org_id is None or d.org_id == org_id]
        return items[offset:offset + limit], len(items)


def fake_uow(templates=(), people=()):
    from platform_kit.testing import FakeUnitOfWork

    return FakeUnitOfWork("notify", templates=FakeTemplates(templates), people=FakePeople(people),
                          deliveries=FakeDeliveries(), inbox=FakeInbox(), webhooks=FakeWebhooks())


@dataclass
class ScriptedChannel:
    """A channel whose providers answer from a script: ``{"sms-primary": [False, False, True]}``."""

    name: str
    providers: list[str]
    script: dict[str, list[bool]] = field(default_factory=dict)
    sent: list[tuple[str, str]] = field(default_factory=list)
    configured: bool = True

    def send(self, delivery, provider):
        answers = self.script.get(provider, [])
        ok = answers.pop(0) if answers else True
        self.sent.append((provider, delivery.address))
        return dl.SendResult(ok, provider, "ok" if ok else "HTTP 503 down")


# --- real local peers --------------------------------------------------------------------------------


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes

    def json(self):
        return json.loads(self.body)


class HttpPeer:
    """A small HTTP server on 127.0.0.1 that records requests and answers from a script.

    ``fail(n, status)`` makes the next n requests fail; ``down()`` fails all until ``up()``;
    ``slow(seconds)`` delays answers. A successful answer is ``{"errcode": 0, "errmsg": "ok"}``
    (what the robots answer; the SMS provider and webhook receivers ignore the body)."""

    def __init__(self):
        self.received: list[Received] = []
        self.failures: deque[int] = deque()
        self.always_fail: int | None = None
        self.delay = 0.0
        self.lock = threading.Lock()
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if peer.delay:
                    time.sleep(peer.delay)
                with peer.lock:
                    status = peer.always_fail or (peer.failures.popleft() if peer.failures else 200)
                    if status == 200:
                        peer.received.append(Received(self.path, dict(self.headers), body))
                answer = json.dumps({"errcode": 0, "errmsg": "ok"} if status == 200 else {"error": "down"}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def fail(self, times: int, status: int = 503):
        self.failures.extend([status] * times)

    def down(self, status: int = 503):
        self.always_fail = status

    def up(self):
        self.always_fail = None

    def slow(self, seconds: float):
        self.delay = seconds

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class SmtpSink:
    """aiosmtpd in its own process (its asyncio loop stays clear of eventlet), delivering into a
    Maildir that the test reads."""

    def __init__(self, directory):
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.maildir = os.path.join(str(directory), "maildir")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{self.port}",
             "-c", "aiosmtpd.handlers.Mailbox", self.maildir],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("the SMTP sink did not start")

    def messages(self) -> list:
        if not os.path.isdir(self.maildir):
            return []
        return list(mailbox.Maildir(self.maildir, create=False))

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)
