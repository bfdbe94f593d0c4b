"""Faults: calls between services are bounded, carry their deadline, and survive a lost connection."""
import time

import eventlet
import pytest
from nameko import config
from nameko.exceptions import RpcTimeout
from nameko.standalone.rpc import ClusterRpcClient
from sqlalchemy import text

from platform_kit.calls import ServiceRpc
from platform_kit.db import Database
from platform_kit.errors import ServiceUnavailable, rpc


class Slowpoke:
    name = "slowpoke"
    started: list[str] = []

    @rpc
    def slow(self, label: str, seconds: float) -> str:
        Slowpoke.started.append(label)
        eventlet.sleep(seconds)
        return label


class Caller:
    name = "caller"
    slowpoke = ServiceRpc("slowpoke")

    @rpc
    def ask(self, seconds: float) -> str:
        return self.slowpoke.slow("asked", seconds)


def test_a_call_to_a_service_that_does_not_answer_in_time_fails_with_a_named_error(platform_config,
                                                                                   container_factory):
    Slowpoke.started = []
    with config.patch({"RPC_TIMEOUT_SECONDS": 0.5}):
        for cls in (Slowpoke, Caller):
            container_factory(cls).start()
        with ClusterRpcClient(uri=config["AMQP_URI"], timeout=10) as client:
            began = time.monotonic()
            with pytest.raises(ServiceUnavailable, match="slowpoke service did not answer within 0.5s"):
                client.caller.ask(30)
            assert time.monotonic() - began < 10, "bounded by the 0.5 s timeout, not by the 30 s call"


def test_a_call_to_a_service_that_is_not_running_fails_at_once(platform_config, container_factory):
    container_factory(Caller).start()
    with ClusterRpcClient(uri=config["AMQP_URI"], timeout=10) as client:
        with pytest.raises(ServiceUnavailable, match="slowpoke service is not running"):
            client.caller.ask(0)


def test_a_request_whose_caller_already_gave_up_is_not_started(platform_config, container_factory):
    Slowpoke.started = []
    container_factory(Slowpoke).start()
    with ClusterRpcClient(uri=config["AMQP_URI"], timeout=1, context_data={"deadline": time.time() - 1}) as late:
        with pytest.raises(RpcTimeout):
            late.slowpoke.slow("too late", 0)
    with ClusterRpcClient(uri=config["AMQP_URI"], timeout=5, context_data={"deadline": time.time() + 30}) as ok:
        assert ok.slowpoke.slow("in time", 0) == "in time"
    assert Slowpoke.started == ["in time"]


class Fragile:
    name = "fragile"
    db = Database("BILLING_DATABASE_URL", relay_events=False)
    calls = 0

    @rpc
    def count(self) -> int:
        Fragile.calls += 1
        with self.db.unit_of_work() as uow:
            if Fragile.calls == 1:
                # the database drops this connection mid-transaction (a failover, an admin, a crash)
                uow.session.execute(text("select pg_terminate_backend(pg_backend_pid())"))
            return uow.session.execute(text("select 1")).scalar_one()


def test_a_call_whose_database_connection_died_before_committing_runs_once_more(platform_config,
                                                                               container_factory):
    Fragile.calls = 0
    container_factory(Fragile).start()
    with ClusterRpcClient(uri=config["AMQP_URI"], timeout=15) as client:
        assert client.fragile.count() == 1
    assert Fragile.calls == 2


class Flaky:
    name = "flaky_db"
    db = Database("BILLING_DATABASE_URL", relay_events=False)

    @rpc
    def lock(self) -> None:
        with self.db.unit_of_work() as uow:
            uow.session.execute(text("set local statement_timeout = 1"))
            uow.session.execute(text("select pg_sleep(0.2)"))


def test_a_transient_database_failure_answers_service_unavailable_not_a_bare_error(platform_config,
                                                                                  container_factory):
    container_factory(Flaky).start()
    with ClusterRpcClient(uri=config["AMQP_URI"], timeout=15) as client:
        with pytest.raises(ServiceUnavailable, match="flaky_db service is unavailable"):
            client.flaky_db.lock()
