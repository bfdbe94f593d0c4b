

from platform_kit.auth import Caller, require_actor
from platform_kit.consumer import on_event
from platform_kit.contracts import load_data
from platform_kit.db import Database
from platform_kit.errors import rpc
from platform_kit.nameko_adapters import ServiceRpc
from platform_kit.service import PlatformService
from platform_kit.validation import load
from project_svc import handlers
from project_svc.adapters.repository import ProjectRepository
from project_svc.domain.access import scope_of
from project_svc.schemas import (
    ProjectFilterSchema,
    ProjectPageSchema,
    ProjectSchema,
    PurchaseResultSchema,
    PurchaseSchema,
)


class ProjectService(PlatformService):
    name = "project"
    db = Database("PROJECT_DATABASE_URL", repositories={"projects": ProjectRepository})
    caller = Caller()
    template_rpc = ServiceRpc("template")

    @rpc
    def create_from_purchase(self, payload: dict) -> dict:
        """payload: PurchaseSchema. Emits project_created and node_reached (only when new).

        Returns PurchaseResultSchema; posting the same order again returns its project with
        ``created: false``.
        """
        purchase = handlers.purchase_for(self.caller, load(PurchaseSchema(), payload))
        flow = self.template_rpc.get_product_flow(purchase["product_id"])
        with self.db.unit_of_work() as uow:
            project, created = handlers.create_from_purchase(purchase, flow, uow)
        return PurchaseResultSchema().dump({"created": created, "project": project})

    @rpc
    def get_project(self, project_id: str) -> dict:
        """The project, if the caller may see it (ORG-7); NotFound otherwise."""
        with self.db.unit_of_work() as uow:
            return ProjectSchema().dump(handlers.get_project(project_id, require_actor(self.caller), uow))

    @rpc
    def list_projects(self, filters: dict) -> dict:
        """filters: ProjectFilterSchema. Returns ProjectPageSchema, only what the caller may see."""
        query = load(ProjectFilterSchema(), filters)
        scope = scope_of(require_actor(self.caller))
        with self.db.unit_of_work() as uow:
            items, total = handlers.list_projects(query, scope, uow)
        return ProjectPageSchema().dump({"items": items, "total": total, "limit": query["limit"],
                                         "offset": query["offset"]})

    @on_event("dispatch", "provider_assigned")
    def handle_provider_assigned(self, event: dict) -> None:
        """The provider is chosen: advance to the next node (emits node_reached)."""
        with self.db.unit_of_work() as uow:
            handlers.provider_assigned(event, load_data(event), uow)

    @on_event("dispatch", "provider_queued")
    def handle_provider_queued(self, event: dict) -> None:
        with self.db.unit_of_work() as uow:
            handlers.provider_queued(event, load_data(event), uow)
