"""The floor's HTTP edge: POST /purchase -> floor_a.create, GET /ping -> floor_a.noop."""
from __future__ import annotations

import json

from nameko.rpc import ServiceRpc
from nameko.web.handlers import http
from werkzeug.wrappers import Response

from bench.floor import health_response


class FloorGateway:
    name = "floor_gateway"
    a = ServiceRpc("floor_a")

    @http("POST", "/purchase")
    def purchase(self, request) -> Response:
        order_id = json.loads(request.get_data())["order_id"]
        return Response(json.dumps({"id": self.a.create(order_id)}), mimetype="application/json")

    @http("GET", "/ping")
    def ping(self, request) -> Response:
        return Response(json.dumps({"pong": self.a.noop()}), mimetype="application/json")

    @http("GET", "/health")
    def health(self, request) -> Response:
        return health_response()
