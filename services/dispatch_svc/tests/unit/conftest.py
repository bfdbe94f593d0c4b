"""An in-memory DispatchRepository for handler tests against platform_kit's FakeUnitOfWork.

It hands out copies and stores what is saved, as the real one loads rows and writes them back,
so a handler that forgets to save is caught.
"""
from __future__ import annotations

import copy
from collections.abc import Iterable

import pytest

from dispatch_svc.domain.model import Employee, ProductProviders, ProjectDispatch
from platform_kit.testing import FakeUnitOfWork


class FakeDispatchRepository:
    def __init__(self):
        self.projects: dict[str, ProjectDispatch] = {}
        self.products: dict[str, ProductProviders] = {}
        self.staff: dict[str, Employee] = {}
        self.departments: dict[str, tuple[str, str | None, bool]] = {}

    def project_for(self, data: dict) -> ProjectDispatch:
        if data["project_id"] not in self.projects:
            self.projects[data["project_id"]] = ProjectDispatch(
                data["project_id"], data["order_id"], data["product_id"], data["vendor_id"], data["customer_id"],
                round=data["round"])
        return self.project(data["project_id"])

    def project(self, project_id: str, *, lock: bool = True) -> ProjectDispatch | None:
        return copy.deepcopy(self.projects.get(project_id))

    def project_by_order(self, order_id: str, *, lock: bool = True) -> ProjectDispatch | None:
        return next((copy.deepcopy(p) for p in self.projects.values() if p.order_id == order_id), None)

    def save_project(self, project: ProjectDispatch) -> None:
        self.projects[project.project_id] = copy.deepcopy(project)

    def waiting(self, *, level=None, key=None, vendor_id=None) -> list[tuple[str, tuple | None]]:
        found = []
        for p in self.projects.values():
            w = p.waiting
            if w is None or (level and w.level != level) or (vendor_id and p.vendor_id != vendor_id):
                continue
            if key and key != (p.product_id if w.level == "provider" else w.provider_id):
                continue
            signature = ("provider", p.product_id) if w.level == "provider" else (
                None if w.rule == "department_first" else ("employee", w.provider_id, w.role))
            found.append((w.since, p.project_id, signature))
        return [(pid, signature) for _, pid, signature in sorted(found)]

    def queue(self, *, scopes=None, level=None, product_id=None, vendor_id=None, provider_id=None,
              sort="enqueued_at", limit=50, offset=0) -> tuple[list[dict], int]:
        rows = []
        for p in self.projects.values():
            w = p.waiting
            if w is None:
                continue
            row = {"project_id": p.project_id, "order_id": p.order_id, "product_id": p.product_id,
                   "vendor_id": p.vendor_id, "provider_id": w.provider_id, "level": w.level, "node_key": w.node_key,
                   "round": w.round, "role": w.role, "reason": w.reason, "enqueued_at": w.since}
            if scopes is not None and not any(
                    row["level"] == lvl and row["vendor_id" if lvl == "provider" else "provider_id"] == org
                    for lvl, org in scopes):
                continue
            if any(v is not None and row[k] != v for k, v in (("level", level), ("product_id", product_id),
                                                            ("vendor_id", vendor_id), ("provider_id", provider_id))):
                continue
            rows.append(row)
        rows.sort(key=lambda r: r["enqueued_at"])
        return rows[offset:offset + limit], len(rows)

    def product(self, product_id: str, *, lock: bool = True) -> ProductProviders:
        """Held counts derived from the projects, as the real repository does."""
        product = copy.deepcopy(self.products.get(product_id)) or ProductProviders(product_id)
        counts: dict[str, int] = {}
        for p in self.projects.values():
            if p.product_id == product_id and not p.closed and p.provider_id:
                counts[p.provider_id] = counts.get(p.provider_id, 0) + 1
        product.open_by_provider = counts
        for link in product.links.values():
            link.held = counts.get(link.provider_id, 0)
            link.kept_over = link.held if link.held > link.max_held else min(link.kept_over, link.held)
        return product

    def _derive(self, e: Employee) -> Employee:
        e = copy.deepcopy(e)
        e.held = sum(1 for p in self.projects.values() for h in p.holds if h.user_id == e.user_id and not h.released)
        e.kept_over = e.held if e.held > e.capacity else min(e.kept_over, e.held)
        return e

    def projects_held_by(self, user_id: str) -> list[str]:
        return [p.project_id for p in self.projects.values()
                if any(h.user_id == user_id and not h.released for h in p.holds)]

    def save_product(self, product: ProductProviders) -> None:
        self.products[product.product_id] = copy.deepcopy(product)

    def saturation(self, *, org_id=None, product_id=None) -> list[dict]:
        return [{"product_id": p.product_id, "provider_id": k.provider_id, "vendor_id": p.vendor_id,
                 "held": k.held, "max_held": k.max_held}
                for p in self.products.values() for k in p.links.values()
                if (org_id in (None, p.vendor_id, k.provider_id)) and product_id in (None, p.product_id)]

    def employees_of(self, org_id: str, *, lock: bool = True) -> list[Employee]:
        return [self._derive(e) for _, e in sorted(self.staff.items()) if e.org_id == org_id]

    def employees(self, user_ids: Iterable[str], *, lock: bool = True) -> dict[str, Employee]:
        return {u: self._derive(self.staff[u]) for u in sorted(set(user_ids)) if u in self.staff}

    def isv_orgs(self, org_ids: Iterable[str]) -> set[str]:
        return {e.org_id for e in self.staff.values()} & set(org_ids)

    def employee(self, user_id: str, *, lock: bool = True) -> Employee | None:
        return self._derive(self.staff[user_id]) if user_id in self.staff else None

    def save_employees(self, employees: Iterable[Employee]) -> None:
        for e in employees:
            self.staff[e.user_id] = copy.deepcopy(e)

    def list_employees(self, *, org_id=None, role=None, department_id=None, open=None, sort="user_id",
                       limit=50, offset=0) -> tuple[list[Employee], int]:
        found = [e for e in self.staff.values() if org_id in (None, e.org_id) and (role is None or role in e.roles)
                 and department_id in (None, e.department_id) and open in (None, e.open)]
        found.sort(key=lambda e: getattr(e, sort.lstrip("-")), reverse=sort.startswith("-"))
        return found[offset:offset + limit], len(found)

    def departments_of(self, org_id: str) -> dict[str, str | None]:
        return {d: parent for d, (org, parent, deleted) in self.departments.items() if org == org_id and not deleted}

    def save_department(self, department_id, org_id, name, parent_id, *, deleted) -> None:
        self.departments[department_id] = (org_id, parent_id, deleted)


@pytest.fixture
def repo() -> FakeDispatchRepository:
    return FakeDispatchRepository()


@pytest.fixture
def uow(repo) -> FakeUnitOfWork:
    return FakeUnitOfWork("dispatch", dispatch=repo)
