"""Fault suite: SIGTERM with work in flight. The work in hand finishes and is answered;
what arrives after the signal waits for another replica; nothing is lost or done twice."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from nameko import config
from nameko.standalone.rpc import ClusterRpcClient
from sqlalchemy import create_engine, select

from platform_kit.tables import outbox_events

HERE = Path(__file__).with_name("inflight")


def _start(env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "platform_kit.run", "inflight_service", "--config", str(HERE / "config.yml")],
        env={**os.environ, **env, "PYTHONPATH": f"{HERE}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def _done(engine) -> list[int]:
    with engine.connect() as conn:
        rows = conn.execute(select(outbox_events.c.envelope).where(outbox_events.c.event_type == "inflight_done"))
        return sorted(r.envelope["data"]["n"] for r in rows)


@pytest.fixture
def process_env(faults_config):
    return {"AMQP_URI": config["AMQP_URI"], "BILLING_DATABASE_URL": config["BILLING_DATABASE_URL"],
            "REDIS_KEY_PREFIX": config["REDIS_KEY_PREFIX"], "STOP_GRACE_SECONDS": "15"}


def test_sigterm_lets_work_in_hand_finish_and_leaves_new_work_for_another_replica(process_env, wait_until):
    engine = create_engine(config["BILLING_DATABASE_URL"])
    with engine.begin() as conn:
        conn.execute(outbox_events.delete().where(outbox_events.c.event_type == "inflight_done"))
    first = _start(process_env)
    try:
        with ClusterRpcClient(uri=config["AMQP_URI"], timeout=60) as client:
            wait_until(lambda: _pings(client), timeout=60, message="the service process to answer")
            in_hand = client.inflight.work.call_async(1, 3)
            wait_until(lambda: True, timeout=1)
            os.killpg(first.pid, signal.SIGTERM)
            assert in_hand.result() == 1, "the work in hand was finished and answered"
            assert first.wait(timeout=30) == 0
            later = client.inflight.work.call_async(2, 0)  # nobody consumes it now: it waits in the queue
            second = _start(process_env)
            try:
                assert later.result() == 2, "the next replica took the waiting request"
            finally:
                os.killpg(second.pid, signal.SIGTERM)
                second.wait(timeout=30)
        assert _done(engine) == [1, 2], "each piece of work done exactly once"
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
        engine.dispose()


def _pings(client) -> bool:
    try:
        return client.inflight.ping()["ok"]
    except Exception:
        return False


# --------------------------------------------------------------------------- the whole stack under load

CONCURRENCY = 16


def _progress(out: Path) -> int:
    try:
        return int(Path(f"{out}.progress").read_text() or 0)
    except (FileNotFoundError, ValueError):
        return 0


def _terminate_under_load(e2e, wait_until, tmp_path, name: str) -> tuple[dict, float, str]:
    """SIGTERM ``name`` while 16 clients (a process of their own) read through the gateway; start it
    again; return the load's outcome, how long the process took to exit, and its log meanwhile."""
    import json
    import time

    grace = float(e2e.stack.env["STOP_GRACE_SECONDS"])
    log_start = len(e2e.logs(name))
    stop, out = tmp_path / "stop", tmp_path / "load.json"
    load = subprocess.Popen([sys.executable, str(Path(__file__).with_name("load_client.py")),
                             e2e.url("/api/v1/projects"), e2e.token("operator"), str(CONCURRENCY), str(stop), str(out)])
    try:
        wait_until(lambda: _progress(out) >= 200, timeout=60, message="the load running")
        proc = e2e.stack.procs.pop(name)
        started = time.monotonic()
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=grace + 10)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
        took = time.monotonic() - started
    finally:
        stop.touch()              # what still waits for a stopped service is answered 503 at its deadline
        load.wait(timeout=60)
        e2e.restart(name)         # not under load: a gateway started into 16 waiting clients is another matter
    return json.loads(out.read_text()), took, e2e.logs(name)[log_start:]


@pytest.mark.parametrize("name", ["gateway", "project"])
def test_sigterm_under_load_at_concurrency_16_answers_every_request_without_a_500_and_exits_within_grace(
        e2e, wait_until, tmp_path, name):
    grace = float(e2e.stack.env["STOP_GRACE_SECONDS"])
    load, took, log = _terminate_under_load(e2e, wait_until, tmp_path, name)
    assert load["cut"] == [], f"{len(load['cut'])} requests cut: {load['cut'][:3]}"
    assert "500" not in load["statuses"], f"a stop is not a fault: 503 (retry) at most {load['statuses']}"
    assert set(load["statuses"]) <= {"200", "503"}, load["statuses"]
    assert took < grace, f"{name} took {took:.1f}s to exit (grace {grace:g}s)"
    assert "did not stop within" not in log, log[-2000:]
