from nameko.rpc import rpc
from sqlalchemy import select

from dispatch_svc import handlers
from dispatch_svc.adapters.orm import QueuedProject
from dispatch_svc.schemas import ProductProviderSchema, QueuedProjectSchema, SetProductProvidersSchema
from platform_kit.consumer import on_event
from platform_kit.contracts import load_data
from platform_kit.db import Database
from platform_kit.errors import EXPECTED
from platform_kit.scheduling import periodic
from platform_kit.service import PlatformService
from platform_kit.validation import load

HOUR = 3600


class DispatchService(PlatformService):
    name = "dispatch"
    db = Database("DISPATCH_DATABASE_URL", commit_on_exit=True)

    @on_event("project", "node_reached")
    def handle_node_reached(self, event: dict) -> None:
        """On 'assign provider': emits provider_assigned, or provider_queued when nobody has capacity."""
        with self.db.unit_of_work() as uow:
            handlers.node_reached(event, load_data(event), uow)

    @rpc(expected_exceptions=EXPECTED)
    def set_product_providers(self, payload: dict) -> list[dict]:
        """payload: SetProductProvidersSchema. Returns the product's providers."""
        cmd = load(SetProductProvidersSchema(), payload)
        with self.db.unit_of_work() as uow:
            rows = handlers.set_product_providers(cmd, uow)
            result = ProductProviderSchema(many=True).dump(rows)
        with self.db.unit_of_work() as uow:
            handlers.retry_queue(uow)  # a raised maximum lets the queue move at once
        return result

    @rpc(expected_exceptions=EXPECTED)
    def list_queue(self, vendor_id: str | None = None) -> list[dict]:
        with self.db.read() as session:
            query = select(QueuedProject).order_by(QueuedProject.enqueued_at)
            if vendor_id:
                query = query.where(QueuedProject.vendor_id == vendor_id)
            return QueuedProjectSchema(many=True).dump(session.execute(query).scalars().all())

    @rpc(expected_exceptions=EXPECTED)
    def retry_queue(self, vendor_id: str | None = None) -> dict:
        """DSP-3: retry the queue at once. Returns how many projects got a provider."""
        with self.db.unit_of_work() as uow:
            return {"assigned": handlers.retry_queue(uow, vendor_id=vendor_id)}

    @periodic(HOUR, name="retry_provider_queue")
    def retry_queue_hourly(self) -> None:
        with self.db.unit_of_work() as uow:
            handlers.retry_queue(uow)
