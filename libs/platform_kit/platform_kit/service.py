"""What every platform service has: correlation ids, metrics, health, readiness, ping.

- ``/health`` (liveness) depends on nothing outside the process: it answers 503 when a worker has
  been running longer than ``HEALTH_STUCK_SECONDS`` (default 120; every call out is bounded far
  below that), so an orchestrator restarts a process whose workers are stuck. A process whose
  worker pool is exhausted cannot even start the health worker: the probe then times out, which
  an orchestrator reads the same way.
- ``/ready`` (readiness) checks each dependency (database, broker, Redis) with a short bound.
- Every 30 s one replica publishes its dead-letter queue's depth and the age of its oldest message
  as metrics (``platform_dead_letters``, ``platform_dead_letter_oldest_age_seconds``).
"""
from __future__ import annotations

import json

from kombu import Connection
from nameko import config
from nameko.web.handlers import http
from werkzeug.wrappers import Response

from platform_kit.cache import redis_client
from platform_kit.dlq import dead_letter_depth
from platform_kit.errors import rpc
from platform_kit.logs import Correlation
from platform_kit.metrics import DEAD_LETTER_OLDEST, DEAD_LETTERS, Metrics, exposition
from platform_kit.scheduling import periodic


def json_response(status: int, body: dict) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")


class PlatformService:
    """Base class: subclasses set ``name`` and a ``db = Database("<NAME>_DATABASE_URL")``."""

    name = "platform"
    correlation = Correlation()
    metrics = Metrics()

    @rpc
    def ping(self) -> dict:
        """Answers as long as the service consumes RPC (used by the gateway's /ready)."""
        return {"service": self.name, "ok": True}

    @http("GET", "/health")
    def health(self, request) -> Response:
        running = self.metrics.running()
        oldest = max(running, default=0.0)
        stuck = oldest > float(config.get("HEALTH_STUCK_SECONDS", 120))
        return json_response(503 if stuck else 200, {
            "service": self.name, "status": "stuck" if stuck else "ok",
            "workers": {"running": len(running), "oldest_seconds": round(oldest, 1)}})

    @http("GET", "/ready")
    def ready(self, request) -> Response:
        checks = {"database": _check(self._check_database), "broker": _check(_check_broker),
                  "redis": _check(_check_redis)}
        ok = all(v == "ok" for v in checks.values())
        body = {"service": self.name, "ready": ok, "checks": checks}
        try:
            details = self.readiness_details()
        except Exception as exc:  # details inform; they never fail the probe
            details = {"error": type(exc).__name__}
        if details:
            body["details"] = details
        return json_response(200 if ok else 503, body)

    def readiness_details(self) -> dict:
        """What an operator should know that does not make the service unready (a service overrides it)."""
        return {}

    @http("GET", "/metrics")
    def prometheus(self, request) -> Response:
        body, content_type = exposition()
        return Response(body, status=200, content_type=content_type)

    def _check_database(self) -> None:
        self.db.ping()

    @periodic(30, name="dead_letter_gauges")
    def publish_dead_letter_gauges(self) -> None:
        depth, oldest = dead_letter_depth(config["AMQP_URI"], self.name)
        DEAD_LETTERS.labels(self.name).set(depth)
        DEAD_LETTER_OLDEST.labels(self.name).set(oldest)


def _check(fn) -> str:
    try:
        fn()
        return "ok"
    except Exception as exc:  # a readiness probe reports, it never raises
        return f"failing: {type(exc).__name__}"


def _check_redis() -> None:
    client = redis_client()
    try:
        client.ping()
    finally:
        client.close()


def _check_broker() -> None:
    with Connection(config["AMQP_URI"], connect_timeout=2) as conn:
        conn.ensure_connection(max_retries=1)
