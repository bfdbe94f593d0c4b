"""Business rules that refuse a change. Pure: the service layer maps them to platform errors."""
from __future__ import annotations


class RuleViolation(Exception):
    """A rule refused the change; ``fields`` names each field at fault with a sentence."""

    def __init__(self, message: str, fields: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class InvalidValue(RuleViolation):
    """A value no request could make acceptable (bad password, role of another org kind)."""


class Clash(RuleViolation):
    """The value collides with existing data (a name taken by a sibling)."""


class NotAllowedNow(RuleViolation):
    """The value is fine but the current state refuses it (deleting a non-empty department)."""
