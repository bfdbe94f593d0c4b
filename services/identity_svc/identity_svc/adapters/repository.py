"""Loads and saves identity's aggregates: the only place with SQL and locking.

Each repository is built on the unit of work's session (``Database(repositories=...)``), hands
out domain objects and writes them back on ``save``; rows stay here.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import String, any_, bindparam, delete, extract, func, or_, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from identity_svc.adapters import orm
from identity_svc.domain.api_keys import ApiKey, display_name
from identity_svc.domain.audit import AuditEntry
from identity_svc.domain.calendar import CalendarOverride
from identity_svc.domain.departments import Department, DepartmentTree
from identity_svc.domain.organisations import Organisation, name_key
from identity_svc.domain.signin import AccessGrant, RefreshToken, SignIn
from identity_svc.domain.users import User, login_key
from platform_contracts.roles import ISV, OPERATOR
from platform_kit.clock import for_sql
from platform_kit.logs import current_correlation_id

BOOTSTRAP_LOCK = 0x1D3A7_0B00  # pg_advisory_xact_lock key: one bootstrap at a time


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _count(session: Session, query) -> int:
    return session.execute(select(func.count()).select_from(query.subquery())).scalar_one()


# --------------------------------------------------------------------------- organisations

class OrganisationRepository:
    def __init__(self, session: Session):
        self.session = session

    def _roots(self, org_ids: Iterable[str]) -> dict[str, str]:
        org_ids = list(org_ids)
        if not org_ids:
            return {}
        rows = self.session.execute(select(orm.Department.org_id, orm.Department.id).where(
            orm.Department.org_id.in_(org_ids), orm.Department.parent_id.is_(None)))
        return dict(rows.all())

    def _to_domain(self, rows: Iterable[orm.Organisation]) -> list[Organisation]:
        rows = list(rows)
        roots = self._roots(r.id for r in rows if r.kind == ISV)
        return [Organisation(id=r.id, name=r.name, kind=r.kind, created_at=r.created_at,
                             admin_user_id=r.admin_user_id, root_department_id=roots.get(r.id)) for r in rows]

    def get(self, org_id: str, *, for_update: bool = False) -> Organisation | None:
        row = self.session.get(orm.Organisation, org_id, with_for_update=for_update) if org_id else None
        return self._to_domain([row])[0] if row else None

    def by_name(self, name: str) -> Organisation | None:
        row = self.session.execute(select(orm.Organisation).where(orm.Organisation.name_key == name_key(name))
                                   ).scalars().first()
        return self._to_domain([row])[0] if row else None

    def operator(self, *, exclusive: bool = False) -> Organisation | None:
        """The operator organisation; ``exclusive`` holds the bootstrap lock until the transaction ends."""
        if exclusive:
            self.session.execute(select(func.pg_advisory_xact_lock(BOOTSTRAP_LOCK)))
        row = self.session.execute(select(orm.Organisation).where(orm.Organisation.kind == OPERATOR)
                                   ).scalars().first()
        return self._to_domain([row])[0] if row else None

    def kind_of(self, org_id: str) -> str:
        return self.session.execute(select(orm.Organisation.kind).where(orm.Organisation.id == org_id)).scalar_one()

    def add(self, org: Organisation) -> None:
        self.session.add(orm.Organisation(id=org.id, name=org.name, name_key=org.name_key, kind=org.kind,
                                          admin_user_id=org.admin_user_id, created_at=org.created_at))
        self.session.flush()

    def save(self, org: Organisation) -> None:
        row = self.session.get(orm.Organisation, org.id)
        row.name, row.name_key, row.admin_user_id = org.name, org.name_key, org.admin_user_id
        self.session.flush()

    def names(self, org_ids: Iterable[str]) -> dict[str, str]:
        ids = sorted({i for i in org_ids if i})
        if not ids:
            return {}
        return dict(self.session.execute(_ORG_NAMES, {"ids": ids}).all())

    def list(self, *, kind: str | None, q: str | None, limit: int, offset: int) -> tuple[list[Organisation], int]:
        query = select(orm.Organisation)
        if kind:
            query = query.where(orm.Organisation.kind == kind)
        if q:
            query = query.where(orm.Organisation.name.ilike(f"%{_escape_like(q.strip())}%", escape="\\"))
        rows = self.session.execute(query.order_by(orm.Organisation.name_key).limit(limit).offset(offset)).scalars()
        return self._to_domain(rows), _count(self.session, query)


# --------------------------------------------------------------------------- users

# Names of the ids another service's answer carries, asked on every read of a project (the busiest read):
# one array parameter (``= any(:ids)``) instead of an IN list SQLAlchemy expands per call.
_IDS = bindparam("ids", type_=ARRAY(String))
_ORG_NAMES = select(orm.Organisation.id, orm.Organisation.name).where(orm.Organisation.id == any_(_IDS))
_USER_NAMES = select(orm.User.id, orm.User.display_name).where(orm.User.id == any_(_IDS))

_USER_FIELDS = ("id", "org_id", "login_name", "display_name", "phone", "email", "department_id", "roles",
                "password_hash", "must_change_password", "active", "password_changed_at", "last_login_at",
                "created_at", "updated_at")


class UserRepository:
    def __init__(self, session: Session):
        self.session = session

    @staticmethod
    def _to_domain(row: orm.User) -> User:
        values = {f: getattr(row, f) for f in _USER_FIELDS}
        return User(**{**values, "roles": list(row.roles)})

    def get(self, user_id: str | None, *, for_update: bool = False) -> User | None:
        row = self.session.get(orm.User, user_id, with_for_update=for_update) if user_id else None
        return self._to_domain(row) if row else None

    def by_login(self, login_name: str, *, for_update: bool = False) -> User | None:
        query = select(orm.User).where(orm.User.login_key == login_key(login_name))
        if for_update:
            query = query.with_for_update()
        row = self.session.execute(query).scalars().first()
        return self._to_domain(row) if row else None

    def add(self, user: User) -> None:
        self.session.add(orm.User(**{f: getattr(user, f) for f in _USER_FIELDS}, login_key=user.login_key))
        self.session.flush()

    def save(self, user: User) -> None:
        row = self.session.get(orm.User, user.id)
        for f in _USER_FIELDS:
            setattr(row, f, getattr(user, f))
        row.login_key = user.login_key
        self.session.flush()

    def names(self, user_ids: Iterable[str]) -> dict[str, str]:
        ids = sorted({i for i in user_ids if i})
        if not ids:
            return {}
        return dict(self.session.execute(_USER_NAMES, {"ids": ids}).all())

    def counts_by_department(self, org_id: str) -> dict[str, int]:
        rows = self.session.execute(select(orm.User.department_id, func.count()).where(orm.User.org_id == org_id)
                                    .group_by(orm.User.department_id))
        return {dept: count for dept, count in rows.all() if dept is not None}

    def list(self, *, org_id: str | None, department_id: str | None, role: str | None, active: bool | None,
             q: str | None, limit: int, offset: int) -> tuple[list[User], int]:
        query = select(orm.User)
        if org_id:
            query = query.where(orm.User.org_id == org_id)
        if department_id:
            query = query.where(orm.User.department_id == department_id)
        if role:
            query = query.where(orm.User.roles.any(role))
        if active is not None:
            query = query.where(orm.User.active.is_(active))
        if q:
            pattern = f"%{_escape_like(q.strip())}%"
            query = query.where(or_(*(column.ilike(pattern, escape="\\") for column in (
                orm.User.login_name, orm.User.display_name, orm.User.phone, orm.User.email))))
        rows = self.session.execute(query.order_by(orm.User.login_key).limit(limit).offset(offset)).scalars()
        return [self._to_domain(r) for r in rows], _count(self.session, query)


# --------------------------------------------------------------------------- departments

class DepartmentRepository:
    def __init__(self, session: Session):
        self.session = session

    @staticmethod
    def _row(d: Department) -> orm.Department:
        return orm.Department(id=d.id, org_id=d.org_id, parent_id=d.parent_id, name=d.name,
                              created_at=d.created_at, updated_at=d.updated_at)

    def tree(self, org_id: str, *, for_update: bool = False) -> DepartmentTree | None:
        """The organisation's tree, or None when it has none. ``for_update`` locks the
        organisation's row: one change of a tree at a time."""
        if for_update:
            self.session.execute(select(orm.Organisation.id).where(orm.Organisation.id == org_id).with_for_update())
        rows = self.session.execute(select(orm.Department).where(orm.Department.org_id == org_id)).scalars().all()
        if not rows:
            return None
        return DepartmentTree((Department(r.id, r.parent_id, r.name, r.org_id, r.created_at, r.updated_at)
                               for r in rows), org_id=org_id)

    def add_root(self, root: Department) -> None:
        self.session.add(self._row(root))
        self.session.flush()

    def save(self, tree: DepartmentTree) -> None:
        for department_id in tree.added:
            self.session.add(self._row(tree.by_id[department_id]))
        self.session.flush()
        for department_id in tree.updated:
            department = tree.by_id[department_id]
            row = self.session.get(orm.Department, department_id)
            row.name, row.parent_id, row.updated_at = department.name, department.parent_id, department.updated_at
        if tree.removed:
            self.session.execute(delete(orm.Department).where(orm.Department.id.in_(tree.removed)))
        self.session.flush()
        tree.added, tree.updated, tree.removed = [], set(), []


# --------------------------------------------------------------------------- sign-ins

class SignInRepository:
    """A sign-in is its family of refresh-token rows."""

    def __init__(self, session: Session):
        self.session = session

    def _family(self, family_id: str) -> SignIn | None:
        rows = self.session.execute(select(orm.RefreshToken).where(orm.RefreshToken.family_id == family_id)
                                    .order_by(orm.RefreshToken.issued_at, orm.RefreshToken.id)
                                    .with_for_update()).scalars().all()
        if not rows:
            return None
        tokens = [RefreshToken(
            id=r.id, token_hash=r.token_hash, issued_at=r.issued_at, expires_at=r.expires_at,
            access=AccessGrant(r.access_jti, r.access_expires_at) if r.access_jti and r.access_expires_at else None,
            revoked_at=r.revoked_at, revoked_reason=r.revoked_reason, replaced_by=r.replaced_by) for r in rows]
        return SignIn(family_id, rows[0].user_id, tokens)

    def by_token(self, token_hash: str, *, for_update: bool = True) -> SignIn | None:
        """The sign-in the token belongs to, its rows locked (``for_update`` is always true: a
        sign-in is only loaded to be changed, and two refreshes of one token must serialise)."""
        family_id = self.session.execute(select(orm.RefreshToken.family_id).where(
            orm.RefreshToken.token_hash == token_hash)).scalar()
        return self._family(family_id) if family_id else None

    def live_of_user(self, user_id: str) -> list[SignIn]:
        """The user's sign-ins with a refresh token still unrevoked, locked."""
        families = self.session.execute(select(orm.RefreshToken.family_id).where(
            orm.RefreshToken.user_id == user_id, orm.RefreshToken.revoked_at.is_(None)).distinct()).scalars().all()
        return [s for s in (self._family(f) for f in sorted(families)) if s is not None]

    def add(self, sign_in: SignIn) -> None:
        self.save(sign_in)

    def save(self, sign_in: SignIn) -> None:
        for token in sign_in.tokens:
            row = self.session.get(orm.RefreshToken, token.id)
            if row is None:
                row = orm.RefreshToken(id=token.id, family_id=sign_in.family_id, user_id=sign_in.user_id,
                                       token_hash=token.token_hash, issued_at=token.issued_at,
                                       expires_at=token.expires_at,
                                       access_jti=token.access.jti if token.access else None,
                                       access_expires_at=token.access.expires_at if token.access else None)
                self.session.add(row)
            row.revoked_at, row.revoked_reason, row.replaced_by = token.revoked_at, token.revoked_reason, \
                token.replaced_by
        self.session.flush()


# --------------------------------------------------------------------------- calendar

class CalendarRepository:
    def __init__(self, session: Session):
        self.session = session

    @staticmethod
    def _to_domain(row: orm.CalendarOverride) -> CalendarOverride:
        return CalendarOverride(row.day, row.kind, row.name, row.updated_by, row.updated_at)

    def get(self, day: date, *, for_update: bool = False) -> CalendarOverride | None:
        row = self.session.get(orm.CalendarOverride, day, with_for_update=for_update)
        return self._to_domain(row) if row else None

    def put(self, override: CalendarOverride) -> None:
        row = self.session.get(orm.CalendarOverride, override.day)
        if row is None:
            row = orm.CalendarOverride(day=override.day)
            self.session.add(row)
        row.kind, row.name, row.updated_by, row.updated_at = (override.kind, override.name, override.updated_by,
                                                              override.updated_at)
        self.session.flush()

    def remove(self, day: date) -> None:
        self.session.execute(delete(orm.CalendarOverride).where(orm.CalendarOverride.day == day))

    def of_year(self, year: int) -> list[CalendarOverride]:
        rows = self.session.execute(select(orm.CalendarOverride).where(
            extract("year", orm.CalendarOverride.day) == year)).scalars()
        return [self._to_domain(r) for r in rows]

    def all(self) -> list[CalendarOverride]:
        rows = self.session.execute(select(orm.CalendarOverride).order_by(orm.CalendarOverride.day)).scalars()
        return [self._to_domain(r) for r in rows]


# --------------------------------------------------------------------------- integrator keys

_KEY_FIELDS = ("id", "org_id", "name", "roles", "secret_hash", "hash_kid", "created_by", "created_at", "expires_at",
               "rate_limit_per_minute", "revoked_at", "revoked_by", "last_used_at")
_KEY_NAMES = select(orm.ApiKey.id, orm.ApiKey.name).where(orm.ApiKey.id == any_(_IDS))


class ApiKeyRepository:
    def __init__(self, session: Session):
        self.session = session

    @staticmethod
    def _to_domain(row: orm.ApiKey) -> ApiKey:
        return ApiKey(**{**{f: getattr(row, f) for f in _KEY_FIELDS}, "roles": list(row.roles)})

    def get(self, key_id: str, *, for_update: bool = False) -> ApiKey | None:
        row = self.session.get(orm.ApiKey, key_id, with_for_update=for_update) if key_id else None
        return self._to_domain(row) if row else None

    def add(self, key: ApiKey) -> None:
        self.session.add(orm.ApiKey(**{f: getattr(key, f) for f in _KEY_FIELDS}))
        self.session.flush()

    def save(self, key: ApiKey) -> None:
        row = self.session.get(orm.ApiKey, key.id)
        for f in _KEY_FIELDS:
            setattr(row, f, getattr(key, f))
        self.session.flush()

    def names(self, key_ids: Iterable[str]) -> dict[str, str]:
        """id -> display name of the keys among ``key_ids``."""
        ids = sorted({i for i in key_ids if i})
        if not ids:
            return {}
        rows = self.session.execute(_KEY_NAMES, {"ids": ids}).all()
        return {key_id: display_name(name) for key_id, name in rows}

    def list(self, *, org_id: str, state: str | None, now: datetime, limit: int,
             offset: int) -> tuple[list[ApiKey], int]:
        """Newest first."""
        query = select(orm.ApiKey).where(orm.ApiKey.org_id == org_id)
        at = for_sql(now)
        if state == "revoked":
            query = query.where(orm.ApiKey.revoked_at.is_not(None))
        elif state == "expired":
            query = query.where(orm.ApiKey.revoked_at.is_(None), orm.ApiKey.expires_at <= at)
        elif state == "active":
            query = query.where(orm.ApiKey.revoked_at.is_(None), orm.ApiKey.expires_at > at)
        rows = self.session.execute(query.order_by(orm.ApiKey.created_at.desc(), orm.ApiKey.id)
                                    .limit(limit).offset(offset)).scalars()
        return [self._to_domain(r) for r in rows], _count(self.session, query)


# --------------------------------------------------------------------------- audit

class AuditRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, entry: AuditEntry) -> None:
        self.session.add(orm.AuditEntry(
            action=entry.action, actor_user_id=entry.actor_user_id, actor_org_id=entry.actor_org_id,
            org_id=entry.org_id, subject_type=entry.subject_type, subject_id=entry.subject_id,
            client_address=entry.client_address, correlation_id=entry.correlation_id or current_correlation_id(),
            details=entry.details))

    def page(self, *, actor_user_id: str | None, action: str | None, org_id: str | None,
             since: datetime | None, until: datetime | None, limit: int,
             cursor: str | None) -> tuple[list[AuditEntry], str | None]:
        """Newest first; the cursor is the id of the last entry of the previous page."""
        query = select(orm.AuditEntry)
        for column, value in ((orm.AuditEntry.actor_user_id, actor_user_id), (orm.AuditEntry.action, action),
                              (orm.AuditEntry.org_id, org_id)):
            if value:
                query = query.where(column == value)
        if since:
            query = query.where(orm.AuditEntry.at >= for_sql(since))
        if until:
            query = query.where(orm.AuditEntry.at < for_sql(until))
        if cursor:
            query = query.where(orm.AuditEntry.id < int(cursor))
        rows = self.session.execute(query.order_by(orm.AuditEntry.id.desc()).limit(limit + 1)).scalars().all()
        items = [AuditEntry(id=r.id, at=r.at, action=r.action, actor_user_id=r.actor_user_id,
                            actor_org_id=r.actor_org_id, org_id=r.org_id, subject_type=r.subject_type,
                            subject_id=r.subject_id, client_address=r.client_address,
                            correlation_id=r.correlation_id, details=r.details) for r in rows[:limit]]
        return items, (str(items[-1].id) if len(rows) > limit else None)
