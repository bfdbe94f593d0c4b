"""An ISV's department tree (ORG-3), changed by its admin one change at a time."""
from __future__ import annotations

from identity_svc.domain import access, audit
from identity_svc.domain.departments import Department
from identity_svc.domain.events import Event
from identity_svc.exceptions import DepartmentNotFound, NotAllowedNow
from identity_svc.handlers.shared import emit, new_id
from platform_contracts.actor import Actor
from platform_kit.clock import utcnow


def _record(uow, actor: Actor, changed: Event) -> None:
    emit(uow, changed)
    data = changed.data
    uow.audit.add(audit.entry("department_changed", actor=actor, org_id=data["org_id"], subject_type="department",
                              subject_id=data["department_id"],
                              details={"change": data["change"], "name": data["name"],
                                       "parent_id": data["parent_id"]}))


def _own_tree(uow, actor: Actor, department_id: str | None = None):
    # locked: one change of an organisation's tree at a time, so two moves never make a cycle
    tree = uow.departments.tree(actor.org_id, for_update=True)
    if department_id is not None and (tree is None or department_id not in tree):
        raise DepartmentNotFound(department_id)
    return tree


def create_department(actor: Actor | None, cmd: dict, uow) -> Department:
    actor = access.require_isv_admin(actor)
    tree = _own_tree(uow, actor)
    department, created = tree.create(new_id(), cmd["parent_id"], cmd["name"], utcnow())
    uow.departments.save(tree)
    _record(uow, actor, created)
    uow.commit()
    return department


def list_departments(actor: Actor | None, org_id: str | None, uow) -> dict:
    """ORG-3: the tree of an ISV, for its members (and the operator, for any ISV)."""
    actor = access.require_actor(actor)
    org_id = org_id or actor.org_id
    org = access.require_visible_org(actor, uow.organisations.get(org_id), org_id)
    if not org.has_departments:
        raise NotAllowedNow("Only ISVs have departments.", {"org_id": ["is not an ISV"]})
    tree = uow.departments.tree(org.id)
    return {"org_id": org.id, "root": tree.as_nested(uow.users.counts_by_department(org.id))}


def update_department(actor: Actor | None, department_id: str, cmd: dict, uow) -> Department:
    actor = access.require_isv_admin(actor)
    tree = _own_tree(uow, actor, department_id)
    changes = tree.update(department_id, cmd, utcnow())
    if changes:
        uow.departments.save(tree)
        for changed in changes:
            _record(uow, actor, changed)
        uow.commit()
    return tree.by_id[department_id]


def delete_department(actor: Actor | None, department_id: str, uow) -> Department:
    """Only an empty department: no users, no sub-departments; never the root."""
    actor = access.require_isv_admin(actor)
    tree = _own_tree(uow, actor, department_id)
    department, deleted = tree.delete(department_id, uow.users.counts_by_department(actor.org_id))
    uow.departments.save(tree)
    _record(uow, actor, deleted)
    uow.commit()
    return department
