"""The public contract of the identity routes: what a caller may send and gets back.

Bodies that differ from identity_svc's internal RPC schemas (fields a caller must not set) are
declared here. The others are the internal schemas taken on purpose, listed below one by one: a
change to any of them changes /api/v1, and tests/unit/test_api_document.py fails until the
checked-in docs/openapi.json shows the change, so /api/v1 never changes silently.
"""
from __future__ import annotations

from marshmallow import fields, validate

from identity_svc.calendar_import_schemas import (
    CalendarCoverageSchema,
    CalendarImportResultSchema,
    CalendarImportSchema,
)
from identity_svc.schemas import (
    DAY_KINDS,
    AssignRolesSchema,
    AuditFilterSchema,
    AuditPageSchema,
    CalendarSchema,
    ChangePasswordSchema,
    CreateDepartmentSchema,
    CreatedOrganisationSchema,
    CreateOrganisationSchema,
    CreateUserSchema,
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

__all__ = [
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
    "LoginBody",
    "LogoutBody",
]
