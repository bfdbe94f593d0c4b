"""Queries of identity_svc, kept out of the use cases so that those read as rules."""
from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from identity_svc.adapters.orm import Department, Organisation, User
from identity_svc.domain.departments import Department as DepartmentNode
from identity_svc.domain.departments import DepartmentTree


def login_key(login_name: str) -> str:
    """The form under which a login name is unique: case and surrounding spaces ignored."""
    return login_name.strip().casefold()


def name_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def user_by_login(session: Session, login_name: str, *, for_update: bool = False) -> User | None:
    query = select(User).where(User.login_key == login_key(login_name))
    if for_update:
        query = query.with_for_update()
    return session.execute(query).scalars().first()


def get_user(session: Session, user_id: str, *, for_update: bool = False) -> User | None:
    return session.get(User, user_id, with_for_update=for_update) if user_id else None


def get_organisation(session: Session, org_id: str, *, for_update: bool = False) -> Organisation | None:
    return session.get(Organisation, org_id, with_for_update=for_update) if org_id else None


def org_kind(session: Session, org_id: str) -> str:
    return session.execute(select(Organisation.kind).where(Organisation.id == org_id)).scalar_one()


def operator_organisation(session: Session) -> Organisation | None:
    return session.execute(select(Organisation).where(Organisation.kind == "operator")).scalars().first()


def organisation_by_name(session: Session, name: str) -> Organisation | None:
    return session.execute(select(Organisation).where(Organisation.name_key == name_key(name))).scalars().first()


def department_tree(session: Session, org_id: str) -> DepartmentTree:
    rows = session.execute(select(Department).where(Department.org_id == org_id)).scalars().all()
    return DepartmentTree(DepartmentNode(r.id, r.parent_id, r.name) for r in rows)


def root_department_id(session: Session, org_id: str) -> str | None:
    return session.execute(select(Department.id).where(Department.org_id == org_id,
                                                       Department.parent_id.is_(None))).scalar()


def root_department_ids(session: Session, org_ids: list[str]) -> dict[str, str]:
    if not org_ids:
        return {}
    rows = session.execute(select(Department.org_id, Department.id).where(Department.org_id.in_(org_ids),
                                                                          Department.parent_id.is_(None)))
    return dict(rows.all())


def user_counts(session: Session, org_id: str) -> dict[str, int]:
    rows = session.execute(select(User.department_id, func.count()).where(User.org_id == org_id)
                           .group_by(User.department_id))
    return {dept: count for dept, count in rows.all() if dept is not None}


def list_users(session: Session, *, org_id: str | None, department_id: str | None, role: str | None,
               active: bool | None, q: str | None, limit: int, offset: int) -> tuple[list[User], int]:
    query = select(User)
    if org_id:
        query = query.where(User.org_id == org_id)
    if department_id:
        query = query.where(User.department_id == department_id)
    if role:
        query = query.where(User.roles.any(role))
    if active is not None:
        query = query.where(User.active.is_(active))
    if q:
        pattern = f"%{_escape_like(q.strip())}%"
        query = query.where(or_(User.login_name.ilike(pattern, escape="\\"),
                                User.display_name.ilike(pattern, escape="\\"),
                                User.phone.ilike(pattern, escape="\\"),
                                User.email.ilike(pattern, escape="\\")))
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    items = session.execute(query.order_by(User.login_key).limit(limit).offset(offset)).scalars().all()
    return list(items), total


def list_organisations(session: Session, *, kind: str | None, q: str | None, limit: int,
                       offset: int) -> tuple[list[Organisation], int]:
    query = select(Organisation)
    if kind:
        query = query.where(Organisation.kind == kind)
    if q:
        query = query.where(Organisation.name.ilike(f"%{_escape_like(q.strip())}%", escape="\\"))
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    items = session.execute(query.order_by(Organisation.name_key).limit(limit).offset(offset)).scalars().all()
    return list(items), total


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
