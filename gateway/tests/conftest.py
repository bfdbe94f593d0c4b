"""A small service built from the gateway's own web mechanics, on a free port, with real Redis.

The routes of the real gateway call services over RPC; these call nothing, so the mechanics
(limits, text rules, error shapes, the HTTP server's own answers) are tested fast and alone."""
import secrets
import socket
import uuid

import pytest
from marshmallow import RAISE, Schema, fields, validate
from nameko import config

from gateway.web import json_response, read_json, read_query, route
from platform_kit.text import Identifier, Int64, Name


class Admin(Schema):
    class Meta:
        unknown = RAISE

    login_name = Identifier(required=True, max_length=64)
    display_name = Name(required=True, max_length=100)


class Body(Schema):
    class Meta:
        unknown = RAISE

    name = Name(required=True, max_length=50)
    admin = fields.Nested(Admin, required=True)
    roles = fields.List(fields.String(validate=validate.OneOf(["engineer", "designer"])),
                        validate=validate.Length(min=1))
    count = Int64(load_default=0)


class Page(Schema):
    class Meta:
        unknown = RAISE

    limit = fields.Integer(load_default=10)
    offset = fields.Integer(load_default=0)
    q = fields.String(load_default="")


class Year(Schema):
    year = fields.Integer(required=True, validate=validate.Range(2000, 2100))


class FakeGateway:
    name = "fake_gateway"

    @route("POST", "/things", body=Body, public=True, status=201)
    def create(self, request):
        return json_response(read_json(request, Body()), status=201)

    @route("GET", "/things", query=Page, public=True)
    def list(self, request):
        return json_response(read_query(request, Page()))

    @route("GET", "/things/<thing_id>", public=True)
    def get(self, request, thing_id):
        return json_response({"id": thing_id})

    @route("GET", "/years/<year>", path=Year, public=True)
    def year(self, request, year):
        return json_response({"year": year, "type": type(year).__name__})

    @route("POST", "/uploads", public=True, max_body=3 * 1024 * 1024)
    def upload(self, request):
        return json_response({"size": len(request.get_data())})

    @route("GET", "/health", public=True)
    def health(self, request):
        return json_response({"status": "ok"})

    @route("GET", "/boom", public=True)
    def boom(self, request):
        raise RuntimeError("a fault of ours")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def gateway(container_factory):
    """The base URL of a running FakeGateway (1 MB body limit, small JSON limits for speed)."""
    port = free_port()
    settings = {"WEB_SERVER_ADDRESS": f"127.0.0.1:{port}", "JWT_SECRET": secrets.token_urlsafe(32),
                "REDIS_URL": "redis://127.0.0.1:6379/0", "REDIS_KEY_PREFIX": f"gwtest-{uuid.uuid4().hex[:8]}",
                "AMQP_URI": "memory://", "RATE_LIMIT_PER_MINUTE": 100_000, "GATEWAY_BODY_SECONDS": 2}
    with config.patch(settings):
        container = container_factory(FakeGateway)
        container.start()
        yield f"http://127.0.0.1:{port}"
