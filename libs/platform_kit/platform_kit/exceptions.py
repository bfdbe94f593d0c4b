"""The platform's vocabulary of refusals, pure Python (domain code imports these, never nameko).

Each class carries its error code and HTTP status: the one place where a refusal is mapped to
what a caller sees. A service names its own refusals in its ``exceptions.py`` as subclasses
(``class NodeNotCurrent(Unprocessable)``); ``platform_kit.errors`` sends them over RPC as the
base they extend, so the gateway and every other caller catch these few classes by name.
"""
from __future__ import annotations


class PlatformError(Exception):
    code = "error"
    status = 400

    def __init__(self, message: str, fields: dict | None = None):
        super().__init__(message, fields or {})
        self.message = message
        self.fields = fields or {}

    def __str__(self) -> str:
        return self.message


class ValidationFailed(PlatformError):
    code, status = "validation_failed", 400


class Unauthenticated(PlatformError):
    code, status = "unauthenticated", 401


class Forbidden(PlatformError):
    code, status = "forbidden", 403


class NotFound(PlatformError):
    code, status = "not_found", 404


class Conflict(PlatformError):
    code, status = "conflict", 409


class Unprocessable(PlatformError):
    """The request is well formed but the business rules refuse it (e.g. a wrong state)."""
    code, status = "unprocessable", 422


class RateLimited(PlatformError):
    code, status = "rate_limited", 429


class ServiceUnavailable(PlatformError):
    """A dependency did not answer in time; the caller may retry."""
    code, status = "service_unavailable", 503
