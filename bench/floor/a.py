"""The floor's first hop: an RPC that inserts a row and emits ``created``."""
from __future__ import annotations

import uuid

from nameko.events import EventDispatcher
from nameko.rpc import rpc
from nameko.web.handlers import http

from bench.floor import health_response, insert


class FloorA:
    name = "floor_a"
    dispatch = EventDispatcher()

    @rpc
    def create(self, order_id: str) -> str:
        insert("fa", order_id)
        self.dispatch("created", {"order_id": order_id})
        return str(uuid.uuid4())

    @rpc
    def noop(self) -> int:
        return 1

    @http("GET", "/health")
    def health(self, request):
        return health_response()
