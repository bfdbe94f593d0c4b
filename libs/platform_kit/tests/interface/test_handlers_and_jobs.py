"""Failed handlers retry then dead-letter; periodic jobs run once per period; deadlines are durable."""
import json
import uuid
from datetime import timedelta

from nameko import config
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from platform_kit import dlq
from platform_kit.clock import utcnow
from platform_kit.consumer import on_event
from platform_kit.db import Database, UnitOfWork
from platform_kit.scheduling import on_deadline, periodic
from platform_kit.tables import deadlines
from platform_kit.testing import publish_event as publish


class Flaky:
    name = "flaky"
    calls: list[str] = []
    healed = False

    @on_event("probe", "boom", max_attempts=3, backoff=0.05)
    def handle_boom(self, event):
        Flaky.calls.append(event["event_id"])
        if not Flaky.healed:
            raise RuntimeError("downstream is broken")


def test_a_handler_that_always_fails_is_retried_then_dead_lettered_and_can_be_replayed(
        platform_config, container_factory, wait_until):
    Flaky.calls, Flaky.healed = [], False
    container = container_factory(Flaky)
    container.start()
    event = publish("probe", "boom", {"x": 1})

    letters = wait_until(lambda: dlq.list_dead_letters(config["AMQP_URI"], "flaky"), timeout=15,
                         message="the event in dlq.flaky")
    assert Flaky.calls == [event["event_id"]] * 3
    [letter] = letters
    assert letter.event_id == event["event_id"] and letter.attempts == 3
    assert "downstream is broken" in letter.error and letter.handler == "flaky.handle_boom"
    # listing does not consume
    assert len(dlq.list_dead_letters(config["AMQP_URI"], "flaky")) == 1

    Flaky.healed = True
    assert dlq.replay(config["AMQP_URI"], "flaky") == 1
    wait_until(lambda: len(Flaky.calls) == 4, timeout=10, message="the replayed event to be handled")
    assert dlq.list_dead_letters(config["AMQP_URI"], "flaky") == []


def test_a_failed_handler_is_not_dead_lettered_when_a_retry_succeeds(platform_config, container_factory,
                                                                     wait_until):
    attempts = []

    class Recovers:
        name = "recovers"

        @on_event("probe", "wobble", max_attempts=5, backoff=0.05)
        def handle(self, event):
            attempts.append(1)
            if len(attempts) < 3:
                raise RuntimeError("not yet")

    container = container_factory(Recovers)
    container.start()
    publish("probe", "wobble", {})
    wait_until(lambda: len(attempts) == 3, timeout=10, message="the third attempt")
    assert dlq.list_dead_letters(config["AMQP_URI"], "recovers") == []


def test_the_dlq_command_lists_and_replays(platform_config, container_factory, wait_until, capsys):
    Flaky.calls, Flaky.healed = [], False
    container = container_factory(Flaky)
    container.start()
    event = publish("probe", "boom", {"x": 2})
    wait_until(lambda: dlq.list_dead_letters(config["AMQP_URI"], "flaky"), timeout=15, message="a dead letter")
    assert dlq.main(["list", "flaky", "--amqp-uri", config["AMQP_URI"]]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert json.loads(listed[0])["event_id"] == event["event_id"]
    assert listed[-1] == "1 dead letter(s) in dlq.flaky"
    Flaky.healed = True
    assert dlq.main(["replay", "flaky", "--event-id", "not-this-one", "--amqp-uri", config["AMQP_URI"]]) == 0
    assert "replayed 0 message(s)" in capsys.readouterr().out
    assert dlq.main(["replay", "flaky", "--event-id", event["event_id"], "--amqp-uri", config["AMQP_URI"]]) == 0
    assert "replayed 1 message(s)" in capsys.readouterr().out


ticks: list[tuple[str, int]] = []


class Ticker:
    name = "ticker"

    @periodic(0.25, name="tick")
    def tick(self):
        import time

        ticks.append((self.replica, int(time.time() / 0.25)))


def test_a_periodic_job_runs_once_per_period_across_two_replicas(platform_config, container_factory,
                                                                 wait_until):
    ticks.clear()
    replicas = []
    for name in ("r1", "r2"):
        cls = type(f"Ticker{name}", (Ticker,), {"replica": name})
        replicas.append(container_factory(cls))
    for container in replicas:
        container.start()
    wait_until(lambda: len(ticks) >= 8, timeout=10, message="eight periods")
    for container in replicas:
        container.stop()
    periods = [p for _, p in ticks]
    assert len(periods) == len(set(periods)), f"a period ran twice: {ticks}"


fired: list[tuple[str, dict]] = []


class Reminders:
    name = "reminders"
    db = Database("BILLING_DATABASE_URL", relay_events=False)
    fail_first = set()

    @on_deadline("remind")
    def remind(self, key, payload):
        if key in Reminders.fail_first:
            Reminders.fail_first.discard(key)
            raise RuntimeError("mail server down")
        fired.append((key, payload))


def _schedule(key: str, seconds: float, payload: dict) -> None:
    engine = create_engine(config["BILLING_DATABASE_URL"])
    with Session(engine) as session:
        uow = UnitOfWork(session, "reminders")
        uow.schedule("remind", key, utcnow() + timedelta(seconds=seconds), payload)
        uow.commit()
    engine.dispose()


def _deadline_row(key: str):
    engine = create_engine(config["BILLING_DATABASE_URL"])
    with engine.connect() as conn:
        row = conn.execute(select(deadlines).where(deadlines.c.key == key)).mappings().first()
    engine.dispose()
    return row


def test_a_deadline_set_while_no_service_runs_fires_after_start_and_once(platform_config, container_factory,
                                                                         wait_until):
    key = f"ticket-{uuid.uuid4()}"
    _schedule(key, -1, {"ticket": key})  # already due while nothing was running
    container = container_factory(Reminders)
    container.start()
    wait_until(lambda: (key, {"ticket": key}) in fired, timeout=10, message="the deadline to fire")
    wait_until(lambda: _deadline_row(key) is None, timeout=5, message="the fired deadline to be removed")
    assert [k for k, _ in fired].count(key) == 1


def test_a_deadline_whose_handler_fails_is_retried_with_the_error_kept(platform_config, container_factory,
                                                                        wait_until):
    key = f"ticket-{uuid.uuid4()}"
    Reminders.fail_first.add(key)
    _schedule(key, 0.1, {})
    container = container_factory(Reminders)
    container.start()
    row = wait_until(lambda: (r := _deadline_row(key)) is not None and r["last_error"] and r, timeout=10,
                     message="the failure to be recorded")
    assert "mail server down" in row["last_error"] and row["attempts"] == 1
    wait_until(lambda: key in [k for k, _ in fired], timeout=10, message="the retry to succeed")


def test_rescheduling_a_deadline_moves_it_instead_of_adding_one(platform_config):
    key = f"node-{uuid.uuid4()}"
    _schedule(key, 3600, {"v": 1})
    _schedule(key, 7200, {"v": 2})
    row = _deadline_row(key)
    assert row["payload"] == {"v": 2} and row["due_at"] > utcnow() + timedelta(seconds=7000)


