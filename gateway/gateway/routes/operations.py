"""Operations routes: liveness, readiness, the OpenAPI document and the browsable docs."""
from __future__ import annotations

import eventlet
from kombu import Connection
from nameko import config
from werkzeug.wrappers import Response

from gateway import docs
from gateway.web import error_response, json_response, route
from platform_kit import manifest
from platform_kit.cache import redis_client
from platform_kit.errors import ServiceUnavailable

READY_DEADLINE_SECONDS = 3.0


class OperationsRoutes:
    @route("GET", "/health", summary="Liveness: the gateway process answers", tags=("operations",), public=True,
           probe=True)
    def health(self, request):
        """Depends on nothing outside the process (no Redis, no broker): an orchestrator restarts
        the gateway only when the gateway itself is broken."""
        return json_response({"service": "gateway", "status": "ok"})

    @route("GET", "/ready", summary="Readiness: the broker, Redis and every service answer", tags=("operations",),
           public=True, errors=(503,), probe=True)
    def ready(self, request):
        """Pings every service at once and waits at most 3 s in all: a stopped service shows as
        `not answering` instead of holding the probe. Redis is checked with its own short bound."""
        checks: dict[str, str] = {}
        try:
            client = redis_client()
            try:
                client.ping()
            finally:
                client.close()
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"] = f"failing: {type(exc).__name__}"
        try:
            with Connection(config["AMQP_URI"], connect_timeout=2) as conn:
                conn.ensure_connection(max_retries=1)
            checks["broker"] = "ok"
        except Exception as exc:
            checks["broker"] = f"failing: {type(exc).__name__}"
        pending = {}
        for service in manifest.load().names:
            try:
                pending[service] = getattr(self.services, service).ping.call_async()
            except ServiceUnavailable:
                checks[service] = "not running"
        with eventlet.Timeout(READY_DEADLINE_SECONDS, False):
            for service, reply in pending.items():
                try:
                    reply.result()
                    checks[service] = "ok"
                except ServiceUnavailable:
                    checks[service] = "not answering"
        for service in pending:
            checks.setdefault(service, "not answering")
        ok = all(v == "ok" for v in checks.values())
        return json_response({"ready": ok, "checks": checks}, status=200 if ok else 503)

    @route("GET", "/openapi.json", summary="This API's OpenAPI 3 document", tags=("operations",), public=True)
    def openapi(self, request):
        return json_response(self.openapi_document())

    @route("GET", "/docs", summary="Browsable API documentation", tags=("operations",), public=True)
    def api_docs(self, request):
        return Response(docs.PAGE, mimetype="text/html")

    @route("GET", "/docs/static/<name>", summary="Static files of the API documentation", tags=("operations",),
           public=True, errors=(404,), tenant_scoped=False)
    def api_docs_static(self, request, name):
        found = docs.static_file(name)
        if found is None:
            return error_response(404, "not_found", f"No documentation file {name}.")
        body, content_type = found
        return Response(body, content_type=content_type, headers={"Cache-Control": "max-age=86400"})
