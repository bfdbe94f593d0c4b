"""pytest plugin of the platform: real PostgreSQL, RabbitMQ and Redis, isolated per run and per test.

- ``test_database_urls`` (session): one fresh database per service, created and migrated with
  the same code as production (so every test run also proves the migrations).
- ``platform_config`` (test): nameko config for this test: its own RabbitMQ virtual host
  (nameko's ``rabbit_config``), the test databases, Redis, and web servers on free ports.
- ``wait_until``: poll a condition with a bound instead of sleeping.
"""
from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable

import pytest
from nameko import config as nameko_config

from platform_kit import manifest, migrate
from platform_kit.migrate import drop_database

# Two suites running at once on one machine (two checkouts, or a developer beside CI) set
# different prefixes, so neither drops the other's databases.
TEST_PREFIX = os.environ.get("PLATFORM_TEST_DB_PREFIX", "test_")


def pytest_sessionstart(session) -> None:
    """The suite makes a virtual host per test through RabbitMQ's management API: without it, say
    so in one line before anything runs (not a traceback per test)."""
    from platform_kit import preflight

    try:
        url = session.config.getoption("RABBIT_API_URI")
    except ValueError:      # nameko's pytest plugin is not loaded: nothing here needs the broker
        return
    try:
        preflight.check_rabbit_management(url)
    except preflight.NotReady as exc:
        pytest.exit(str(exc), returncode=2)


def recreate_database(url: str) -> None:
    """Drop it if it exists; ``migrate.upgrade`` creates it again."""
    drop_database(url)


@pytest.fixture(scope="session")
def test_database_urls() -> dict[str, str]:
    urls = {}
    for service in migrate.services():
        url = f"postgresql://postgres@127.0.0.1:5432/{TEST_PREFIX}{manifest.load().service(service).database}"
        recreate_database(url)
        migrate.upgrade(service, url)
        urls[service] = url
    return urls


def config_keys(urls: dict[str, str]) -> dict[str, str]:
    return {f"{service.upper()}_DATABASE_URL": url for service, url in urls.items()}


@pytest.fixture
def platform_config(rabbit_config, test_database_urls):
    values = {
        **config_keys(test_database_urls),
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "REDIS_KEY_PREFIX": f"test-{uuid.uuid4().hex[:12]}",
        "WEB_SERVER_ADDRESS": "127.0.0.1:0",
        "RPC_TIMEOUT_SECONDS": 10,
    }
    # what the migrator does before a deployment: every subscriber's queue exists on the broker, so
    # the relay (which holds an event while a queue it must reach is missing) sends to services a
    # test does not start, as it would to a service that is down
    from platform_kit import migrate

    with nameko_config.patch(values):
        for service in migrate.services():
            migrate.declare_topology(service, nameko_config["AMQP_URI"])
        yield nameko_config


def _wait_until(condition: Callable[[], object], timeout: float = 10.0, interval: float = 0.05,
                message: str = "condition") -> object:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message}")
        time.sleep(interval)


@pytest.fixture
def wait_until():
    return _wait_until


class FakeUnitOfWork:
    """The unit of work of handler unit tests: in-memory repositories, no database, no broker.

    Pass the service's fake repositories by the names the real one uses::

        uow = FakeUnitOfWork("shop", orders=FakeOrderRepository())
        handlers.place_order(command, uow)
        assert uow.committed and uow.event_types() == ["order_placed"]

    ``emit`` checks the payload against the event contract exactly as the real one does, so a
    handler test also proves the event is one its listeners can read. Committed events are in
    ``events``; deadlines set and cancelled are in ``deadlines``; ``claim_event`` remembers
    claimed (event id, handler) pairs, so a redelivery test sees the second claim refused.
    Repositories are not rolled back by ``rollback`` (keep fakes simple); events and deadlines are.
    """

    def __init__(self, source: str = "test", **repositories):
        self.source = source
        for name, repository in repositories.items():
            setattr(self, name, repository)
        self.events: list[dict] = []
        self.pending: list[dict] = []
        self.deadlines: dict[tuple[str, str], tuple] = {}
        self._pending_deadlines: dict[tuple[str, str], tuple | None] = {}
        self.claimed: set[tuple[str, str]] = set()
        self.commits = 0

    @property
    def committed(self) -> bool:
        return self.commits > 0

    def emit(self, event_type: str, data: dict, *, occurred_at=None) -> dict:
        from platform_kit import contracts
        from platform_kit.clock import isoformat, utcnow

        contract = contracts.contract(event_type)
        if self.source != "test" and contract.source != self.source:
            raise ValueError(f"{self.source} may not emit {event_type!r}: it belongs to {contract.source}")
        envelope = {"event_id": str(uuid.uuid4()), "event_type": event_type, "version": contract.version,
                    "source": contract.source, "occurred_at": isoformat(occurred_at or utcnow()),
                    "correlation_id": None, "data": contracts.validate_data(event_type, data)}
        self.pending.append(envelope)
        return envelope

    def claim_event(self, event: dict, handler: str) -> bool:
        key = (event["event_id"], handler)
        if key in self.claimed:
            return False
        self.claimed.add(key)
        return True

    def schedule(self, kind: str, key: str, due_at, payload: dict | None = None) -> None:
        if due_at.tzinfo is None:
            raise ValueError("deadline due_at must be timezone-aware")
        self._pending_deadlines[(kind, key)] = (due_at, payload or {})

    def cancel_deadline(self, kind: str, key: str) -> None:
        self._pending_deadlines[(kind, key)] = None

    def commit(self) -> None:
        self.commits += 1
        self.events.extend(self.pending)
        self.pending = []
        for key, value in self._pending_deadlines.items():
            if value is None:
                self.deadlines.pop(key, None)
            else:
                self.deadlines[key] = value
        self._pending_deadlines = {}

    def rollback(self) -> None:
        self.pending = []
        self._pending_deadlines = {}

    def event_types(self) -> list[str]:
        return [e["event_type"] for e in self.events]

    def events_of(self, event_type: str) -> list[dict]:
        return [e["data"] for e in self.events if e["event_type"] == event_type]


def publish_event(source: str, event_type: str, data: dict, event_id: str | None = None) -> dict:
    """Publish an event envelope as ``source`` would, straight to the broker (interface tests)."""
    from nameko.amqp.publish import get_producer
    from nameko.standalone.events import get_event_exchange

    from platform_kit.clock import utcnow

    envelope = {"event_id": event_id or str(uuid.uuid4()), "event_type": event_type, "version": 1,
                "source": source, "occurred_at": utcnow().isoformat(), "correlation_id": None, "data": data}
    exchange = get_event_exchange(source)
    with get_producer(nameko_config["AMQP_URI"]) as producer:
        producer.publish(envelope, exchange=exchange, routing_key=event_type, serializer="json",
                         declare=[exchange])
    return envelope
