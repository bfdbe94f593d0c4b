"""Event handlers that never drop a failed event.

``on_event(source, event_type)`` is nameko's ``event_handler`` with a failure policy:

1. the handler raised: the message is republished to ``<queue>.retry`` with a per-message TTL
   (back-off 1 s, 2 s, 4 s ... capped); when the TTL expires RabbitMQ dead-letters it straight
   back to the handler's own queue (not to other services' queues);
2. a transient failure (``platform_kit.faults``: a lost connection, a timeout, a serialisation
   conflict, a dependency down) is retried that way for as long as it takes, back-off capped at
   ``TRANSIENT_MAX_BACKOFF_SECONDS``, and counted (``platform_events_handled_total`` with outcome
   ``retried_transient``); it never reaches the dead-letter queue;
3. any other failure, after ``max_attempts``, goes to the service's dead-letter queue
   ``dlq.<service>`` with the error, the original queue and the attempt count in its headers,
   where an operator lists and replays it (``python -m platform_kit.dlq``); so does a message
   that cannot even be decoded (not JSON), at once, with the reason;
4. only after that republish is confirmed is the original acked: if the broker is unreachable,
   the message is requeued instead, so nothing is lost.

Idempotency is the handler's side of the bargain: it calls ``uow.claim_event(event, name)`` in the
same transaction as its effect.

Events run in a lane of the worker pool: at most ``EVENT_WORKERS`` workers of a process handle
events at once (default: ``max_workers`` less a quarter, at least 2 left over), so a burst of
events never makes the process's RPC requests (a purchase, a read) wait behind them for a worker.
"""
from __future__ import annotations

import logging
import time
import traceback

from eventlet.semaphore import Semaphore
from kombu import Exchange, Queue
from nameko import config
from nameko.amqp.publish import get_producer
from nameko.constants import PERSISTENT
from nameko.containers import ContainerBeingKilled
from nameko.events import EventHandler
from nameko.messaging import decode_from_headers

from platform_kit import metrics
from platform_kit.faults import is_transient
from platform_kit.topology import Subscription

log = logging.getLogger(__name__)

ATTEMPT_HEADER = "x-platform-attempt"
TRANSIENT_HEADER = "x-platform-transient-attempt"
FAILED_AT_HEADER = "x-platform-failed-at"
TRANSIENT_MAX_BACKOFF_SECONDS = 300.0
DEFAULT_MAX_ATTEMPTS = 5
DEFAULT_BACKOFF_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 60.0
DEFAULT_EXCHANGE = Exchange("", type="direct")


def event_workers(max_workers: int) -> int:
    """How many workers of a process may handle events at once (``EVENT_WORKERS`` overrides)."""
    configured = config.get("EVENT_WORKERS")
    if configured:
        return max(int(configured), 1)
    return max(max_workers - max(2, max_workers // 4), 1)


def _event_lane(container) -> Semaphore:
    lane = getattr(container, "_platform_event_lane", None)
    if lane is None:
        lane = container._platform_event_lane = Semaphore(event_workers(container.max_workers))
    return lane


def dead_letter_queue_name(service_name: str) -> str:
    return f"dlq.{service_name}"


def dead_letter_queue(service_name: str) -> Queue:
    return Queue(dead_letter_queue_name(service_name), exchange=DEFAULT_EXCHANGE,
                 routing_key=dead_letter_queue_name(service_name), durable=True, auto_delete=False)


def retry_queue(queue_name: str) -> Queue:
    return Queue(
        f"{queue_name}.retry", exchange=DEFAULT_EXCHANGE, routing_key=f"{queue_name}.retry",
        durable=True, auto_delete=False,
        queue_arguments={"x-dead-letter-exchange": "", "x-dead-letter-routing-key": queue_name},
    )


def backoff_seconds(attempt: int, base: float) -> float:
    """Delay before retry number ``attempt`` (1-based): base, 2·base, 4·base ... capped."""
    return min(base * 2 ** (attempt - 1), MAX_BACKOFF_SECONDS)


class RetryingEventHandler(EventHandler):
    def __init__(self, source_service: str, event_type: str, *,
                 max_attempts: int = DEFAULT_MAX_ATTEMPTS,
                 backoff: float = DEFAULT_BACKOFF_SECONDS, **kwargs):
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.max_attempts = max_attempts
        self.backoff = backoff
        super().__init__(source_service, event_type, requeue_on_error=False, **kwargs)

    def setup(self) -> None:
        self.consumer_options["on_decode_error"] = self.handle_undecodable
        super().setup()
        expected = Subscription(self.container.service_name, self.method_name, self.source_service,
                                self.event_type).queue_name
        if self.queue.name != expected:  # the migrator declares queues by this name before we start
            raise RuntimeError(f"nameko named the queue {self.queue.name!r}, platform_kit.topology {expected!r}")
        self.retry_queue = retry_queue(self.queue.name)
        self.dead_letter_queue = dead_letter_queue(self.container.service_name)
        with get_producer(config["AMQP_URI"]) as producer:
            for queue in (self.retry_queue, self.dead_letter_queue):
                queue(producer.channel).declare()

    def handle_message(self, body, message) -> None:
        """nameko's, with the event lane taken before a worker of the pool is (and given back
        when the worker has handled the message)."""
        lane = _event_lane(self.container)
        context_data = decode_from_headers(message.headers)

        def handle_result(worker_ctx, result=None, exc_info=None):
            try:
                return self.handle_result(message, worker_ctx, result, exc_info)
            finally:
                lane.release()

        def spawn_worker() -> None:
            lane.acquire()
            try:
                self.container.spawn_worker(self, (body,), {}, context_data=context_data,
                                            handle_result=handle_result)
            except ContainerBeingKilled:
                lane.release()
                self.consumer.requeue_message(message)
            except BaseException:
                lane.release()
                raise

        # waiting in a thread of its own, as nameko does: the consumer keeps reading (and heartbeating)
        self.container.spawn_managed_thread(
            spawn_worker, identifier=f"{type(self).__name__}.wait_for_event_lane[{self.handler_name}]")

    @property
    def handler_name(self) -> str:
        return f"{self.container.service_name}.{self.method_name}"

    def handle_message_processed(self, message, result=None, exc_info=None) -> None:
        if exc_info is None:
            metrics.EVENTS_HANDLED.labels(self.container.service_name, self.method_name, "ok").inc()
            self.consumer.ack_message(message)
            return
        attempt = int((message.headers or {}).get(ATTEMPT_HEADER, 1))
        error = "".join(traceback.format_exception_only(exc_info[0], exc_info[1])).strip()[:2000]
        if is_transient(exc_info[1]):
            self._retry_transient(message, error)
            return
        try:
            if attempt < self.max_attempts:
                delay = backoff_seconds(attempt, self.backoff)
                self._republish(message, self.retry_queue, attempt + 1, error,
                                expiration=delay)
                outcome = "retried"
                log.warning("%s failed (attempt %d of %d), retrying in %.1fs: %s",
                            self.handler_name, attempt, self.max_attempts, delay, error)
            else:
                self._republish(message, self.dead_letter_queue, attempt, error)
                outcome = "dead_lettered"
                log.error("%s failed %d times, moved to %s: %s", self.handler_name, attempt,
                          self.dead_letter_queue.name, error)
        except Exception:
            log.exception("could not hand %s's failed message on; requeueing it", self.handler_name)
            self.consumer.requeue_message(message)
            return
        metrics.EVENTS_HANDLED.labels(self.container.service_name, self.method_name, outcome).inc()
        self.consumer.ack_message(message)

    def _retry_transient(self, message, error: str) -> None:
        headers = message.headers or {}
        transient = int(headers.get(TRANSIENT_HEADER, 0)) + 1
        delay = min(backoff_seconds(transient, self.backoff), TRANSIENT_MAX_BACKOFF_SECONDS)
        try:
            self._republish(message, self.retry_queue, int(headers.get(ATTEMPT_HEADER, 1)), error,
                            expiration=delay, extra={TRANSIENT_HEADER: transient})
        except Exception:
            log.exception("could not hand %s's failed message on; requeueing it", self.handler_name)
            self.consumer.requeue_message(message)
            return
        log.warning("%s hit a transient failure (try %d), retrying in %.0fs: %s", self.handler_name, transient,
                    delay, error)
        metrics.EVENTS_HANDLED.labels(self.container.service_name, self.method_name, "retried_transient").inc()
        self.consumer.ack_message(message)

    def handle_undecodable(self, message, exc: Exception) -> None:
        """A body that is not what it claims (not JSON): no retry can fix it; dead-letter it with the reason."""
        error = f"undecodable message ({message.content_type}): {exc}"[:2000]
        try:
            self._republish(message, self.dead_letter_queue, 1, error)
        except Exception:
            log.exception("could not dead-letter an undecodable message of %s; requeueing it", self.handler_name)
            self.consumer.requeue_message(message)
            return
        log.error("%s received a message it cannot decode; moved to %s: %s", self.handler_name,
                  self.dead_letter_queue.name, error)
        metrics.EVENTS_HANDLED.labels(self.container.service_name, self.method_name, "undecodable").inc()
        self.consumer.ack_message(message)

    def _republish(self, message, queue: Queue, attempt: int, error: str, expiration=None,
                   extra: dict | None = None) -> None:
        headers = dict(message.headers or {})
        headers.update(extra or {})
        headers.update({
            ATTEMPT_HEADER: attempt,
            "x-platform-error": error,
            "x-platform-queue": self.queue.name,
            "x-platform-handler": self.handler_name,
            "x-platform-routing-key": message.delivery_info.get("routing_key"),
            FAILED_AT_HEADER: time.time(),
        })
        with get_producer(config["AMQP_URI"]) as producer:
            producer.publish(
                message.body,
                exchange="",
                routing_key=queue.name,
                headers=headers,
                content_type=message.content_type,
                content_encoding=message.content_encoding,
                delivery_mode=PERSISTENT,
                expiration=expiration,
                retry=True,
                retry_policy={"max_retries": 3},
            )


on_event = RetryingEventHandler.decorator
