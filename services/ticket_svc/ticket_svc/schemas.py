"""Payloads of ticket_svc's RPCs (the internal contract; the gateway has its own public schemas)."""
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from platform_kit.text import FreeText, Identifier
from ticket_svc.domain.model import CATEGORIES, NOTE_KIND, REPLY_KIND, STATUSES
from ticket_svc.domain.sla import TIERS

SORTS = ("priority", "-priority", "opened_at", "-opened_at", "updated_at", "-updated_at", "status", "-status")

MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024  # as handlers.MAX_ATTACHMENT_BYTES


class AttachmentRefSchema(Schema):
    """An attachment of a message being written: the key its upload answered. What the file is
    (name, size, type) is what the platform recorded at the upload; sent fields are ignored."""
    key = fields.String(required=True, validate=validate.Length(min=1, max=120),
                        metadata={"description": "the `key` the upload answered"})
    id = fields.String(load_default=None, allow_none=True)
    name = fields.String(load_default=None, allow_none=True)
    size = fields.Integer(load_default=None, allow_none=True)
    content_type = fields.String(load_default=None, allow_none=True)


class AttachmentSchema(Schema):
    id = fields.String(metadata={"description": "download it at /tickets/{id}/attachments/{this id}"})
    key = fields.String(load_default=None, allow_none=True, metadata={"description": "storage key of an upload"})
    name = fields.String(required=True, validate=validate.Length(min=1, max=200), metadata={"example": "error.png"})
    size = fields.Integer(required=True, validate=validate.Range(min=0, max=MAX_ATTACHMENT_BYTES),
                          metadata={"example": 20480, "description": "bytes; at most 20 MB"})
    content_type = fields.String(load_default="application/octet-stream")


class AttachmentUploadSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200), metadata={"example": "报错截图.png"})
    content_type = fields.String(load_default="application/octet-stream", validate=validate.Length(max=100))
    content_base64 = fields.String(required=True)


class OpenTicketSchema(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200),
                          metadata={"example": "网站无法访问"})
    description = fields.String(required=True, validate=validate.Length(min=1, max=10000),
                                metadata={"example": "今天上午开始商城首页打不开，返回 502"})
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES), metadata={
        "description": "site_down, server_down, software_unusable and resources_expiring are business-stopping "
                       "(TKT-4): sorted first, resolved the same day", "example": "site_down"})
    tier = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(tuple(TIERS)), metadata={
        "description": "the professional-service severity P0..P3 you ask for (TKT-8). The ticket gets the tier "
                       "of your service contract with the provider; a higher one is a request that an agent "
                       "grants (`requested_tier` until then)"})
    order_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64),
                             metadata={"example": "ORD-20261121-0001"})
    project_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=36))
    product_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64))
    complaint = fields.Boolean(load_default=False, metadata={"description": "open it as a complaint (投诉)"})
    customer_org_id = fields.String(load_default=None, allow_none=True, metadata={
        "description": "only when the platform (an enterprise system) opens it on a customer's behalf"})
    customer_user_id = fields.String(load_default=None, allow_none=True)


class MessageCreateSchema(Schema):
    body = fields.String(required=True, validate=validate.Length(min=1, max=10000),
                         metadata={"example": "您好！您的问题已收到，我们尽快安排看下，请耐心等待！"})
    kind = fields.String(load_default=REPLY_KIND, validate=validate.OneOf((REPLY_KIND, NOTE_KIND)), metadata={
        "description": "reply: the customer sees it; note: internal, agents only (TKT-7)"})
    plan = fields.Boolean(load_default=False, metadata={
        "description": "this reply tells the customer the plan and expected time (the 30-minute target, TKT-5)"})
    attachments = fields.List(fields.Nested(AttachmentRefSchema), load_default=list,
                              validate=validate.Length(max=10))


class StatusChangeSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(STATUSES), metadata={"example": "awaiting_feedback"})
    note = fields.String(load_default="", validate=validate.Length(max=2000))
    reply = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=20000), metadata={
        "description": "An agent's public reply sent with the change (awaiting feedback or confirmation needs one "
                       "since the customer's last message)",
        "example": "您好，请您提供报错截图以便我们进一步核实问题，谢谢！"})
    plan = fields.Boolean(load_default=False, metadata={"description": "the reply states the plan (TKT-5)"})


class ReviewReplySchema(Schema):
    release = fields.Boolean(required=True, metadata={
        "description": "true: send it to the customer (meets the reply targets now); "
                       "false: keep it as an internal note"})
    body = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=20000), metadata={
        "description": "the reply reworded by the lead before it is sent",
        "example": "您好，请参考文档第 3 节，谢谢！"})
    plan = fields.Boolean(load_default=False)


class TransferSchema(Schema):
    to_agent_id = fields.String(required=True)
    note = fields.String(required=True, validate=validate.Length(max=2000), metadata={
        "description": "what you found and what the next agent should do (TKT-3)"})
    confirm_off_duty = fields.Boolean(load_default=False, metadata={
        "description": "required to transfer to an agent who is off duty; that agent is told"})


class PrioritySchema(Schema):
    tier = fields.String(allow_none=True, validate=validate.OneOf(tuple(TIERS)), metadata={
        "description": "professional-service severity P0..P3 (TKT-8), null for none; left out: unchanged"})
    category = fields.String(validate=validate.OneOf(CATEGORIES), metadata={
        "description": "left out: unchanged; a business-stopping one starts a same-day target (TKT-4)",
        "example": "server_down"})

    @validates_schema
    def _something(self, data, **kwargs):
        if "tier" not in data and "category" not in data:
            raise ValidationError("name the tier, the category or both", "tier")


class NoteSchema(Schema):
    note = fields.String(required=True, validate=validate.Length(max=2000))


class ComplainSchema(Schema):
    note = fields.String(load_default="", validate=validate.Length(max=2000))


class RateSchema(Schema):
    score = fields.Integer(required=True, validate=validate.Range(min=1, max=5), metadata={"example": 5})
    comment = fields.String(load_default="", validate=validate.Length(max=2000))


class OffDutySchema(Schema):
    handover_to = Identifier(load_default=None, allow_none=True, metadata={
        "description": "a colleague who takes over your open tickets, with the note"})
    note = FreeText(max_length=2000, load_default="")
    return_to_queue = fields.Boolean(load_default=False, metadata={
        "description": "hand your open tickets back to the provider's queue instead"})
    confirm_off_duty = fields.Boolean(load_default=False, metadata={
        "description": "required to hand over to a colleague who is off duty (409 otherwise); they are told"})

    @validates_schema
    def _note_with_handover(self, data, **kwargs):
        if data.get("handover_to") and not data.get("note", "").strip():
            raise ValidationError("a handover needs a note (TKT-3)", "note")


class EntitlementSchema(Schema):
    customer_org_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=36),
                                    metadata={"description": "the customer; none: every customer of the product"})
    product_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64),
                               metadata={"description": "the product; none: every product of the customer"})
    tier = fields.String(required=True, allow_none=True, validate=validate.OneOf(tuple(TIERS)), metadata={
        "description": "P0..P3; null removes the contract", "example": "P1"})


class EntitlementOutSchema(EntitlementSchema):
    provider_id = fields.String()


class ServiceHoursSchema(Schema):
    start = fields.Time(required=True, metadata={"example": "08:00:00"})
    end = fields.Time(required=True, metadata={"description": "00:00 means midnight (24:00)",
                                                "example": "22:00:00"})
    every_day = fields.Boolean(load_default=False, metadata={"description": "also weekends and holidays"})


class ServiceHoursOutSchema(ServiceHoursSchema):
    provider_id = fields.String()
    always = fields.Boolean(metadata={"description": "7x24"})
    rescheduled = fields.Integer(metadata={
        "description": "open tickets whose deadlines are recomputed on the new hours (in the background, "
                       "within seconds)"})


class TicketFilterSchema(Schema):
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES))
    tier = fields.String(load_default=None, validate=validate.OneOf(tuple(TIERS)))
    category = fields.String(load_default=None, validate=validate.OneOf(CATEGORIES))
    business_stopping = fields.Boolean(load_default=None, metadata={
        "description": "site down, server down, software unusable, resources about to expire (TKT-4)"})
    complaint = fields.Boolean(load_default=None, metadata={"description": "explicit complaints (投诉)"})
    suspected = fields.Boolean(load_default=None, metadata={"description": "suspected complaints"})
    breached = fields.Boolean(load_default=None)
    escalated = fields.Boolean(load_default=None)
    unassigned = fields.Boolean(load_default=None, metadata={"description": "the provider's unassigned queue"})
    assignee_id = fields.String(load_default=None)
    customer_org_id = fields.String(load_default=None)
    provider_id = fields.String(load_default=None)
    order_id = fields.String(load_default=None, validate=validate.Length(max=64),
                             metadata={"description": "the tickets about this order"})
    number = fields.String(load_default=None, validate=validate.Length(max=20),
                           metadata={"description": "the readable ticket number", "example": "T-2026-000123"})
    opened_from = fields.AwareDateTime(load_default=None)
    opened_to = fields.AwareDateTime(load_default=None)
    q = fields.String(load_default=None, validate=validate.Length(min=1, max=100), metadata={
        "description": "text in the title or the customer's messages; Chinese substrings work"})
    sort = fields.String(load_default="priority", validate=validate.OneOf(SORTS))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0))


class ExportFilterSchema(TicketFilterSchema):
    limit = fields.Integer(load_default=10000, validate=validate.Range(min=1, max=10000))


class ReportQuerySchema(Schema):
    opened_from = fields.AwareDateTime(required=True, metadata={"example": "2026-11-01T00:00:00+08:00"})
    opened_to = fields.AwareDateTime(required=True, metadata={"example": "2026-12-01T00:00:00+08:00"})
    provider_id = fields.String(load_default=None, metadata={"description": "the operator names the provider"})


class MessageSchema(Schema):
    id = fields.String()
    author_id = fields.String()
    side = fields.String()
    kind = fields.String()
    body = fields.String()
    at = fields.AwareDateTime()
    attachments = fields.List(fields.Nested(AttachmentSchema))


class AttachmentContentSchema(AttachmentSchema):
    content_base64 = fields.String()


class TimerSchema(Schema):
    name = fields.String()
    target_seconds = fields.Integer(allow_none=True)
    used_seconds = fields.Integer()
    due_at = fields.AwareDateTime(allow_none=True)
    met_at = fields.AwareDateTime(allow_none=True)
    breached_at = fields.AwareDateTime(allow_none=True)


class LogEntrySchema(Schema):
    at = fields.AwareDateTime()
    action = fields.String()
    actor = fields.String()
    detail = fields.String()


class TimerStateSchema(Schema):
    name = fields.String(metadata={"example": "first_response"})
    due_at = fields.AwareDateTime(allow_none=True, metadata={
        "description": "when it breaches if nothing happens; null when met, paused, breached or without a target"})
    paused = fields.Boolean(metadata={"description": "waiting for the customer: the clock stands still"})
    met_at = fields.AwareDateTime(allow_none=True)
    breached_at = fields.AwareDateTime(allow_none=True)


class TicketSummarySchema(Schema):
    id = fields.String()
    your_side = fields.String(metadata={"description": "customer, agent, platform, vendor or observer"})
    number = fields.String(allow_none=True, metadata={
        "description": "the readable ticket number people quote (and e-mail subjects carry)",
        "example": "T-2026-000123"})
    title = fields.String()
    category = fields.String()
    business_stopping = fields.Boolean()
    tier = fields.String(allow_none=True)
    requested_tier = fields.String(allow_none=True, metadata={
        "description": "a higher tier the customer asked for, until an agent grants or declines it"})
    status = fields.String()
    customer_org_id = fields.String()
    customer_user_id = fields.String()
    provider_id = fields.String()
    vendor_id = fields.String(allow_none=True)
    order_id = fields.String(allow_none=True)
    project_id = fields.String(allow_none=True)
    product_id = fields.String(allow_none=True)
    assignee_id = fields.String(allow_none=True)
    escalated = fields.Boolean()
    complaint = fields.Boolean()
    suspected = fields.List(fields.String())
    breached = fields.List(fields.String())
    priority_rank = fields.Integer()
    rating = fields.Integer(allow_none=True)
    first_response_seconds = fields.Integer(allow_none=True)
    resolution_seconds = fields.Integer(allow_none=True)
    opened_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()
    resolved_at = fields.AwareDateTime(allow_none=True)
    closed_at = fields.AwareDateTime(allow_none=True)
    next_due_at = fields.AwareDateTime(allow_none=True, metadata={
        "description": "agents only: the nearest due instant of the running timers (null for customers)"})
    timers = fields.List(fields.Nested(TimerStateSchema), metadata={
        "description": "agents only (empty for customers): each SLA timer's due instant, paused, met, breached"})


class TicketSchema(TicketSummarySchema):
    complaint_note = fields.String()
    rating_comment = fields.String()
    waiting_since = fields.AwareDateTime(allow_none=True)
    reply_expected_by = fields.AwareDateTime(allow_none=True, metadata={
        "description": "when the provider's answer to the customer's last message is due (4 service hours, "
                       "seed 001 section 8); null when nothing awaits an answer. Everyone sees it"})
    timers = fields.List(fields.Nested(TimerSchema), metadata={"description": "agents only"})
    messages = fields.List(fields.Nested(MessageSchema), metadata={"description": "customers see replies only"})
    log = fields.List(fields.Nested(LogEntrySchema), metadata={"description": "agents only"})


class TicketPageSchema(Schema):
    items = fields.List(fields.Nested(TicketSummarySchema))
    total = fields.Integer()
    limit = fields.Integer()
    offset = fields.Integer()


class AgentDutySchema(Schema):
    on_duty = fields.Boolean(required=True, metadata={"example": True})


class DutySchema(Schema):
    user_id = fields.String()
    on_duty = fields.Boolean()
    assigned = fields.List(fields.String(), metadata={"description": "tickets taken from the queue"})
    handed_over = fields.List(fields.String())


class RosterEntrySchema(Schema):
    user_id = fields.String()
    on_duty = fields.Boolean()
    since = fields.AwareDateTime(allow_none=True, metadata={"description": "null: never on duty"})


class CannedReplySchema(Schema):
    id = fields.String(dump_only=True)
    provider_id = fields.String(dump_only=True, allow_none=True)
    key = fields.String(required=True, validate=validate.Length(min=1, max=60), metadata={"example": "received"})
    body = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class CannedReplyQuerySchema(Schema):
    ticket_id = fields.String(load_default=None, validate=validate.Length(max=36), metadata={
        "description": "fill in {{ticket_number}}, {{title}}, {{customer_name}}, {{agent_name}} for this ticket"})


class WordListSchema(Schema):
    words = fields.List(fields.String(validate=validate.Length(min=1, max=50)), required=True,
                        validate=validate.Length(max=2000))


class FiguresSchema(Schema):
    tickets = fields.Integer()
    backlog = fields.Integer()
    first_response_median = fields.Float(allow_none=True, metadata={"description": "service seconds"})
    first_response_p90 = fields.Float(allow_none=True)
    first_response_p95 = fields.Float(allow_none=True)
    resolution_median = fields.Float(allow_none=True)
    resolution_p90 = fields.Float(allow_none=True)
    resolution_p95 = fields.Float(allow_none=True)
    breaches = fields.Integer()
    breached_tickets = fields.Integer()
    sla_achievement = fields.Float(allow_none=True, metadata={
        "description": "percent of the tickets with no service-level target breached"})
    backlog_age_median_seconds = fields.Float(allow_none=True, metadata={"description": "open tickets' median age"})
    backlog_oldest_seconds = fields.Float(allow_none=True)
    satisfaction = fields.Float(allow_none=True, metadata={"description": "average rating 1..5"})
    ratings = fields.Integer()


class AgentFiguresSchema(FiguresSchema):
    agent_id = fields.String()
    agent_name = fields.String(allow_none=True, metadata={"description": "filled in by the gateway"})


class ReportSchema(Schema):
    provider_id = fields.String()
    opened_from = fields.AwareDateTime()
    opened_to = fields.AwareDateTime()
    total = fields.Nested(FiguresSchema)
    agents = fields.List(fields.Nested(AgentFiguresSchema))
