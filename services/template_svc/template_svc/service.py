from nameko.rpc import rpc

from platform_kit.db import Database
from platform_kit.errors import EXPECTED
from platform_kit.service import PlatformService
from platform_kit.validation import load
from template_svc import handlers
from template_svc.schemas import BindProductSchema, CreateTemplateSchema, ProductFlowSchema, TemplateSchema


class TemplateService(PlatformService):
    name = "template"
    db = Database("TEMPLATE_DATABASE_URL", commit_on_exit=True)

    @rpc(expected_exceptions=EXPECTED)
    def create_template(self, payload: dict) -> dict:
        """payload: CreateTemplateSchema. Returns TemplateSchema."""
        cmd = load(CreateTemplateSchema(), payload)
        with self.db.unit_of_work() as uow:
            row = handlers.create_template(cmd, uow)
        return TemplateSchema().dump(row)

    @rpc(expected_exceptions=EXPECTED)
    def bind_product(self, payload: dict) -> dict:
        """payload: BindProductSchema. Emits product_template_bound. Returns ProductFlowSchema."""
        cmd = load(BindProductSchema(), payload)
        with self.db.unit_of_work() as uow:
            handlers.bind_product(cmd, uow)
            flow = handlers.product_flow(uow.session, cmd["product_id"])
        return ProductFlowSchema().dump(flow)

    @rpc(expected_exceptions=EXPECTED)
    def get_product_flow(self, product_id: str) -> dict:
        """The template version a new project of ``product_id`` runs on (PRJ-1)."""
        with self.db.read() as session:
            return ProductFlowSchema().dump(handlers.product_flow(session, product_id))
