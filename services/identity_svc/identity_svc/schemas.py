"""Schemas of every RPC payload and result of identity_svc.

Inputs refuse unknown fields (``unknown = RAISE``): a field the caller may not set (``org_id``,
``roles`` through update_user, ``must_change_password``, ``password_hash``...) is reported by
name instead of being silently dropped or, worse, applied. Outputs list what may leave the
service; a password hash is in none of them.
"""
from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from platform_contracts.roles import ORG_KINDS, ROLES
from platform_kit.clock import utcnow
from platform_kit.workcal import DayKind

LOGIN_NAME = validate.Regexp(
    r"^[A-Za-z0-9][A-Za-z0-9._@-]{2,63}$",
    error="3 to 64 characters: letters, digits and . _ @ -, starting with a letter or digit")
PHONE = validate.Regexp(r"^\+?[0-9][0-9 -]{4,30}$", error="digits, spaces and dashes, optionally starting with +")
TENANT_KINDS = ("isv", "customer")
DAY_KINDS = tuple(kind.value for kind in DayKind)


class Strict(Schema):
    class Meta:
        unknown = RAISE


def _not_blank(value: str) -> None:
    if not value.strip():
        raise ValidationError("must not be blank")


# the same rule as a pattern (what str.strip() removes is what \s matches), so the document says it
# not blank, and no NUL (stated in the pattern, so the API document says it too)
NOT_BLANK = validate.Regexp(r"^[^\x00]*[^\s\x00][^\x00]*$", error="must not be blank")


def _at_least_one(schema: Schema, data: dict) -> None:
    if not data:
        raise ValidationError(f"give at least one of: {', '.join(sorted(schema.fields))}", "_schema")


# --------------------------------------------------------------------------- inputs

class LoginSchema(Strict):
    login_name = fields.String(required=True, validate=validate.Length(min=1, max=254))
    password = fields.String(required=True, validate=validate.Length(min=1, max=1024))
    client_address = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64))


class RefreshSchema(Strict):
    refresh_token = fields.String(required=True, validate=validate.Length(min=1, max=256))


class LogoutSchema(Strict):
    access_token = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=4096))
    refresh_token = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=256))


class ChangePasswordSchema(Strict):
    current_password = fields.String(required=True, validate=validate.Length(min=1, max=1024))
    new_password = fields.String(required=True, validate=validate.Length(min=1, max=1024))


class BootstrapSchema(Strict):
    login_name = fields.String(required=True, validate=LOGIN_NAME)
    password = fields.String(required=True, validate=validate.Length(min=1, max=1024))


class ContactSchema(Strict):
    display_name = fields.String(required=True, validate=[validate.Length(min=1, max=100), NOT_BLANK])
    phone = fields.String(load_default=None, allow_none=True, validate=PHONE)
    email = fields.Email(load_default=None, allow_none=True, validate=validate.Length(max=254))


class AdminAccountSchema(ContactSchema):
    login_name = fields.String(required=True, validate=LOGIN_NAME)


class CreateOrganisationSchema(Strict):
    name = fields.String(required=True, validate=[validate.Length(min=1, max=200), NOT_BLANK])
    kind = fields.String(required=True, validate=validate.OneOf(
        TENANT_KINDS, error="must be isv or customer (the operator organisation is created by bootstrap)"))
    admin = fields.Nested(AdminAccountSchema, required=True)


class OrganisationFilterSchema(Strict):
    kind = fields.String(load_default=None, validate=validate.OneOf(ORG_KINDS))
    q = fields.String(load_default=None, validate=validate.Length(max=100))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0))


class CreateUserSchema(ContactSchema):
    login_name = fields.String(required=True, validate=LOGIN_NAME)
    department_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=36))
    roles = fields.List(fields.String(validate=validate.OneOf(ROLES)), required=True,
                        validate=validate.Length(min=1, max=len(ROLES)))


class UpdateUserSchema(Strict):
    display_name = fields.String(validate=[validate.Length(min=1, max=100), NOT_BLANK])
    phone = fields.String(allow_none=True, validate=PHONE)
    email = fields.Email(allow_none=True, validate=validate.Length(max=254))
    department_id = fields.String(validate=validate.Length(min=1, max=36))
    active = fields.Boolean()

    @validates_schema
    def not_empty(self, data, **kwargs):
        _at_least_one(self, data)


class AssignRolesSchema(Strict):
    roles = fields.List(fields.String(validate=validate.OneOf(ROLES)), required=True,
                        validate=validate.Length(min=1, max=len(ROLES)))


class UserFilterSchema(Strict):
    org_id = fields.String(load_default=None, validate=validate.Length(max=36),
                           metadata={"description": "platform operator only; others always see their own"})
    department_id = fields.String(load_default=None, validate=validate.Length(max=36))
    role = fields.String(load_default=None, validate=validate.OneOf(ROLES))
    active = fields.Boolean(load_default=None, allow_none=True)
    q = fields.String(load_default=None, validate=validate.Length(max=100),
                      metadata={"description": "part of the login name, display name, phone or e-mail"})
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0))


class NamesQuerySchema(Strict):
    """Ids another service's answer carries, to be shown by name (at most 500 of each)."""

    org_ids = fields.List(fields.String(validate=validate.Length(min=1, max=36)), load_default=list,
                          validate=validate.Length(max=500))
    user_ids = fields.List(fields.String(validate=validate.Length(min=1, max=36)), load_default=list,
                           validate=validate.Length(max=500))


class NamesSchema(Schema):
    organisations = fields.Dict(keys=fields.String(), values=fields.String(), metadata={"description": "id -> name"})
    users = fields.Dict(keys=fields.String(), values=fields.String(), metadata={"description": "id -> display name"})


class RoleFilterSchema(Strict):
    org_kind = fields.String(load_default=None, validate=validate.OneOf(ORG_KINDS))
    q = fields.String(load_default=None, validate=validate.Length(max=100),
                      metadata={"description": "part of the role's key or its English or Chinese title"})


class CreateDepartmentSchema(Strict):
    name = fields.String(required=True, validate=[validate.Length(min=1, max=100), NOT_BLANK])
    parent_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=36),
                              metadata={"description": "default: the organisation's root department"})


class UpdateDepartmentSchema(Strict):
    name = fields.String(validate=[validate.Length(min=1, max=100), NOT_BLANK])
    parent_id = fields.String(validate=validate.Length(min=1, max=36))

    @validates_schema
    def not_empty(self, data, **kwargs):
        _at_least_one(self, data)


class CalendarYearSchema(Strict):
    year = fields.Integer(required=True, validate=validate.Range(min=1900, max=2199))


class CalendarDayRefSchema(Strict):
    day = fields.Date(required=True, metadata={"example": "2026-10-10"})


class SetCalendarDaySchema(CalendarDayRefSchema):
    kind = fields.String(required=True, validate=validate.OneOf(DAY_KINDS))
    name = fields.String(load_default="", validate=validate.Length(max=100),
                         metadata={"description": "the holiday's name, e.g. National Day"})


class CreateApiKeySchema(Strict):
    name = fields.String(required=True, validate=[validate.Length(min=1, max=100), NOT_BLANK],
                         metadata={"description": "the system that uses it; names it in the audit log",
                                   "example": "金蝶 ERP"})
    roles = fields.List(fields.String(validate=validate.OneOf(ROLES)), required=True,
                        validate=validate.Length(min=1, max=len(ROLES)),
                        metadata={"description": "roles you hold yourself; the key may do what they allow"})
    expires_in_days = fields.Integer(load_default=365, validate=validate.Range(min=1, max=730))
    rate_limit_per_minute = fields.Integer(load_default=None, allow_none=True,
                                           validate=validate.Range(min=1, max=100_000),
                                           metadata={"description": "requests a minute; default: the gateway's"})


class ApiKeyFilterSchema(Strict):
    org_id = fields.String(load_default=None, validate=validate.Length(max=36),
                           metadata={"description": "platform operator only; others always see their own"})
    state = fields.String(load_default=None, validate=validate.OneOf(("active", "revoked", "expired")))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0))


class AuthenticateApiKeySchema(Strict):
    key = fields.String(required=True, validate=validate.Length(min=1, max=200))


class AuditFilterSchema(Strict):
    actor_user_id = fields.String(load_default=None, validate=validate.Length(max=36))
    action = fields.String(load_default=None, validate=validate.Length(max=50))
    org_id = fields.String(load_default=None, validate=validate.Length(max=36))
    since = fields.AwareDateTime(load_default=None)
    until = fields.AwareDateTime(load_default=None)
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String(load_default=None, validate=validate.Regexp(r"^[0-9]{1,19}$",
                                                                        error="use next_cursor of the previous page"))


# --------------------------------------------------------------------------- outputs

class OrganisationSchema(Schema):
    id = fields.String()
    name = fields.String()
    kind = fields.String()
    admin_user_id = fields.String(allow_none=True, metadata={"description": "the main account (ORG-1)"})
    root_department_id = fields.String(allow_none=True, metadata={"description": "ISVs only"})
    created_at = fields.AwareDateTime()


class CustomerDirectoryQuerySchema(Strict):
    q = fields.String(required=True, validate=validate.Length(min=2, max=100), metadata={
        "description": "part of the customer's name, at least two characters besides spaces (fewer find "
                       "nothing)", "example": "Buyer"})
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=20))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0))


class CustomerDirectoryEntrySchema(Schema):
    id = fields.String()
    name = fields.String()


class CustomerDirectoryPageSchema(Schema):
    items = fields.List(fields.Nested(CustomerDirectoryEntrySchema))
    total = fields.Integer()
    limit = fields.Integer()
    offset = fields.Integer()


class OrganisationPageSchema(Schema):
    items = fields.List(fields.Nested(OrganisationSchema))
    total = fields.Integer()
    limit = fields.Integer()
    offset = fields.Integer()


class UserSchema(Schema):
    id = fields.String()
    org_id = fields.String()
    login_name = fields.String()
    display_name = fields.String()
    phone = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    department_id = fields.String(allow_none=True)
    roles = fields.List(fields.String())
    active = fields.Boolean()
    must_change_password = fields.Boolean()
    last_login_at = fields.AwareDateTime(allow_none=True)
    password_changed_at = fields.AwareDateTime(allow_none=True)
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()


class UserPageSchema(Schema):
    items = fields.List(fields.Nested(UserSchema))
    total = fields.Integer()
    limit = fields.Integer()
    offset = fields.Integer()


ONE_TIME_PASSWORD = {"description": "shown this once (ORG-4): only its hash is stored; the user must "
                                    "change it at first log-in", "example": "k7Hq3mZa"}


class UserWithPasswordSchema(Schema):
    user = fields.Nested(UserSchema)
    password = fields.String(metadata=ONE_TIME_PASSWORD)


class CreatedOrganisationSchema(Schema):
    organisation = fields.Nested(OrganisationSchema)
    admin = fields.Nested(UserSchema)
    password = fields.String(metadata=ONE_TIME_PASSWORD)


class BootstrapResultSchema(Schema):
    organisation = fields.Nested(OrganisationSchema)
    user = fields.Nested(UserSchema)
    created = fields.Boolean(metadata={"description": "false when the operator existed already"})


class TokenPairSchema(Schema):
    access_token = fields.String()
    token_type = fields.String(metadata={"example": "Bearer"})
    expires_in = fields.Integer(metadata={"description": "seconds the access token lives"})
    refresh_token = fields.String(metadata={"description": "opaque; single use, a new one comes with each refresh"})
    refresh_expires_in = fields.Integer()
    must_change_password = fields.Boolean(metadata={
        "description": "true: every call except change_password and me is refused until it is changed"})


class RoleSchema(Schema):
    key = fields.String()
    title = fields.String()
    title_zh = fields.String()
    org_kind = fields.String()
    description = fields.String()
    main_account_only = fields.Boolean(metadata={
        "description": "held by the organisation's main account only; cannot be assigned"})


class MenuSchema(Schema):
    key = fields.String()
    title = fields.String()
    title_zh = fields.String()
    path = fields.String()
    children = fields.List(fields.Nested(lambda: MenuSchema()))


class DepartmentRefSchema(Schema):
    id = fields.String()
    name = fields.String()
    path = fields.List(fields.String(), metadata={"description": "names from the root down"})


class MeSchema(Schema):
    user = fields.Nested(UserSchema)
    organisation = fields.Nested(OrganisationSchema)
    roles = fields.List(fields.Nested(RoleSchema))
    department = fields.Nested(DepartmentRefSchema, allow_none=True)
    menus = fields.List(fields.Nested(MenuSchema))


class DepartmentSchema(Schema):
    id = fields.String()
    org_id = fields.String()
    parent_id = fields.String(allow_none=True)
    name = fields.String()
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()


class DepartmentNodeSchema(Schema):
    id = fields.String()
    name = fields.String()
    parent_id = fields.String(allow_none=True)
    user_count = fields.Integer()
    children = fields.List(fields.Nested(lambda: DepartmentNodeSchema()))


class DepartmentTreeSchema(Schema):
    org_id = fields.String()
    root = fields.Nested(DepartmentNodeSchema)


class CalendarEntrySchema(Schema):
    day = fields.Date()
    kind = fields.String(validate=validate.OneOf(DAY_KINDS))
    name = fields.String()
    working = fields.Boolean()
    source = fields.String(validate=validate.OneOf(("statutory", "festival", "override")))


class CalendarSchema(Schema):
    year = fields.Integer()
    covers = fields.Boolean(metadata={"description": "statutory holiday data exists for the year"})
    note = fields.String(allow_none=True, metadata={"description": "what falls back to weekends, when not covered"})
    days = fields.List(fields.Nested(CalendarEntrySchema),
                       metadata={"description": "every day that is not a plain weekday or weekend"})


class CalendarOverrideSchema(Schema):
    day = fields.Date()
    kind = fields.String()
    name = fields.String()
    updated_by = fields.String(allow_none=True)
    updated_at = fields.AwareDateTime()


class ApiKeySchema(Schema):
    id = fields.String()
    org_id = fields.String()
    name = fields.String()
    display_name = fields.String(metadata={"description": "how the audit log and other lists name it"})
    prefix = fields.String(metadata={"description": "the start of the key, to tell keys apart; never the secret",
                                     "example": "dpk_1f0c9a2b"})
    roles = fields.List(fields.String())
    state = fields.Method("_state", metadata={"enum": ["active", "revoked", "expired"]})
    rate_limit_per_minute = fields.Integer(allow_none=True)
    created_by = fields.String()
    created_at = fields.AwareDateTime()
    expires_at = fields.AwareDateTime()
    revoked_at = fields.AwareDateTime(allow_none=True)
    revoked_by = fields.String(allow_none=True)
    last_used_at = fields.AwareDateTime(allow_none=True, metadata={"description": "to the minute"})

    def _state(self, key) -> str:
        return key.state(utcnow())


class ApiKeyPageSchema(Schema):
    items = fields.List(fields.Nested(ApiKeySchema))
    total = fields.Integer()
    limit = fields.Integer()
    offset = fields.Integer()


class CreatedApiKeySchema(Schema):
    api_key = fields.Nested(ApiKeySchema)
    key = fields.String(metadata={"description": "send it as `X-Api-Key`. Shown this once: only a keyed hash "
                                                 "is stored, nobody can show it again",
                                  "example": "dpk_1f0c9a2b3c4d5e6f708192a3b4c5d6e7_Xq3...43 characters"})


class KeyActorSchema(Schema):
    user_id = fields.String()
    org_id = fields.String()
    org_kind = fields.String()
    roles = fields.List(fields.String())


class AuthenticatedApiKeySchema(Schema):
    actor = fields.Nested(KeyActorSchema)
    key_id = fields.Function(lambda r: r["key"].id)
    created_at = fields.Function(lambda r: r["key"].created_at.isoformat())
    valid_until = fields.AwareDateTime()
    rate_limit_per_minute = fields.Function(lambda r: r["key"].rate_limit_per_minute)


class AuditEntrySchema(Schema):
    id = fields.String()
    at = fields.AwareDateTime()
    action = fields.String()
    actor_user_id = fields.String(allow_none=True)
    actor_org_id = fields.String(allow_none=True)
    actor_name = fields.String(allow_none=True, metadata={"description": "the user's display name, or an API "
                                                                         "key's name as a service account"})
    actor_kind = fields.String(allow_none=True, metadata={"enum": ["user", "api_key"]})
    org_id = fields.String(allow_none=True)
    subject_type = fields.String(allow_none=True)
    subject_id = fields.String(allow_none=True)
    client_address = fields.String(allow_none=True)
    correlation_id = fields.String(allow_none=True)
    details = fields.Dict()


class AuditPageSchema(Schema):
    items = fields.List(fields.Nested(AuditEntrySchema))
    next_cursor = fields.String(allow_none=True, metadata={"description": "pass as cursor for older entries"})

