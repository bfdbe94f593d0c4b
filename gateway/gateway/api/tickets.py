"""The public HTTP contract of the ticket routes (what a caller may send and gets back).

Mirrors ticket_svc's internal schemas where they agree; the gateway's own copy is what
integrators rely on, so an internal change does not silently change /api/v1.
"""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from ticket_svc import schemas as internal

BASE64 = r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"


def _named(field: str) -> dict:
    return {"required": [field], "properties": {field: {"type": "string", "minLength": 1}}}


class OpenTicketBody(internal.OpenTicketSchema):
    """Open a ticket about your order, project or product (TKT-1): at least one of them is named."""

    class Meta:
        json_schema = {"anyOf": [_named("order_id"), _named("project_id"), _named("product_id")]}


class MessageBody(internal.MessageCreateSchema):
    """A reply (the customer sees it) or an internal note (agents only)."""


class StatusBody(internal.StatusChangeSchema):
    pass


class TransferBody(internal.TransferSchema):
    pass


class ReviewReplyBody(internal.ReviewReplySchema):
    pass


class PriorityBody(internal.PrioritySchema):
    class Meta:
        json_schema = {"minProperties": 1}  # the tier, the category or both (its validator's rule)


class EscalateBody(internal.NoteSchema):
    pass


class ComplaintBody(internal.ComplainSchema):
    pass


class RatingBody(internal.RateSchema):
    pass


class OffDutyBody(internal.OffDutySchema):
    """A handover (`handover_to`) comes with a `note` that is not blank (TKT-3)."""

    class Meta:
        json_schema = {"anyOf": [
            {"not": {"required": ["handover_to"]}},
            {"properties": {"handover_to": {"anyOf": [{"type": "null"}, {"maxLength": 0}]}}},
            {"required": ["note"], "properties": {"note": {"pattern": "\\S"}}},
        ]}


class EntitlementBody(internal.EntitlementSchema):
    pass


class EntitlementView(internal.EntitlementOutSchema):
    pass


class ServiceHoursBody(internal.ServiceHoursSchema):
    pass


class ServiceHoursView(internal.ServiceHoursOutSchema):
    pass


class TicketQuery(internal.TicketFilterSchema):
    pass


class ExportQuery(internal.TicketFilterSchema):
    format = fields.String(load_default="csv", validate=validate.OneOf(("csv", "xlsx")))

    class Meta:
        exclude = ("limit", "offset")


class _TicketNames(Schema):
    """Names beside ids (LOC-1): the console shows people and organisations, not ids."""

    assignee_name = fields.String(allow_none=True, metadata={"example": "Li Lei"})
    provider_name = fields.String(allow_none=True, metadata={"example": "Provider A"})
    customer_org_name = fields.String(allow_none=True, metadata={"example": "Buyer Co"})


class TicketView(internal.TicketSchema, _TicketNames):
    people = fields.Dict(keys=fields.String(), values=fields.String(), metadata={
        "description": "user id -> display name of the assignee and of everyone in the messages and the log"})


class TicketSummaryView(internal.TicketSummarySchema, _TicketNames):
    pass


class TicketPage(Schema):
    items = fields.List(fields.Nested(TicketSummaryView))
    total = fields.Integer()
    limit = fields.Integer()
    offset = fields.Integer()


# What only the provider's staff and the platform see of a ticket (TKT-4, TKT-5, TKT-7): who works on
# it, its place in the queue, complaint suspicions, service-level figures and timers, the log.
STAFF_FIELDS = ("assignee_id", "assignee_name", "escalated", "suspected", "breached", "priority_rank",
                "first_response_seconds", "resolution_seconds", "next_due_at", "timers", "log")
# list filters on those fields: the staff's only (a customer naming one is answered 400 naming it)
STAFF_FILTERS = ("suspected", "breached", "escalated", "unassigned", "assignee_id")


class CustomerTicketSummaryView(TicketSummaryView):
    """A row of a customer's ticket list and export: the ticket without the staff's fields."""

    class Meta:
        exclude = tuple(f for f in STAFF_FIELDS if f != "log")


class CustomerTicketView(TicketView):
    """A customer's ticket: replies, status and rating, without the staff's fields."""

    class Meta:
        exclude = STAFF_FIELDS
class CannedReplyQuery(internal.CannedReplyQuerySchema):
    pass


class DutyView(internal.DutySchema):
    pass


class AgentDutyBody(internal.AgentDutySchema):
    pass


class RosterEntry(internal.RosterEntrySchema):
    user_name = fields.String(allow_none=True, metadata={"example": "Li Lei"})


class CannedReply(internal.CannedReplySchema):
    pass


class WordList(internal.WordListSchema):
    pass


class ReportQuery(internal.ReportQuerySchema):
    pass


class ReportExportQuery(internal.ReportQuerySchema):
    format = fields.String(load_default="csv", validate=validate.OneOf(("csv", "xlsx")))


class ReportView(internal.ReportSchema):
    pass


class AttachmentUpload(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200), metadata={"example": "error.png"})
    content_type = fields.String(load_default="application/octet-stream", metadata={"example": "image/png"})
    content_base64 = fields.String(required=True, validate=[validate.Length(min=4), validate.Regexp(BASE64)],
                                   metadata={"description": "the file, base64 (RFC 4648, padded); at most 20 MB"})


class AttachmentView(internal.AttachmentSchema):
    """Send it back in a message's `attachments` to attach the file."""
