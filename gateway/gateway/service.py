"""The gateway's routes. Each route: read and validate input, call a service, shape the answer."""
from __future__ import annotations

from kombu import Connection
from nameko import config
from werkzeug.wrappers import Response

from gateway import docs
from gateway.openapi import build_spec
from gateway.rpc import ServiceUnavailable, TimedRpc
from gateway.web import error_response, json_response, read_json, read_query, route
from notify_svc.schemas import InboxPageSchema, InboxQuerySchema
from platform_kit.logs import Correlation
from platform_kit.metrics import Metrics
from platform_kit.migrate import SERVICES
from project_svc.schemas import (
    ProjectFilterSchema,
    ProjectPageSchema,
    ProjectSchema,
    PurchaseResultSchema,
    PurchaseSchema,
)

API_VERSION = "1.0.0"
DESCRIPTION = (
    "One HTTP API for the after-sales delivery platform: purchases become delivery projects, "
    "dispatched to providers by capacity, with tickets, billing and notifications. "
    "Errors are JSON `{error, message, fields}`; every response carries `X-Request-ID`."
)


class GatewayService:
    name = "gateway"
    correlation = Correlation()
    metrics = Metrics()
    services = TimedRpc()
    _spec: dict | None = None

    @route("GET", "/health", summary="Liveness: the gateway process answers", tags=("operations",), public=True)
    def health(self, request):
        return json_response({"service": "gateway", "status": "ok"})

    @route("GET", "/ready", summary="Readiness: the broker and every service answer",
           tags=("operations",), public=True, errors=(503,))
    def ready(self, request):
        checks: dict[str, str] = {}
        try:
            with Connection(config["AMQP_URI"], connect_timeout=2) as conn:
                conn.ensure_connection(max_retries=1)
            checks["broker"] = "ok"
        except Exception as exc:
            checks["broker"] = f"failing: {type(exc).__name__}"
        pending = {}
        for service in SERVICES:
            try:
                pending[service] = getattr(self.services, service).ping.call_async()
            except ServiceUnavailable:
                checks[service] = "not running"
        for service, reply in pending.items():
            try:
                reply.result()
                checks[service] = "ok"
            except ServiceUnavailable:
                checks[service] = "not answering"
        ok = all(v == "ok" for v in checks.values())
        return json_response({"ready": ok, "checks": checks}, status=200 if ok else 503)

    @route("GET", "/openapi.json", summary="This API's OpenAPI 3 document", tags=("operations",), public=True)
    def openapi(self, request):
        if GatewayService._spec is None:
            GatewayService._spec = build_spec(GatewayService, title="Delivery platform API",
                                              version=API_VERSION, description=DESCRIPTION)
        return json_response(GatewayService._spec)

    @route("GET", "/docs", summary="Browsable API documentation", tags=("operations",), public=True)
    def api_docs(self, request):
        return Response(docs.PAGE, mimetype="text/html")

    @route("GET", "/docs/static/<name>", summary="Static files of the API documentation",
           tags=("operations",), public=True, errors=(404,))
    def api_docs_static(self, request, name):
        found = docs.static_file(name)
        if found is None:
            return error_response(404, "not_found", f"No documentation file {name}.")
        body, content_type = found
        return Response(body, content_type=content_type, headers={"Cache-Control": "max-age=86400"})

    @route("POST", "/api/v1/purchases", summary="Turn a marketplace purchase into a delivery project",
           tags=("projects",), body=PurchaseSchema, response=PurchaseResultSchema, status=201,
           errors=(404, 422, 503), roles=("marketplace",))
    def create_purchase(self, request):
        """PRJ-1. Posting the same `order_id` again answers 200 with the existing project and creates
        nothing. The project starts at *assign provider*; dispatch picks the provider asynchronously
        (watch `status`, `provider_id` and `current_node`)."""
        purchase = read_json(request, PurchaseSchema())
        result = self.services.project.create_from_purchase(purchase)
        return json_response(result, status=201 if result["created"] else 200)

    @route("GET", "/api/v1/projects", summary="List delivery projects", tags=("projects",),
           query=ProjectFilterSchema, response=ProjectPageSchema)
    def list_projects(self, request):
        filters = read_query(request, ProjectFilterSchema())
        return json_response(self.services.project.list_projects(filters))

    @route("GET", "/api/v1/projects/<project_id>", summary="One delivery project with its flow log",
           tags=("projects",), response=ProjectSchema, errors=(404,))
    def get_project(self, request, project_id):
        return json_response(self.services.project.get_project(project_id))

    @route("GET", "/api/v1/inbox", summary="In-site messages with the unread count", tags=("notifications",),
           query=InboxQuerySchema, response=InboxPageSchema)
    def inbox(self, request):
        query = read_query(request, InboxQuerySchema())
        return json_response(self.services.notify.inbox(query))


