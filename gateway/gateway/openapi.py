"""The OpenAPI 3 document, generated from the routes and the marshmallow schemas they validate with.

It states every rule the server enforces and every status a route can answer:
- a route's own statuses come from its declaration (``status``, ``responses``, ``errors``);
- the statuses every route can answer are added here, from the mechanism that causes them
  (``gateway.web``: limits, text rules, the guard), so no route can forget one:
  400 (a path value, query string or body breaking the text rules), 408/413 (a body too slow or
  too large), 414/431 (a request line or headers too long), 429 (rate limit), 503 (a service did
  not answer), 401/403 on routes that need a token, 404 on routes with path parameters, 409/422
  on writes (an ``Idempotency-Key`` in flight, or reused with another body);
- the rules every value obeys are added to the schemas: integers within PostgreSQL's ``bigint``,
  strings without NUL, query values and path values without control characters.
"""
from __future__ import annotations

import copy
import inspect
import re

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import RAISE
from marshmallow import fields as ma_fields

from gateway.web import ApiRoute, Limits
from platform_kit.text import IDENTIFIER_PATTERN, INT64_MAX, INT64_MIN, NAME_PATTERN, NO_NUL

_PATH_PARAM = re.compile(r"<(?:[a-z_]+:)?([a-z_]+)>")
WRITE_METHODS = {"post", "put", "patch", "delete"}
ERROR_SCHEMA = {
    "type": "object",
    "required": ["error", "message"],
    "additionalProperties": False,
    "properties": {
        "error": {"type": "string", "example": "validation_failed"},
        "message": {"type": "string", "example": "Some fields are not valid."},
        "fields": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}},
                   "description": "Each wrong field by its path (`admin.login_name`, `roles[0]`) with its messages.",
                   "example": {"order_id": ["Missing data for required field."]}},
    },
}
ERROR_TEXT = {
    400: ("Bad input: each wrong field is named (also: text that is not valid UTF-8, NUL or control characters, "
          "numbers outside 64-bit integers, duplicate JSON keys, repeated query parameters, JSON nested too "
          "deeply or with too many keys)", "validation_failed", "Some fields are not valid.",
          {"order_id": ["Missing data for required field."]}),
    401: ("No, expired or revoked token", "unauthenticated", "Sign in and send the access token.", None),
    403: ("Not allowed for your role", "forbidden", "Your role does not allow this.", None),
    404: ("Not found (or not yours)", "not_found", "No such object.", None),
    408: ("The body did not arrive in time", "request_timeout", "The body did not arrive within 30 s.", None),
    409: ("Conflict (or a request with the same Idempotency-Key is still in flight)", "conflict",
          "A request with this Idempotency-Key is still being processed; retry shortly.", None),
    413: ("The body is larger than this route accepts", "body_too_large", "The body exceeds 1048576 bytes.", None),
    414: ("The request line is too long", "uri_too_long", "The request line exceeds 8192 bytes.", None),
    422: ("Refused by a business rule (or an Idempotency-Key reused with another request)", "unprocessable",
          "This Idempotency-Key was used with another request; use a new key.", None),
    429: ("Too many requests (see Retry-After)", "rate_limited", "Too many requests: at most 600 a minute.",
          {"retry_after": ["42"]}),
    431: ("The headers are too large", "header_too_large", "The headers exceed 32768 bytes.", None),
    503: ("A service is unavailable; retry", "service_unavailable", "The project service did not answer in time.",
          None),
}
REQUEST_ID_HEADER = {"X-Request-ID": {"description": "The correlation id of this request (quote it to support)",
                                      "schema": {"type": "string"}}}


def routes_of(service_cls) -> list[tuple[str, ApiRoute]]:
    found = []
    for name, member in inspect.getmembers(service_cls):
        for entrypoint in getattr(member, "nameko_entrypoints", ()):
            if isinstance(entrypoint, ApiRoute):
                found.append((name, entrypoint))
    return sorted(found, key=lambda item: (item[1].url, item[1].method))


def openapi_path(url: str) -> str:
    return _PATH_PARAM.sub(r"{\1}", url)


def statuses(r: ApiRoute, method: str) -> set[int]:
    """Every refusal a route can answer: its own and those of the mechanism every route passes."""
    codes = set(r.errors) | {400, 408, 413, 414, 429, 431, 503}
    if not r.public:
        codes |= {401, 403}
    if _PATH_PARAM.search(r.url):
        codes.add(404)
    if method in WRITE_METHODS:
        codes |= {409, 422}
    return codes


def path_parameters(r: ApiRoute, converter) -> list[dict]:
    limits = Limits()
    declared = r.path().fields if r.path else {}
    params = []
    for name in _PATH_PARAM.findall(r.url):
        if name in declared:
            schema = converter.field2property(declared[name])
        else:
            schema = {"type": "string", "minLength": 1, "maxLength": limits.max_path_value_length,
                      "pattern": IDENTIFIER_PATTERN}
        params.append({"in": "path", "name": name, "required": True, "schema": schema})
    return params


def error_response(code: int) -> dict:
    text, error, message, fields = ERROR_TEXT.get(code, ("Error", "error", "Refused.", None))
    example = {"error": error, "message": message, **({"fields": fields} if fields else {})}
    return {"description": text, "headers": REQUEST_ID_HEADER,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}, "example": example}}}


TIME_PATTERN = "^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\\.[0-9]{1,6})?)?$"


def time_of_day(self, field, **kwargs) -> dict:
    """marshmallow's ``Time`` reads ``HH:MM[:SS[.ffffff]]`` (no zone); apispec says only "string"."""
    # Time is a subclass of DateTime in marshmallow 3.2x (not the other way round)
    if isinstance(field, ma_fields.Time):
        return {"pattern": TIME_PATTERN, "example": "08:30:00"}
    return {}


def build_spec(service_cls, *, title: str, version: str, description: str) -> dict:
    plugin = MarshmallowPlugin()
    spec = APISpec(title=title, version=version, openapi_version="3.0.3", info={"description": description},
                   plugins=[plugin])
    plugin.converter.add_attribute_function(time_of_day)
    spec.components.schema("Error", ERROR_SCHEMA)
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
    spec.components.security_scheme("apiKey", {
        "type": "apiKey", "in": "header", "name": "X-Api-Key",
        "description": "An organisation's integrator key (GW-6), `dpk_...`, made by its admin with "
                       "`POST /api/v1/api-keys`; acts with the key's roles (docs/integrators.md)."})
    paths: dict[str, dict] = {}
    for name, r in routes_of(service_cls):
        for method in (m.strip().lower() for m in r.method.split(",")):
            paths.setdefault(openapi_path(r.url), {})[method] = operation_of(service_cls, name, r, method,
                                                                             plugin.converter)
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    document = spec.to_dict()
    closed_request_schemas(document, {name: key[0] for key, name in plugin.converter.refs.items()})
    return with_platform_rules(document)


def closed_request_schemas(document: dict, classes: dict[str, type]) -> None:
    """``additionalProperties: false`` on every request schema that refuses unknown fields.

    apispec states it only when a schema's ``Meta`` names ``unknown``; marshmallow refuses
    unknown fields by default too, so the effective option of each class decides here (and a
    class's ``Meta.json_schema`` adds what its cross-field validators enforce). Only
    schemas reachable from a request body: what a response may carry is the service's to say."""
    components = document.get("components", {}).get("schemas", {})
    pending = [op["requestBody"]["content"]["application/json"]["schema"]
               for ops in document.get("paths", {}).values() for op in ops.values()
               if "application/json" in op.get("requestBody", {}).get("content", {})]
    seen: set[str] = set()
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/components/schemas/"):
                name = ref.rsplit("/", 1)[1]
                if name not in seen and name in components:
                    seen.add(name)
                    cls = classes.get(name)
                    if cls is not None and cls.opts.unknown == RAISE:
                        components[name].setdefault("additionalProperties", False)
                    # a rule across fields that marshmallow checks in a validator, stated as JSON
                    # Schema by the class (``Meta.json_schema``, e.g. a oneOf of required fields)
                    components[name].update(copy.deepcopy(getattr(getattr(cls, "Meta", None), "json_schema", {})))
                    pending.append(components[name])
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)


def operation_of(service_cls, name: str, r: ApiRoute, method: str, converter) -> dict:
    operation: dict = {"operationId": name, "summary": r.summary or name.replace("_", " "),
                       "tags": list(r.tags), "responses": {}}
    doc = inspect.getdoc(getattr(service_cls, name))
    if doc:
        operation["description"] = doc
    if r.roles:
        operation["x-roles"] = list(r.roles)
    if _PATH_PARAM.search(r.url):
        operation["x-tenant-scoped"] = r.tenant_scoped
    if not r.public:
        operation["security"] = [{"bearer": []}, {"apiKey": []}]
    params = path_parameters(r, converter)
    if r.query:
        params.append({"in": "query", "schema": r.query})
    params.extend(copy.deepcopy(list(r.header_params)))
    if method in WRITE_METHODS:
        params.append({"in": "header", "name": "Idempotency-Key", "required": r.idempotency_required,
                       "description": "Makes a retried write safe: the same key and body replay the first answer.",
                       "schema": {"type": "string", "minLength": 1, "maxLength": 200}})
    if params:
        operation["parameters"] = params
    if r.body:
        operation["requestBody"] = {"required": r.body_required,
                                    "content": {"application/json": {"schema": r.body}}}
    elif r.max_body:
        # an upload without a JSON body: the raw file is the body, its type the Content-Type
        operation["requestBody"] = {"required": True, "content": {"application/octet-stream": {"schema": {
            "type": "string", "format": "binary", "minLength": 1, "maxLength": r.max_body}}}}
    operation["x-max-body-bytes"] = r.max_body or Limits().max_body_bytes
    schema = ({"type": "array", "items": r.response} if r.many else r.response) if r.response else None
    for code, text in {r.status: "OK", **r.responses}.items():
        success = {"description": text, "headers": REQUEST_ID_HEADER}
        if schema is not None:
            success["content"] = {"application/json": {"schema": schema}}
        operation["responses"][str(code)] = success
    for code in sorted(statuses(r, method) - {r.status, *r.responses}):
        operation["responses"][str(code)] = error_response(code)
    return operation


# --------------------------------------------------------------------------- rules every value obeys

def with_platform_rules(document: dict) -> dict:
    """Integers within bigint, strings without NUL, query values without control characters:
    what ``platform_kit.text`` enforces on every request, stated where the schemas are."""
    document = copy.deepcopy(document)
    for schema in document.get("components", {}).get("schemas", {}).values():
        _bound(schema, NO_NUL)
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            for param in operation.get("parameters", ()):
                if param.get("in") == "query":
                    _bound(param.get("schema", {}), _query_pattern())
            body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
            if "schema" in body:
                _bound(body["schema"], NO_NUL)
    return document


def _query_pattern() -> str:
    """A query value: no control or bidi characters; may be empty (``?status=`` names no filter)."""
    return NAME_PATTERN.split("]*[")[0] + "]*$"


def _bound(schema: dict, text_pattern: str) -> None:
    if not isinstance(schema, dict) or "$ref" in schema:
        return
    kind = schema.get("type")
    if kind == "integer":
        schema.setdefault("minimum", INT64_MIN)
        schema.setdefault("maximum", INT64_MAX)
    elif kind == "string" and not ({"pattern", "enum", "format"} & set(schema)):
        schema["pattern"] = text_pattern
    elif kind == "object" and "properties" not in schema and schema.get("additionalProperties") is not False:
        # a map's keys obey the text rules too (``check_tree`` refuses a key with NUL)
        schema.setdefault("propertyNames", {"pattern": NO_NUL})
    for key in ("properties", "patternProperties"):
        for sub in schema.get(key, {}).values():
            _bound(sub, text_pattern)
    for key in ("items", "additionalProperties", "not"):
        if isinstance(schema.get(key), dict):
            _bound(schema[key], text_pattern)
    for key in ("allOf", "anyOf", "oneOf"):
        for sub in schema.get(key, ()):
            _bound(sub, text_pattern)


def main() -> None:
    """``python -m gateway.openapi > docs/openapi.json``: the API document, as the gateway serves it."""
    import json
    import sys

    from gateway.service import GatewayService

    sys.stdout.write(json.dumps(GatewayService.openapi_document(), indent=2, sort_keys=True, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
