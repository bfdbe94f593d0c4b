"""identity_svc: organisations, users, roles, departments, log-in, the working calendar, audit.

Entrypoints only: each loads its payload with a schema, runs a use case in a unit of work and
dumps the result with a schema. The caller is ``self.caller`` (set by the gateway, carried in
the context data); payloads never say who is calling.
"""
from nameko.rpc import rpc

from identity_svc import handlers, holidays, signin
from identity_svc.adapters.sessions import SessionStore
from identity_svc.schemas import (
    AssignRolesSchema,
    AuditFilterSchema,
    AuditPageSchema,
    BootstrapResultSchema,
    BootstrapSchema,
    CalendarDayRefSchema,
    CalendarOverrideSchema,
    CalendarSchema,
    CalendarYearSchema,
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
from platform_kit.db import Database
from platform_kit.errors import EXPECTED
from platform_kit.service import PlatformService
from platform_kit.validation import load


class IdentityService(PlatformService):
    name = "identity"
    db = Database("IDENTITY_DATABASE_URL", commit_on_exit=True)
    caller = Caller()
    sessions = SessionStore()

    # ------------------------------------------------------------------ bootstrap and sign-in

    @rpc(expected_exceptions=EXPECTED)
    def bootstrap_operator(self, login_name: str, password: str) -> dict:
        """The platform operator organisation and its first user, only if none exists (for
        ``make run`` and tests). Idempotent: later calls return the existing ones unchanged.
        Emits organisation_created and user_created the first time. Returns BootstrapResultSchema."""
        cmd = load(BootstrapSchema(), {"login_name": login_name, "password": password})
        with self.db.unit_of_work() as uow:
            org, user, created = handlers.bootstrap_operator(cmd, uow)
            return BootstrapResultSchema().dump({"organisation": handlers.organisation_view(uow.session, org),
                                                 "user": user, "created": created})

    @rpc(expected_exceptions=EXPECTED)
    def login(self, login_name: str, password: str, client_address: str | None = None) -> dict:
        """Returns TokenPairSchema. Unauthenticated with one message for an unknown login name or a
        wrong password; RateLimited after too many failures per account or per address."""
        cmd = load(LoginSchema(), {"login_name": login_name, "password": password, "client_address": client_address})
        with self.db.unit_of_work() as uow:
            outcome = signin.login(cmd, uow, self.sessions)
        return self._settle(outcome)

    @rpc(expected_exceptions=EXPECTED)
    def refresh(self, refresh_token: str) -> dict:
        """Rotates the refresh token; returns TokenPairSchema. A spent token presented again
        revokes its whole family."""
        cmd = load(RefreshSchema(), {"refresh_token": refresh_token})
        with self.db.unit_of_work() as uow:
            outcome = signin.refresh(cmd, uow, self.sessions)
        return self._settle(outcome)

    @staticmethod
    def _settle(outcome: signin.Outcome) -> dict:
        # the refusal is raised only now, after its audit entry and revocations committed
        if outcome.refusal is not None:
            raise outcome.refusal
        return TokenPairSchema().dump(outcome.result)

    @rpc(expected_exceptions=EXPECTED)
    def logout(self, access_token: str | None = None, refresh_token: str | None = None) -> dict:
        """Revokes the access token and the refresh token's family. Returns {logged_out: true}."""
        cmd = load(LogoutSchema(), {"access_token": access_token, "refresh_token": refresh_token})
        with self.db.unit_of_work() as uow:
            return signin.logout(self.caller, cmd, uow, self.sessions)

    @rpc(expected_exceptions=EXPECTED)
    def change_password(self, payload: dict) -> dict:
        """payload: ChangePasswordSchema. Ends every session of the caller.
        Returns {changed, sessions_revoked, password_changed_at}."""
        cmd = load(ChangePasswordSchema(), payload)
        with self.db.unit_of_work() as uow:
            result = signin.change_password(self.caller, cmd, uow, self.sessions)
        return {**result, "password_changed_at": result["password_changed_at"].isoformat()}

    @rpc(expected_exceptions=EXPECTED)
    def me(self) -> dict:
        """The caller's user, organisation, roles, department and menus (MeSchema)."""
        with self.db.read() as session:
            return MeSchema().dump(handlers.me(self.caller, session))

    # ------------------------------------------------------------------ organisations

    @rpc(expected_exceptions=EXPECTED)
    def create_organisation(self, payload: dict) -> dict:
        """payload: CreateOrganisationSchema (platform operator). Emits organisation_created,
        user_created and, for an ISV, department_changed. Returns CreatedOrganisationSchema with the
        admin's one-time password."""
        cmd = load(CreateOrganisationSchema(), payload)
        with self.db.unit_of_work() as uow:
            org, account = handlers.create_organisation(self.caller, cmd, uow)
            return CreatedOrganisationSchema().dump({"organisation": handlers.organisation_view(uow.session, org),
                                                     "admin": account.user, "password": account.password})

    @rpc(expected_exceptions=EXPECTED)
    def get_organisation(self, org_id: str) -> dict:
        with self.db.read() as session:
            org = handlers.get_organisation(self.caller, org_id, session)
            return OrganisationSchema().dump(handlers.organisation_view(session, org))

    @rpc(expected_exceptions=EXPECTED)
    def list_organisations(self, filters: dict | None = None) -> dict:
        """filters: OrganisationFilterSchema (platform operator). Returns OrganisationPageSchema."""
        query = load(OrganisationFilterSchema(), filters)
        with self.db.read() as session:
            items, total = handlers.list_organisations(self.caller, query, session)
            return OrganisationPageSchema().dump({
                "items": [handlers.organisation_view(session, org) for org in items], "total": total,
                "limit": query["limit"], "offset": query["offset"]})

    # ------------------------------------------------------------------ users and roles

    @rpc(expected_exceptions=EXPECTED)
    def create_user(self, payload: dict) -> dict:
        """payload: CreateUserSchema; a user of the caller's organisation. Emits user_created.
        Returns UserWithPasswordSchema: the one-time password, shown this once."""
        cmd = load(CreateUserSchema(), payload)
        with self.db.unit_of_work() as uow:
            account = handlers.create_user(self.caller, cmd, uow)
        return UserWithPasswordSchema().dump({"user": account.user, "password": account.password})

    @rpc(expected_exceptions=EXPECTED)
    def get_user(self, user_id: str) -> dict:
        with self.db.read() as session:
            return UserSchema().dump(handlers.get_user(self.caller, user_id, session))

    @rpc(expected_exceptions=EXPECTED)
    def list_users(self, filters: dict | None = None) -> dict:
        """filters: UserFilterSchema. Returns UserPageSchema."""
        query = load(UserFilterSchema(), filters)
        with self.db.read() as session:
            items, total = handlers.list_users(self.caller, query, session)
            return UserPageSchema().dump({"items": items, "total": total, "limit": query["limit"],
                                          "offset": query["offset"]})

    @rpc(expected_exceptions=EXPECTED)
    def update_user(self, user_id: str, payload: dict) -> dict:
        """payload: UpdateUserSchema. Emits user_updated when something changed. Returns UserSchema."""
        cmd = load(UpdateUserSchema(), payload)
        with self.db.unit_of_work() as uow:
            user = handlers.update_user(self.caller, user_id, cmd, uow, self.sessions)
        return UserSchema().dump(user)

    @rpc(expected_exceptions=EXPECTED)
    def assign_roles(self, user_id: str, payload: dict) -> dict:
        """payload: AssignRolesSchema, the complete new list. Emits user_updated. Returns UserSchema."""
        cmd = load(AssignRolesSchema(), payload)
        with self.db.unit_of_work() as uow:
            user = handlers.assign_roles(self.caller, user_id, cmd, uow, self.sessions)
        return UserSchema().dump(user)

    @rpc(expected_exceptions=EXPECTED)
    def reset_password(self, user_id: str) -> dict:
        """Returns UserWithPasswordSchema with a new one-time password, shown this once."""
        with self.db.unit_of_work() as uow:
            account = handlers.reset_password(self.caller, user_id, uow, self.sessions)
        return UserWithPasswordSchema().dump({"user": account.user, "password": account.password})

    @rpc(expected_exceptions=EXPECTED)
    def list_roles(self, filters: dict | None = None) -> list[dict]:
        """filters: RoleFilterSchema. The preset roles (ORG-2), for anyone signed in."""
        query = load(RoleFilterSchema(), filters)
        require_actor(self.caller)
        return RoleSchema(many=True).dump(handlers.list_roles(query))

    # ------------------------------------------------------------------ departments

    @rpc(expected_exceptions=EXPECTED)
    def create_department(self, payload: dict) -> dict:
        """payload: CreateDepartmentSchema (ISV admin). Emits department_changed. Returns DepartmentSchema."""
        cmd = load(CreateDepartmentSchema(), payload)
        with self.db.unit_of_work() as uow:
            return DepartmentSchema().dump(handlers.create_department(self.caller, cmd, uow))

    @rpc(expected_exceptions=EXPECTED)
    def list_departments(self, org_id: str | None = None) -> dict:
        """The department tree of the caller's ISV (the operator may name any ISV). DepartmentTreeSchema."""
        with self.db.read() as session:
            return DepartmentTreeSchema().dump(handlers.list_departments(self.caller, org_id, session))

    @rpc(expected_exceptions=EXPECTED)
    def update_department(self, department_id: str, payload: dict) -> dict:
        """payload: UpdateDepartmentSchema (ISV admin). Emits department_changed per change."""
        cmd = load(UpdateDepartmentSchema(), payload)
        with self.db.unit_of_work() as uow:
            return DepartmentSchema().dump(handlers.update_department(self.caller, department_id, cmd, uow))

    @rpc(expected_exceptions=EXPECTED)
    def delete_department(self, department_id: str) -> dict:
        """ISV admin; only an empty department. Emits department_changed. Returns {deleted: id}."""
        with self.db.unit_of_work() as uow:
            department = handlers.delete_department(self.caller, department_id, uow)
        return {"deleted": department.id}

    # ------------------------------------------------------------------ working calendar

    @rpc(expected_exceptions=EXPECTED)
    def calendar(self, year: int) -> dict:
        """Every non-default day of the year with its effective kind, plus covers/note (CalendarSchema)."""
        cmd = load(CalendarYearSchema(), {"year": year})
        with self.db.read() as session:
            return CalendarSchema().dump(holidays.calendar(self.caller, cmd["year"], session))

    @rpc(expected_exceptions=EXPECTED)
    def calendar_overrides(self) -> list[dict]:
        """Every override the operator made; other services load them when they start."""
        with self.db.read() as session:
            return CalendarOverrideSchema(many=True).dump(holidays.calendar_overrides(session))

    @rpc(expected_exceptions=EXPECTED)
    def set_calendar_day(self, day: str, kind: str, name: str = "") -> dict:
        """Platform operator. Emits calendar_changed. Returns CalendarOverrideSchema."""
        cmd = load(SetCalendarDaySchema(), {"day": day, "kind": kind, "name": name})
        with self.db.unit_of_work() as uow:
            return CalendarOverrideSchema().dump(holidays.set_calendar_day(self.caller, cmd, uow))

    @rpc(expected_exceptions=EXPECTED)
    def remove_calendar_day(self, day: str) -> dict:
        """Platform operator. Emits calendar_changed (kind null) when an override was removed."""
        cmd = load(CalendarDayRefSchema(), {"day": day})
        with self.db.unit_of_work() as uow:
            removed = holidays.remove_calendar_day(self.caller, cmd["day"], uow)
        return {"day": cmd["day"].isoformat(), "removed": removed}

    # ------------------------------------------------------------------ audit

    @rpc(expected_exceptions=EXPECTED)
    def audit_log(self, filters: dict | None = None) -> dict:
        """filters: AuditFilterSchema (platform operator). Newest first; AuditPageSchema."""
        query = load(AuditFilterSchema(), filters)
        with self.db.read() as session:
            return AuditPageSchema().dump(handlers.audit_log(self.caller, query, session))
