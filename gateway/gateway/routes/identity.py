"""Sign-in, the caller, organisations, users, roles, departments, the calendar and the audit log.

The gateway checks the caller's token and role; identity_svc checks the object (tenant) again.
"""
from __future__ import annotations

from gateway.api.identity import (
    ApiKeyFilterSchema,
    ApiKeyPageSchema,
    ApiKeySchema,
    AssignRolesSchema,
    AuditFilterSchema,
    AuditPageSchema,
    CalendarCoverageSchema,
    CalendarDayBody,
    CalendarDayPath,
    CalendarImportBody,
    CalendarImportResultSchema,
    CalendarSchema,
    CalendarYearPath,
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
    LoginBody,
    LogoutBody,
    MeSchema,
    OrganisationFilterSchema,
    OrganisationPageSchema,
    OrganisationSchema,
    RefreshSchema,
    RoleFilterSchema,
    RoleSchema,
    TokenPairSchema,
    UpdateDepartmentBody,
    UpdateUserBody,
    UserFilterSchema,
    UserPageSchema,
    UserSchema,
    UserWithPasswordSchema,
)
from gateway.guard import address_of
from gateway.web import json_response, read_json, read_query, route
from platform_contracts.roles import CUSTOMER_ADMIN, PLATFORM_OPERATOR, PROVIDER_ADMIN, VENDOR_ADMIN

ADMINS = (PLATFORM_OPERATOR, VENDOR_ADMIN, PROVIDER_ADMIN)
ISV_ADMINS = (VENDOR_ADMIN, PROVIDER_ADMIN)
# who manages an organisation's users and integrator keys: its admin, of whatever kind
ORG_ADMINS = (*ADMINS, CUSTOMER_ADMIN)


class IdentityRoutes:
    # --- signing in -------------------------------------------------------------------------

    @route("POST", "/api/v1/auth/login", summary="Sign in: an access token and a refresh token",
           tags=("auth",), body=LoginBody, response=TokenPairSchema, public=True, errors=(401, 429))
    def login(self, request):
        """GW-2. The access token lasts 15 minutes (`expires_in`); renew it with the refresh token.
        With `must_change_password` true (first log-in, or after a reset) only `/me`, the password
        change and sign-out work until the password is changed. Failed log-ins are limited (429 with
        `Retry-After`): 5 per account from one address (only that address waits; the user signs in
        from elsewhere), 10 per account from anywhere, and 100 per address alone, so that people
        sharing an office address do not lock each other out; each in 15 minutes."""
        body = read_json(request, LoginBody())
        return json_response(self.services.identity.login(body["login_name"], body["password"],
                                                          address_of(request)))

    @route("POST", "/api/v1/auth/refresh", summary="Trade a refresh token for a new token pair",
           tags=("auth",), body=RefreshSchema, response=TokenPairSchema, public=True, errors=(401,))
    def refresh(self, request):
        """The refresh token rotates: the one sent stops working. Sending a used one again ends
        that whole sign-in (someone else may hold a copy): its refresh token and every access
        token issued in it stop working. Your other sign-ins (other devices) go on."""
        body = read_json(request, RefreshSchema())
        return json_response(self.services.identity.refresh(body["refresh_token"]))

    @route("POST", "/api/v1/auth/logout", summary="Sign out: revoke this access token (and a refresh token)",
           tags=("auth",), body=LogoutBody, pending_password_ok=True)
    def logout(self, request):
        body = read_json(request, LogoutBody())
        token = request.headers.get("Authorization", "").partition(" ")[2].strip() or None
        return json_response(self.services.identity.logout(token, body.get("refresh_token")))

    @route("POST", "/api/v1/auth/password", summary="Change your password", tags=("auth",),
           body=ChangePasswordSchema, pending_password_ok=True, errors=(422, 429))
    def change_password(self, request):
        """ORG-4. Every token and refresh token you hold stops working: sign in again. A wrong
        `current_password` answers 422 (and counts as a failed log-in)."""
        return json_response(self.services.identity.change_password(read_json(request, ChangePasswordSchema())))

    @route("GET", "/api/v1/me", summary="You: user, organisation, roles, department and your menus",
           tags=("auth",), response=MeSchema, pending_password_ok=True)
    def me(self, request):
        """The menus are the union of your roles' menus in the product's order, so a front end can
        draw itself from this answer."""
        return json_response(self.services.identity.me())

    # --- organisations ----------------------------------------------------------------------

    @route("POST", "/api/v1/organisations", summary="Create an ISV or customer organisation with its admin",
           tags=("organisations",), body=CreateOrganisationSchema, response=CreatedOrganisationSchema,
           status=201, roles=(PLATFORM_OPERATOR,), errors=(409,))
    def create_organisation(self, request):
        """ORG-1. The admin's initial `password` is in this answer and nowhere else: hand it over
        now. An ISV admin gets the vendor admin and provider admin roles."""
        body = read_json(request, CreateOrganisationSchema())
        return json_response(self.services.identity.create_organisation(body), status=201)

    @route("GET", "/api/v1/organisations", summary="List organisations", tags=("organisations",),
           query=OrganisationFilterSchema, response=OrganisationPageSchema, roles=(PLATFORM_OPERATOR,))
    def list_organisations(self, request):
        return json_response(self.services.identity.list_organisations(read_query(request, OrganisationFilterSchema())))

    @route("GET", "/api/v1/customer-organisations", summary="Find customer organisations by name",
           tags=("organisations",), query=CustomerDirectoryQuerySchema, response=CustomerDirectoryPageSchema,
           roles=ADMINS)
    def customer_directory(self, request):
        """An ISV's admin names the customers a billing product is shown to (BIL-3, `visible_to`) by
        picking them here. A search, not a listing: `q` (at least two characters of the name) is
        required and a page holds at most 20; only customer organisations, only their `id` and `name`."""
        return json_response(self.services.identity.customer_directory(
            read_query(request, CustomerDirectoryQuerySchema())))

    @route("GET", "/api/v1/organisations/<org_id>", summary="One organisation", tags=("organisations",),
           response=OrganisationSchema, errors=(404,))
    def get_organisation(self, request, org_id):
        return json_response(self.services.identity.get_organisation(org_id))

    # --- users and roles --------------------------------------------------------------------

    @route("POST", "/api/v1/users", summary="Create a user in your organisation", tags=("users",),
           body=CreateUserSchema, response=UserWithPasswordSchema, status=201, roles=ORG_ADMINS, errors=(409, 422))
    def create_user(self, request):
        """ORG-4. The random 8-character `password` is shown in this answer only; the user must
        change it at first log-in."""
        return json_response(self.services.identity.create_user(read_json(request, CreateUserSchema())), status=201)

    @route("GET", "/api/v1/users", summary="List users of your organisation", tags=("users",),
           query=UserFilterSchema, response=UserPageSchema, roles=ORG_ADMINS, errors=(404,))
    def list_users(self, request):
        return json_response(self.services.identity.list_users(read_query(request, UserFilterSchema())))

    @route("GET", "/api/v1/users/<user_id>", summary="One user", tags=("users",), response=UserSchema,
           errors=(404,))
    def get_user(self, request, user_id):
        return json_response(self.services.identity.get_user(user_id))

    @route("PATCH", "/api/v1/users/<user_id>", summary="Change a user's names, contact, department or active flag",
           tags=("users",), body=UpdateUserBody, response=UserSchema, errors=(404, 422))
    def update_user(self, request, user_id):
        """You may change your own names and contact details; your organisation's admin may change
        every field. Fields nobody may set here (organisation, roles, password) are refused."""
        return json_response(self.services.identity.update_user(user_id, read_json(request, UpdateUserBody())))

    @route("PUT", "/api/v1/users/<user_id>/roles", summary="Set a user's roles", tags=("users",),
           body=AssignRolesSchema, response=UserSchema, roles=(*ISV_ADMINS, CUSTOMER_ADMIN), errors=(404, 422))
    def assign_roles(self, request, user_id):
        """ORG-2. Only roles of your organisation's kind; nobody can raise their own roles. A
        customer's admin gives customer roles; the admin roles stay with the main account."""
        return json_response(self.services.identity.assign_roles(user_id, read_json(request, AssignRolesSchema())))

    @route("POST", "/api/v1/users/<user_id>/reset-password", summary="Reset a user's password",
           tags=("users",), response=UserWithPasswordSchema, roles=ORG_ADMINS, errors=(404, 422))
    def reset_password(self, request, user_id):
        """ORG-4. The new password is shown once; the user must change it and is signed out."""
        return json_response(self.services.identity.reset_password(user_id))

    @route("GET", "/api/v1/roles", summary="The platform's preset roles", tags=("users",),
           query=RoleFilterSchema, response=RoleSchema, many=True)
    def list_roles(self, request):
        return json_response(self.services.identity.list_roles(read_query(request, RoleFilterSchema())))

    # --- integrator keys --------------------------------------------------------------------

    @route("POST", "/api/v1/api-keys", summary="Create an API key for one of your organisation's systems",
           tags=("api keys",), body=CreateApiKeySchema, response=CreatedApiKeySchema, status=201,
           roles=ORG_ADMINS, errors=(422,))
    def create_api_key(self, request):
        """GW-6. An enterprise system (an ERP, a shop) sends the `key` as `X-Api-Key` instead of
        signing in. The `key` is in this answer only: only a keyed hash is stored. The key carries
        `roles` you hold yourself (422 naming `roles` otherwise) and may do what they allow, except
        managing users or keys; it acts as a service account named `name` in the audit log and in
        every list. It lives `expires_in_days` (default 365, at most 730) unless revoked, and is
        counted against its own rate limit (`rate_limit_per_minute`, default the gateway's).
        Rotate by creating the new key, switching the system to it, then revoking the old one."""
        body = read_json(request, CreateApiKeySchema())
        return json_response(self.services.identity.create_api_key(body), status=201)

    @route("GET", "/api/v1/api-keys", summary="Your organisation's API keys (never their secrets)",
           tags=("api keys",), query=ApiKeyFilterSchema, response=ApiKeyPageSchema, roles=ORG_ADMINS,
           errors=(404,))
    def list_api_keys(self, request):
        """GW-6. Newest first, with `state` (active, revoked, expired) and `last_used_at` (to the
        minute). The platform operator may name another organisation (`org_id`)."""
        return json_response(self.services.identity.list_api_keys(read_query(request, ApiKeyFilterSchema())))

    @route("POST", "/api/v1/api-keys/<key_id>/revoke", summary="Revoke an API key: it stops working at once",
           tags=("api keys",), response=ApiKeySchema, roles=ORG_ADMINS, errors=(404,))
    def revoke_api_key(self, request, key_id):
        """GW-6. The next request with the key answers 401, on every gateway. Revoking a revoked
        key changes nothing. Another organisation's key answers 404; the platform operator may
        revoke any organisation's key (a leaked one)."""
        return json_response(self.services.identity.revoke_api_key(key_id))

    # --- departments ------------------------------------------------------------------------

    @route("POST", "/api/v1/departments", summary="Create a department", tags=("departments",),
           body=CreateDepartmentSchema, response=DepartmentSchema, status=201, roles=ISV_ADMINS, errors=(404, 422))
    def create_department(self, request):
        """A `parent_id` that is not a department of your organisation answers 422."""
        body = read_json(request, CreateDepartmentSchema())
        return json_response(self.services.identity.create_department(body), status=201)

    @route("GET", "/api/v1/departments", summary="Your organisation's department tree", tags=("departments",),
           response=DepartmentTreeSchema, errors=(422,))
    def list_departments(self, request):
        """A customer organisation or the operator's has no departments: 422."""
        return json_response(self.services.identity.list_departments())

    @route("PATCH", "/api/v1/departments/<department_id>", summary="Rename or move a department",
           tags=("departments",), body=UpdateDepartmentBody, response=DepartmentSchema, roles=ISV_ADMINS,
           errors=(404, 422))
    def update_department(self, request, department_id):
        body = read_json(request, UpdateDepartmentBody())
        return json_response(self.services.identity.update_department(department_id, body))

    @route("DELETE", "/api/v1/departments/<department_id>", summary="Delete an empty department",
           tags=("departments",), roles=ISV_ADMINS, errors=(404, 422))
    def delete_department(self, request, department_id):
        return json_response(self.services.identity.delete_department(department_id))

    # --- the working calendar ---------------------------------------------------------------

    @route("GET", "/api/v1/calendar/<year>", summary="The working calendar of a year", tags=("calendar",),
           response=CalendarSchema, tenant_scoped=False, path=CalendarYearPath)
    def calendar(self, request, year):
        """ORG-6. Every day that is not a plain weekday or weekend: statutory holidays and
        make-up working days, and the operator's changes. `covers` is false, with a `note`, for a
        year without statutory data (only weekends count as days off then)."""
        return json_response(self.services.identity.calendar(year))

    @route("PUT", "/api/v1/calendar/days/<day>", summary="Make a day a holiday, a working day ...",
           tags=("calendar",), body=CalendarDayBody, roles=(PLATFORM_OPERATOR,), tenant_scoped=False,
           path=CalendarDayPath, errors=(422,))
    def set_calendar_day(self, request, day):
        """ORG-6. A kind that does not fit the date (a make-up working day on a weekday) answers 422."""
        body = read_json(request, CalendarDayBody())
        return json_response(self.services.identity.set_calendar_day(day.isoformat(), body["kind"], body["name"]))

    @route("DELETE", "/api/v1/calendar/days/<day>", summary="Undo the operator's change of a day",
           tags=("calendar",), roles=(PLATFORM_OPERATOR,), tenant_scoped=False,
           path=CalendarDayPath)
    def remove_calendar_day(self, request, day):
        return json_response(self.services.identity.remove_calendar_day(day.isoformat()))

    @route("POST", "/api/v1/calendar/imports", summary="Import a whole year of holidays and make-up days",
           tags=("calendar",), body=CalendarImportBody, response=CalendarImportResultSchema,
           roles=(PLATFORM_OPERATOR,), errors=(422,))
    def import_calendar_year(self, request):
        """ORG-6, PRJ-4. `{"year": 2027, "days": [{"day", "kind", "name"}]}` or `{"year": 2027, "csv":
        "day,kind,name\\n2027-01-01,holiday,New Year's Day\\n..."}`; kind is holiday, makeup_workday,
        workday or weekend; exactly one of `days` and `csv`. Every row is checked first and each bad
        one named (422: a day outside `year`, listed twice, a kind that does not fit the date, a CSV
        row that is not a day); then every changed
        day is stored and announced (`calendar_changed`), so all services count with it."""
        body = CalendarImportBody().dump(read_json(request, CalendarImportBody()))
        return json_response(self.services.identity.import_calendar_year(body))

    @route("GET", "/api/v1/calendar/coverage", summary="Whether next year's calendar is known (alert)",
           tags=("calendar",), response=CalendarCoverageSchema)
    def calendar_coverage(self, request):
        """From 1 November, a next year with neither statutory data nor the operator's days carries
        an `alert`: deadlines already reach into it."""
        return json_response(self.services.identity.calendar_coverage())

    # --- audit ------------------------------------------------------------------------------

    @route("GET", "/api/v1/audit-log", summary="Security-relevant changes, newest first", tags=("audit",),
           query=AuditFilterSchema, response=AuditPageSchema, roles=(PLATFORM_OPERATOR,))
    def audit_log(self, request):
        # dumped to ISO text before the RPC, so a year before 1000 travels as the date it is
        query = AuditFilterSchema().dump(read_query(request, AuditFilterSchema()))
        return json_response(self.services.identity.audit_log(query))
