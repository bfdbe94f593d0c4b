"""The floor's last hop: on ``assigned`` insert a row."""
from __future__ import annotations

from nameko.events import event_handler
from nameko.web.handlers import http

from bench.floor import health_response, insert


class FloorC:
    name = "floor_c"

    @event_handler("floor_b", "assigned")
    def on_assigned(self, payload: dict) -> None:
        insert("fc", payload["order_id"])

    @http("GET", "/health")
    def health(self, request):
        return health_response()
