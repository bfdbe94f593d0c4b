"""An ISV's department tree (ORG-3): one root created with the organisation, each user in one.

Pure rules over the organisation's departments, checked before any change is written:
names are unique among siblings (ignoring case), the root is never moved or deleted, a move
never puts a department under itself or its own descendants, and only an empty department
(no sub-departments, no users) can be deleted.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from identity_svc.domain.events import Event
from identity_svc.exceptions import Clash, InvalidValue, NotAllowedNow

MAX_NAME = 100


@dataclass
class Department:
    id: str
    parent_id: str | None
    name: str
    org_id: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    def changed(self, change: str) -> Event:
        return Event("department_changed", {"department_id": self.id, "org_id": self.org_id, "change": change,
                                            "name": self.name, "parent_id": self.parent_id})


def root_of(org_id: str, department_id: str, name: str, now: datetime) -> tuple[Department, Event]:
    """The root department of a new ISV, named like the organisation."""
    root = Department(department_id, None, name, org_id, now, now)
    return root, root.changed("created")


class DepartmentTree:
    """The aggregate of one ISV's departments. Changes are recorded for the repository
    (``added``, ``updated``, ``removed``) and return the ``department_changed`` events."""

    def __init__(self, departments: Iterable[Department], org_id: str | None = None):
        self.org_id = org_id
        self.by_id: dict[str, Department] = {d.id: d for d in departments}
        roots = [d for d in self.by_id.values() if d.parent_id is None]
        if len(roots) != 1:
            raise ValueError(f"a department tree has exactly one root, found {len(roots)}")
        self.root = roots[0]
        self.added: list[str] = []
        self.updated: set[str] = set()
        self.removed: list[str] = []

    def __contains__(self, department_id: str) -> bool:
        return department_id in self.by_id

    def children(self, department_id: str | None) -> list[Department]:
        return sorted((d for d in self.by_id.values() if d.parent_id == department_id),
                      key=lambda d: d.name.casefold())

    def descendants(self, department_id: str) -> set[str]:
        found: set[str] = set()
        stack = [department_id]
        while stack:
            for child in self.children(stack.pop()):
                found.add(child.id)
                stack.append(child.id)
        return found

    def path(self, department_id: str) -> list[Department]:
        """From the root down to the department."""
        chain = []
        current: str | None = department_id
        while current is not None:
            chain.append(self.by_id[current])
            current = self.by_id[current].parent_id
        return list(reversed(chain))

    # ---- rules -------------------------------------------------------------------------

    def check_create(self, parent_id: str, name: str) -> str:
        """The cleaned name of a new department under ``parent_id``."""
        self._require(parent_id, "parent_id")
        return self._check_name(parent_id, name)

    def check_rename(self, department_id: str, name: str) -> str:
        self._require(department_id, "department_id")
        return self._check_name(self.by_id[department_id].parent_id, name, ignore=department_id)

    def check_move(self, department_id: str, new_parent_id: str) -> None:
        self._require(department_id, "department_id")
        self._require(new_parent_id, "parent_id")
        if department_id == self.root.id:
            raise NotAllowedNow("The root department cannot be moved.",
                               {"parent_id": ["the root department has no parent"]})
        if new_parent_id == department_id or new_parent_id in self.descendants(department_id):
            raise NotAllowedNow("A department cannot be moved under itself or one of its sub-departments.",
                               {"parent_id": ["is this department or one of its sub-departments"]})
        self._check_name(new_parent_id, self.by_id[department_id].name, ignore=department_id)

    def check_delete(self, department_id: str, user_counts: Mapping[str, int]) -> None:
        self._require(department_id, "department_id")
        if department_id == self.root.id:
            raise NotAllowedNow("The root department cannot be deleted.",
                                {"department_id": ["is the organisation's root department"]})
        children = self.children(department_id)
        users = user_counts.get(department_id, 0)
        if children or users:
            parts = []
            if users:
                parts.append(f"{users} user(s)")
            if children:
                parts.append(f"{len(children)} sub-department(s)")
            raise NotAllowedNow(f"Only an empty department can be deleted; this one has {' and '.join(parts)}.",
                                {"department_id": [f"still has {' and '.join(parts)}"]})

    # ---- changes -----------------------------------------------------------------------

    def create(self, department_id: str, parent_id: str | None, name: str, now: datetime) -> tuple[Department, Event]:
        """A new department under ``parent_id`` (default: the root)."""
        parent_id = parent_id or self.root.id
        cleaned = self.check_create(parent_id, name)
        department = Department(department_id, parent_id, cleaned, self.org_id, now, now)
        self.by_id[department.id] = department
        self.added.append(department.id)
        return department, department.changed("created")

    def update(self, department_id: str, changes: dict, now: datetime) -> list[Event]:
        """Rename and/or move; one event per change, each carrying the final state."""
        department = self.by_id[department_id]
        kinds = []
        if "name" in changes:
            name = self.check_rename(department_id, changes["name"])
            if name != department.name:
                department.name = name
                kinds.append("renamed")
        if "parent_id" in changes and changes["parent_id"] != department.parent_id:
            self.check_move(department_id, changes["parent_id"])
            department.parent_id = changes["parent_id"]
            kinds.append("moved")
        if kinds:
            department.updated_at = now
            self.updated.add(department_id)
        return [department.changed(kind) for kind in kinds]

    def delete(self, department_id: str, user_counts: Mapping[str, int]) -> tuple[Department, Event]:
        self.check_delete(department_id, user_counts)
        department = self.by_id.pop(department_id)
        self.removed.append(department_id)
        return department, department.changed("deleted")

    # ---- views -------------------------------------------------------------------------

    def as_nested(self, user_counts: Mapping[str, int]) -> dict:
        """The tree from the root: ``{id, name, parent_id, user_count, children: [...]}``."""
        def node(d: Department) -> dict:
            return {"id": d.id, "name": d.name, "parent_id": d.parent_id,
                    "user_count": user_counts.get(d.id, 0),
                    "children": [node(c) for c in self.children(d.id)]}
        return node(self.root)

    # ---- internals ---------------------------------------------------------------------

    def _require(self, department_id: str, field: str) -> None:
        if department_id not in self.by_id:
            raise NotAllowedNow("No such department in this organisation.",
                               {field: [f"department {department_id} is not in this organisation"]})

    def _check_name(self, parent_id: str | None, name: str, ignore: str | None = None) -> str:
        cleaned = " ".join(name.split())
        if not cleaned:
            raise InvalidValue("A department needs a name.", {"name": ["must not be blank"]})
        if len(cleaned) > MAX_NAME:
            raise InvalidValue("The department name is too long.", {"name": [f"at most {MAX_NAME} characters"]})
        for sibling in self.children(parent_id):
            if sibling.id != ignore and sibling.name.casefold() == cleaned.casefold():
                raise Clash(f"A department named {sibling.name!r} already exists there.",
                            {"name": ["is already used by another department with the same parent"]})
        return cleaned
