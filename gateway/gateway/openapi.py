"""The OpenAPI 3 document, generated from the routes and the marshmallow schemas they validate with."""
from __future__ import annotations

import inspect
import re

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from gateway.web import ApiRoute

_PATH_PARAM = re.compile(r"<(?:[a-z_]+:)?([a-z_]+)>")
ERROR_SCHEMA = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {
        "error": {"type": "string", "example": "validation_failed"},
        "message": {"type": "string", "example": "Some fields are not valid."},
        "fields": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}},
                   "example": {"order_id": ["Missing data for required field."]}},
    },
}
ERROR_TEXT = {400: "Bad input: each wrong field is named", 401: "No, expired or revoked token",
              403: "Not allowed for your role", 404: "Not found (or not yours)", 409: "Conflict",
              422: "Refused by a business rule", 429: "Too many requests", 503: "A service is unavailable"}


def routes_of(service_cls) -> list[tuple[str, ApiRoute]]:
    found = []
    for name, member in inspect.getmembers(service_cls):
        for entrypoint in getattr(member, "nameko_entrypoints", ()):
            if isinstance(entrypoint, ApiRoute):
                found.append((name, entrypoint))
    return sorted(found, key=lambda item: (item[1].url, item[1].method))


def openapi_path(url: str) -> str:
    return _PATH_PARAM.sub(r"{\1}", url)


def build_spec(service_cls, *, title: str, version: str, description: str) -> dict:
    spec = APISpec(title=title, version=version, openapi_version="3.0.3", info={"description": description},
                   plugins=[MarshmallowPlugin()])
    spec.components.schema("Error", ERROR_SCHEMA)
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
    paths: dict[str, dict] = {}
    for name, r in routes_of(service_cls):
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
            operation["security"] = [{"bearer": []}]
        params = [{"in": "path", "name": p, "required": True, "schema": {"type": "string"}}
                  for p in _PATH_PARAM.findall(r.url)]
        if r.query:
            params.append({"in": "query", "schema": r.query})
        if params:
            operation["parameters"] = params
        if r.body:
            operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": r.body}}}
        success = {"description": "OK"}
        if r.response:
            schema = {"type": "array", "items": r.response} if r.many else r.response
            success["content"] = {"application/json": {"schema": schema}}
        operation["responses"][str(r.status)] = success
        codes = set(r.errors) | {429} | ({400} if (r.body or r.query) else set()) | (
            set() if r.public else {401, 403})
        for code in sorted(codes):
            operation["responses"][str(code)] = {
                "description": ERROR_TEXT.get(code, "Error"),
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        for method in r.method.split(","):
            paths.setdefault(openapi_path(r.url), {})[method.strip().lower()] = operation
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()


def main() -> None:
    """``python -m gateway.openapi > docs/openapi.json``: the API document, as the gateway serves it."""
    import json
    import sys

    from gateway.service import GatewayService

    sys.stdout.write(json.dumps(GatewayService.openapi_document(), indent=2, sort_keys=True, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
