"""Prometheus metrics, one registry per process (each service is its own process)."""
from __future__ import annotations

import logging
import time
from weakref import WeakKeyDictionary

from nameko.extensions import DependencyProvider
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

WORKER_SECONDS = Histogram(
    "platform_worker_seconds", "Time spent in one entrypoint call",
    ["service", "entrypoint", "outcome"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
EVENTS_HANDLED = Counter(
    "platform_events_handled_total", "Events handled, by outcome (ok, duplicate, retried, dead_lettered)",
    ["service", "handler", "outcome"],
)
RPC_EXPIRED = Counter("platform_rpc_expired_total", "RPC requests not started: the caller's deadline had passed",
                      ["service", "method"])
DEAD_LETTERS = Gauge("platform_dead_letters", "Messages waiting in the service's dead-letter queue", ["service"])
DEAD_LETTER_OLDEST = Gauge("platform_dead_letter_oldest_age_seconds",
                           "Age of the oldest message in the service's dead-letter queue", ["service"])
OUTBOX_PUBLISHED = Counter("platform_outbox_published_total", "Outbox events published", ["service"])
OUTBOX_PRUNED = Counter("platform_outbox_pruned_total", "Sent outbox events deleted after the kept period",
                        ["service"])
PROCESSED_MARKS_PRUNED = Counter("platform_processed_marks_pruned_total",
                                 "Processed-event marks deleted after the kept period", ["service"])
OUTBOX_UNROUTABLE = Counter("platform_outbox_unroutable_total", "Outbox events the broker could not route",
                            ["service", "event_type"])
OUTBOX_QUEUE_MISSING = Gauge("platform_outbox_queue_missing",
                             "1 while a subscriber queue an event of this service must reach is missing",
                             ["service", "queue"])
OUTBOX_HELD_FOR_QUEUE = Counter("platform_outbox_held_for_missing_queue_total",
                                "Outbox events not sent because a subscriber queue is missing",
                                ["service", "event_type"])
PERIODIC_RUNS = Counter("platform_periodic_runs_total", "Periodic jobs run (claimed periods)", ["service", "job"])
PERIODIC_SKIPPED = Counter("platform_periodic_skipped_total", "Periods skipped because the claim store was unreachable",
                           ["service", "job"])
DEADLINES_FIRED = Counter("platform_deadlines_fired_total", "Deadlines fired", ["service", "kind", "outcome"])


log = logging.getLogger("platform.worker")


def exposition() -> tuple[bytes, str]:
    return generate_latest(), CONTENT_TYPE_LATEST


class Workers:
    """What a worker may ask about the others (``/health`` asks whether any is stuck)."""

    def __init__(self, provider: Metrics, worker_ctx):
        self._provider, self._worker_ctx = provider, worker_ctx

    def running(self) -> list[float]:
        return self._provider.running(but=self._worker_ctx)


class Metrics(DependencyProvider):
    """Times every entrypoint call of the service and leaves one structured log line for it."""

    def __init__(self):
        self._started: WeakKeyDictionary = WeakKeyDictionary()

    def worker_setup(self, worker_ctx) -> None:
        self._started[worker_ctx] = time.perf_counter()

    def get_dependency(self, worker_ctx) -> Workers:
        return Workers(self, worker_ctx)

    def running(self, but=None) -> list[float]:
        """How long each worker of this container (but ``but``) has been running, in seconds."""
        now = time.perf_counter()
        return [now - started for ctx, started in list(self._started.items()) if ctx is not but]

    def worker_result(self, worker_ctx, result=None, exc_info=None) -> None:
        started = self._started.pop(worker_ctx, None)
        if started is None:
            return
        seconds = time.perf_counter() - started
        outcome = "error" if exc_info else "ok"
        entrypoint = worker_ctx.entrypoint
        WORKER_SECONDS.labels(worker_ctx.service_name, entrypoint.method_name, outcome).observe(seconds)
        log.info("%s.%s %s in %.1f ms", worker_ctx.service_name, entrypoint.method_name, outcome, seconds * 1000,
                 extra={"fields": {"entrypoint": f"{worker_ctx.service_name}.{entrypoint.method_name}",
                                   "kind": type(entrypoint).__name__, "outcome": outcome,
                                   "duration_ms": round(seconds * 1000, 2)}})
