"""Steps several use cases share."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from identity_svc.domain import audit
from identity_svc.domain.events import Event
from identity_svc.domain.organisations import Organisation
from identity_svc.domain.ports import Sessions
from identity_svc.domain.users import User
from identity_svc.exceptions import Clash, NotAllowedNow
from platform_contracts.actor import Actor


def new_id() -> str:
    return str(uuid.uuid4())


def emit(uow, *events: Event | None) -> None:
    for event in events:
        if event is not None:
            uow.emit(event.type, event.data)


@dataclass(frozen=True)
class NewAccount:
    user: User
    password: str


def ensure_login_free(uow, login_name: str, fields: dict | None = None) -> None:
    if uow.users.by_login(login_name) is not None:
        raise Clash("This login name is taken.", fields or {"login_name": ["is already used by another account"]})


def open_account(uow, *, org: Organisation, login_name: str, display_name: str, phone: str | None,
                 email: str | None, roles: list[str], department_id: str | None, actor: Actor | None,
                 now: datetime, password: str | None = None) -> NewAccount:
    """A new account; without ``password`` a one-time password is generated (ORG-4)."""
    user, clear, created = User.open(user_id=new_id(), org_id=org.id, org_kind=org.kind, login_name=login_name,
                                     display_name=display_name, phone=phone, email=email, roles=roles,
                                     department_id=department_id, now=now, password=password)
    uow.users.add(user)
    emit(uow, created)
    uow.audit.add(audit.entry("user_created", actor=actor, org_id=org.id, subject_type="user", subject_id=user.id,
                              details={"login_name": user.login_name, "roles": list(roles),
                                       "department_id": department_id}))
    return NewAccount(user, clear)


def department_for(uow, org: Organisation, department_id: str | None) -> str | None:
    """ORG-3: an ISV user is in exactly one department of its ISV (the root unless chosen)."""
    if not org.has_departments:
        if department_id:
            raise NotAllowedNow("Only ISV users belong to departments.",
                               {"department_id": ["only users of an ISV belong to a department"]})
        return None
    if not department_id:
        return org.root_department_id
    tree = uow.departments.tree(org.id)
    if tree is None or department_id not in tree:
        raise NotAllowedNow("No such department in this organisation.",
                           {"department_id": [f"department {department_id} is not in this organisation"]})
    return department_id


def end_every_sign_in(uow, sessions: Sessions, user_id: str, reason: str, now: datetime) -> None:
    """Every sign-in of the user ends: access tokens issued up to ``now`` (to the millisecond;
    one issued just after, e.g. at the next log-in, works) and every refresh token."""
    sessions.revocations.revoke_all_before(user_id, now)
    for sign_in in uow.signins.live_of_user(user_id):
        sign_in.end(reason, now)
        uow.signins.save(sign_in)
