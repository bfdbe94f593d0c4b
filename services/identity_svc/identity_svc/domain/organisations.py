"""Organisations (ORG-1): the platform operator, ISVs and customers, each with a main account.

An organisation's name is unique ignoring case and runs of spaces; an ISV has a department
tree whose root carries the organisation's name (ORG-3).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from identity_svc.domain.events import Event
from platform_contracts.roles import ISV

OPERATOR_ORG_NAME = "Platform operator"


def clean_name(name: str) -> str:
    return " ".join(name.split())


def name_key(name: str) -> str:
    """The form under which an organisation's name is unique."""
    return clean_name(name).casefold()


@dataclass
class Organisation:
    id: str
    name: str
    kind: str
    created_at: datetime
    admin_user_id: str | None = None
    root_department_id: str | None = None

    @property
    def name_key(self) -> str:
        return name_key(self.name)

    @property
    def has_departments(self) -> bool:
        return self.kind == ISV

    @classmethod
    def found(cls, org_id: str, name: str, kind: str, now: datetime) -> Organisation:
        return cls(id=org_id, name=clean_name(name), kind=kind, created_at=now)

    def hand_to(self, admin_user_id: str, root_department_id: str | None) -> Event:
        """The main account (and an ISV's root department) exist: the organisation is complete."""
        self.admin_user_id = admin_user_id
        self.root_department_id = root_department_id
        return Event("organisation_created", {
            "org_id": self.id, "name": self.name, "kind": self.kind, "admin_user_id": admin_user_id,
            "root_department_id": root_department_id})
