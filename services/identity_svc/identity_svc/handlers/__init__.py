"""Use cases of identity_svc: ``fn(caller, command..., uow[, sessions]) -> result``.

Each checks who may do it (``domain.access``), loads aggregates through the unit of work's
repositories, lets the domain decide, emits the events the domain returned, writes the audit
entry, and ends with ``uow.commit()``. A refusal that must still leave a record (a failed log-in,
a reused refresh token) commits that record on purpose, then raises. Read-only use cases never
commit.
"""
from identity_svc.handlers import api_keys, audit, calendar, departments, organisations, signin, users

__all__ = ["api_keys", "audit", "calendar", "departments", "organisations", "signin", "users"]
