"""Use cases of dispatch_svc: each loads aggregates through ``uow.dispatch`` (which locks them),
lets them decide, emits the events they return and commits.

Lock order, the same in every use case so concurrent ones never deadlock: the project, then the
product's provider rows, then employees in user-id order (the repository sorts). Freed capacity
wakes the queue through a durable deadline due now (``retry_queue``), fired by one replica.
"""
from __future__ import annotations

import random
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from dispatch_svc.domain.model import (
    EMPLOYEE_LEVEL,
    PROVIDER_LEVEL,
    SELF_SERVED,
    Employee,
    Event,
    ProjectDispatch,
)
from dispatch_svc.exceptions import (
    EmployeeNotFound,
    OrderNotFound,
    ProjectNotFound,
    VendorNotNamed,
)
from platform_contracts.actor import Actor
from platform_contracts.nodes import ASSIGN_ORDER, ASSIGN_PROVIDER, CLAIM_ORDER, PROVIDER_FIRST
from platform_contracts.roles import ISV, PROVIDER_ADMIN, VENDOR_ADMIN, VENDOR_PROJECT_MANAGER
from platform_kit.clock import utcnow
from platform_kit.exceptions import Forbidden

RETRY_KIND = "retry_queue"
REASSIGN_KIND = "reassign_operator"
Uow = Any  # platform_kit.db.UnitOfWork or platform_kit.testing.FakeUnitOfWork, with ``dispatch``


def _emit(uow: Uow, events: Iterable[Event]) -> None:
    for event_type, data in events:
        uow.emit(event_type, data)


def _wake(uow: Uow, level: str, key: str | None) -> None:
    """Retry that part of the queue at once, in whichever replica's poller leases it (DSP-3/5)."""
    if key:
        uow.schedule(RETRY_KIND, f"{level}:{key}", utcnow(), {"level": level, "key": key})


# --- node reached --------------------------------------------------------------------------------

def node_reached(event: dict, data: dict, uow: Uow, rng: random.Random | None = None) -> None:
    """Act on the nodes dispatch owns; other nodes are none of its business."""
    kind = data["node_kind"]
    if kind not in (ASSIGN_PROVIDER, CLAIM_ORDER, ASSIGN_ORDER):
        return
    if not uow.claim_event(event, f"dispatch.{kind}"):
        return
    project = uow.dispatch.project_for(data)
    now = utcnow()
    if kind == ASSIGN_PROVIDER:
        events = _assign_provider(project, data["node_key"], data["round"], bool(data.get("self_served")),
                                  uow, rng, now)
    elif kind == CLAIM_ORDER:
        project.adopt_provider(data.get("provider_id"), data["round"])
        project.await_claim(data["node_key"], data["round"])
        events = []
    else:
        project.adopt_provider(data.get("provider_id"), data["round"])
        settings = data.get("settings") or {}
        role = settings.get("role") or data.get("role") or ""
        events = _assign_employee(project, data["node_key"], data["round"], role,
                                  settings.get("rule") or PROVIDER_FIRST, uow, rng, now)
    uow.dispatch.save_project(project)
    _emit(uow, events)
    uow.commit()


def _assign_provider(project: ProjectDispatch, node_key: str, round_: int, self_served: bool, uow: Uow,
                     rng: random.Random | None, now: datetime) -> list[Event]:
    """DSP-1/2/3; in a self-served flow the chosen provider's main account holds the project too."""
    product = uow.dispatch.product(project.product_id)
    loaded: list = []

    def staff_of(provider_id: str) -> list[Employee]:
        staff = uow.dispatch.employees_of(provider_id)
        loaded.extend(staff)
        return staff

    events = project.assign_provider(node_key, round_, product, rng, now, staff_of if self_served else None)
    uow.dispatch.save_product(product)
    uow.dispatch.save_employees(loaded)
    return events


def _assign_employee(project: ProjectDispatch, node_key: str, round_: int, role: str, rule: str, uow: Uow,
                     rng: random.Random | None, now: datetime) -> list[Event]:
    if project.provider_id is None:
        return []
    staff = uow.dispatch.employees_of(project.provider_id)
    departments = uow.dispatch.departments_of(project.provider_id) if project.needs_departments(rule) else {}
    events = project.assign_employee(node_key, round_, role, rule, staff, departments, rng, now)
    uow.dispatch.save_employees(staff)
    return events


# --- the queue -----------------------------------------------------------------------------------

def retry_queue(uow: Uow, *, level: str | None = None, key: str | None = None, vendor_id: str | None = None,
                rng: random.Random | None = None) -> int:
    """DSP-3/DSP-5: try waiting projects again, oldest first, one transaction each. Returns how many moved.

    ``level``/``key``: provider level of a product, or employee level of a provider; ``vendor_id``:
    a vendor's provider-level queue. Two replicas retrying at once serialise on each project. Once
    a product (or a provider's role) has no room in this pass, the projects behind it waiting for
    the same thing are skipped: freed capacity schedules another pass anyway.
    """
    moved = 0
    full: set[tuple] = set()
    for project_id, signature in uow.dispatch.waiting(level=level, key=key, vendor_id=vendor_id):
        if signature is not None and signature in full:
            continue
        project = uow.dispatch.project(project_id)
        waiting = project.waiting if project else None
        if waiting is None:
            uow.commit()  # let go of the lock: someone else moved it
            continue
        now = utcnow()
        if waiting.level == PROVIDER_LEVEL or waiting.rule == SELF_SERVED:
            events = _assign_provider(project, waiting.node_key, waiting.round, waiting.rule == SELF_SERVED,
                                      uow, rng, now)
        else:
            events = _assign_employee(project, waiting.node_key, waiting.round, waiting.role or "",
                                      waiting.rule or PROVIDER_FIRST, uow, rng, now)
        uow.dispatch.save_project(project)
        _emit(uow, events)
        uow.commit()
        if project.waiting is None:
            moved += 1
        elif signature is not None:
            full.add(signature)
    return moved


def retry_due(key: str, payload: dict, uow: Uow) -> int:
    """The deadline set when capacity appeared: retry that part of the queue now."""
    return retry_queue(uow, level=payload["level"], key=payload["key"])


def dispatch_now(actor: Actor | None, uow: Uow) -> int:
    """'Dispatch now' (DSP-3/5): a vendor retries its provider-level queue, a provider admin its
    employee-level queue, the platform operator (or the system) everything."""
    if actor is None or actor.is_operator:
        return retry_queue(uow)
    moved = 0
    if actor.has_role(VENDOR_ADMIN, VENDOR_PROJECT_MANAGER):
        moved += retry_queue(uow, level=PROVIDER_LEVEL, vendor_id=actor.org_id)
    if actor.has_role(PROVIDER_ADMIN):
        moved += retry_queue(uow, level=EMPLOYEE_LEVEL, key=actor.org_id)
    if not actor.has_role(VENDOR_ADMIN, VENDOR_PROJECT_MANAGER, PROVIDER_ADMIN):
        raise Forbidden("Only a vendor or a provider admin dispatches its queue.")
    return moved


def queue_page(actor: Actor | None, query: dict, uow: Uow) -> tuple[list[dict], int]:
    """Vendors see their provider-level queue, provider admins their employee-level queue (ORG-7),
    each row with how long it has waited."""
    filters = dict(query)
    if actor is not None and not actor.is_operator:
        scopes = []
        if actor.has_role(VENDOR_ADMIN, VENDOR_PROJECT_MANAGER):
            scopes.append((PROVIDER_LEVEL, actor.org_id))
        if actor.has_role(PROVIDER_ADMIN):
            scopes.append((EMPLOYEE_LEVEL, actor.org_id))
        if not scopes:
            return [], 0
        filters["scopes"] = scopes
    rows, total = uow.dispatch.queue(**filters)
    now = utcnow()
    for row in rows:
        row["waited_seconds"] = max(0, int((now - row["enqueued_at"]).total_seconds()))
    return rows, total


# --- projects closing, moving, changing hands ----------------------------------------------------

def _release(event: dict, data: dict, uow: Uow, handler: str, new_round: int | None) -> None:
    if not uow.claim_event(event, handler):
        return
    project = uow.dispatch.project(data["project_id"])
    if project is None:
        uow.commit()
        return
    product = uow.dispatch.product(project.product_id) if project.provider_held else None
    staff = uow.dispatch.employees(project.held_user_ids())
    provider_id = project.provider_id
    if new_round is None:
        events = project.close(product, staff)
    else:
        events = project.change_provider(new_round, product, staff)
    if product is not None:
        uow.dispatch.save_product(product)
    uow.dispatch.save_employees(staff.values())
    uow.dispatch.save_project(project)
    _emit(uow, events)
    if product is not None:
        _wake(uow, PROVIDER_LEVEL, project.product_id)
    if staff:
        _wake(uow, EMPLOYEE_LEVEL, provider_id)
    uow.commit()


def project_closed(event: dict, data: dict, uow: Uow) -> None:
    """DSP-9: completed or cancelled: free the held orders and let the queue move."""
    _release(event, data, uow, f"dispatch.{event['event_type']}", None)


def provider_changed(event: dict, data: dict, uow: Uow) -> None:
    """DSP-9/PRJ-5: the old provider's and employee's holds go; the new round picks again."""
    _release(event, data, uow, "dispatch.project_provider_changed", data["round"])


def change_operator(actor: Actor | None, cmd: dict, uow: Uow) -> dict:
    """PRJ-6: the provider admin of the project's provider hands the node to another employee."""
    project = uow.dispatch.project(cmd["project_id"])
    if project is None or (actor is not None and not actor.is_operator
                           and (actor.org_id != project.provider_id or not actor.has_role(PROVIDER_ADMIN))):
        raise ProjectNotFound(f"Project {cmd['project_id']} was not found.")
    hold = project.active_hold(cmd.get("node_key"))
    involved = uow.dispatch.employees(sorted({cmd["user_id"], *([hold.user_id] if hold else [])}))
    new = involved.get(cmd["user_id"])
    if new is None or new.org_id != project.provider_id:
        raise EmployeeNotFound(f"Employee {cmd['user_id']} was not found.", {"user_id": ["no such employee"]})
    old = involved.get(hold.user_id) if hold else None
    event_type, data = project.change_operator(new, old, cmd.get("node_key"))
    event = (event_type, {**data, "by": actor.user_id if actor is not None else None,
                          "note": (cmd.get("note") or "").strip()})
    uow.dispatch.save_employees(involved.values())
    uow.dispatch.save_project(project)
    _emit(uow, [event])
    _wake(uow, EMPLOYEE_LEVEL, project.provider_id)
    uow.commit()
    return event[1]


# --- claims --------------------------------------------------------------------------------------

def claim_order(actor: Actor, order_id: str, uow: Uow) -> dict:
    """DSP-7: a customer manager claims an order of its provider by the marketplace order id."""
    project = uow.dispatch.project_by_order(order_id)
    if project is None:
        raise OrderNotFound(f"Order {order_id} was not found.")
    claimer = uow.dispatch.employee(actor.user_id, lock=False) or Employee(
        actor.user_id, actor.org_id, roles=actor.roles, department_id=actor.department_id)
    event = project.claim(claimer, utcnow())
    uow.dispatch.save_project(project)
    _emit(uow, [event])
    uow.commit()
    return event[1]


# --- providers of a product ----------------------------------------------------------------------

def set_product_providers(actor: Actor | None, cmd: dict, uow: Uow) -> list[dict]:
    """DSP-1: the operator (or the system) sets the list; the vendor its weights and maxima."""
    by_operator = actor is None or actor.is_operator
    vendor_id = cmd.get("vendor_id") if by_operator else actor.org_id
    if not by_operator and not actor.has_role(VENDOR_ADMIN):
        raise Forbidden("Only the vendor admin sets a product's providers.")
    if not vendor_id:
        raise VendorNotNamed()
    product = uow.dispatch.product(cmd["product_id"])
    # the operator's relation names organisations as dispatch knows them from identity's events (a
    # vendor only tunes the providers it has; a system call names organisations it just created)
    isvs = uow.dispatch.isv_orgs({vendor_id, *(p["provider_id"] for p in cmd["providers"])}) \
        if actor is not None and by_operator else None
    events = product.configure(vendor_id, cmd["providers"], by_operator=by_operator, isvs=isvs)
    uow.dispatch.save_product(product)
    _emit(uow, events)
    _wake(uow, PROVIDER_LEVEL, product.product_id)
    uow.commit()
    return provider_rows(product)


def provider_rows(product) -> list[dict]:
    return [{"product_id": product.product_id, "vendor_id": product.vendor_id, "provider_id": k.provider_id,
             "weight": k.weight, "max_held": k.max_held, "held": k.held}
            for k in sorted(product.links.values(), key=lambda k: k.provider_id)]


def get_product_providers(actor: Actor | None, product_id: str, uow: Uow) -> list[dict]:
    """The vendor of the product and the platform operator see its providers; a provider sees its own row."""
    product = uow.dispatch.product(product_id, lock=False)
    rows = provider_rows(product)
    if actor is None or actor.is_operator or (product.vendor_id and actor.org_id == product.vendor_id):
        return rows
    return [r for r in rows if r["provider_id"] == actor.org_id]


def saturation(actor: Actor | None, query: dict, uow: Uow) -> list[dict]:
    """PRJ-11: held ÷ maximum per product and provider, for the vendor's (or provider's) dashboard."""
    if actor is not None and not actor.is_operator:
        query = {**query, "org_id": actor.org_id}
    return uow.dispatch.saturation(**query)


# --- employees -----------------------------------------------------------------------------------

def user_changed(event: dict, data: dict, uow: Uow) -> None:
    """identity's user_created/user_updated: keep dispatch's own copy (no RPC on the hot path)."""
    if not uow.claim_event(event, f"dispatch.{event['event_type']}"):
        return
    learn_users([data], uow)
    uow.commit()


def learn_users(snapshots: Iterable[dict], uow: Uow) -> int:
    """Apply user snapshots (events, or a backfill); a user gaining a role wakes the employee queue,
    a deactivated user holding projects has them handed on (``reassign_due``)."""
    count = 0
    for snapshot in snapshots:
        if snapshot["org_kind"] != ISV:
            continue
        employee = uow.dispatch.employee(snapshot["user_id"]) or Employee.first_seen(snapshot)
        was_active = employee.active
        if employee.learn(snapshot):
            _wake(uow, EMPLOYEE_LEVEL, employee.org_id)
        if was_active and not employee.active and employee.held:
            uow.schedule(REASSIGN_KIND, employee.user_id, utcnow(), {"user_id": employee.user_id})
        uow.dispatch.save_employees([employee])
        count += 1
    return count


def reassign_due(key: str, payload: dict, uow: Uow, rng: random.Random | None = None) -> int:
    """A deactivated employee's open projects go to another employee of the same role by the
    dispatch rule (DSP-5/6), one transaction each; those nobody can take stay with it for the
    provider admin to change by hand (PRJ-6). Returns how many were handed on."""
    moved = 0
    for project_id in uow.dispatch.projects_held_by(payload["user_id"]):
        project = uow.dispatch.project(project_id)
        if project is None or project.provider_id is None:
            uow.commit()
            continue
        staff = uow.dispatch.employees_of(project.provider_id)
        departments = uow.dispatch.departments_of(project.provider_id) if project.claim_department_id else {}
        events = project.reassign_from(payload["user_id"], staff, departments, rng)
        uow.dispatch.save_employees(staff)
        uow.dispatch.save_project(project)
        _emit(uow, events)
        uow.commit()
        moved += len(events)
    return moved


def sync_users(snapshots: list[dict], uow: Uow) -> int:
    """Idempotent backfill of the copy of users (e.g. after restoring dispatch's database)."""
    count = learn_users(snapshots, uow)
    uow.commit()
    return count


def department_changed(event: dict, data: dict, uow: Uow) -> None:
    if not uow.claim_event(event, "dispatch.department_changed"):
        return
    uow.dispatch.save_department(data["department_id"], data["org_id"], data["name"], data.get("parent_id"),
                                 deleted=data["change"] == "deleted")
    uow.commit()


def _employee_for(actor: Actor | None, user_id: str, uow: Uow, *, lock: bool = True) -> tuple[Employee, bool]:
    """The employee and whether the caller administers it; another provider's answers like a missing one."""
    employee = uow.dispatch.employee(user_id, lock=lock)
    if employee is None:
        raise EmployeeNotFound(f"Employee {user_id} was not found.")
    if actor is None or actor.is_operator:
        return employee, True
    admin = actor.org_id == employee.org_id and actor.has_role(PROVIDER_ADMIN)
    if not admin and actor.user_id != user_id:
        raise EmployeeNotFound(f"Employee {user_id} was not found.")
    return employee, admin


def set_employee_settings(actor: Actor | None, user_id: str, cmd: dict, uow: Uow) -> Employee:
    """DSP-4: the provider admin sets capacity and switch; the employee its own switch."""
    employee, admin = _employee_for(actor, user_id, uow)
    if "capacity" in cmd and not admin:
        raise Forbidden("Only the provider admin sets a capacity.", {"capacity": ["set by your provider admin"]})
    before = (employee.capacity, employee.open)
    if "capacity" in cmd:
        employee.set_capacity(cmd["capacity"])
    if "open" in cmd:
        employee.open = cmd["open"]
    uow.dispatch.save_employees([employee])
    if employee.capacity > before[0] or (employee.open and not before[1]):
        _wake(uow, EMPLOYEE_LEVEL, employee.org_id)
    uow.commit()
    return employee


def get_employee(actor: Actor | None, user_id: str, uow: Uow) -> Employee:
    return _employee_for(actor, user_id, uow, lock=False)[0]


def list_employees(actor: Actor | None, query: dict, uow: Uow) -> tuple[list[Employee], int]:
    """The capacity page of a provider admin: its own employees only (ORG-7)."""
    if actor is not None and not actor.is_operator:
        if not actor.has_role(PROVIDER_ADMIN):
            raise Forbidden("Only the provider admin sees the capacity page.")
        query = {**query, "org_id": actor.org_id}
    return uow.dispatch.list_employees(**query)
