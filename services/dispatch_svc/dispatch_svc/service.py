"""dispatch_svc: who delivers every project (DSP-1..9, PRJ-6). Entrypoints only; rules live in
``domain``, use cases in ``handlers``."""
from __future__ import annotations

from dispatch_svc import handlers
from dispatch_svc.adapters.repository import DispatchRepository
from dispatch_svc.schemas import (
    ChangeOperatorSchema,
    ClaimSchema,
    EmployeePageSchema,
    EmployeeQuerySchema,
    EmployeeSchema,
    EmployeeSettingsSchema,
    ProductProviderSchema,
    QueuedProjectSchema,
    QueuePageSchema,
    QueueQuerySchema,
    SaturationQuerySchema,
    SaturationSchema,
    SetProductProvidersSchema,
    UserSnapshotSchema,
)
from platform_kit.auth import Caller, require_actor
from platform_kit.consumer import on_event
from platform_kit.contracts import load_data
from platform_kit.db import Database
from platform_kit.errors import rpc
from platform_kit.scheduling import on_deadline, periodic
from platform_kit.service import PlatformService
from platform_kit.validation import load

HOUR = 3600


class DispatchService(PlatformService):
    name = "dispatch"
    db = Database("DISPATCH_DATABASE_URL", repositories={"dispatch": DispatchRepository})
    caller = Caller()

    # --- events of project_svc -----------------------------------------------------------------

    @on_event("project", "node_reached")
    def handle_node_reached(self, event: dict) -> None:
        """assign_provider: emits provider_assigned or provider_queued; claim_order: the order becomes
        claimable; assign_order: emits employee_assigned or employee_queued."""
        with self.db.unit_of_work() as uow:
            handlers.node_reached(event, load_data(event), uow)

    @on_event("project", "project_completed")
    def handle_project_completed(self, event: dict) -> None:
        """Frees the held orders (DSP-9); emits saturation_changed; the queue moves at once."""
        with self.db.unit_of_work() as uow:
            handlers.project_closed(event, load_data(event), uow)

    @on_event("project", "project_cancelled")
    def handle_project_cancelled(self, event: dict) -> None:
        with self.db.unit_of_work() as uow:
            handlers.project_closed(event, load_data(event), uow)

    @on_event("project", "project_provider_changed")
    def handle_project_provider_changed(self, event: dict) -> None:
        """Frees the old provider's and employees' holds; the new round's assign_provider avoids it."""
        with self.db.unit_of_work() as uow:
            handlers.provider_changed(event, load_data(event), uow)

    # --- events of identity_svc: dispatch's own copy of users and departments -------------------

    @on_event("identity", "user_created")
    def handle_user_created(self, event: dict) -> None:
        with self.db.unit_of_work() as uow:
            handlers.user_changed(event, load_data(event), uow)

    @on_event("identity", "user_updated")
    def handle_user_updated(self, event: dict) -> None:
        """A user given a role (or activated) lets the employee-level queue move at once."""
        with self.db.unit_of_work() as uow:
            handlers.user_changed(event, load_data(event), uow)

    @on_event("identity", "department_changed")
    def handle_department_changed(self, event: dict) -> None:
        with self.db.unit_of_work() as uow:
            handlers.department_changed(event, load_data(event), uow)

    @rpc
    def sync_users(self, snapshots: list[dict]) -> dict:
        """Idempotent backfill of the copy of users: a list of identity user snapshots."""
        users = load(UserSnapshotSchema(many=True), snapshots)
        with self.db.unit_of_work() as uow:
            return {"applied": handlers.sync_users(users, uow)}

    # --- providers of a product ----------------------------------------------------------------

    @rpc
    def set_product_providers(self, payload: dict) -> list[dict]:
        """payload: SetProductProvidersSchema. Emits product_providers_set and saturation_changed;
        a raised maximum lets the queue move at once. Returns the product's providers."""
        cmd = load(SetProductProvidersSchema(), payload)
        with self.db.unit_of_work() as uow:
            rows = handlers.set_product_providers(self.caller, cmd, uow)
        return ProductProviderSchema(many=True).dump(rows)

    @rpc
    def get_product_providers(self, product_id: str) -> list[dict]:
        with self.db.unit_of_work() as uow:
            return ProductProviderSchema(many=True).dump(handlers.get_product_providers(self.caller, product_id, uow))

    @rpc
    def saturation(self, query: dict | None = None) -> list[dict]:
        """PRJ-11: held ÷ maximum per product and provider that the caller's organisation sells or delivers."""
        filters = load(SaturationQuerySchema(), query or {})
        with self.db.unit_of_work() as uow:
            return SaturationSchema(many=True).dump(handlers.saturation(self.caller, filters, uow))

    # --- the queue -----------------------------------------------------------------------------

    @rpc
    def queue(self, query: dict | None = None) -> dict:
        """query: QueueQuerySchema. Returns QueuePageSchema: what the caller may see (DSP-3/5)."""
        filters = load(QueueQuerySchema(), query or {})
        with self.db.unit_of_work() as uow:
            items, total = handlers.queue_page(self.caller, filters, uow)
        return QueuePageSchema().dump({"items": items, "total": total, "limit": filters["limit"],
                                       "offset": filters["offset"]})

    @rpc
    def list_queue(self, vendor_id: str | None = None) -> list[dict]:
        """The provider-level queue of a vendor (or all), oldest first."""
        filters = {"level": "provider", "limit": 200, "offset": 0, "sort": "enqueued_at"}
        if vendor_id:
            filters["vendor_id"] = vendor_id
        with self.db.unit_of_work() as uow:
            items, _ = handlers.queue_page(self.caller, filters, uow)
        return QueuedProjectSchema(many=True).dump(items)

    @rpc
    def dispatch_now(self) -> dict:
        """'Dispatch now' (DSP-3/5) over the caller's queue. Returns how many projects moved."""
        with self.db.unit_of_work() as uow:
            return {"assigned": handlers.dispatch_now(self.caller, uow)}

    @rpc
    def retry_queue(self, vendor_id: str | None = None) -> dict:
        """DSP-3: retry a vendor's provider-level queue (or everything) at once."""
        with self.db.unit_of_work() as uow:
            return {"assigned": handlers.retry_queue(uow, level="provider" if vendor_id else None,
                                                     vendor_id=vendor_id)}

    @periodic(HOUR, name="retry_dispatch_queue")
    def retry_queue_hourly(self) -> None:
        """The seed's hourly retry, once across replicas; wake-ups on freed capacity make it a safety net."""
        with self.db.unit_of_work() as uow:
            handlers.retry_queue(uow)

    @on_deadline(handlers.RETRY_KIND)
    def retry_queue_due(self, key: str, payload: dict) -> None:
        """Capacity appeared (a hold released, a limit raised, a switch opened, a role given)."""
        with self.db.unit_of_work() as uow:
            handlers.retry_due(key, payload, uow)

    @on_deadline(handlers.REASSIGN_KIND)
    def reassign_due(self, key: str, payload: dict) -> None:
        """An employee holding projects was deactivated: hand its nodes on by the dispatch rule."""
        with self.db.unit_of_work() as uow:
            handlers.reassign_due(key, payload, uow)

    # --- claims and operators ------------------------------------------------------------------

    @rpc
    def claim_order(self, payload: dict) -> dict:
        """payload: ClaimSchema. A customer manager claims an order (DSP-7); emits order_claimed."""
        cmd = load(ClaimSchema(), payload)
        with self.db.unit_of_work() as uow:
            return handlers.claim_order(require_actor(self.caller), cmd["order_id"], uow)

    @rpc
    def change_operator(self, payload: dict) -> dict:
        """payload: ChangeOperatorSchema. PRJ-6: emits employee_assigned with rule "manual"."""
        cmd = load(ChangeOperatorSchema(), payload)
        with self.db.unit_of_work() as uow:
            return handlers.change_operator(self.caller, cmd, uow)

    # --- employees -----------------------------------------------------------------------------

    @rpc
    def list_employees(self, query: dict | None = None) -> dict:
        """The capacity page (DSP-4): the caller's provider's employees with capacity, switch and held."""
        filters = load(EmployeeQuerySchema(), query or {})
        with self.db.unit_of_work() as uow:
            items, total = handlers.list_employees(self.caller, filters, uow)
        return EmployeePageSchema().dump({"items": items, "total": total, "limit": filters["limit"],
                                          "offset": filters["offset"]})

    @rpc
    def get_employee(self, user_id: str) -> dict:
        with self.db.unit_of_work() as uow:
            return EmployeeSchema().dump(handlers.get_employee(self.caller, user_id, uow))

    @rpc
    def set_employee_settings(self, user_id: str, payload: dict) -> dict:
        """payload: EmployeeSettingsSchema (capacity by the provider admin, open by it or the employee)."""
        cmd = load(EmployeeSettingsSchema(), payload)
        with self.db.unit_of_work() as uow:
            return EmployeeSchema().dump(handlers.set_employee_settings(self.caller, user_id, cmd, uow))
