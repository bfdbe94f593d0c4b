"""Transient versus permanent failures: what a retry can fix, and what it cannot.

A connection that dropped, a timeout, a serialisation conflict or a dependency that is down
will go away by itself: such a failure is retried with capped back-off for as long as it takes
(hours, not seconds), and counted. A contract violation or a bug will not: after a few attempts
it goes to the dead-letter queue with its reason, for an operator.
"""
from __future__ import annotations

import socket

from platform_kit.exceptions import ServiceUnavailable

# PostgreSQL error codes a retry can fix: serialisation failure, deadlock, lock not available,
# statement timeout / cancelled, admin shutdown, crash shutdown, cannot connect now, and the
# whole class 08 (connection exceptions)
TRANSIENT_SQLSTATES = {"40001", "40P01", "55P03", "57014", "57P01", "57P02", "57P03"}


def is_transient(exc: BaseException) -> bool:
    for error in _chain(exc):
        if _transient(error):
            return True
    return False


def _chain(exc: BaseException):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def _transient(exc: BaseException) -> bool:
    # imported lazily: this module is imported by code that must not load every driver
    from sqlalchemy import exc as sa_exc

    if isinstance(exc, sa_exc.DBAPIError):
        if exc.connection_invalidated or isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError):
            return True
        code = getattr(exc.orig, "pgcode", None)
        return bool(code) and (code in TRANSIENT_SQLSTATES or code.startswith("08"))
    if isinstance(exc, sa_exc.DisconnectionError | sa_exc.TimeoutError):
        return True
    code = getattr(exc, "pgcode", None)
    if isinstance(code, str) and (code in TRANSIENT_SQLSTATES or code.startswith("08")):
        return True
    if isinstance(exc, ConnectionError | TimeoutError | socket.timeout | socket.gaierror):
        return True
    name = f"{type(exc).__module__}.{type(exc).__name__}"
    return name in {
        "redis.exceptions.ConnectionError", "redis.exceptions.TimeoutError", "redis.exceptions.BusyLoadingError",
        "kombu.exceptions.OperationalError", "amqp.exceptions.ConnectionError",
        "amqp.exceptions.RecoverableConnectionError", "nameko.exceptions.RpcTimeout",
        "nameko.exceptions.UnknownService", "eventlet.timeout.Timeout", "requests.exceptions.ConnectionError",
        "requests.exceptions.Timeout",
    } or isinstance(exc, ServiceUnavailable)


def lost_connection(exc: BaseException) -> bool:
    """The database connection died under the work (so nothing of it can have committed on it)."""
    from sqlalchemy import exc as sa_exc

    for error in _chain(exc):
        if isinstance(error, sa_exc.DBAPIError):
            code = getattr(error.orig, "pgcode", None) or ""
            if error.connection_invalidated or code.startswith("08") or code in {"57P01", "57P02", "57P03"}:
                return True
    return False
