"""RPC clients for services, without a broker round trip per call that buys nothing.

nameko's client publishes every request with ``declare=[reply queue]``. The reply queue has an
``x-expires`` argument, so kombu never caches that declaration and sends ``queue.declare`` to the
broker before every single request. While the client's reply consumer is connected the queue
cannot expire (expiry counts only unused time), and the consumer declares it again whenever it
reconnects, so these clients publish without it: measured in bench/, about a quarter of the
gateway's time per request.
"""
from __future__ import annotations

from nameko.rpc import ClusterRpc as _ClusterRpc
from nameko.rpc import ServiceRpc as _ServiceRpc


class ClusterRpc(_ClusterRpc):
    def setup(self) -> None:
        super().setup()
        self.publisher.declare = []


class ServiceRpc(_ServiceRpc):
    def setup(self) -> None:
        super().setup()
        self.publisher.declare = []
