"""ticket_svc entrypoints: load the payload, open a unit of work, call a handler, dump the result."""
from __future__ import annotations

import base64
import binascii
import io
import uuid

from platform_kit.auth import Caller, require_actor
from platform_kit.clock import utcnow
from platform_kit.consumer import on_event
from platform_kit.contracts import load_data
from platform_kit.db import Database
from platform_kit.errors import ValidationFailed, rpc
from platform_kit.scheduling import on_deadline
from platform_kit.service import PlatformService
from platform_kit.storage import FileStorage
from platform_kit.validation import load
from ticket_svc import handlers
from ticket_svc.adapters.repository import (
    PeopleRepository,
    SettingsRepository,
    SubjectRepository,
    TicketRepository,
)
from ticket_svc.domain.attachments import make_key
from ticket_svc.schemas import (
    AgentDutySchema,
    AttachmentContentSchema,
    AttachmentSchema,
    AttachmentUploadSchema,
    CannedReplySchema,
    ComplainSchema,
    DutySchema,
    EntitlementOutSchema,
    EntitlementSchema,
    ExportFilterSchema,
    MessageCreateSchema,
    NoteSchema,
    OffDutySchema,
    OpenTicketSchema,
    PrioritySchema,
    RateSchema,
    ReportQuerySchema,
    ReportSchema,
    ReviewReplySchema,
    RosterEntrySchema,
    ServiceHoursOutSchema,
    ServiceHoursSchema,
    StatusChangeSchema,
    TicketFilterSchema,
    TicketPageSchema,
    TicketSchema,
    TicketSummarySchema,
    TransferSchema,
    WordListSchema,
)


class TicketService(PlatformService):
    name = "ticket"
    db = Database("TICKET_DATABASE_URL", repositories={
        "tickets": TicketRepository, "people": PeopleRepository, "subjects": SubjectRepository,
        "settings": SettingsRepository})
    caller = Caller()
    storage = FileStorage()

    def _ticket(self, ticket, uow) -> dict:
        return TicketSchema().dump(handlers.view_for(ticket, require_actor(self.caller), uow))

    # ---- customers and agents -------------------------------------------------------------

    @rpc
    def open_ticket(self, payload: dict) -> dict:
        """payload: OpenTicketSchema. Emits ticket_opened (and notification requests). Returns TicketSchema."""
        cmd = load(OpenTicketSchema(), payload)
        actor = require_actor(self.caller)
        with self.db.unit_of_work() as uow:
            return self._ticket(handlers.open_ticket(cmd, actor, uow, utcnow()), uow)

    @rpc
    def get_ticket(self, ticket_id: str) -> dict:
        """The ticket as the caller's side sees it (ORG-7: another tenant's answers NotFound)."""
        with self.db.unit_of_work() as uow:
            return TicketSchema().dump(handlers.get_ticket(ticket_id, require_actor(self.caller), uow))

    @rpc
    def list_tickets(self, filters: dict) -> dict:
        """filters: TicketFilterSchema. Returns TicketPageSchema of what the caller may see."""
        query = load(TicketFilterSchema(), filters)
        with self.db.unit_of_work() as uow:
            items, total = handlers.list_tickets(query, require_actor(self.caller), uow)
        return TicketPageSchema().dump({"items": items, "total": total, "limit": query["limit"],
                                        "offset": query["offset"]})

    @rpc
    def export_tickets(self, filters: dict) -> list[dict]:
        """filters: ExportFilterSchema (up to 10,000 rows). Returns TicketSummarySchema rows."""
        query = load(ExportFilterSchema(), filters)
        with self.db.unit_of_work() as uow:
            items, _ = handlers.list_tickets(query, require_actor(self.caller), uow, timers=False)
        return TicketSummarySchema(many=True).dump(items)

    @rpc
    def escalation_queue(self, filters: dict) -> dict:
        """The operator's queue of escalated tickets (TKT-3)."""
        query = load(TicketFilterSchema(), filters)
        with self.db.unit_of_work() as uow:
            items, total = handlers.escalations(query, require_actor(self.caller), uow)
        return TicketPageSchema().dump({"items": items, "total": total, "limit": query["limit"],
                                        "offset": query["offset"]})

    @rpc
    def post_message(self, ticket_id: str, payload: dict) -> dict:
        """payload: MessageCreateSchema. A reply or an internal note (TKT-7); customers' messages are
        checked for secrets (TKT-9) and complaint signals (TKT-4)."""
        cmd = load(MessageCreateSchema(), payload)
        with self.db.unit_of_work() as uow:
            return self._ticket(handlers.post_message(ticket_id, cmd, require_actor(self.caller), uow, utcnow()), uow)

    @rpc
    def upload_attachment(self, ticket_id: str, payload: dict) -> dict:
        """payload: AttachmentUploadSchema (content base64, at most 20 MB, images, PDF, text, archives,
        Office). Stored under a key the platform makes; returns AttachmentSchema, whose ``key`` a
        message's ``attachments`` names."""
        cmd = load(AttachmentUploadSchema(), payload)
        try:
            content = base64.b64decode(cmd["content_base64"], validate=True)
        except (binascii.Error, ValueError):
            raise ValidationFailed("The file content is not base64.", {"content_base64": ["not base64"]}) from None
        actor = require_actor(self.caller)
        content_type = cmd["content_type"].split(";")[0].strip().lower()
        with self.db.unit_of_work() as uow:
            ticket = handlers.check_upload(ticket_id, cmd["name"], content_type, len(content), content[:16], actor,
                                           uow)
        stored = self.storage.put(make_key(ticket.id, uuid.uuid4().hex), io.BytesIO(content), content_type)
        with self.db.unit_of_work() as uow:
            return AttachmentSchema().dump(handlers.record_upload(ticket, stored.key, cmd["name"], stored.size,
                                                                  content_type, actor, uow, utcnow()))

    @rpc
    def download_attachment(self, ticket_id: str, attachment_id: str) -> dict:
        """The file of a message the caller may see (TKT-7). Returns AttachmentContentSchema."""
        with self.db.unit_of_work() as uow:
            item = handlers.attachment_to_download(ticket_id, attachment_id, require_actor(self.caller), uow)
        with self.storage.open(item["key"]) as handle:
            content = handle.read()
        return AttachmentContentSchema().dump({**item, "content_base64": base64.b64encode(content).decode()})

    @rpc
    def review_reply(self, ticket_id: str, message_id: str, payload: dict) -> dict:
        """payload: ReviewReplySchema. The provider's admin releases or rejects an agent's reply held for
        its words (seed 001 section 4). Emits notification requests (and ticket_sla_breached if late)."""
        cmd = load(ReviewReplySchema(), payload)
        with self.db.unit_of_work() as uow:
            ticket = handlers.review_reply(ticket_id, message_id, cmd, require_actor(self.caller), uow, utcnow())
            return self._ticket(ticket, uow)

    @rpc
    def change_status(self, ticket_id: str, payload: dict) -> dict:
        """payload: StatusChangeSchema (TKT-1). Emits ticket_status_changed."""
        cmd = load(StatusChangeSchema(), payload)
        with self.db.unit_of_work() as uow:
            ticket = handlers.change_status(ticket_id, cmd["status"], cmd["note"], require_actor(self.caller), uow,
                                            utcnow(), reply=cmd.get("reply"), plan=cmd["plan"])
            return self._ticket(ticket, uow)

    @rpc
    def complain(self, ticket_id: str, payload: dict) -> dict:
        cmd = load(ComplainSchema(), payload)
        with self.db.unit_of_work() as uow:
            return self._ticket(handlers.complain(ticket_id, cmd["note"], require_actor(self.caller), uow, utcnow()),
                                uow)

    @rpc
    def rate(self, ticket_id: str, payload: dict) -> dict:
        cmd = load(RateSchema(), payload)
        with self.db.unit_of_work() as uow:
            ticket = handlers.rate(ticket_id, cmd["score"], cmd["comment"], require_actor(self.caller), uow, utcnow())
            return self._ticket(ticket, uow)

    @rpc
    def transfer(self, ticket_id: str, payload: dict) -> dict:
        """payload: TransferSchema (TKT-3)."""
        cmd = load(TransferSchema(), payload)
        with self.db.unit_of_work() as uow:
            return self._ticket(handlers.transfer(ticket_id, cmd, require_actor(self.caller), uow, utcnow()), uow)

    @rpc
    def reprioritise(self, ticket_id: str, payload: dict) -> dict:
        """payload: PrioritySchema (TKT-4, TKT-8). The targets and their deadlines move."""
        cmd = load(PrioritySchema(), payload)
        with self.db.unit_of_work() as uow:
            return self._ticket(handlers.reprioritise(ticket_id, cmd, require_actor(self.caller), uow, utcnow()),
                                uow)

    @rpc
    def escalate(self, ticket_id: str, payload: dict) -> dict:
        """payload: NoteSchema. To the platform's own support (TKT-3)."""
        cmd = load(NoteSchema(), payload)
        with self.db.unit_of_work() as uow:
            return self._ticket(handlers.escalate(ticket_id, cmd["note"], require_actor(self.caller), uow, utcnow()),
                                uow)

    @rpc
    def hand_back(self, ticket_id: str, payload: dict) -> dict:
        """payload: NoteSchema. The platform's support returns an escalation to the provider (TKT-3)."""
        cmd = load(NoteSchema(), payload)
        with self.db.unit_of_work() as uow:
            return self._ticket(handlers.hand_back(ticket_id, cmd["note"], require_actor(self.caller), uow, utcnow()),
                                uow)

    @rpc
    def go_on_duty(self) -> dict:
        """TKT-2: the caller's provider's unassigned tickets are handed out at once."""
        with self.db.unit_of_work() as uow:
            return DutySchema().dump(handlers.go_on_duty(require_actor(self.caller), uow, utcnow()))

    @rpc
    def go_off_duty(self, payload: dict) -> dict:
        """payload: OffDutySchema. Conflict while holding open tickets without a handover (TKT-2)."""
        cmd = load(OffDutySchema(), payload)
        with self.db.unit_of_work() as uow:
            return DutySchema().dump(handlers.go_off_duty(cmd, require_actor(self.caller), uow, utcnow()))

    @rpc
    def set_agent_duty(self, user_id: str, payload: dict) -> dict:
        """payload: AgentDutySchema. The provider's admin puts an agent on or off duty (TKT-2)."""
        cmd = load(AgentDutySchema(), payload)
        with self.db.unit_of_work() as uow:
            return DutySchema().dump(handlers.set_agent_duty(user_id, cmd, require_actor(self.caller), uow, utcnow()))

    @rpc
    def duty_roster(self) -> list[dict]:
        with self.db.unit_of_work() as uow:
            return RosterEntrySchema(many=True).dump(handlers.duty_roster(require_actor(self.caller), uow))

    @rpc
    def get_service_hours(self) -> dict:
        with self.db.unit_of_work() as uow:
            return ServiceHoursOutSchema().dump(handlers.get_service_hours(require_actor(self.caller), uow))

    @rpc
    def entitlements(self) -> list[dict]:
        """The provider's service contracts' tiers (TKT-8). Returns EntitlementOutSchema rows."""
        with self.db.unit_of_work() as uow:
            return EntitlementOutSchema(many=True).dump(handlers.entitlements(require_actor(self.caller), uow))

    @rpc
    def set_entitlement(self, payload: dict) -> dict:
        """payload: EntitlementSchema. Sets (or, tier null, removes) a contract tier (TKT-8)."""
        cmd = load(EntitlementSchema(), payload)
        with self.db.unit_of_work() as uow:
            return EntitlementOutSchema().dump(handlers.set_entitlement(cmd, require_actor(self.caller), uow))

    @rpc
    def set_service_hours(self, payload: dict) -> dict:
        """payload: ServiceHoursSchema (TKT-2). The provider's open tickets' deadlines are recomputed
        in the background (a ticket_reschedule deadline due at once)."""
        cmd = load(ServiceHoursSchema(), payload)
        with self.db.unit_of_work() as uow:
            hours = handlers.set_service_hours(cmd, require_actor(self.caller), uow, utcnow())
            return ServiceHoursOutSchema().dump(hours)

    @rpc
    def canned_replies(self, ticket_id: str | None = None) -> list[dict]:
        with self.db.unit_of_work() as uow:
            return CannedReplySchema(many=True).dump(handlers.canned_replies(require_actor(self.caller), uow,
                                                                             ticket_id=ticket_id))

    @rpc
    def update_canned_reply(self, reply_id: str, payload: dict) -> dict:
        cmd = load(CannedReplySchema(), payload)
        with self.db.unit_of_work() as uow:
            return CannedReplySchema().dump(handlers.update_canned_reply(reply_id, cmd, require_actor(self.caller),
                                                                         uow))

    @rpc
    def delete_canned_reply(self, reply_id: str) -> dict:
        with self.db.unit_of_work() as uow:
            handlers.delete_canned_reply(reply_id, require_actor(self.caller), uow)
        return {"id": reply_id, "deleted": True}

    @rpc
    def add_canned_reply(self, payload: dict) -> dict:
        cmd = load(CannedReplySchema(), payload)
        with self.db.unit_of_work() as uow:
            return CannedReplySchema().dump(handlers.add_canned_reply(cmd, require_actor(self.caller), uow))

    @rpc
    def abusive_words(self) -> dict:
        with self.db.unit_of_work() as uow:
            return {"words": handlers.abusive_words(require_actor(self.caller), uow)}

    @rpc
    def set_abusive_words(self, payload: dict) -> dict:
        cmd = load(WordListSchema(), payload)
        with self.db.unit_of_work() as uow:
            return {"words": handlers.set_abusive_words(cmd["words"], require_actor(self.caller), uow)}

    @rpc
    def report(self, filters: dict) -> dict:
        """filters: ReportQuerySchema. TKT-5 figures of a provider, in total and per agent."""
        query = load(ReportQuerySchema(), filters)
        with self.db.unit_of_work() as uow:
            return ReportSchema().dump(handlers.report(query, require_actor(self.caller), uow))

    # ---- timers ---------------------------------------------------------------------------

    @on_deadline(handlers.WARNING)
    def sla_warning_due(self, key: str, payload: dict) -> None:
        """Emits ticket_notification_requested once per timer cycle (TKT-5)."""
        with self.db.unit_of_work() as uow:
            handlers.timer_fired("warning", payload, uow, utcnow())

    @on_deadline(handlers.BREACH)
    def sla_breach_due(self, key: str, payload: dict) -> None:
        """Emits ticket_sla_breached and ticket_notification_requested once per timer cycle (TKT-5)."""
        with self.db.unit_of_work() as uow:
            handlers.timer_fired("breach", payload, uow, utcnow())

    @on_deadline(handlers.RESCHEDULE)
    def reschedule_due(self, key: str, payload: dict) -> None:
        """ORG-6: one provider's share of a calendar change; its open tickets' deadlines move."""
        with self.db.unit_of_work() as uow:
            handlers.reschedule_provider(payload, uow)

    @on_deadline(handlers.AUTO_RULE)
    def auto_rule_due(self, key: str, payload: dict) -> None:
        """TKT-6: reminder, move to awaiting confirmation, automatic confirmation."""
        with self.db.unit_of_work() as uow:
            handlers.auto_rule_fired(key, payload, uow, utcnow())

    # ---- other services' facts --------------------------------------------------------------

    @on_event("identity", "user_created")
    def handle_user_created(self, event: dict) -> None:
        with self.db.unit_of_work() as uow:
            handlers.user_changed(event, load_data(event), uow)

    @on_event("identity", "user_updated")
    def handle_user_updated(self, event: dict) -> None:
        with self.db.unit_of_work() as uow:
            handlers.user_changed(event, load_data(event), uow)

    @on_event("identity", "organisation_created")
    def handle_organisation_created(self, event: dict) -> None:
        with self.db.unit_of_work() as uow:
            handlers.organisation_created(event, load_data(event), uow)

    @on_event("identity", "calendar_changed")
    def handle_calendar_changed(self, event: dict) -> None:
        """ORG-6: every open ticket's deadlines are recomputed on the new calendar, one provider at a
        time, spread over the replicas (``ticket_reschedule`` deadlines)."""
        with self.db.unit_of_work() as uow:
            handlers.calendar_changed(event, load_data(event), uow, utcnow())

    @on_event("project", "project_created")
    def handle_project_created(self, event: dict) -> None:
        with self.db.unit_of_work() as uow:
            handlers.project_created(event, load_data(event), uow)

    @on_event("dispatch", "provider_assigned")
    def handle_provider_assigned(self, event: dict) -> None:
        with self.db.unit_of_work() as uow:
            handlers.provider_assigned(event, load_data(event), uow)
