"""Fault suite, process and data side: crashes around commits, a killed database backend,
nested calls that exhaust a worker pool, and a Redis that hangs or goes away."""
from __future__ import annotations

import eventlet
import pytest
from marshmallow import Schema, fields
from nameko import config
from nameko.standalone.rpc import ClusterRpcClient
from sqlalchemy import create_engine, func, select, text

from platform_kit import contracts
from platform_kit.calls import ServiceRpc
from platform_kit.consumer import on_event
from platform_kit.db import Database
from platform_kit.errors import ServiceUnavailable, rpc
from platform_kit.scheduling import periodic
from platform_kit.tables import outbox_events


class Noted(Schema):
    n = fields.Integer(required=True)




@pytest.fixture(scope="module", autouse=True)
def _contract():
    """The test's own event, known only while this module runs (the catalogue stays the platform's)."""
    contracts.register("fault_noted", source="faultnotes", schema=Noted, description="test event of the fault suite")
    yield
    contracts.unregister("fault_noted")

effects: list[int] = []
deliveries: list[int] = []


class Notes:
    name = "faultnotes"
    db = Database("BILLING_DATABASE_URL")

    @rpc
    def note(self, n: int) -> int:
        with self.db.unit_of_work() as uow:
            uow.emit("fault_noted", {"n": n})
            uow.commit()
        return n


class NotesWithoutRelay(Notes):
    """The same service in a process that dies right after committing: its relay never runs."""

    db = Database("BILLING_DATABASE_URL", relay_events=False)


class Applier:
    name = "faultapplier"
    db = Database("BILLING_DATABASE_URL", relay_events=False)
    stall_first: set[int] = set()
    kill_backend_first: set[int] = set()

    @on_event("faultnotes", "fault_noted", backoff=0.2)
    def handle_noted(self, event):
        n = event["data"]["n"]
        deliveries.append(n)
        with self.db.unit_of_work() as uow:
            if not uow.claim_event(event, "faultapplier.handle_noted"):
                return
            if n in Applier.kill_backend_first:
                Applier.kill_backend_first.discard(n)
                # the database backend dies mid-transaction (failover, OOM kill, admin)
                uow.session.execute(text("select pg_terminate_backend(pg_backend_pid())"))
            uow.commit()
        effects.append(n)
        if n in Applier.stall_first:
            Applier.stall_first.discard(n)
            eventlet.sleep(60)  # committed, not yet acked: the process is killed here


@pytest.fixture(autouse=True)
def _clean():
    effects.clear()
    deliveries.clear()
    Applier.stall_first, Applier.kill_backend_first = set(), set()


def _note(n: int) -> None:
    with ClusterRpcClient(uri=config["AMQP_URI"], timeout=10) as client:
        assert client.faultnotes.note(n) == n


def test_a_consumer_killed_after_its_commit_and_before_its_ack_applies_the_event_once(faults_config,
                                                                                     container_factory,
                                                                                     wait_until):
    Applier.stall_first = {7}
    first = container_factory(Applier)
    first.start()
    container_factory(Notes).start()
    _note(7)
    wait_until(lambda: effects == [7], timeout=30, message="the effect committed")
    first.kill()  # dies before acking: the broker hands the event to the next consumer
    container_factory(Applier).start()
    wait_until(lambda: deliveries.count(7) >= 2, timeout=30, message="the event delivered again")
    assert effects == [7], "the redelivered event was applied again"


def test_a_crash_between_commit_and_publish_loses_nothing_the_next_process_publishes_it(faults_config,
                                                                                       container_factory,
                                                                                       wait_until):
    container_factory(Applier).start()
    crashed = container_factory(NotesWithoutRelay)
    crashed.start()
    _note(11)
    crashed.kill()
    engine = create_engine(config["BILLING_DATABASE_URL"])
    try:
        with engine.connect() as conn:
            unsent = conn.execute(select(func.count()).select_from(outbox_events).where(
                outbox_events.c.sent_at.is_(None), outbox_events.c.event_type == "fault_noted")).scalar_one()
        assert unsent >= 1, "the event waits in the outbox"
    finally:
        engine.dispose()
    container_factory(Notes).start()  # the restarted process's relay finds it
    wait_until(lambda: 11 in effects, timeout=30, message="the event published after the crash")
    assert effects.count(11) == 1


def test_a_database_backend_killed_mid_transaction_is_retried_and_applied_once(faults_config, container_factory,
                                                                              wait_until):
    Applier.kill_backend_first = {5}
    container_factory(Applier).start()
    container_factory(Notes).start()
    _note(5)
    wait_until(lambda: effects == [5], timeout=30, message="the event applied after the retry")
    assert deliveries.count(5) == 2, "one failed try on the killed connection, one that applied it"


class Outer:
    name = "faultouter"
    inner = ServiceRpc("faultinner")

    @rpc
    def outer(self) -> str:
        return self.inner.inner()

    @rpc
    def leaf(self) -> str:
        return "leaf"


class Inner:
    name = "faultinner"
    outer_rpc = ServiceRpc("faultouter")

    @rpc
    def inner(self) -> str:
        return self.outer_rpc.leaf()


def test_nested_calls_that_exhaust_a_worker_pool_fail_within_the_bound_and_the_pool_recovers(faults_config,
                                                                                            container_factory):
    with config.patch({"max_workers": 2, "RPC_TIMEOUT_SECONDS": 2}):
        container_factory(Outer).start()
        container_factory(Inner).start()
        with ClusterRpcClient(uri=config["AMQP_URI"], timeout=30) as client:
            replies = [client.faultouter.outer.call_async() for _ in range(2)]  # both workers of Outer busy
            outcomes = []
            for reply in replies:
                try:
                    outcomes.append(reply.result())
                except ServiceUnavailable as exc:
                    outcomes.append(type(exc).__name__)
            assert "ServiceUnavailable" in outcomes, "a deadlock would never answer; the bound answers"
            assert client.faultouter.outer() == "leaf", "the pool is free again by itself"


ticks: list[tuple[str, int]] = []


class Clock:
    name = "faultclock"

    @periodic(0.3, name="tick")
    def tick(self):
        import time

        ticks.append((self.replica, int(time.time() / 0.3)))


def test_timers_skip_periods_while_redis_hangs_or_is_down_and_never_run_one_twice(faults_config, container_factory,
                                                                                 redis_proxy, wait_until):
    ticks.clear()
    with config.patch({"REDIS_URL": f"redis://127.0.0.1:{redis_proxy.port}/0", "REDIS_TIMEOUT_SECONDS": 0.5}):
        for name in ("a", "b"):
            container_factory(type(f"Clock{name}", (Clock,), {"replica": name})).start()
        wait_until(lambda: len(ticks) >= 3, timeout=15, message="ticks before the fault")
        redis_proxy.hang()
        eventlet.sleep(2)
        redis_proxy.refuse()
        eventlet.sleep(2)
        during = len(ticks)
        redis_proxy.heal()
        wait_until(lambda: len(ticks) >= during + 3, timeout=20, message="ticks after Redis came back")
    periods = [p for _, p in ticks]
    assert len(periods) == len(set(periods)), f"a period ran twice: {ticks}"
