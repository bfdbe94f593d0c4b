"""The floor's second hop: on ``created`` insert a row and emit ``assigned``."""
from __future__ import annotations

from nameko.events import EventDispatcher, event_handler
from nameko.web.handlers import http

from bench.floor import health_response, insert


class FloorB:
    name = "floor_b"
    dispatch = EventDispatcher()

    @event_handler("floor_a", "created")
    def on_created(self, payload: dict) -> None:
        insert("fb", payload["order_id"])
        self.dispatch("assigned", payload)

    @http("GET", "/health")
    def health(self, request):
        return health_response()
