"""HTTP plumbing of the gateway on top of nameko's web entrypoint.

- ``route(...)`` is ``@http`` plus what the OpenAPI document needs (schemas, summary, roles),
  so the schema that validates a request is the one that documents it.
- Every answer is JSON. Errors are ``{"error": CODE, "message": ..., "fields": {...}}`` with the
  status of one table (``platform_kit.errors``); unknown routes, wrong methods and malformed JSON
  included. An unexpected fault answers 500 with the correlation id and never a stack trace.
- The correlation id comes from ``X-Request-ID`` when the caller sends a sane one, is made up
  otherwise, travels into every RPC and event, and is echoed in the response.
"""
from __future__ import annotations

import json
import logging
import re
from functools import partial

from eventlet.event import Event
from marshmallow import Schema, ValidationError
from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import WebServer, WsgiApp
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.exceptions import NotFound as RouteNotFound
from werkzeug.wrappers import Request, Response

from gateway.guard import Guard
from platform_contracts.actor import ACTOR_KEY
from platform_kit.errors import PlatformError, RateLimited, Unauthenticated, ValidationFailed, validation_failed
from platform_kit.logs import CORRELATION_KEY, new_correlation_id

log = logging.getLogger(__name__)
REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")
JSON = "application/json"


def error_response(status: int, code: str, message: str, fields: dict | None = None,
                   headers: dict | None = None) -> Response:
    body = {"error": code, "message": message}
    if fields:
        body["fields"] = fields
    return Response(json.dumps(body, ensure_ascii=False), status=status, mimetype=JSON, headers=headers)


def json_response(payload, status: int = 200, headers: dict | None = None) -> Response:
    return Response(json.dumps(payload, ensure_ascii=False), status=status, mimetype=JSON, headers=headers)


def correlation_from(request: Request) -> str:
    supplied = request.headers.get("X-Request-ID", "")
    return supplied if REQUEST_ID.match(supplied) else new_correlation_id()


class ApiWsgiApp(WsgiApp):
    def __call__(self, environ, start_response):
        request = Request(environ, shallow=True)
        adapter = self.url_map.bind_to_environ(environ)
        try:
            provider, values = adapter.match()
            request.path_values = values
            response = provider.handle_request(request)
        except MethodNotAllowed as exc:
            response = error_response(405, "method_not_allowed",
                                      f"{request.method} is not allowed on {request.path}.",
                                      headers={"Allow": ", ".join(exc.valid_methods or [])})
        except RouteNotFound:
            response = error_response(404, "not_found", f"There is no route {request.method} {request.path}.")
        except HTTPException as exc:
            response = error_response(exc.code or 400, "http_error", exc.description or exc.name)
        return response(environ, start_response)


class ApiServer(WebServer):
    def get_wsgi_app(self):
        return ApiWsgiApp(self)

    def context_data_from_headers(self, request):
        return {CORRELATION_KEY: correlation_from(request)}


class ApiRoute(HttpRequestHandler):
    server = ApiServer()
    guard = Guard()

    def __init__(self, method: str, url: str, *, summary: str = "", body: type[Schema] | None = None,
                 query: type[Schema] | None = None, response: type[Schema] | None = None, status: int = 200,
                 roles: tuple[str, ...] = (), tags: tuple[str, ...] = (), errors: tuple[int, ...] = (),
                 public: bool = False, many: bool = False, pending_password_ok: bool = False,
                 tenant_scoped: bool = True, **kwargs):
        """``public``: no token needed. ``roles``: any of them may call (empty: any signed-in user).
        ``tenant_scoped=False`` marks path parameters that name no tenant's object (a calendar day,
        a docs file), so the cross-tenant test knows they are not to be probed."""
        # business refusals (4xx) are answers, not faults: nameko logs them without a traceback
        kwargs.setdefault("expected_exceptions", (PlatformError,))
        super().__init__(method, url, **kwargs)
        self.summary, self.body, self.query, self.response = summary, body, query, response
        self.status, self.roles, self.tags, self.errors = status, roles, tags, errors
        self.public, self.many = public, many
        self.pending_password_ok, self.tenant_scoped = pending_password_ok, tenant_scoped

    def handle_request(self, request):
        request.shallow = False
        context = self.server.context_data_from_headers(request)
        request.correlation_id = context[CORRELATION_KEY]
        request.actor = request.claims = None
        idempotency = None
        try:
            request.claims = self.guard.admit(request, self.public)
            if request.claims:
                request.actor = self.guard.authorise(request.claims, self.roles, self.pending_password_ok)
                context[ACTOR_KEY] = request.actor.to_header()
            client = f"user:{request.actor.user_id}" if request.actor else f"addr:{request.remote_addr}"
            idempotency = self.guard.idempotency_begin(client, request)
            if isinstance(idempotency, Response):
                response, idempotency = idempotency, None
            else:
                response = self._run_worker(request, context)
        except Exception as exc:
            response = self.response_from_exception(exc, request.correlation_id)
        if idempotency:
            self.guard.idempotency_finish(*idempotency, response)
        response.headers["X-Request-ID"] = request.correlation_id
        return response

    def _run_worker(self, request, context) -> Response:
        args, kwargs = self.get_entrypoint_parameters(request)
        self.check_signature(args, kwargs)
        event = Event()
        self.container.spawn_worker(self, args, kwargs, context_data=context,
                                    handle_result=partial(self.handle_result, event))
        return self.response_from_result(event.wait())

    def response_from_exception(self, exc, correlation_id: str = "") -> Response:
        if isinstance(exc, PlatformError):
            response = error_response(exc.status, exc.code, exc.message, exc.fields)
            if isinstance(exc, RateLimited) and exc.fields.get("retry_after"):
                response.headers["Retry-After"] = str(exc.fields["retry_after"][0])
            if isinstance(exc, Unauthenticated):
                response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
            return response
        log.error("unexpected error answering a request", exc_info=exc)
        return error_response(500, "internal_error",
                              f"Something went wrong on our side. Quote request id {correlation_id}.")


route = ApiRoute.decorator


def read_json(request: Request, schema: Schema):
    """Parse and validate a JSON body; every problem becomes a 400 naming the fields."""
    if request.mimetype != JSON:
        raise ValidationFailed("The body must be JSON (Content-Type: application/json).",
                               {"_body": ["expected application/json"]})
    try:
        payload = json.loads(request.get_data(as_text=True) or "null")
    except ValueError as err:
        raise ValidationFailed(f"The body is not valid JSON: {err}.", {"_body": ["malformed JSON"]}) from None
    if not isinstance(payload, dict):
        raise ValidationFailed("The body must be a JSON object.", {"_body": ["expected an object"]})
    try:
        return schema.load(payload)
    except ValidationError as err:
        raise validation_failed(err) from None


def read_query(request: Request, schema: Schema):
    try:
        return schema.load(request.args.to_dict())
    except ValidationError as err:
        raise validation_failed(err, "Some query parameters are not valid.") from None
