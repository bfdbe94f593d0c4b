"""Refusals on the wire: the pure classes of ``platform_kit.exceptions`` registered with nameko.

Registered with ``deserialize_to_instance``, a refusal crosses RPC as itself, so the caller of an
RPC catches ``NotFound`` rather than a generic ``RemoteError``; the gateway turns it into
``{"error": code, "message": ..., "fields": {...}}`` with ``status``. A service's own subclass
(``NodeNotCurrent(Unprocessable)``) is sent as the registered base it extends (``rpc`` below), with
its message and fields, so no caller needs to import another service's exceptions.
"""
from __future__ import annotations

from marshmallow import ValidationError
from nameko.exceptions import deserialize_to_instance
from nameko.rpc import Rpc

from platform_kit.exceptions import (
    Conflict,
    Forbidden,
    NotFound,
    PlatformError,
    RateLimited,
    ServiceUnavailable,
    Unauthenticated,
    Unprocessable,
    ValidationFailed,
)

__all__ = ["PlatformError", "ValidationFailed", "Unauthenticated", "Forbidden", "NotFound", "Conflict",
           "Unprocessable", "RateLimited", "ServiceUnavailable", "EXPECTED", "rpc", "validation_failed"]

EXPECTED = (ValidationFailed, Unauthenticated, Forbidden, NotFound, Conflict, Unprocessable, RateLimited,
            ServiceUnavailable)
for _cls in EXPECTED:
    deserialize_to_instance(_cls)


def validation_failed(err: ValidationError, message: str = "Some fields are not valid.") -> ValidationFailed:
    messages = err.messages if isinstance(err.messages, dict) else {"_schema": err.messages}
    return ValidationFailed(message, messages)



def on_the_wire(exc: BaseException) -> BaseException:
    """A service's own refusal as the registered platform class it extends."""
    if type(exc) in EXPECTED or not isinstance(exc, PlatformError):
        return exc
    base = next(cls for cls in type(exc).__mro__ if cls in EXPECTED or cls is PlatformError)
    wire = base(exc.message, exc.fields)
    wire.__cause__ = exc
    return wire


class PlatformRpc(Rpc):
    """nameko's RPC entrypoint whose expected refusals are sent as platform classes (see above)."""

    def __init__(self, expected_exceptions=EXPECTED, **kwargs):
        super().__init__(expected_exceptions=expected_exceptions, **kwargs)

    def handle_result(self, message, worker_ctx, result, exc_info):
        if exc_info is not None:
            exc_info = (type(wire := on_the_wire(exc_info[1])), wire, exc_info[2])
        return super().handle_result(message, worker_ctx, result, exc_info)


rpc = PlatformRpc.decorator
