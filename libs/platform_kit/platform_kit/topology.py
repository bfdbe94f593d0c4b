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
vanishing (platform_kit.outbox).
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass

from kombu import Connection, Exchange, Queue
from nameko.standalone.events import get_event_exchange

AUDIT_MAX_LENGTH = 10_000


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
