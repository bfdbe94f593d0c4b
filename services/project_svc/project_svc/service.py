import base64
import binascii
import io
import uuid

from platform_kit.auth import Caller, require_actor
from platform_kit.consumer import on_event
from platform_kit.contracts import load_data
from platform_kit.db import Database
from platform_kit.errors import rpc
from platform_kit.idempotency import Operation
from platform_kit.scheduling import on_deadline
from platform_kit.service import PlatformService
from platform_kit.storage import FileStorage
from platform_kit.validation import load
from project_svc import handlers
from project_svc.adapters.reads import ProjectReads
from project_svc.adapters.repository import (
    CalendarRepository,
    OrganisationNameRepository,
    ProductFlowRepository,
    ProjectRepository,
    RecordRepository,
    SaturationRepository,
)
from project_svc.domain.files import SNIFF_BYTES
from project_svc.exceptions import FileRejected, ProjectNotFound
from project_svc.schemas import (
    DashboardQuerySchema,
    DashboardSchema,
    FileContentSchema,
    NodeActionSchema,
    ProjectFileSchema,
    ProjectFilterSchema,
    ProjectNoteSchema,
    ProjectPageSchema,
    ProjectRateSchema,
    ProjectReasonSchema,
    ProjectRecordBodySchema,
    ProjectRecordSchema,
    ProjectRequiredNoteSchema,
    ProjectSchema,
    ProjectSummarySchema,
    PurchaseResultSchema,
    PurchaseSchema,
    RejectSchema,
    SubmitRequirementsSchema,
    UploadSchema,
)

ACTIONS = {"submit_requirements": SubmitRequirementsSchema, "confirm": NodeActionSchema, "reject": RejectSchema,
           "pause": ProjectRequiredNoteSchema, "resume": ProjectNoteSchema, "cancel": ProjectReasonSchema,
           "change_provider": ProjectRequiredNoteSchema,
           "rate": ProjectRateSchema}


# Built once: a schema's construction cost more than its dump on the read path (profiled); dumping
# and loading keep no state in the instance, so workers share them.
PROJECT_SCHEMA = ProjectSchema()
PURCHASE_SCHEMA = PurchaseSchema()
PURCHASE_RESULT_SCHEMA = PurchaseResultSchema()


class ProjectService(PlatformService):
    name = "project"
    db = Database("PROJECT_DATABASE_URL", repositories={
        "projects": ProjectRepository, "products": ProductFlowRepository, "calendar": CalendarRepository,
        "records": RecordRepository, "saturation": SaturationRepository, "reads": ProjectReads,
        "organisations": OrganisationNameRepository})
    caller = Caller()
    operation = Operation()
    storage = FileStorage()

    @rpc
    def create_from_purchase(self, payload: dict) -> dict:
        """payload: PurchaseSchema. Emits project_created and node_reached (only when new).

        Returns PurchaseResultSchema; posting the same order again returns its project with
        ``created: false``. A product whose flow project_svc has not received is refused (404).
        """
        purchase = handlers.purchase_for(self.caller, load(PURCHASE_SCHEMA, payload))
        with self.db.unit_of_work() as uow:
            project, created = handlers.create_from_purchase(purchase, uow)
            actor = self.caller
            view = {**vars(project), "current_node": project.current_node, "nodes": project.steps} if actor is None \
                else handlers.purchase_view(project, created, actor, uow)
        return PURCHASE_RESULT_SCHEMA.dump({"created": created, "project": view})

    @rpc
    def get_project(self, project_id: str) -> dict:
        """The project, if the caller may see it (ORG-7); NotFound otherwise. Notes only for
        the vendor and provider side."""
        actor = require_actor(self.caller)
        with self.db.unit_of_work() as uow:
            return PROJECT_SCHEMA.dump(handlers.get_project(project_id, actor, uow))

    @rpc
    def act(self, project_id: str, action: str, payload: dict) -> dict:
        """A person's action on a project: submit_requirements, confirm, reject, pause, resume, cancel,
        change_provider, rate (payload per ACTIONS). Emits node_completed, node_reached, reminder_due,
        project_completed / cancelled / provider_changed / paused / resumed / rated as they happen."""
        if action not in ACTIONS:
            raise ProjectNotFound(f"There is no action {action}.")
        command = load(ACTIONS[action](), payload)
        actor = require_actor(self.caller)
        with self.db.unit_of_work() as uow:
            project = handlers.act(project_id, action, command, actor, uow)
            return PROJECT_SCHEMA.dump(handlers.project_view(project, actor, uow))

    @rpc
    def list_projects(self, filters: dict) -> dict:
        """filters: ProjectFilterSchema. Returns ProjectPageSchema, only what the caller may see."""
        query = load(ProjectFilterSchema(), filters)
        actor = require_actor(self.caller)
        with self.db.unit_of_work() as uow:
            page = handlers.list_projects(query, actor, uow)
        return ProjectPageSchema().dump({**page, "limit": query["limit"], "offset": query["offset"]})

    @rpc
    def export_page(self, filters: dict, size: int = 2000) -> dict:
        """One batch of an export (the gateway streams batches, passing ``next_cursor`` back as
        ``cursor``): up to ``size`` list rows of the keyset walk under the filters."""
        query = load(ProjectFilterSchema(), {k: v for k, v in filters.items() if k not in ("limit", "offset")})
        actor = require_actor(self.caller)
        query.update(limit=max(1, min(size, 5000)), offset=0)
        with self.db.unit_of_work() as uow:
            page = handlers.list_projects(query, actor, uow)
        return {"items": ProjectSummarySchema(many=True).dump(page["items"]), "next_cursor": page["next_cursor"]}

    @rpc
    def add_record(self, project_id: str, kind: str, payload: dict) -> dict:
        """kind: message | note; payload: RecordBodySchema. Only while the project is open."""
        if kind not in ("message", "note"):
            raise ProjectNotFound(f"There is no {kind} list.")
        body = load(ProjectRecordBodySchema(), payload)["body"]
        actor = require_actor(self.caller)
        with self.db.unit_of_work() as uow:
            return ProjectRecordSchema().dump(handlers.add_record(
                project_id, kind, body, actor, uow, record_id=self.operation.id(f"project-{kind}:{project_id}")))

    @rpc
    def list_records(self, project_id: str, kind: str) -> list:
        if kind not in ("message", "note"):
            raise ProjectNotFound(f"There is no {kind} list.")
        actor = require_actor(self.caller)
        with self.db.unit_of_work() as uow:
            return ProjectRecordSchema(many=True).dump(handlers.list_records(project_id, kind, actor, uow))

    @rpc
    def upload_file(self, project_id: str, payload: dict) -> dict:
        """payload: UploadSchema (content base64). Checked (node, operator, size, type), then stored."""
        command = load(UploadSchema(), payload)
        try:
            content = base64.b64decode(command["content_base64"], validate=True)
        except (binascii.Error, ValueError):
            raise FileRejected("The file content is not base64.", {"content_base64": ["not base64"]}) from None
        actor = require_actor(self.caller)
        with self.db.unit_of_work() as uow:
            project = handlers.check_upload(project_id, command["node_key"], command["name"],
                                            command["content_type"], len(content), actor, uow,
                                            head=content[:SNIFF_BYTES])
            stored = self.storage.put(f"projects/{project.id}/{uuid.uuid4()}", io.BytesIO(content),
                                      command["content_type"])
            file = handlers.record_upload(project, command["node_key"], command["name"], stored, actor, uow)
        return ProjectFileSchema().dump(file)

    @rpc
    def list_files(self, project_id: str) -> list:
        actor = require_actor(self.caller)
        with self.db.unit_of_work() as uow:
            return ProjectFileSchema(many=True).dump(handlers.list_files(project_id, actor, uow))

    @rpc
    def download_file(self, project_id: str, file_id: str) -> dict:
        actor = require_actor(self.caller)
        with self.db.unit_of_work() as uow:
            file = handlers.file_of(project_id, file_id, actor, uow)
        with self.storage.open(file["storage_key"]) as handle:
            content = handle.read()
        return FileContentSchema().dump({**file, "content_base64": base64.b64encode(content).decode()})

    @rpc
    def dashboard(self, payload: dict) -> dict:
        """PRJ-11 figures for the caller's organisation as vendor or provider."""
        query = load(DashboardQuerySchema(), payload)
        actor = require_actor(self.caller)
        view = query["view"] or ("vendor" if actor.has_role("vendor_admin", "vendor_project_manager") else "provider")
        with self.db.unit_of_work() as uow:
            return DashboardSchema().dump(handlers.dashboard(actor, view, uow, tz=query["time_zone"]))

    @rpc
    def knows_product(self, product_id: str) -> bool:
        """Whether a purchase of the product would find its flow (tests and demo wait on it)."""
        with self.db.unit_of_work() as uow:
            return uow.products.get(product_id) is not None

    # ---- events --------------------------------------------------------------------------

    @on_event("template", "product_template_bound")
    def handle_product_template_bound(self, event: dict) -> None:
        with self.db.unit_of_work() as uow:
            handlers.product_template_bound(event, load_data(event), uow)

    @on_event("identity", "organisation_created")
    def handle_organisation_created(self, event: dict) -> None:
        """Keeps the organisation's name: purchases record their customer's name for search."""
        with self.db.unit_of_work() as uow:
            handlers.organisation_created(event, load_data(event), uow)

    @on_event("identity", "calendar_changed")
    def handle_calendar_changed(self, event: dict) -> None:
        with self.db.unit_of_work() as uow:
            handlers.calendar_changed(event, load_data(event), uow)

    @on_event("dispatch", "saturation_changed")
    def handle_saturation_changed(self, event: dict) -> None:
        with self.db.unit_of_work() as uow:
            handlers.saturation_changed(event, load_data(event), uow)

    @on_event("dispatch", "provider_assigned")
    def handle_provider_assigned(self, event: dict) -> None:
        """The provider is chosen: advance to the next node (emits node_reached)."""
        with self.db.unit_of_work() as uow:
            handlers.provider_assigned(event, load_data(event), uow)

    @on_event("dispatch", "provider_queued")
    def handle_provider_queued(self, event: dict) -> None:
        with self.db.unit_of_work() as uow:
            handlers.provider_queued(event, load_data(event), uow)

    @on_event("dispatch", "employee_assigned")
    def handle_employee_assigned(self, event: dict) -> None:
        """The employee operates the role's nodes; at the assign-order node the flow moves on."""
        with self.db.unit_of_work() as uow:
            handlers.employee_assigned(event, load_data(event), uow)

    @on_event("dispatch", "employee_queued")
    def handle_employee_queued(self, event: dict) -> None:
        with self.db.unit_of_work() as uow:
            handlers.employee_queued(event, load_data(event), uow)

    @on_event("dispatch", "order_claimed")
    def handle_order_claimed(self, event: dict) -> None:
        with self.db.unit_of_work() as uow:
            handlers.order_claimed(event, load_data(event), uow)

    @on_deadline(handlers.NODE_TIMEOUT)
    def node_timed_out(self, project_id: str, payload: dict) -> None:
        """A node's timeout (PRJ-4): late mark, timeout reminders, auto-advance / auto-confirm."""
        with self.db.unit_of_work() as uow:
            handlers.node_timeout(project_id, payload, uow)
