"""An operation's id derived from the caller's ``Idempotency-Key``: the guarantee of "once" lives
with the effect, not in the gateway's cache.

The gateway remembers a key's answer in Redis, but that is an optimisation: it forgets the key on
a 5xx (the caller is told to retry), and a write may still commit after the caller got a 503 at
its deadline. So the gateway also puts the key, scoped to the caller, into nameko's context data
(``IDEMPOTENCY_KEY``), which travels with every RPC the request causes. A service whose write is
not naturally idempotent (it creates something new: a refund, a record) names the new thing with
``self.operation.id("refund:" + order_id)``: the same key and operation give the same id, so a
retry finds what the first attempt committed (unique id, in the same transaction as the effect)
instead of making a second one. Without a key the id is random, as before.
"""
from __future__ import annotations

import hashlib
import uuid

from nameko.extensions import DependencyProvider

IDEMPOTENCY_KEY = "idempotency_key"
_NAMESPACE = uuid.UUID("4f1c7a52-9d4e-4a43-8f0e-6f3b1b9a2c10")


def scoped_key(scope: str, key: str) -> str:
    """The key as services see it: a digest of the caller and the key (two callers may pick the
    same key; neither can reach the other's operations, and no raw key travels)."""
    return hashlib.sha256(f"{scope}\n{key}".encode()).hexdigest()


def operation_id(key: str | None, operation: str) -> str:
    """A UUID derived from the scoped key and the operation's name, or a random one without a key."""
    if not key:
        return str(uuid.uuid4())
    return str(uuid.uuid5(_NAMESPACE, f"{key}\n{operation}"))


class OperationIds:
    def __init__(self, key: str | None):
        self.key = key

    def id(self, operation: str) -> str:
        return operation_id(self.key, operation)


class Operation(DependencyProvider):
    """``self.operation``: derives the ids of what this request creates from its idempotency key."""

    def get_dependency(self, worker_ctx) -> OperationIds:
        return OperationIds(worker_ctx.context_data.get(IDEMPOTENCY_KEY))
