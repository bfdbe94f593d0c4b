"""Events of ticket_svc (after-sales tickets and their service-level timers, TKT-1..9)."""
from marshmallow import Schema, fields, validate

from platform_contracts.notify import NotificationRequest
from platform_kit.contracts import register

TICKET_STATUSES = ("processing", "awaiting_feedback", "awaiting_confirmation", "resolved", "closed")
# the side a reader sees a ticket from (``your_side`` of every ticket and list row): ticket_svc
# decides it with its one access rule; the gateway shapes a customer's answer by it
CUSTOMER_SIDE = "customer"


class TicketOpened(Schema):
    ticket_id = fields.String(required=True)
    customer_org_id = fields.String(required=True)
    provider_id = fields.String(required=True)
    vendor_id = fields.String(allow_none=True, load_default=None)
    category = fields.String(required=True)
    tier = fields.String(allow_none=True, load_default=None)
    order_id = fields.String(allow_none=True, load_default=None)
    project_id = fields.String(allow_none=True, load_default=None)
    product_id = fields.String(allow_none=True, load_default=None)
    assignee_id = fields.String(allow_none=True, load_default=None)


class TicketStatusChanged(Schema):
    ticket_id = fields.String(required=True)
    provider_id = fields.String(required=True)
    customer_org_id = fields.String(required=True)
    from_status = fields.String(required=True, validate=validate.OneOf(TICKET_STATUSES))
    to_status = fields.String(required=True, validate=validate.OneOf(TICKET_STATUSES))
    side = fields.String(required=True, validate=validate.OneOf(("customer", "agent", "system")))


class TicketSlaBreached(Schema):
    ticket_id = fields.String(required=True)
    provider_id = fields.String(required=True)
    assignee_id = fields.String(allow_none=True, load_default=None)
    timer = fields.String(required=True, validate=validate.OneOf(
        ("first_response", "plan", "reply", "resolution", "same_day")))


register("ticket_notification_requested", source="ticket", schema=NotificationRequest,
         description="A ticket reminder, SLA warning or breach, suspected complaint or escalation to deliver "
                     "(TKT-4, TKT-5, TKT-6); notify_svc fans it out to the receivers (NTF-3).")
register("ticket_opened", source="ticket", schema=TicketOpened,
         description="A customer opened an after-sales ticket, routed to the provider (or vendor) delivering it.")
register("ticket_status_changed", source="ticket", schema=TicketStatusChanged,
         description="A ticket changed status (TKT-1), by the customer, an agent or an automatic rule (TKT-6).")
register("ticket_sla_breached", source="ticket", schema=TicketSlaBreached,
         description="A ticket's service-level target passed unmet (TKT-5, TKT-8); recorded once per target.")
