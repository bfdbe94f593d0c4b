"""template_svc entrypoints: load the payload, open a unit of work, call a handler, dump the answer."""
from __future__ import annotations

from platform_contracts.forms import validate_submission
from platform_kit.auth import Caller, require_actor
from platform_kit.consumer import on_event
from platform_kit.contracts import load_data
from platform_kit.db import Database
from platform_kit.errors import rpc
from platform_kit.exceptions import ValidationFailed
from platform_kit.service import PlatformService
from platform_kit.validation import load
from template_svc import handlers
from template_svc.adapters.repository import (
    FormRepository,
    MessageTemplateRepository,
    ProductRepository,
    TemplateRepository,
)
from template_svc.schemas import (
    ApproveSchema,
    BindProductSchema,
    FormFilterSchema,
    FormInputSchema,
    FormPageSchema,
    FormSchema,
    ImportedTemplateSchema,
    ImportTemplateSchema,
    PreviewInputSchema,
    PreviewSchema,
    ProductFilterSchema,
    ProductFlowSchema,
    ProductPageSchema,
    ProductSchema,
    RejectSchema,
    SavedTemplateSchema,
    SaveProductSchema,
    TemplateDraftSchema,
    TemplateFilterSchema,
    TemplatePageSchema,
    TemplateSchema,
    VersionSchema,
    lenient_nodes,
    load_flow,
)


def _page(items, total, query) -> dict:
    return {"items": items, "total": total, "limit": query["limit"], "offset": query["offset"]}


class TemplateService(PlatformService):
    name = "template"
    db = Database("TEMPLATE_DATABASE_URL", repositories={
        "templates": TemplateRepository, "forms": FormRepository, "products": ProductRepository,
        "message_templates": MessageTemplateRepository})
    caller = Caller()

    # --- templates ------------------------------------------------------------------------------
    @rpc
    def create_template(self, payload: dict) -> dict:
        """TRANSITIONAL (tests and the demo loader): ImportTemplateSchema -> a public template,
        published and approved at once. Emits template_version_submitted/approved."""
        cmd = load_flow(ImportTemplateSchema(), payload)
        with self.db.unit_of_work() as uow:
            template = handlers.import_public_template(cmd, uow)
        return ImportedTemplateSchema().dump(template)

    @rpc
    def save_new_template(self, payload: dict) -> dict:
        """TemplateDraftSchema -> SavedTemplateSchema: a new draft with the warnings of TPL-11."""
        cmd = self._draft(payload)
        with self.db.unit_of_work() as uow:
            template, warnings = handlers.create_template(cmd, require_actor(self.caller), uow)
        return SavedTemplateSchema().dump({"template": template, "warnings": warnings})

    @rpc
    def update_template(self, template_id: str, payload: dict) -> dict:
        """Save the draft (a frozen template opens version n+1). Returns SavedTemplateSchema."""
        cmd = self._draft(payload)
        with self.db.unit_of_work() as uow:
            template, warnings = handlers.update_template(template_id, cmd, require_actor(self.caller), uow)
        return SavedTemplateSchema().dump({"template": template, "warnings": warnings})

    def _draft(self, payload) -> dict:
        """The draft's command; a malformed one is refused with its schema errors and every rule
        its flow breaks besides, in one answer (TPL-11)."""
        try:
            return load_flow(TemplateDraftSchema(), payload)
        except ValidationFailed as err:
            raw = payload.get("nodes") if isinstance(payload, dict) else None
            with self.db.unit_of_work() as uow:
                handlers.refuse_malformed_draft(lenient_nodes(raw), raw, err.fields or {}, uow)
            raise

    @rpc
    def copy_template(self, template_id: str) -> dict:
        with self.db.unit_of_work() as uow:
            return TemplateSchema().dump(handlers.copy_template(template_id, require_actor(self.caller), uow))

    @rpc
    def publish_template(self, template_id: str) -> dict:
        """Emits template_version_submitted (+ approved and product_template_bound for public ones)."""
        with self.db.unit_of_work() as uow:
            return TemplateSchema().dump(handlers.publish_template(template_id, require_actor(self.caller), uow))

    @rpc
    def approve_version(self, template_id: str, version: int, payload: dict | None = None) -> dict:
        """Operator. ApproveSchema (optional: a note to the vendor). Emits template_version_approved
        and product_template_bound per product."""
        cmd = load(ApproveSchema(), payload or {})
        with self.db.unit_of_work() as uow:
            return TemplateSchema().dump(handlers.approve_version(template_id, int(version),
                                                                  require_actor(self.caller), uow, cmd["note"]))

    @rpc
    def reject_version(self, template_id: str, version: int, payload: dict) -> dict:
        """Operator. RejectSchema. Emits template_version_rejected."""
        cmd = load(RejectSchema(), payload)
        with self.db.unit_of_work() as uow:
            return TemplateSchema().dump(handlers.reject_version(template_id, int(version), cmd["reason"],
                                                                 require_actor(self.caller), uow))

    @rpc
    def get_template(self, template_id: str) -> dict:
        with self.db.unit_of_work() as uow:
            return TemplateSchema().dump(handlers.get_template(template_id, require_actor(self.caller), uow))

    @rpc
    def get_version(self, template_id: str, version: int) -> dict:
        """One version with its node-level changes against the previous one."""
        with self.db.unit_of_work() as uow:
            template, number, changes = handlers.get_version(template_id, int(version),
                                                             require_actor(self.caller), uow)
            v = template.version(number)
        return VersionSchema().dump({**vars(v), "template_id": template.id, "changes": changes})

    @rpc
    def list_templates(self, filters: dict) -> dict:
        query = load(TemplateFilterSchema(), filters)
        with self.db.unit_of_work() as uow:
            items, total = handlers.list_templates(query, require_actor(self.caller), uow)
        return TemplatePageSchema().dump(_page(items, total, query))

    # --- requirement forms ----------------------------------------------------------------------
    @rpc
    def create_form(self, payload: dict) -> dict:
        cmd = load_flow(FormInputSchema(), payload)
        with self.db.unit_of_work() as uow:
            return FormSchema().dump(handlers.create_form(cmd, require_actor(self.caller), uow))

    @rpc
    def update_form(self, form_id: str, payload: dict) -> dict:
        cmd = load_flow(FormInputSchema(), payload)
        with self.db.unit_of_work() as uow:
            return FormSchema().dump(handlers.update_form(form_id, cmd, require_actor(self.caller), uow))

    @rpc
    def get_form(self, form_id: str) -> dict:
        require_actor(self.caller)
        with self.db.unit_of_work() as uow:
            return FormSchema().dump(handlers.get_form(form_id, uow))

    @rpc
    def list_forms(self, filters: dict) -> dict:
        require_actor(self.caller)
        query = load(FormFilterSchema(), filters)
        with self.db.unit_of_work() as uow:
            items, total = handlers.list_forms(query, uow)
        return FormPageSchema().dump(_page(items, total, query))

    @rpc
    def preview_form(self, form_id: str, payload: dict | None = None) -> dict:
        """The fields as the customer sees them, and the check of sample values (TPL-6)."""
        require_actor(self.caller)
        cmd = load(PreviewInputSchema(), payload or {})
        with self.db.unit_of_work() as uow:
            form = handlers.get_form(form_id, uow)
        rendered = [{**f, "position": i + 1} for i, f in enumerate(form.fields)]
        errors = validate_submission(form.snapshot(), cmd["values"]) if cmd["values"] else {}
        return PreviewSchema().dump({"form": form, "rendered": rendered, "errors": errors})

    # --- products -------------------------------------------------------------------------------
    @rpc
    def save_product(self, payload: dict) -> dict:
        """SaveProductSchema -> {created, product}. Emits product_template_bound when the binding changed."""
        cmd = load(SaveProductSchema(), payload)
        with self.db.unit_of_work() as uow:
            product, created = handlers.save_product(cmd, require_actor(self.caller), uow)
        return {"created": created, "product": ProductSchema().dump(product)}

    @rpc
    def get_product(self, product_id: str) -> dict:
        with self.db.unit_of_work() as uow:
            return ProductSchema().dump(handlers.get_product(product_id, require_actor(self.caller), uow))

    @rpc
    def list_products(self, filters: dict) -> dict:
        query = load(ProductFilterSchema(), filters)
        with self.db.unit_of_work() as uow:
            items, total = handlers.list_products(query, require_actor(self.caller), uow)
        return ProductPageSchema().dump(_page(items, total, query))

    @rpc
    def bind_product(self, payload: dict) -> dict:
        """TRANSITIONAL (tests, demo): BindProductSchema for the named vendor. Emits product_template_bound."""
        cmd = load(BindProductSchema(), payload)
        with self.db.unit_of_work() as uow:
            handlers.system_bind_product(cmd, uow)
            flow = handlers.product_flow(cmd["product_id"], uow)
        return ProductFlowSchema().dump(flow)

    @rpc
    def get_product_flow(self, product_id: str) -> dict:
        """TRANSITIONAL: the version a new project of ``product_id`` runs on (PRJ-1)."""
        with self.db.unit_of_work() as uow:
            return ProductFlowSchema().dump(handlers.product_flow(product_id, uow))

    # --- events of other services ---------------------------------------------------------------
    @on_event("notify", "message_template_changed")
    def handle_message_template_changed(self, event: dict) -> None:
        """notify's message templates, kept by name to check reminder rules (TPL-10)."""
        with self.db.unit_of_work() as uow:
            handlers.message_template_changed(event, load_data(event), uow)

    @on_event("dispatch", "product_providers_set")
    def handle_product_providers_set(self, event: dict) -> None:
        """dispatch's provider list of a product: the product list's configuration status (TPL-12)."""
        with self.db.unit_of_work() as uow:
            handlers.product_providers_set(event, load_data(event), uow)
