"""Request bodies that differ from the service's own schema (fields the caller must not set)."""
from __future__ import annotations

from marshmallow import fields, validate

from identity_svc.schemas import DAY_KINDS, LoginSchema, LogoutSchema, Strict


class LoginBody(LoginSchema):
    """The client address is the gateway's to tell, never the caller's."""

    class Meta:
        exclude = ("client_address",)


class LogoutBody(LogoutSchema):
    """The access token being signed out is the one on the request."""

    class Meta:
        exclude = ("access_token",)


class CalendarDayBody(Strict):
    kind = fields.String(required=True, validate=validate.OneOf(DAY_KINDS),
                         metadata={"description": "workday, weekend, holiday or makeup_workday"})
    name = fields.String(load_default="", validate=validate.Length(max=100))
