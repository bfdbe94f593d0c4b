"""The broker's side of every subscription, declared before any event can be published to it.

nameko declares an event handler's queue when the handler starts. An event published before
that (a new subscriber deployed after its publisher, a broker that lost its definitions) had no
queue to go to and was dropped. So the migrator (``python -m platform_kit.migrate``, the step that
runs before any new code starts) declares, for each service it migrates:

- its own event exchange ``<service>.events`` and an audit queue bound to every routing key
  (``<service>.events.audit``: the last ``AUDIT_MAX_LENGTH`` events, for operators to look at),
  so every event the service publishes has at least one route;
- for each ``@on_event`` handler: the exchange it listens to, its queue and binding (exactly as
  nameko names them), its retry queue and the service's dead-letter queue.

The outbox relay publishes with ``mandatory``: should a route still be missing (a broker reset
without migrating), the event stays unsent in the outbox and an alert is raised, instead of
vanishing (platform_kit.outbox). ``mandatory`` alone cannot see one subscriber's queue missing
(the audit queue always routes), so the relay also knows, from the same declarations
(``required_queues``: every ``@on_event`` of every service in the manifest), which queues each of
its event types must reach, and checks they exist before it publishes (``QueueCheck``).
"""
from __future__ import annotations

import functools
import inspect
import logging
import time
from dataclasses import dataclass

from kombu import Connection, Exchange, Queue
from nameko.standalone.events import get_event_exchange

log = logging.getLogger(__name__)

AUDIT_MAX_LENGTH = 10_000
QUEUE_CHECK_TTL_SECONDS = 0.0


@dataclass(frozen=True)
class Subscription:
    service: str
    method: str
    source: str
    event_type: str

    @property
    def queue_name(self) -> str:
        # nameko's name for a SERVICE_POOL handler (pinned by a test against nameko's own setup)
        return f"evt-{self.source}-{self.event_type}--{self.service}.{self.method}"

    def queue(self) -> Queue:
        return Queue(self.queue_name, exchange=get_event_exchange(self.source), routing_key=self.event_type,
                     durable=True, auto_delete=False, exclusive=False)


def service_class(module_name: str):
    """The one nameko service class a ``<package>.service`` module defines."""
    import importlib

    module = importlib.import_module(module_name)
    classes = [obj for _, obj in inspect.getmembers(module, inspect.isclass)
               if obj.__module__ == module.__name__ and isinstance(getattr(obj, "name", None), str)]
    if len(classes) != 1:
        raise LookupError(f"{module_name} must define exactly one service class, found {len(classes)}")
    return classes[0]


def subscriptions_of(service_cls) -> list[Subscription]:
    from platform_kit.consumer import RetryingEventHandler

    found = []
    for name, member in inspect.getmembers(service_cls):
        for entrypoint in getattr(member, "nameko_entrypoints", ()):
            if isinstance(entrypoint, RetryingEventHandler):
                found.append(Subscription(service_cls.name, name, entrypoint.source_service, entrypoint.event_type))
    return sorted(found, key=lambda s: s.queue_name)


def audit_queue(source: str) -> Queue:
    return Queue(f"{source}.events.audit", exchange=get_event_exchange(source), routing_key="#", durable=True,
                 auto_delete=False, queue_arguments={"x-max-length": AUDIT_MAX_LENGTH, "x-overflow": "drop-head",
                                                     # classic by name: a broker defaulting to quorum
                                                     # refuses x-queue-mode on a quorum queue
                                                     "x-queue-mode": "lazy", "x-queue-type": "classic"})


def declare(amqp_uri: str, service_cls) -> list[str]:
    """Declare the service's exchange, audit queue and every subscription; return what was declared."""
    from platform_kit.consumer import dead_letter_queue, retry_queue

    declared = []
    with Connection(amqp_uri, connect_timeout=10) as conn:
        channel = conn.channel()
        own: Exchange = get_event_exchange(service_cls.name)
        own(channel).declare()
        audit = audit_queue(service_cls.name)
        audit(channel).declare()
        declared.append(audit.name)
        for subscription in subscriptions_of(service_cls):
            get_event_exchange(subscription.source)(channel).declare()
            queue = subscription.queue()
            queue(channel).declare()
            retry_queue(queue.name)(channel).declare()
            declared.append(queue.name)
        dead_letter_queue(service_cls.name)(channel).declare()
        channel.close()
    return declared


@functools.cache
def _all_subscriptions() -> tuple[Subscription, ...]:
    from platform_kit import manifest

    found: list[Subscription] = []
    for service in manifest.load().services:
        found += subscriptions_of(service_class(service.module))
    return tuple(found)


_also_subscribing: list = []


def also_subscribing(service_cls) -> None:
    """Count a service that is not in the manifest among the subscribers (a test's own service)."""
    _also_subscribing.append(service_cls)


def no_longer_subscribing(service_cls) -> None:
    _also_subscribing.remove(service_cls)


def required_queues(source: str) -> dict[str, tuple[str, ...]]:
    """For each event type ``source`` publishes, the queues the migrator declared for its
    subscribers (every service of the manifest): an event is sent only once it can reach them all."""
    routes: dict[str, list[str]] = {}
    extra = [s for cls in _also_subscribing for s in subscriptions_of(cls)]
    for subscription in (*_all_subscriptions(), *extra):
        if subscription.source == source:
            routes.setdefault(subscription.event_type, []).append(subscription.queue_name)
    return {event_type: tuple(sorted(queues)) for event_type, queues in routes.items()}


class QueueCheck:
    """Which of the queues an event type must reach are missing on the broker right now.

    A passive declare per queue, on a connection and channel of its own (a missing queue closes
    the channel: a new one is opened). Asked before every batch, so an event published after a
    queue vanished is held, not sent; ``ttl`` > 0 would trade that for fewer round trips."""

    def __init__(self, source: str, amqp_uri: str, routes: dict[str, tuple[str, ...]] | None = None,
                 ttl: float = QUEUE_CHECK_TTL_SECONDS):
        self.source, self.amqp_uri, self.ttl = source, amqp_uri, ttl
        self._routes = routes
        self._seen: dict[str, tuple[float, bool]] = {}  # queue -> (checked at, exists)
        self._connection = self._channel = None

    @property
    def routes(self) -> dict[str, tuple[str, ...]]:
        if self._routes is None:
            try:
                self._routes = required_queues(self.source)
            except Exception:   # no manifest (a test's own service): only ``mandatory`` guards
                log.warning("the queues %s's events must reach are not known; only unroutable events are held",
                            self.source, exc_info=True)
                self._routes = {}
        return self._routes

    def _declare_passive(self, queue: str) -> bool:
        if self._connection is None:
            self._connection = Connection(self.amqp_uri, connect_timeout=5)
        if self._channel is None:
            self._channel = self._connection.channel()
        try:
            self._channel.queue_declare(queue=queue, passive=True)
            return True
        except Exception as exc:
            self._channel = None        # the broker closed it (404) or the connection broke
            if getattr(exc, "code", None) == 404:
                return False
            self.close()
            raise

    def missing(self, event_types) -> dict[str, list[str]]:
        """{event type: [missing queue, ...]} for the given types (empty: all can be routed)."""
        types = set(event_types)
        wanted = {q for t in types for q in self.routes.get(t, ())}
        now = time.monotonic()
        for queue in sorted(wanted):
            checked = self._seen.get(queue)
            if checked is None or not checked[1] or now - checked[0] >= self.ttl:
                self._seen[queue] = (now, self._declare_passive(queue))
        gone = {q for q in wanted if not self._seen[q][1]}
        return {t: [q for q in self.routes.get(t, ()) if q in gone] for t in types
                if any(q in gone for q in self.routes.get(t, ()))}

    def checked(self) -> list[str]:
        return sorted(self._seen)

    def known_missing(self) -> list[str]:
        """The queues last seen missing."""
        return sorted(q for q, (_, exists) in self._seen.items() if not exists)

    def close(self) -> None:
        connection, self._connection, self._channel = self._connection, None, None
        if connection is not None:
            try:
                connection.close()
            except Exception:  # noqa: S110 - closing a broken connection is best effort
                pass
