"""A user account (ORG-2, ORG-4): names, contact, roles, one department, its password.

The account decides what changes and returns the ``user_updated`` event carrying the full
current state; who may ask for a change is ``access``'s rule, checked before.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from identity_svc.domain import passwords
from identity_svc.domain.events import Event
from identity_svc.exceptions import InvalidValue

CONTACT_FIELDS = ("display_name", "phone", "email")


def login_key(login_name: str) -> str:
    """The form under which a login name is unique: case and surrounding spaces ignored."""
    return login_name.strip().casefold()


@dataclass
class User:
    id: str
    org_id: str
    login_name: str
    display_name: str
    password_hash: str
    created_at: datetime
    updated_at: datetime
    phone: str | None = None
    email: str | None = None
    department_id: str | None = None
    roles: list[str] = field(default_factory=list)
    must_change_password: bool = True
    active: bool = True
    password_changed_at: datetime | None = None
    last_login_at: datetime | None = None

    @property
    def login_key(self) -> str:
        return login_key(self.login_name)

    @classmethod
    def open(cls, *, user_id: str, org_id: str, org_kind: str, login_name: str, display_name: str,
             phone: str | None, email: str | None, roles: list[str], department_id: str | None,
             now: datetime, password: str | None = None) -> tuple[User, str, Event]:
        """A new account and its clear password: the one given, or a one-time password (ORG-4)
        that must be changed at first log-in. Only the hash is kept."""
        one_time = password is None
        clear = passwords.generate_password() if one_time else password
        user = cls(id=user_id, org_id=org_id, login_name=login_name.strip(), display_name=display_name.strip(),
                   phone=phone, email=email, roles=list(roles), department_id=department_id,
                   password_hash=passwords.hash_password(clear), must_change_password=one_time,
                   password_changed_at=None if one_time else now, created_at=now, updated_at=now)
        return user, clear, Event("user_created", user.snapshot(org_kind))

    def snapshot(self, org_kind: str) -> dict:
        """What user_created / user_updated carry: never a password or its hash."""
        return {"user_id": self.id, "org_id": self.org_id, "org_kind": org_kind, "login_name": self.login_name,
                "display_name": self.display_name, "phone": self.phone, "email": self.email,
                "roles": list(self.roles), "department_id": self.department_id, "active": self.active}

    def _updated(self, org_kind: str, changed: list[str], now: datetime) -> Event:
        self.updated_at = now
        return Event("user_updated", {**self.snapshot(org_kind), "changed": changed})

    def edit(self, changes: dict, *, org_kind: str, now: datetime) -> Event | None:
        """Contact, department (already checked to be of the organisation) and the active flag.
        None when nothing actually changed."""
        changed = []
        for name in CONTACT_FIELDS:
            if name in changes:
                value = changes[name].strip() if isinstance(changes[name], str) else changes[name]
                if value != getattr(self, name):
                    setattr(self, name, value)
                    changed.append(name)
        if "department_id" in changes and changes["department_id"] != self.department_id:
            self.department_id = changes["department_id"]
            changed.append("department_id")
        if "active" in changes and changes["active"] != self.active:
            self.active = changes["active"]
            changed.append("active")
        return self._updated(org_kind, changed, now) if changed else None

    def set_roles(self, roles: list[str], *, org_kind: str, now: datetime) -> Event | None:
        """``roles`` already passed ``roles.check_roles``; None when they are the same."""
        if roles == self.roles:
            return None
        self.roles = list(roles)
        return self._updated(org_kind, ["roles"], now)

    def password_matches(self, clear: str) -> bool:
        return passwords.verify_password(self.password_hash, clear)

    def signed_in(self, clear: str, now: datetime) -> None:
        """A successful log-in with ``clear``: an old-style hash is renewed while we hold the password."""
        if passwords.needs_rehash(self.password_hash):
            self.password_hash = passwords.hash_password(clear)
        self.last_login_at = now

    def choose_password(self, current: str, new: str, now: datetime) -> None:
        """ORG-4: the user's own new password (``current`` already verified), by the policy."""
        problems = passwords.password_problems(new, current=current, login_name=self.login_name)
        if problems:
            raise InvalidValue("The new password does not meet the policy.", {"new_password": problems})
        self.password_hash = passwords.hash_password(new)
        self.must_change_password = False
        self.password_changed_at = self.updated_at = now

    def reset_password(self, now: datetime) -> str:
        """A new one-time password, returned in clear once; the user must change it again."""
        clear = passwords.generate_password()
        self.password_hash = passwords.hash_password(clear)
        self.must_change_password = True
        self.updated_at = now
        return clear
