"""JSON logs carrying the correlation id of the request, RPC call or event being handled.

The correlation id lives in a ContextVar; eventlet runs every worker in its own greenlet and
greenlets each have their own context, so concurrent workers never see each other's id.
"""
from __future__ import annotations

import json
import logging
import os
import sys
import uuid
from contextvars import ContextVar

from nameko.extensions import DependencyProvider

from platform_kit.clock import utcnow

CORRELATION_KEY = "correlation_id"
correlation_id: ContextVar[str | None] = ContextVar("correlation_id", default=None)
_service_name: str = os.environ.get("PLATFORM_SERVICE", "-")


def new_correlation_id() -> str:
    return uuid.uuid4().hex


def current_correlation_id() -> str | None:
    return correlation_id.get()


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, service, logger, correlation id, message."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": utcnow().isoformat(),
            "level": record.levelname,
            "service": _service_name,
            "logger": record.name,
            "correlation_id": correlation_id.get(),
            "msg": record.getMessage(),
        }
        extra = getattr(record, "fields", None)
        if extra:
            entry.update(extra)
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def configure_logging(service: str, level: str | None = None, stream=None) -> None:
    global _service_name
    _service_name = service
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel((level or os.environ.get("LOG_LEVEL") or "INFO").upper())
    # kombu and amqp are chatty at INFO about reconnects that the platform reports itself
    logging.getLogger("amqp").setLevel(logging.WARNING)
    logging.getLogger("eventlet.wsgi.server").setLevel(logging.WARNING)


class Correlation(DependencyProvider):
    """Gives every worker a correlation id and puts it in the worker's context data.

    nameko copies context data into the headers of RPC calls and of events the worker
    dispatches, so one id follows a request from the gateway through every hop.
    """

    def _ensure(self, worker_ctx) -> str:
        cid = worker_ctx.context_data.get(CORRELATION_KEY) or new_correlation_id()
        worker_ctx.context_data[CORRELATION_KEY] = cid
        correlation_id.set(cid)
        return cid

    # nameko injects dependencies before it calls worker_setup, so both ensure the id
    def get_dependency(self, worker_ctx) -> str:
        return self._ensure(worker_ctx)

    def worker_setup(self, worker_ctx) -> None:
        self._ensure(worker_ctx)

    def worker_teardown(self, worker_ctx) -> None:
        correlation_id.set(None)
