"""Events of notify_svc, and the one schema any service uses to ask for a notification (NTF-3).

A service that wants people told (ticket rules, billing's payment reminders, overdue alerts)
registers its own event with the shared ``NotificationRequest`` schema::

    register("ticket_notification_requested", source="ticket", schema=NotificationRequest,
             description="...")

and adds the event type to ``notify_svc.service.NOTIFICATION_REQUESTS``; notify consumes every
event listed there the same way: resolve the receivers, render ``message_template`` with
``variables``, send on each receiver's channels, once per ``dedupe_key``, receiver and channel.
"""
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from platform_kit.contracts import register

CHANNELS = ("inbox", "sms", "email", "dingtalk", "wechat_work")


class Receiver(Schema):
    """Exactly one way of naming a receiver: a user, an organisation's people (by role, or its
    admins when no role is given), or a bare address."""

    user_id = fields.String(load_default=None, allow_none=True)
    org_id = fields.String(load_default=None, allow_none=True)
    role = fields.String(load_default=None, allow_none=True, metadata={
        "description": "with org_id: everyone of that organisation holding the role; without: its admins"})
    email = fields.Email(load_default=None, allow_none=True)
    phone = fields.String(load_default=None, allow_none=True, validate=validate.Regexp(r"^\+?[0-9]{5,20}$"))

    @validates_schema
    def _one_kind(self, data, **kwargs):
        kinds = [k for k in ("user_id", "org_id", "email", "phone") if data.get(k)]
        if len(kinds) != 1:
            raise ValidationError("name exactly one of user_id, org_id (+ role), email or phone")
        if data.get("role") and not data.get("org_id"):
            raise ValidationError("role needs org_id", "role")


class NotificationRequest(Schema):
    """Ask notify_svc to tell people something (NTF-3). Reusable: register your own event with it."""

    receivers = fields.List(fields.Nested(Receiver), required=True, validate=validate.Length(min=1, max=500))
    message_template = fields.String(required=True, metadata={
        "description": "name of a message template, e.g. 'ticket overdue – notify provider admin'"})
    variables = fields.Dict(load_default=dict, metadata={"description": "values for the template's variables"})
    urgent = fields.Boolean(load_default=False, metadata={
        "description": "urgent messages ignore quiet hours and digests (P0 tickets, overdue payments)"})
    dedupe_key = fields.String(required=True, validate=validate.Length(min=1, max=200), metadata={
        "description": "the same key never sends twice to one receiver on one channel, e.g. "
                       "'payment-overdue:<invoice>:<period>' for once per overdue period"})
    channels = fields.List(fields.String(validate=validate.OneOf(CHANNELS)), load_default=None, allow_none=True,
                           metadata={"description": "limit to these channels (default: the receiver's own)"})
    link = fields.String(load_default=None, allow_none=True, metadata={"description": "in-site link"})


class MessageTemplateChanged(Schema):
    name = fields.String(required=True)
    variables = fields.List(fields.String(), required=True)
    channels = fields.List(fields.String(validate=validate.OneOf(CHANNELS)), required=True)
    deleted = fields.Boolean(required=True)


class DeliveryFailed(Schema):
    delivery_id = fields.String(required=True)
    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    message_template = fields.String(required=True)
    recipient_user_id = fields.String(allow_none=True, load_default=None)
    attempts = fields.Integer(required=True)
    error = fields.String(required=True)


class WebhookEndpointDisabled(Schema):
    endpoint_id = fields.String(required=True)
    org_id = fields.String(required=True)
    url = fields.String(required=True)
    failing_since = fields.AwareDateTime(required=True)
    reason = fields.String(required=True)


register("message_template_changed", source="notify", schema=MessageTemplateChanged,
         description="A message template was created, changed or deleted (NTF-1); template_svc keeps the "
                     "names to validate reminder rules (TPL-10).")
register("notification_delivery_failed", source="notify", schema=DeliveryFailed,
         description="A message gave up on one channel after its retries (NTF-4); an operator may resend it.")
register("webhook_endpoint_disabled", source="notify", schema=WebhookEndpointDisabled,
         description="A webhook endpoint failed for a day and was disabled (GW-5); its owner was told.")
