"""The two places where the platform adjusts nameko 3.0.0rc11's RPC internals, in one module.

Both were measured in bench/ (together about a third of a signed-in round trip) and both rely on
details of nameko that an upgrade may change; ``tests/unit/test_nameko_adapters.py`` pins those
details, so an upgrade that moves them fails loudly instead of quietly losing the gain.

1. ``ClusterRpc``: an RPC client that publishes requests without re-declaring the
   reply queue. nameko publishes every request with ``declare=[reply queue]``; the reply queue
   has an ``x-expires`` argument, so kombu never caches that declaration and sends
   ``queue.declare`` to the broker before every single request. While the client's reply
   consumer is connected the queue cannot expire (expiry counts only unused time), and the
   consumer declares it again whenever it reconnects, so the declaration buys nothing.
2. ``apply()``: RPC replies without publisher confirms. Replies go to the caller's non-durable
   reply queue and every caller waits with a time limit, so waiting for the broker to confirm
   each reply buys nothing. Requests keep their confirms: nameko needs them to report an
   unknown service. Applied explicitly at process start (``platform_kit.run``, the test plugin),
   never as a side effect of an import.
"""
from __future__ import annotations

from functools import partial

from nameko.amqp.publish import Publisher
from nameko.rpc import ClusterRpc as _ClusterRpc
from nameko.rpc import Responder


class ClusterRpc(_ClusterRpc):
    def setup(self) -> None:
        super().setup()
        self.publisher.declare = []


def apply() -> None:
    """RPC replies of this process are published without waiting for the broker's confirm."""
    Responder.publisher_cls = partial(Publisher, use_confirms=False)


def applied() -> bool:
    cls = Responder.publisher_cls
    return isinstance(cls, partial) and cls.func is Publisher and cls.keywords == {"use_confirms": False}
