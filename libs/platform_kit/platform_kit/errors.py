"""Errors a service raises on purpose; they cross RPC as themselves and map to one HTTP status.

Each is registered with nameko's ``deserialize_to_instance`` so the caller of an RPC catches
``NotFound`` rather than a generic ``RemoteError``; the gateway turns them into
``{"error": code, "message": ..., "fields": {...}}`` with ``status``.
"""
from __future__ import annotations

from marshmallow import ValidationError
from nameko.exceptions import deserialize_to_instance


class PlatformError(Exception):
    code = "error"
    status = 400

    def __init__(self, message: str, fields: dict | None = None):
        super().__init__(message, fields or {})
        self.message = message
        self.fields = fields or {}

    def __str__(self) -> str:
        return self.message


@deserialize_to_instance
class ValidationFailed(PlatformError):
    code, status = "validation_failed", 400

    @classmethod
    def from_marshmallow(cls, err: ValidationError, message: str = "Some fields are not valid.") -> ValidationFailed:
        messages = err.messages if isinstance(err.messages, dict) else {"_schema": err.messages}
        return cls(message, messages)


@deserialize_to_instance
class Unauthenticated(PlatformError):
    code, status = "unauthenticated", 401


@deserialize_to_instance
class Forbidden(PlatformError):
    code, status = "forbidden", 403


@deserialize_to_instance
class NotFound(PlatformError):
    code, status = "not_found", 404


@deserialize_to_instance
class Conflict(PlatformError):
    code, status = "conflict", 409


@deserialize_to_instance
class Unprocessable(PlatformError):
    """The request is well formed but the business rules refuse it (e.g. a wrong state)."""
    code, status = "unprocessable", 422


@deserialize_to_instance
class RateLimited(PlatformError):
    code, status = "rate_limited", 429


EXPECTED = (ValidationFailed, Unauthenticated, Forbidden, NotFound, Conflict, Unprocessable, RateLimited)
