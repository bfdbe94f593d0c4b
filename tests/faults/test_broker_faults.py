"""Fault suite, broker side: restarts, blips and hangs lose no accepted event and duplicate none.

The code under test is the kernel every service runs on (outbox, relay, idempotent consumer, bounded
RPC), in small services of the test's own, on the second broker behind a proxy.
"""
from __future__ import annotations

import threading
import time

import pytest
from marshmallow import Schema, fields
from nameko.standalone.rpc import ClusterRpcClient
from sqlalchemy import text

from platform_kit import contracts
from platform_kit.consumer import on_event
from platform_kit.db import Database
from platform_kit.errors import rpc


class Recorded(Schema):
    n = fields.Integer(required=True)




@pytest.fixture(scope="module", autouse=True)
def _contract():
    """The test's own event, known only while this module runs (the catalogue stays the platform's)."""
    contracts.register("fault_recorded", source="faultsrc", schema=Recorded,
                       description="test event of the fault suite")
    yield
    contracts.unregister("fault_recorded")

seen: list[tuple[str, int]] = []
effects: list[int] = []


class FaultSource:
    name = "faultsrc"
    db = Database("BILLING_DATABASE_URL")

    @rpc
    def record(self, n: int) -> int:
        with self.db.unit_of_work() as uow:
            uow.emit("fault_recorded", {"n": n})
            uow.commit()
        return n


class FaultSink:
    name = "faultsink"
    db = Database("BILLING_DATABASE_URL", relay_events=False)

    @on_event("faultsrc", "fault_recorded", backoff=0.2)
    def handle_recorded(self, event):
        seen.append((event["event_id"], event["data"]["n"]))
        with self.db.unit_of_work() as uow:
            if not uow.claim_event(event, "faultsink.handle_recorded"):
                return
            uow.session.execute(text("select 1"))
            uow.commit()
        effects.append(event["data"]["n"])


def _record(uri: str, n: int) -> bool:
    """One client call as an integrator makes it: True when the platform accepted it."""
    try:
        with ClusterRpcClient(uri=uri, timeout=5) as client:
            return client.faultsrc.record(n) == n
    except Exception:
        return False


def _accept_all(uri: str, numbers, disturb=None, at: int | None = None) -> list[int]:
    accepted = []
    for n in numbers:
        if n == at and disturb is not None:
            disturb()
        if _record(uri, n):
            accepted.append(n)
    return accepted


@pytest.fixture
def platform_under_test(faults_config, container_factory):
    seen.clear()
    effects.clear()
    for cls in (FaultSink, FaultSource):
        container_factory(cls).start()
    return faults_config


def test_a_broker_restart_loses_no_accepted_event_and_applies_none_twice(platform_under_test, second_broker,
                                                                        wait_until):
    uri = second_broker.uri
    accepted = _accept_all(uri, range(40), disturb=second_broker.restart, at=20)
    assert len(accepted) >= 30, "the platform accepts work again by itself after the restart"
    wait_until(lambda: set(accepted) <= set(effects), timeout=90, message="every accepted event applied")
    assert sorted(effects) == sorted(set(effects)), "an event was applied twice"


def test_dropped_connections_lose_no_accepted_event_and_apply_none_twice(platform_under_test, second_broker,
                                                                        broker_proxy, wait_until):
    accepted = _accept_all(second_broker.uri, range(40), disturb=broker_proxy.drop, at=10)
    accepted += _accept_all(second_broker.uri, range(40, 60), disturb=broker_proxy.drop, at=50)
    assert len(accepted) >= 50
    wait_until(lambda: set(accepted) <= set(effects), timeout=90, message="every accepted event applied")
    assert sorted(effects) == sorted(set(effects))


def test_a_hung_broker_connection_delays_but_loses_nothing_and_recovers_by_itself(platform_under_test,
                                                                                second_broker, broker_proxy,
                                                                                wait_until):
    accepted = _accept_all(second_broker.uri, range(10))
    broker_proxy.hang()
    healer = threading.Timer(6, broker_proxy.heal)
    healer.start()
    began = time.monotonic()
    during = _accept_all(second_broker.uri, range(10, 15))
    assert time.monotonic() - began < 60, "calls during the hang are bounded"
    healer.join()
    accepted += during + _accept_all(second_broker.uri, range(15, 25))
    wait_until(lambda: set(accepted) <= set(effects), timeout=120, message="every accepted event applied")
    assert sorted(effects) == sorted(set(effects))
    assert set(range(15, 25)) <= set(accepted), "accepting work again after the hang, without a restart"


def test_a_broker_memory_alarm_blocks_publishing_then_everything_flows_once_it_clears(platform_under_test,
                                                                                    second_broker, wait_until):
    accepted = _accept_all(second_broker.uri, range(5))
    wait_until(lambda: set(accepted) <= set(effects), timeout=60, message="the first events")
    second_broker.memory_alarm(True)
    clearing = threading.Timer(5, second_broker.memory_alarm, args=(False,))
    clearing.start()
    accepted += _accept_all(second_broker.uri, range(5, 10))
    clearing.join()
    accepted += _accept_all(second_broker.uri, range(10, 15))
    wait_until(lambda: set(accepted) <= set(effects), timeout=120, message="events after the alarm cleared")
    assert sorted(effects) == sorted(set(effects))
    assert set(range(10, 15)) <= set(accepted)
