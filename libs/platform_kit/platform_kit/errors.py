"""Refusals on the wire: the pure classes of ``platform_kit.exceptions`` registered with nameko.

Registered with ``deserialize_to_instance``, a refusal crosses RPC as itself, so the caller of an
RPC catches ``NotFound`` rather than a generic ``RemoteError``; the gateway turns it into
``{"error": code, "message": ..., "fields": {...}}`` with ``status``. A service's own subclass
(``NodeNotCurrent(Unprocessable)``) is sent as the registered base it extends (``rpc`` below), with
its message and fields, so no caller needs to import another service's exceptions.
"""
from __future__ import annotations

import logging
import time
from functools import partial

import eventlet
from marshmallow import ValidationError
from nameko.exceptions import deserialize_to_instance
from nameko.messaging import decode_from_headers
from nameko.rpc import Rpc, RpcConsumer

from platform_kit import calls, metrics
from platform_kit.exceptions import (
    Conflict,
    Forbidden,
    NotFound,
    PlatformError,
    RateLimited,
    ServiceUnavailable,
    Unauthenticated,
    Unprocessable,
    ValidationFailed,
)
from platform_kit.faults import is_transient, lost_connection

__all__ = ["PlatformError", "ValidationFailed", "Unauthenticated", "Forbidden", "NotFound", "Conflict",
           "Unprocessable", "RateLimited", "ServiceUnavailable", "EXPECTED", "rpc", "validation_failed"]

log = logging.getLogger(__name__)

EXPECTED = (ValidationFailed, Unauthenticated, Forbidden, NotFound, Conflict, Unprocessable, RateLimited,
            ServiceUnavailable)
for _cls in EXPECTED:
    deserialize_to_instance(_cls)


def validation_failed(err: ValidationError, message: str = "Some fields are not valid.") -> ValidationFailed:
    messages = err.messages if isinstance(err.messages, dict) else {"_schema": err.messages}
    return ValidationFailed(message, messages)



def on_the_wire(exc: BaseException, service: str = "the") -> BaseException:
    """A service's own refusal as the registered platform class it extends; a transient fault
    (a dependency down or slow, a lost connection) as ``ServiceUnavailable``, never a bare 500."""
    if not isinstance(exc, PlatformError):
        if is_transient(exc):
            wire = ServiceUnavailable(f"A dependency of the {service} service is unavailable; please retry.")
            wire.__cause__ = exc
            return wire
        return exc
    if type(exc) in EXPECTED:
        return exc
    base = next(cls for cls in type(exc).__mro__ if cls in EXPECTED or cls is PlatformError)
    wire = base(exc.message, exc.fields)
    wire.__cause__ = exc
    return wire


class DrainingRpcConsumer(RpcConsumer):
    """nameko's RPC consumer, stopped without redoing work.

    nameko 3.0.0rc11 closes the consumer's connection as soon as the service is told to stop, so
    the acks of requests still being worked on are lost and the broker hands those requests to
    another replica, which does them again (found by the SIGTERM fault test). This consumer, told
    to stop, first puts back what newly arrives (another replica takes it) and waits until the
    requests in hand are answered and acked, for at most ``DRAIN_SECONDS``, then closes.
    """

    DRAIN_SECONDS = 60.0

    def __init__(self, **consumer_options):
        super().__init__(**consumer_options)
        self._in_hand = 0
        self._draining = False

    def handle_message(self, body, message):
        if self._draining:
            self.consumer.requeue_message(message)
            return
        self._in_hand += 1
        super().handle_message(body, message)

    def handle_result(self, message, result, exc_info):
        try:
            return super().handle_result(message, result, exc_info)
        finally:
            self._in_hand = max(self._in_hand - 1, 0)

    def stop(self):
        self._draining = True
        deadline = time.monotonic() + self.DRAIN_SECONDS
        while self._in_hand and time.monotonic() < deadline:
            eventlet.sleep(0.05)
        super().stop()


class PlatformRpc(Rpc):
    """nameko's RPC entrypoint with the platform's rules for failures:

    - expected refusals are sent as platform classes, transient faults as ``ServiceUnavailable``;
    - a request whose caller's deadline has passed is not started (``platform_kit.calls``);
    - a call that failed because its database connection died, before anything was committed,
      is run once more on a fresh connection, so a database failover costs a retry, not a 500;
    - stopping lets the requests in hand finish and be acked (``DrainingRpcConsumer``).
    """

    rpc_consumer = DrainingRpcConsumer()

    def __init__(self, expected_exceptions=EXPECTED, **kwargs):
        super().__init__(expected_exceptions=expected_exceptions, **kwargs)

    def handle_message(self, body, message):
        context = decode_from_headers(message.headers)
        if calls.has_expired(context):
            metrics.RPC_EXPIRED.labels(self.container.service_name, self.method_name).inc()
            log.warning("%s.%s: the caller's deadline passed before the request was taken; not started",
                        self.container.service_name, self.method_name)
            self.rpc_consumer.consumer.ack_message(message)
            return
        super().handle_message(body, message)

    def handle_result(self, message, worker_ctx, result, exc_info, retried: bool = False):
        if exc_info is not None and not retried and self._retry_on_fresh_connection(message, worker_ctx,
                                                                                    exc_info[1]):
            return result, exc_info
        if exc_info is not None:
            exc_info = (type(wire := on_the_wire(exc_info[1], self.container.service_name)), wire, exc_info[2])
        return super().handle_result(message, worker_ctx, result, exc_info)

    def _retry_on_fresh_connection(self, message, worker_ctx, exc: BaseException) -> bool:
        from platform_kit.db import Database

        if not lost_connection(exc):
            return False
        databases = [d for d in self.container.dependencies if isinstance(d, Database)]
        if not databases or any(d.committed_in(worker_ctx) for d in databases):
            return False
        log.warning("%s.%s lost its database connection before committing; running it once more",
                    self.container.service_name, self.method_name)
        self.container.spawn_worker(
            self, worker_ctx.args, worker_ctx.kwargs, context_data=worker_ctx.context_data,
            handle_result=partial(self.handle_result, message, retried=True))
        return True


rpc = PlatformRpc.decorator
