"""What every platform service has: correlation ids, metrics, health, readiness, ping."""
from __future__ import annotations

import json

from kombu import Connection
from nameko import config
from nameko.rpc import rpc
from nameko.web.handlers import http
from werkzeug.wrappers import Response

from platform_kit.logs import Correlation
from platform_kit.metrics import Metrics, exposition


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
        return json_response(200, {"service": self.name, "status": "ok"})

    @http("GET", "/ready")
    def ready(self, request) -> Response:
        checks = {"database": _check(self._check_database), "broker": _check(_check_broker)}
        ok = all(v == "ok" for v in checks.values())
        return json_response(200 if ok else 503, {"service": self.name, "ready": ok, "checks": checks})

    @http("GET", "/metrics")
    def prometheus(self, request) -> Response:
        body, content_type = exposition()
        return Response(body, status=200, content_type=content_type)

    def _check_database(self) -> None:
        self.db.ping()


def _check(fn) -> str:
    try:
        fn()
        return "ok"
    except Exception as exc:  # a readiness probe reports, it never raises
        return f"failing: {type(exc).__name__}"


def _check_broker() -> None:
    with Connection(config["AMQP_URI"], connect_timeout=2) as conn:
        conn.ensure_connection(max_retries=1)
