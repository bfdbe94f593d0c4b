"""The public contract of the identity routes: what a caller may send and gets back.

Bodies that differ from identity_svc's internal RPC schemas (fields a caller must not set) are
declared here. The others are the internal schemas taken on purpose, listed below one by one: a
change to any of them changes /api/v1, and tests/unit/test_api_document.py fails until the
checked-in docs/openapi.json shows the change, so /api/v1 never changes silently.
"""
from __future__ import annotations

from marshmallow import EXCLUDE, RAISE, Schema, fields, validate

from identity_svc.calendar_import_schemas import (
    CalendarCoverageSchema,
    CalendarImportResultSchema,
    CalendarImportSchema,
)
from identity_svc.schemas import (
    DAY_KINDS,
    ApiKeyFilterSchema,
    ApiKeyPageSchema,
    ApiKeySchema,
    AssignRolesSchema,
    AuditFilterSchema,
    AuditPageSchema,
    CalendarSchema,
    ChangePasswordSchema,
    CreateApiKeySchema,
    CreatedApiKeySchema,
    CreateDepartmentSchema,
    CreatedOrganisationSchema,
    CreateOrganisationSchema,
    CreateUserSchema,
    CustomerDirectoryPageSchema,
    CustomerDirectoryQuerySchema,
    DepartmentSchema,
    DepartmentTreeSchema,
    LoginSchema,
    LogoutSchema,
    MeSchema,
    OrganisationFilterSchema,
    OrganisationPageSchema,
    OrganisationSchema,
    RefreshSchema,
    RoleFilterSchema,
    RoleSchema,
    Strict,
    TokenPairSchema,
    UpdateDepartmentSchema,
    UpdateUserSchema,
    UserFilterSchema,
    UserPageSchema,
    UserSchema,
    UserWithPasswordSchema,
)
from platform_kit.workcal import DayKind


class LoginBody(LoginSchema):
    """The client address is the gateway's to tell, never the caller's."""

    class Meta:
        exclude = ("client_address",)


class LogoutBody(LogoutSchema):
    """The access token being signed out is the one on the request."""

    class Meta:
        exclude = ("access_token",)


class CalendarYearPath(Schema):
    """The ``{year}`` of ``/calendar/{year}``: the years the calendar serves."""

    class Meta:
        unknown = EXCLUDE

    year = fields.Integer(required=True, strict=False, validate=validate.Range(min=1900, max=2199),
                          metadata={"example": 2026})


class CalendarDayPath(Schema):
    """The ``{day}`` of ``/calendar/days/{day}``: a date."""

    class Meta:
        unknown = EXCLUDE

    day = fields.Date(required=True, metadata={"example": "2026-10-10"})


class CalendarImportDay(Strict):
    day = fields.Date(required=True, metadata={"example": "2027-01-01", "description": "a day of `year`"})
    kind = fields.String(required=True, validate=validate.OneOf([k.value for k in DayKind]))
    name = fields.String(load_default="", validate=validate.Length(max=100), metadata={"example": "New Year's Day"})


class CalendarImportBody(CalendarImportSchema):
    """Exactly one of ``days`` (rows as JSON) or ``csv`` (a header ``day,kind,name`` and one row per
    day). What the rows say is checked as a whole afterwards (a day outside ``year``, a day listed
    twice, a kind that does not fit the date, a CSV row that is not a day): 422 naming each row."""

    class Meta:
        unknown = RAISE
        json_schema = {"oneOf": [{"required": ["days"]}, {"required": ["csv"]}]}

    days = fields.List(fields.Nested(CalendarImportDay), load_default=None, allow_none=False,
                       validate=validate.Length(min=1, max=366))
    csv = fields.String(load_default=None, allow_none=False, validate=validate.Length(min=1, max=100_000),
                        metadata={"example": "day,kind,name\n2027-01-01,holiday,New Year's Day\n"})


class UpdateDepartmentBody(UpdateDepartmentSchema):
    class Meta:
        unknown = RAISE
        json_schema = {"minProperties": 1}  # at least one of the fields (its validator's rule)


class UpdateUserBody(UpdateUserSchema):
    class Meta:
        unknown = RAISE
        json_schema = {"minProperties": 1}


class CalendarDayBody(Strict):
    kind = fields.String(required=True, validate=validate.OneOf(DAY_KINDS),
                         metadata={"description": "workday, weekend, holiday or makeup_workday"})
    name = fields.String(load_default="", validate=validate.Length(max=100))

__all__ = [
    "ApiKeyFilterSchema",
    "ApiKeyPageSchema",
    "ApiKeySchema",
    "CreateApiKeySchema",
    "CreatedApiKeySchema",
    "AssignRolesSchema",
    "AuditFilterSchema",
    "AuditPageSchema",
    "CalendarCoverageSchema",
    "CalendarImportResultSchema",
    "CalendarImportSchema",
    "CalendarSchema",
    "ChangePasswordSchema",
    "CreateDepartmentSchema",
    "CreateOrganisationSchema",
    "CreateUserSchema",
    "CreatedOrganisationSchema",
    "CustomerDirectoryPageSchema",
    "CustomerDirectoryQuerySchema",
    "DepartmentSchema",
    "DepartmentTreeSchema",
    "MeSchema",
    "OrganisationFilterSchema",
    "OrganisationPageSchema",
    "OrganisationSchema",
    "RefreshSchema",
    "RoleFilterSchema",
    "RoleSchema",
    "TokenPairSchema",
    "UpdateDepartmentSchema",
    "UpdateUserSchema",
    "UserFilterSchema",
    "UserPageSchema",
    "UserSchema",
    "UserWithPasswordSchema",
    "CalendarDayBody",
    "CalendarImportBody",
    "UpdateDepartmentBody",
    "UpdateUserBody",
    "CalendarDayPath",
    "CalendarYearPath",
    "LoginBody",
    "LogoutBody",
]
