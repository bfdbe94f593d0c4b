"""identity_svc: organisations, users, roles, departments, sign-in, the working calendar, audit.

Entrypoints only: each loads its payload with a schema, runs a use case (``handlers``) in a
unit of work and dumps the result with a schema. The caller is ``self.caller`` (set by the
gateway, carried in the context data); payloads never say who is calling.
"""
from identity_svc import handlers
from identity_svc.adapters.repository import (
    ApiKeyRepository,
    AuditRepository,
    CalendarRepository,
    DepartmentRepository,
    OrganisationRepository,
    SignInRepository,
    UserRepository,
)
from identity_svc.adapters.sessions import SessionStore
from identity_svc.schemas import (
    ApiKeyFilterSchema,
    ApiKeyPageSchema,
    ApiKeySchema,
    AssignRolesSchema,
    AuditFilterSchema,
    AuditPageSchema,
    AuthenticateApiKeySchema,
    AuthenticatedApiKeySchema,
    BootstrapResultSchema,
    BootstrapSchema,
    CalendarDayRefSchema,
    CalendarOverrideSchema,
    CalendarSchema,
    CalendarYearSchema,
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
    NamesQuerySchema,
    NamesSchema,
    OrganisationFilterSchema,
    OrganisationPageSchema,
    OrganisationSchema,
    RefreshSchema,
    RoleFilterSchema,
    RoleSchema,
    SetCalendarDaySchema,
    TokenPairSchema,
    UpdateDepartmentSchema,
    UpdateUserSchema,
    UserFilterSchema,
    UserPageSchema,
    UserSchema,
    UserWithPasswordSchema,
)
from platform_kit.auth import Caller, require_actor
from platform_kit.consumer import on_event
from platform_kit.contracts import load_data
from platform_kit.db import Database
from platform_kit.errors import rpc
from platform_kit.scheduling import periodic
from platform_kit.service import PlatformService
from platform_kit.validation import load

REPOSITORIES = {"organisations": OrganisationRepository, "users": UserRepository,
                "departments": DepartmentRepository, "signins": SignInRepository,
                "calendar": CalendarRepository, "audit": AuditRepository, "api_keys": ApiKeyRepository}


# built once: display_names runs beside every read of a project, the platform's busiest read
NAMES_QUERY_SCHEMA = NamesQuerySchema()
NAMES_SCHEMA = NamesSchema()


class IdentityService(PlatformService):
    name = "identity"
    db = Database("IDENTITY_DATABASE_URL", repositories=REPOSITORIES)
    caller = Caller()
    sessions = SessionStore()

    # ------------------------------------------------------------------ bootstrap and sign-in

    @rpc
    def bootstrap_operator(self, login_name: str, password: str) -> dict:
        """The platform operator organisation and its first user, only if none exists (for
        ``make run`` and tests). Idempotent: later calls return the existing ones unchanged.
        Emits organisation_created and user_created the first time. Returns BootstrapResultSchema."""
        cmd = load(BootstrapSchema(), {"login_name": login_name, "password": password})
        with self.db.unit_of_work() as uow:
            org, user, created = handlers.organisations.bootstrap_operator(cmd, uow)
        return BootstrapResultSchema().dump({"organisation": org, "user": user, "created": created})

    @rpc
    def login(self, login_name: str, password: str, client_address: str | None = None) -> dict:
        """Returns TokenPairSchema. Unauthenticated with one message for an unknown login name or a
        wrong password; RateLimited after too many failures per account, per account and address,
        or (a much higher ceiling) per address."""
        cmd = load(LoginSchema(), {"login_name": login_name, "password": password, "client_address": client_address})
        with self.db.unit_of_work() as uow:
            return TokenPairSchema().dump(handlers.signin.login(cmd, uow, self.sessions))

    @rpc
    def refresh(self, refresh_token: str) -> dict:
        """Rotates the refresh token; returns TokenPairSchema. A spent token presented again ends
        its sign-in (its refresh tokens and the access tokens issued in it)."""
        cmd = load(RefreshSchema(), {"refresh_token": refresh_token})
        with self.db.unit_of_work() as uow:
            return TokenPairSchema().dump(handlers.signin.refresh(cmd, uow, self.sessions))

    @rpc
    def logout(self, access_token: str | None = None, refresh_token: str | None = None) -> dict:
        """Revokes the access token and ends the refresh token's sign-in. Returns {logged_out: true}."""
        cmd = load(LogoutSchema(), {"access_token": access_token, "refresh_token": refresh_token})
        with self.db.unit_of_work() as uow:
            return handlers.signin.logout(self.caller, cmd, uow, self.sessions)

    @rpc
    def change_password(self, payload: dict) -> dict:
        """payload: ChangePasswordSchema. Ends every sign-in of the caller.
        Returns {changed, sessions_revoked, password_changed_at}."""
        cmd = load(ChangePasswordSchema(), payload)
        with self.db.unit_of_work() as uow:
            result = handlers.signin.change_password(self.caller, cmd, uow, self.sessions)
        return {**result, "password_changed_at": result["password_changed_at"].isoformat()}

    @rpc
    def me(self) -> dict:
        """The caller's user, organisation, roles, department and menus (MeSchema)."""
        with self.db.unit_of_work() as uow:
            return MeSchema().dump(handlers.users.me(self.caller, uow))

    # ------------------------------------------------------------------ organisations

    @rpc
    def create_organisation(self, payload: dict) -> dict:
        """payload: CreateOrganisationSchema (platform operator). Emits organisation_created,
        user_created and, for an ISV, department_changed. Returns CreatedOrganisationSchema with the
        admin's one-time password."""
        cmd = load(CreateOrganisationSchema(), payload)
        with self.db.unit_of_work() as uow:
            org, account = handlers.organisations.create_organisation(self.caller, cmd, uow)
        return CreatedOrganisationSchema().dump({"organisation": org, "admin": account.user,
                                                 "password": account.password})

    @rpc
    def get_organisation(self, org_id: str) -> dict:
        with self.db.unit_of_work() as uow:
            return OrganisationSchema().dump(handlers.organisations.get_organisation(self.caller, org_id, uow))

    @rpc
    def customer_directory(self, filters: dict | None = None) -> dict:
        """filters: CustomerDirectoryQuerySchema (ISV admins, the operator). Returns
        CustomerDirectoryPageSchema: customer organisations' id and name found by part of the name."""
        query = load(CustomerDirectoryQuerySchema(), filters)
        with self.db.unit_of_work() as uow:
            items, total = handlers.organisations.customer_directory(self.caller, query, uow)
        return CustomerDirectoryPageSchema().dump({"items": items, "total": total, "limit": query["limit"],
                                                   "offset": query["offset"]})

    @rpc
    def list_organisations(self, filters: dict | None = None) -> dict:
        """filters: OrganisationFilterSchema (platform operator). Returns OrganisationPageSchema."""
        query = load(OrganisationFilterSchema(), filters)
        with self.db.unit_of_work() as uow:
            items, total = handlers.organisations.list_organisations(self.caller, query, uow)
        return OrganisationPageSchema().dump({"items": items, "total": total, "limit": query["limit"],
                                              "offset": query["offset"]})

    # ------------------------------------------------------------------ users and roles

    @rpc
    def create_user(self, payload: dict) -> dict:
        """payload: CreateUserSchema; a user of the caller's organisation. Emits user_created.
        Returns UserWithPasswordSchema: the one-time password, shown this once."""
        cmd = load(CreateUserSchema(), payload)
        with self.db.unit_of_work() as uow:
            account = handlers.users.create_user(self.caller, cmd, uow)
        return UserWithPasswordSchema().dump({"user": account.user, "password": account.password})

    @rpc
    def get_user(self, user_id: str) -> dict:
        with self.db.unit_of_work() as uow:
            return UserSchema().dump(handlers.users.get_user(self.caller, user_id, uow))

    @rpc
    def list_users(self, filters: dict | None = None) -> dict:
        """filters: UserFilterSchema. Returns UserPageSchema."""
        query = load(UserFilterSchema(), filters)
        with self.db.unit_of_work() as uow:
            items, total = handlers.users.list_users(self.caller, query, uow)
        return UserPageSchema().dump({"items": items, "total": total, "limit": query["limit"],
                                      "offset": query["offset"]})

    @rpc
    def display_names(self, query: dict) -> dict:
        """query: NamesQuerySchema (org_ids, user_ids). Returns NamesSchema: id -> name for the ids
        that exist (unknown ids are left out)."""
        cmd = load(NAMES_QUERY_SCHEMA, query)
        with self.db.unit_of_work() as uow:
            return NAMES_SCHEMA.dump(handlers.users.display_names(self.caller, cmd, uow))

    @rpc
    def update_user(self, user_id: str, payload: dict) -> dict:
        """payload: UpdateUserSchema. Emits user_updated when something changed. Returns UserSchema."""
        cmd = load(UpdateUserSchema(), payload)
        with self.db.unit_of_work() as uow:
            user = handlers.users.update_user(self.caller, user_id, cmd, uow, self.sessions)
        return UserSchema().dump(user)

    @rpc
    def assign_roles(self, user_id: str, payload: dict) -> dict:
        """payload: AssignRolesSchema, the complete new list. Emits user_updated. Returns UserSchema."""
        cmd = load(AssignRolesSchema(), payload)
        with self.db.unit_of_work() as uow:
            user = handlers.users.assign_roles(self.caller, user_id, cmd, uow, self.sessions)
        return UserSchema().dump(user)

    @rpc
    def reset_password(self, user_id: str) -> dict:
        """Returns UserWithPasswordSchema with a new one-time password, shown this once."""
        with self.db.unit_of_work() as uow:
            account = handlers.users.reset_password(self.caller, user_id, uow, self.sessions)
        return UserWithPasswordSchema().dump({"user": account.user, "password": account.password})

    @rpc
    def list_roles(self, filters: dict | None = None) -> list[dict]:
        """filters: RoleFilterSchema. The preset roles (ORG-2), for anyone signed in."""
        query = load(RoleFilterSchema(), filters)
        require_actor(self.caller)
        return RoleSchema(many=True).dump(handlers.users.list_roles(query))

    # ------------------------------------------------------------------ integrator keys (GW-6)

    @rpc
    def create_api_key(self, payload: dict) -> dict:
        """payload: CreateApiKeySchema; a key of the caller's organisation (its admins). Returns
        CreatedApiKeySchema with the clear key, shown this once."""
        cmd = load(CreateApiKeySchema(), payload)
        with self.db.unit_of_work() as uow:
            key, clear = handlers.api_keys.create_api_key(self.caller, cmd, uow, self.sessions)
        return CreatedApiKeySchema().dump({"api_key": key, "key": clear})

    @rpc
    def list_api_keys(self, filters: dict | None = None) -> dict:
        """filters: ApiKeyFilterSchema. Returns ApiKeyPageSchema, newest first; never a secret."""
        query = load(ApiKeyFilterSchema(), filters)
        with self.db.unit_of_work() as uow:
            items, total = handlers.api_keys.list_api_keys(self.caller, query, uow)
        return ApiKeyPageSchema().dump({"items": items, "total": total, "limit": query["limit"],
                                        "offset": query["offset"]})

    @rpc
    def revoke_api_key(self, key_id: str) -> dict:
        """The key stops working at once (a revocation mark the gateway reads). Returns ApiKeySchema."""
        with self.db.unit_of_work() as uow:
            return ApiKeySchema().dump(handlers.api_keys.revoke_api_key(self.caller, key_id, uow, self.sessions))

    @rpc
    def authenticate_api_key(self, key: str) -> dict:
        """For the gateway: the service account a clear key acts as (AuthenticatedApiKeySchema), or
        Unauthenticated. Records the key's last use (to the minute)."""
        cmd = load(AuthenticateApiKeySchema(), {"key": key})
        with self.db.unit_of_work() as uow:
            result = handlers.api_keys.authenticate_api_key(cmd, uow, self.sessions)
        return AuthenticatedApiKeySchema().dump(result)

    # ------------------------------------------------------------------ departments

    @rpc
    def create_department(self, payload: dict) -> dict:
        """payload: CreateDepartmentSchema (ISV admin). Emits department_changed. Returns DepartmentSchema."""
        cmd = load(CreateDepartmentSchema(), payload)
        with self.db.unit_of_work() as uow:
            department = handlers.departments.create_department(self.caller, cmd, uow)
        return DepartmentSchema().dump(department)

    @rpc
    def list_departments(self, org_id: str | None = None) -> dict:
        """The department tree of the caller's ISV (the operator may name any ISV). DepartmentTreeSchema."""
        with self.db.unit_of_work() as uow:
            return DepartmentTreeSchema().dump(handlers.departments.list_departments(self.caller, org_id, uow))

    @rpc
    def update_department(self, department_id: str, payload: dict) -> dict:
        """payload: UpdateDepartmentSchema (ISV admin). Emits department_changed per change."""
        cmd = load(UpdateDepartmentSchema(), payload)
        with self.db.unit_of_work() as uow:
            department = handlers.departments.update_department(self.caller, department_id, cmd, uow)
        return DepartmentSchema().dump(department)

    @rpc
    def delete_department(self, department_id: str) -> dict:
        """ISV admin; only an empty department. Emits department_changed. Returns {deleted: id}."""
        with self.db.unit_of_work() as uow:
            department = handlers.departments.delete_department(self.caller, department_id, uow)
        return {"deleted": department.id}

    # ------------------------------------------------------------------ working calendar

    @rpc
    def calendar(self, year: int) -> dict:
        """Every non-default day of the year with its effective kind, plus covers/note (CalendarSchema)."""
        cmd = load(CalendarYearSchema(), {"year": year})
        with self.db.unit_of_work() as uow:
            return CalendarSchema().dump(handlers.calendar.calendar(self.caller, cmd["year"], uow))

    @rpc
    def calendar_overrides(self) -> list[dict]:
        """Every override the operator made; other services load them when they start."""
        with self.db.unit_of_work() as uow:
            return CalendarOverrideSchema(many=True).dump(handlers.calendar.calendar_overrides(uow))

    @rpc
    def set_calendar_day(self, day: str, kind: str, name: str = "") -> dict:
        """Platform operator. Emits calendar_changed. Returns CalendarOverrideSchema."""
        cmd = load(SetCalendarDaySchema(), {"day": day, "kind": kind, "name": name})
        with self.db.unit_of_work() as uow:
            override = handlers.calendar.set_calendar_day(self.caller, cmd, uow)
        return CalendarOverrideSchema().dump(override)

    @rpc
    def remove_calendar_day(self, day: str) -> dict:
        """Platform operator. Emits calendar_changed (kind null) when an override was removed."""
        cmd = load(CalendarDayRefSchema(), {"day": day})
        with self.db.unit_of_work() as uow:
            removed = handlers.calendar.remove_calendar_day(self.caller, cmd["day"], uow)
        return {"day": cmd["day"].isoformat(), "removed": removed}

    @rpc
    def import_calendar_year(self, payload: dict) -> dict:
        """Platform operator: a whole year of holidays and make-up days (CalendarImportSchema), all or
        nothing, each changed day audited and announced with calendar_changed."""
        from identity_svc.calendar_import_schemas import CalendarImportResultSchema, CalendarImportSchema
        from identity_svc.domain.calendar_import import parse_csv
        from identity_svc.handlers import calendar_import

        cmd = load(CalendarImportSchema(), payload)
        rows = cmd["days"] if cmd["days"] is not None else parse_csv(cmd["csv"])
        with self.db.unit_of_work() as uow:
            result = calendar_import.import_year(self.caller, cmd["year"], rows, uow)
        return CalendarImportResultSchema().dump(result)

    def readiness_details(self) -> dict:
        """ORG-6: from 1 November, `/ready` shows that the next year's calendar is not known."""
        from identity_svc.handlers import calendar_import

        with self.db.unit_of_work() as uow:
            state = calendar_import.calendar_coverage(uow)
        return {"calendar": {"next_year": state["next_year"], "covers_next_year": state["covers_next_year"],
                             "entries_next_year": state["entries_next_year"], "alert": state["alert"]}}

    @periodic(cron="0 9 * * *", timezone="Asia/Shanghai", name="calendar_coverage_alert")
    def alert_calendar_coverage(self) -> None:
        """Every morning from 1 November until next year is known: tell the operator (ORG-6)."""
        from identity_svc.handlers import calendar_import

        with self.db.unit_of_work() as uow:
            calendar_import.alert_operator_if_next_year_unknown(uow)

    @rpc
    def calendar_coverage(self) -> dict:
        """Whether next year is known; from 1 November an unknown next year carries an alert."""
        from identity_svc.calendar_import_schemas import CalendarCoverageSchema
        from identity_svc.handlers import calendar_import

        with self.db.unit_of_work() as uow:
            return CalendarCoverageSchema().dump(calendar_import.coverage(self.caller, uow))

    # ------------------------------------------------------------------ audit

    @on_event("billing", "payment_step_resolved")
    def handle_payment_step_resolved(self, event: dict) -> None:
        """BIL-6: the operator's retry, fail or void of a stuck money step, into the audit log."""
        with self.db.unit_of_work() as uow:
            handlers.audit.billing_step_resolved(event, load_data(event), uow)

    @rpc
    def audit_log(self, filters: dict | None = None) -> dict:
        """filters: AuditFilterSchema (platform operator). Newest first; AuditPageSchema."""
        query = load(AuditFilterSchema(), filters)
        with self.db.unit_of_work() as uow:
            return AuditPageSchema().dump(handlers.audit.audit_log(self.caller, query, uow))
