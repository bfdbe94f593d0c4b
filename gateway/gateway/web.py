"""HTTP plumbing of the gateway on top of nameko's web entrypoint.

- ``route(...)`` is ``@http`` plus what the OpenAPI document needs (schemas, summary, roles, the
  statuses it can answer), so the schema that validates a request is the one that documents it.
- Every answer is JSON with ``X-Request-ID``, including those of the HTTP server itself (a request
  line or headers too long, a malformed request), unknown routes and wrong methods. Errors are
  ``{"error": CODE, "message": ..., "fields": {"path.to[0].field": [...]}}`` with the status of
  one table (``platform_kit.exceptions``). An unexpected fault answers 500 with the correlation id
  and never a stack trace.
- Limits come before any work (``Limits``): the request line and headers are bounded while the
  server reads them (414, 431); the body is read here, streamed, with a hard cap (413) and a time
  limit (408), before the token is checked or a route runs; JSON depth and key counts are bounded
  while it is parsed. eventlet runs every connection in a green thread of one OS thread, so a
  request that computes for long stalls every other: each bound keeps the work of one request
  small, and long walks over a body yield to the others.
- The text rules (``platform_kit.text``) apply to every path value, query string and body, so no
  route can forget them: valid UTF-8, no NUL, no control characters in ids and query values,
  integers within ``bigint``, duplicate keys and repeated parameters refused.
- The correlation id comes from ``X-Request-ID`` when the caller sends a sane one, is made up
  otherwise, travels into every RPC and event, and is echoed in the response.
"""
from __future__ import annotations

import io
import json
import logging
import os
import re
import time
import unicodedata
from dataclasses import dataclass
from functools import partial
from urllib.parse import quote

import eventlet
from eventlet import wsgi
from eventlet.event import Event
from eventlet.support import get_errno
from marshmallow import RAISE, Schema, ValidationError, fields
from nameko import config
from nameko.containers import ContainerBeingKilled
from nameko.rpc import Client
from nameko.rpc import ClusterRpc as NamekoClusterRpc
from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import HttpOnlyProtocol, WebServer, WsgiApp
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.exceptions import NotFound as RouteNotFound
from werkzeug.wrappers import Request, Response

from gateway.guard import Guard, client_of
from platform_contracts.actor import ACTOR_KEY
from platform_kit.calls import DEADLINE_KEY, Services, default_timeout
from platform_kit.errors import PlatformError, RateLimited, ServiceUnavailable, Unauthenticated, ValidationFailed
from platform_kit.idempotency import IDEMPOTENCY_KEY, scoped_key
from platform_kit.logs import CORRELATION_KEY, new_correlation_id
from platform_kit.text import (
    IDENTIFIER_PATTERN,
    TextRefused,
    check_tree,
    check_unknown_fields,
    flatten_messages,
    parse_json,
    parse_query,
)

log = logging.getLogger(__name__)
RETRY_AFTER_SECONDS = 5  # what a 503 (a dependency down or slow) asks the caller to wait
BEARER_CHALLENGE = 'Bearer realm="api"'  # what a 401 asks for, unless the route takes another scheme
REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")
PATH_VALUE = re.compile(IDENTIFIER_PATTERN)
JSON = "application/json"
# environ keys the server and the application share
CORRELATION_ENVIRON = "gateway.correlation_id"
CLOSE_ENVIRON = "gateway.close_connection"
# after SIGTERM, how long the stopping gateway waits for its kept-alive connections to close (each
# is closed after its current request, and a request arriving on one is answered 503) before the
# process ends them
DRAIN_LINGER_SECONDS = 1.0


@dataclass(frozen=True)
class Limits:
    """What one request may be; every value configurable (``GATEWAY_*``)."""

    max_body_bytes: int = 1_048_576
    body_seconds: float = 30.0
    max_json_depth: int = 32
    max_json_keys: int = 2000
    max_json_values: int = 10_000
    max_url_bytes: int = 8192
    max_header_line_bytes: int = 8192
    max_header_bytes: int = 32_768
    max_query_parameters: int = 100
    max_path_value_length: int = 200
    socket_timeout_seconds: float = 60.0

    @classmethod
    def from_config(cls) -> Limits:
        def get(name: str, default, kind=int):
            return kind(config.get(f"GATEWAY_{name.upper()}", default))

        return cls(**{name: get(name, default, type(default)) for name, default in cls().__dict__.items()})


def error_body(status: int, code: str, message: str, fields: dict | None = None) -> bytes:
    body = {"error": code, "message": message}
    if fields:
        body["fields"] = flatten_messages(fields)
    return json.dumps(body, ensure_ascii=False).encode()


def error_response(status: int, code: str, message: str, fields: dict | None = None,
                   headers: dict | None = None) -> Response:
    return Response(error_body(status, code, message, fields), status=status, mimetype=JSON, headers=headers)


def json_response(payload, status: int = 200, headers: dict | None = None) -> Response:
    return Response(json.dumps(payload, ensure_ascii=False), status=status, mimetype=JSON, headers=headers)


def attachment_response(body: bytes, mimetype: str, filename: str) -> Response:
    """A file to save, under the name it was given in any language: RFC 6266's `filename*` carries
    the name as UTF-8 (设计稿v1.pdf), `filename` an ASCII stand-in for old clients, and the browser
    is told not to guess another type than the one stored."""
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": content_disposition(filename),
                                                      "X-Content-Type-Options": "nosniff"})


def content_disposition(filename: str) -> str:
    """The name as given (control characters aside) percent-encoded in ``filename*``; the ASCII
    stand-in without quotes, backslashes or slashes, which could end the header's string."""
    name = "".join(c for c in filename if c.isprintable()) or "download"
    fallback = "".join(c for c in unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
                       if c not in '"\\/')
    stem, dot, ext = fallback.rpartition(".")
    if not stem.strip(" ._-"):  # nothing readable left of a Chinese name: keep its extension
        fallback = f"download.{ext}" if dot and ext.isalnum() else "download"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def correlation_from(headers) -> str:
    supplied = headers.get("X-Request-ID", "")
    return supplied if REQUEST_ID.match(supplied) else new_correlation_id()


# --------------------------------------------------------------------------- the HTTP server

class _HeaderReader:
    """eventlet's header reader with our limits (its own are module constants), refusing with 431."""

    def __init__(self, fp, limits: Limits):
        self.fp, self.limits, self.total = fp, limits, 0

    def readline(self, size: int = -1) -> bytes:
        line = self.fp.readline(self.limits.max_header_line_bytes + 1)
        if len(line) > self.limits.max_header_line_bytes:
            raise _Refusal(431, "header_too_large",
                           f"A header line is longer than {self.limits.max_header_line_bytes} bytes.")
        self.total += len(line)
        if self.total > self.limits.max_header_bytes:
            raise _Refusal(431, "header_too_large", f"The headers exceed {self.limits.max_header_bytes} bytes.")
        return line


class _Refusal(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class ApiProtocol(HttpOnlyProtocol):
    """eventlet's HTTP protocol whose own refusals are JSON with ``X-Request-ID``.

    eventlet 0.36 answers a too long request line (414), too long headers and a bad
    Content-Length (400) with fixed empty bodies written in ``handle_one_request``, and
    ``http.server`` answers a malformed request line with an HTML ``send_error``; both are
    replaced here (the shape of eventlet's method is pinned by gateway/tests)."""

    limits = Limits()

    def _refuse(self, status: int, code: str, message: str, request_id: str = "") -> None:
        body = error_body(status, code, message)
        phrase = {400: "Bad Request", 408: "Request Timeout", 413: "Content Too Large", 414: "URI Too Long",
                  431: "Request Header Fields Too Large"}.get(status, "Error")
        head = (f"HTTP/1.1 {status} {phrase}\r\nContent-Type: {JSON}\r\nContent-Length: {len(body)}\r\n"
                f"X-Request-ID: {request_id or new_correlation_id()}\r\nConnection: close\r\n\r\n")
        try:
            self.wfile.write(head.encode("latin-1") + body)
            self.wfile.flush()
        except OSError:
            pass  # the client is gone
        self.close_connection = 1

    def send_error(self, code, message=None, explain=None):
        """``http.server``'s refusals (a malformed request line, an unsupported version, more
        than 100 headers) in the platform's shape."""
        status = 431 if code == 431 else 414 if code == 414 else 400
        self._refuse(status, "bad_request" if status == 400 else "header_too_large" if status == 431
                     else "uri_too_long", message or "The request is malformed.")

    def setup(self):
        super().setup()
        self.server.open_connections = getattr(self.server, "open_connections", 0) + 1

    def finish(self):
        try:
            super().finish()
        finally:
            self.server.open_connections -= 1

    def handle_one_request(self):
        if self.server.max_http_version:
            self.protocol_version = self.server.max_http_version
        self.raw_requestline = self._read_request_line()
        self.conn_state[2] = wsgi.STATE_REQUEST
        if not self.raw_requestline:
            self.close_connection = 1
            return
        if len(self.raw_requestline) >= self.server.url_length_limit:
            self._refuse(414, "uri_too_long", f"The request line exceeds {self.limits.max_url_bytes} bytes.")
            return
        original = self.rfile
        try:
            self.rfile = _HeaderReader(self.rfile, self.limits)
            if not self.parse_request():
                return
        except _Refusal as refusal:
            self._refuse(refusal.status, refusal.code, refusal.message)
            return
        finally:
            self.rfile = original
        request_id = correlation_from(self.headers)
        length = self.headers.get("content-length")
        if length is not None:
            if not length.isdigit():
                self._refuse(400, "bad_request", "Content-Length must be a non-negative integer.", request_id)
                return
            if self.headers.get("transfer-encoding") is not None:
                self._refuse(400, "bad_request", "Content-Length and Transfer-Encoding are not allowed together.",
                             request_id)
                return
        self.environ = self.get_environ()
        self.environ[CORRELATION_ENVIRON] = request_id
        self.environ[CLOSE_ENVIRON] = partial(setattr, self, "close_connection", 1)
        self.application = self.server.app
        try:
            self.server.outstanding_requests += 1
            try:
                self.handle_one_response()
            except OSError as e:
                if get_errno(e) not in wsgi.BROKEN_SOCK:
                    raise
        finally:
            self.server.outstanding_requests -= 1


class ApiWsgiApp(WsgiApp):
    """Route matching, the limits and text rules every route obeys, and JSON for what matches no route."""

    def __init__(self, server, limits: Limits):
        super().__init__(server)
        self.limits = limits

    def __call__(self, environ, start_response):
        request = Request(environ, shallow=True)
        request.correlation_id = environ.get(CORRELATION_ENVIRON) or correlation_from(request.headers)
        request.limits = self.limits
        try:
            if self.server.draining:
                raise ServiceUnavailable("The gateway is restarting; please retry.")
            response = self._answer(request, environ)
        except TextRefused as refused:
            response = error_response(refused.status, "validation_failed", refused.message, refused.fields)
        except _Refusal as refusal:
            response = error_response(refusal.status, refusal.code, refusal.message)
            environ.get(CLOSE_ENVIRON, lambda: None)()  # what is left of the body is not read
        except ServiceUnavailable as exc:  # stopping: not started, so safe to retry elsewhere
            response = error_response(503, "service_unavailable", exc.message,
                                      headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
        except Exception as exc:  # a fault of ours: JSON, the request id, no trace
            log.error("unexpected error answering a request", exc_info=exc)
            response = error_response(500, "internal_error",
                                      f"Something went wrong on our side. Quote request id {request.correlation_id}.")
        response.headers["X-Request-ID"] = request.correlation_id
        if self.server.draining:  # the connection ends with this answer: the next request goes elsewhere
            response.headers["Connection"] = "close"
            environ.get(CLOSE_ENVIRON, lambda: None)()
        return response(environ, start_response)

    def _answer(self, request: Request, environ) -> Response:
        adapter = self.url_map.bind_to_environ(environ)
        try:
            provider, values = adapter.match()
        except MethodNotAllowed as exc:
            return error_response(405, "method_not_allowed", f"{request.method} is not allowed on {request.path}.",
                                  headers={"Allow": ", ".join(exc.valid_methods or [])})
        except RouteNotFound:
            return error_response(404, "not_found", f"There is no route {request.method} {_printable(request.path)}.")
        except HTTPException as exc:
            return error_response(exc.code or 400, "http_error", exc.description or exc.name)
        request.path_values = check_path(environ, values, self.limits)
        request.query_values = parse_query(environ.get("QUERY_STRING", ""),
                                           max_parameters=self.limits.max_query_parameters)
        read_body(request, environ, getattr(provider, "max_body", None) or self.limits.max_body_bytes,
                  self.limits.body_seconds)
        return provider.handle_request(request)


def _printable(text: str) -> str:
    return text.encode("unicode_escape").decode("ascii")[:200]


def check_path(environ, values: dict, limits: Limits) -> dict:
    """Path values as valid UTF-8 text without spaces, control or bidi characters, bounded."""
    try:
        environ.get("PATH_INFO", "").encode("latin-1").decode("utf-8")
    except UnicodeError:
        raise TextRefused("The path is not valid UTF-8.", {"_path": ["invalid UTF-8"]}) from None
    for name, value in values.items():
        if not isinstance(value, str):
            continue
        if len(value) > limits.max_path_value_length or not PATH_VALUE.match(value) or value.endswith("\n"):
            raise TextRefused(f"The path parameter {name} is not a valid id.",
                              {name: [f"1 to {limits.max_path_value_length} characters, no spaces or "
                                      "control characters"]})
    return values


def read_body(request: Request, environ, cap: int, seconds: float) -> None:
    """Read the whole body now, at most ``cap`` bytes, within ``seconds``; the route reads it from
    memory. A declared length above the cap is refused before a byte is read."""
    declared = environ.get("CONTENT_LENGTH")
    chunked = environ.get("HTTP_TRANSFER_ENCODING", "").lower() == "chunked"
    if declared and int(declared) > cap:
        raise _Refusal(413, "body_too_large", f"The body exceeds {cap} bytes.")
    if not chunked and not (declared and int(declared) > 0):
        environ["wsgi.input"] = io.BytesIO(b"")
        return
    stream = environ["wsgi.input"]
    parts, size = [], 0
    try:
        with eventlet.Timeout(seconds):
            while True:
                part = stream.read(min(65536, cap + 1 - size))
                if not part:
                    break
                parts.append(part)
                size += len(part)
                if size > cap:
                    raise _Refusal(413, "body_too_large", f"The body exceeds {cap} bytes.")
    except eventlet.Timeout:
        raise _Refusal(408, "request_timeout", f"The body did not arrive within {seconds:g} s.") from None
    body = b"".join(parts)
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    environ.pop("HTTP_TRANSFER_ENCODING", None)
    request.body_bytes = body


class ApiServer(WebServer):
    """nameko's web server that stops without errors (SIGTERM, a rolling update): ``drain`` closes
    the listener at once; each kept-alive connection is closed after its current request; a request
    that arrives after that is answered 503 (not started: safe to send again, to another replica);
    ``stop`` (after the requests in flight were answered) gives the connections
    ``DRAIN_LINGER_SECONDS`` to close before the process ends them."""

    def setup(self):
        self.limits = Limits.from_config()
        self.draining = False
        super().setup()

    def drain(self) -> None:
        if self.draining:
            return
        self.draining = True
        self._is_accepting = False
        if self._gt is not None:
            self._gt.kill()         # the accept loop first: closing a socket it waits on would raise in it
        if self._sock is not None:
            # connections the kernel completed but nobody accepted yet would be reset by the close:
            # take them, so that each request on them is answered (503, Connection: close)
            self._sock.settimeout(0.0)
            while True:
                try:
                    sock, address = self._sock.accept()
                except OSError:
                    break
                sock.settimeout(self._serv.socket_timeout)
                self.container.spawn_managed_thread(partial(self.process_request, sock, address))
            self._sock.close()
        log.info("gateway draining: the listener is closed; connections close after their current request")

    def stop(self):
        self.drain()
        deadline = time.monotonic() + float(config.get("GATEWAY_DRAIN_LINGER_SECONDS")
                                              or os.environ.get("GATEWAY_DRAIN_LINGER_SECONDS") or DRAIN_LINGER_SECONDS)
        while getattr(self._serv, "open_connections", 0) > 0 and time.monotonic() < deadline:
            eventlet.sleep(0.02)
        super().stop()

    def get_wsgi_app(self):
        return ApiWsgiApp(self, self.limits)

    def get_wsgi_server(self, sock, wsgi_app, protocol=None, debug=False):
        protocol = type("BoundApiProtocol", (ApiProtocol,), {"limits": self.limits})
        return wsgi.Server(sock, sock.getsockname(), wsgi_app, protocol=protocol, debug=debug,
                           log=logging.getLogger("nameko.web.server"),
                           url_length_limit=self.limits.max_url_bytes,
                           socket_timeout=self.limits.socket_timeout_seconds)

    def context_data_from_headers(self, request):
        correlation = getattr(request, "correlation_id", None) or correlation_from(request.headers)
        # the instant this request stops waiting travels with every call it causes (platform_kit.calls)
        return {CORRELATION_KEY: correlation, DEADLINE_KEY: time.time() + default_timeout()}


# --------------------------------------------------------------------------- routes

class ApiRoute(HttpRequestHandler):
    server = ApiServer()
    guard = Guard()

    def __init__(self, method: str, url: str, *, summary: str = "", body: type[Schema] | None = None,
                 query: type[Schema] | None = None, path: type[Schema] | None = None,
                 response: type[Schema] | None = None, status: int = 200,
                 responses: dict[int, str] | None = None, roles: tuple[str, ...] = (), tags: tuple[str, ...] = (),
                 errors: tuple[int, ...] = (), public: bool = False, many: bool = False,
                 pending_password_ok: bool = False, tenant_scoped: bool = True, max_body: int | None = None,
                 probe: bool = False, idempotency_required: bool = False, header_params: tuple[dict, ...] = (),
                 challenge: str = BEARER_CHALLENGE, body_required: bool = True, **kwargs):
        """``public``: no token needed. ``roles``: any of them may call (empty: any signed-in user).
        ``errors``: the refusals the route itself can answer (the document adds those every
        route can, see ``gateway.openapi``). ``responses``: other success statuses with what they
        mean, e.g. ``{200: "Already bought: the existing project"}``. ``path``: a schema that
        loads and documents the path parameters (a year as an integer with its range).
        ``max_body``: a larger body limit in bytes (uploads). ``tenant_scoped=False`` marks path
        parameters that name no tenant's object (a calendar day, a docs file), so the
        cross-tenant test knows they are not to be probed. ``probe``: a health probe, answered
        without touching anything outside the process (no token, rate count or idempotency
        record in Redis), so a slow Redis can never fail the liveness of the gateway.
        ``idempotency_required``: a request without an ``Idempotency-Key`` header is refused (400)
        before the route runs (an order must never be placed twice); the document states the
        header as required. ``header_params``: other request headers the route reads, as OpenAPI
        parameter objects (a public route authenticated by a signature header documents it).
        ``challenge``: the ``WWW-Authenticate`` value of the route's 401s, naming the scheme it
        takes (a route authenticated by a signature challenges with that signature's scheme).
        ``body_required=False``: the JSON ``body`` may be left out (the route reads it with
        ``read_optional_json``), so callers of a route that took none before keep working."""
        # business refusals (4xx) are answers, not faults: nameko logs them without a traceback
        kwargs.setdefault("expected_exceptions", (PlatformError,))
        super().__init__(method, url, **kwargs)
        self.summary, self.body, self.query, self.path, self.response = summary, body, query, path, response
        self.status, self.responses, self.roles, self.tags = status, dict(responses or {}), roles, tags
        self.errors, self.public, self.many = errors, public, many
        self.pending_password_ok, self.tenant_scoped, self.max_body = pending_password_ok, tenant_scoped, max_body
        self.probe, self.idempotency_required = probe, idempotency_required
        self.header_params, self.challenge = tuple(header_params), challenge
        self.body_required = body_required

    def handle_request(self, request):
        request.shallow = False
        context = self.server.context_data_from_headers(request)
        request.correlation_id = context[CORRELATION_KEY]
        request.actor = request.claims = None
        request.client_address = self.guard.client_address(request)
        idempotency = None
        if self.probe:
            try:
                response = self._run_worker(request, context)
            except Exception as exc:
                response = self.response_from_exception(exc, request.correlation_id)
            response.headers["X-Request-ID"] = request.correlation_id
            return response
        try:
            request.claims = self.guard.admit(request, self.public, partial(self._identify_key, context))
            if request.claims:
                request.actor = self.guard.authorise(request.claims, self.roles, self.pending_password_ok)
                context[ACTOR_KEY] = request.actor.to_header()
            if self.idempotency_required and not request.headers.get("Idempotency-Key"):
                raise ValidationFailed("This request needs an Idempotency-Key header.",
                                       {"Idempotency-Key": ["required"]})
            client = client_of(request.actor, request)
            idempotency = self.guard.idempotency_begin(client, request)
            if idempotency is not None and not isinstance(idempotency, Response):
                context[IDEMPOTENCY_KEY] = scoped_key(client, request.headers["Idempotency-Key"])
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

    def stop(self):
        self.server.drain()       # the first route told to stop closes the listener for all
        super().stop()

    def _identify_key(self, context: dict, key: str) -> dict:
        """identity's answer about an integrator key (GW-6), asked before any worker runs: through
        the RPC client of the gateway's own ``services`` dependency, bounded like every call."""
        rpc = next(d for d in self.container.dependencies if isinstance(d, NamekoClusterRpc))
        client = Client(rpc.publisher.publish, rpc.reply_listener.register_for_reply, dict(context))
        return Services(client, default_timeout()).identity.authenticate_api_key(key)

    def get_entrypoint_parameters(self, request):
        args, kwargs = super().get_entrypoint_parameters(request)
        if self.path is not None:
            try:
                kwargs.update(self.path().load(dict(request.path_values)))
            except ValidationError as err:
                raise ValidationFailed("Some path parameters are not valid.", flatten_messages(err.messages)) from None
        return args, kwargs

    def _run_worker(self, request, context) -> Response:
        args, kwargs = self.get_entrypoint_parameters(request)
        self.check_signature(args, kwargs)
        event = Event()
        try:
            self.container.spawn_worker(self, args, kwargs, context_data=context,
                                        handle_result=partial(self.handle_result, event))
        except ContainerBeingKilled:
            raise ServiceUnavailable("The gateway is restarting; please retry.") from None
        return self.response_from_result(event.wait())

    def response_from_exception(self, exc, correlation_id: str = "") -> Response:
        if isinstance(exc, TextRefused):
            exc = ValidationFailed(exc.message, exc.fields)
        if isinstance(exc, PlatformError):
            response = error_response(exc.status, exc.code, exc.message, exc.fields)
            if isinstance(exc, RateLimited) and exc.fields.get("retry_after"):
                response.headers["Retry-After"] = str(exc.fields["retry_after"][0])
            if isinstance(exc, Unauthenticated):
                response.headers["WWW-Authenticate"] = self.challenge
            if isinstance(exc, ServiceUnavailable):
                response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
            return response
        log.error("unexpected error answering a request", exc_info=exc)
        return error_response(500, "internal_error",
                              f"Something went wrong on our side. Quote request id {correlation_id}.")


route = ApiRoute.decorator


# --------------------------------------------------------------------------- reading input

def _limits(request: Request) -> Limits:
    return getattr(request, "limits", None) or Limits()


def _yield_now() -> None:
    eventlet.sleep(0)


def read_optional_json(request: Request, schema: Schema):
    """``read_json`` for a route whose body may be left out: no body loads as an empty object."""
    if not request.get_data(cache=True).strip():
        return schema.load({})
    return read_json(request, schema)


def read_json(request: Request, schema: Schema):
    """Parse and validate a JSON body; every problem becomes a 400 naming the fields.

    The text rules and bounds apply before the schema sees the payload, and unknown fields are
    named in linear time (marshmallow's own check merges one error per field by copying)."""
    if request.mimetype != JSON:
        raise ValidationFailed("The body must be JSON (Content-Type: application/json).",
                               {"_body": ["expected application/json"]})
    limits = _limits(request)
    raw = request.get_data(cache=True)
    if not raw.strip():
        raise ValidationFailed("The body must be a JSON object.", {"_body": ["expected an object"]})
    try:
        payload = parse_json(raw, max_depth=limits.max_json_depth, max_keys=limits.max_json_keys,
                             max_values=limits.max_json_values, pause=_yield_now)
        if not isinstance(payload, dict):
            raise ValidationFailed("The body must be a JSON object.", {"_body": ["expected an object"]})
        wrong = wrong_json_types(schema, payload)
        if wrong:
            raise ValidationFailed("Some fields have the wrong type.", wrong)
        loaded = _load(schema, payload)
        check_tree(loaded, max_depth=limits.max_json_depth + 8, pause=_yield_now)
        return loaded
    except TextRefused as refused:
        raise ValidationFailed(refused.message, refused.fields) from None
    except ValidationError as err:
        raise ValidationFailed("Some fields are not valid.", flatten_messages(err.messages)) from None


def _json_type_problem(field, value) -> str | None:
    """What is wrong with a JSON value for a number or boolean field: the OpenAPI document is the
    contract, so "3" is not an integer and "yes" not a boolean (marshmallow would coerce both)."""
    if value is None:
        return None
    if isinstance(field, fields.Boolean):
        return None if isinstance(value, bool) else "Not a valid boolean: send true or false."
    if isinstance(field, fields.Integer):
        return None if isinstance(value, int) and not isinstance(value, bool) else \
            "Not a valid integer: send a JSON number without quotes."
    if isinstance(field, fields.Number):
        return None if isinstance(value, int | float) and not isinstance(value, bool) else \
            "Not a valid number: send a JSON number without quotes."
    return None


def wrong_json_types(schema: Schema, payload, path: str = "") -> dict[str, list[str]]:
    """Every number or boolean field of a request body (nested objects and lists too) sent as
    another JSON type, by its path; the rest is the schema's to judge."""
    found: dict[str, list[str]] = {}
    if not isinstance(payload, dict):
        return found

    def check(field, value, at: str) -> None:
        problem = _json_type_problem(field, value)
        if problem:
            found[at] = [problem]
        elif isinstance(field, fields.Nested) and isinstance(field.schema, Schema):
            items = value if field.many and isinstance(value, list) else [value]
            for i, item in enumerate(items):
                found.update(wrong_json_types(field.schema, item, f"{at}[{i}]" if field.many else at))
        elif isinstance(field, fields.List) and isinstance(value, list):
            for i, item in enumerate(value):
                check(field.inner, item, f"{at}[{i}]")

    for name, field in schema.load_fields.items():
        key = field.data_key or name
        if key in payload:
            check(field, payload[key], f"{path}.{key}" if path else key)
    return found


def _load(schema: Schema, payload: dict):
    """``schema.load``, with a strict schema's unknown fields named first in linear time (at most
    20 of them) together with what is wrong with the known ones."""
    if schema.unknown != RAISE:
        return schema.load(payload)
    allowed = {f.data_key or n for n, f in schema.load_fields.items()}
    try:
        check_unknown_fields(allowed, payload)
    except TextRefused as unknown:
        try:
            schema.load({k: v for k, v in payload.items() if k in allowed})
        except ValidationError as err:
            raise ValidationFailed(unknown.message, {**flatten_messages(err.messages), **unknown.fields}) from None
        raise
    return schema.load(payload)


def read_query(request: Request, schema: Schema):
    """Validate the query parameters (already parsed by the server's rules: each at most once)."""
    values = getattr(request, "query_values", None)
    if values is None:
        values = parse_query(request.environ.get("QUERY_STRING", ""))
    try:
        loaded = _load(schema, values)
        check_tree(loaded)
        return loaded
    except TextRefused as refused:
        raise ValidationFailed(refused.message, refused.fields) from None
    except ValidationError as err:
        raise ValidationFailed("Some query parameters are not valid.", flatten_messages(err.messages)) from None
