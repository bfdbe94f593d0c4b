"""The public HTTP contract of notifications: the in-site inbox (NTF-5), preferences, message
templates (NTF-1), the delivery log (NTF-4) and webhooks for enterprise systems (GW-5).

Mirrors notify_svc's internal schemas where they agree; these classes are what integrators rely on.
"""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from notify_svc import schemas as internal
from notify_svc.service import KNOWN_WEBHOOK_EVENTS  # the catalogue webhooks may subscribe to (GW-5)


class InboxQuery(internal.InboxQuerySchema):
    pass


class InboxMessageView(internal.InboxMessageSchema):
    pass


class InboxPage(internal.InboxPageSchema):
    items = fields.List(fields.Nested(InboxMessageView))


class InboxMarked(internal.MarkedSchema):
    pass


class NotificationPreferences(internal.PreferencesSchema):
    """Which channels reach you (inbox, sms, email, dingtalk, wechat_work), your language and time zone
    (quiet hours hold non-urgent SMS until 08:00 there)."""


class MessageTemplateVariable(internal.VariableSchema):
    pass


class MessageTemplateContent(internal.ContentSchema):
    """A subject and body in one language for one channel (`*`: every channel without its own)."""


class MessageTemplateBody(internal.TemplateCreateSchema):
    """Variables are `{{ name }}` (Jinja2, sandboxed); using one that is not declared is refused."""

    variables = fields.List(fields.Nested(MessageTemplateVariable), required=True, validate=validate.Length(max=50),
                            metadata={
        "example": [{"name": "order_id", "type": "string", "sample": "ord-1001"}]})
    contents = fields.List(fields.Nested(MessageTemplateContent), required=True,
                           validate=validate.Length(min=1, max=20), metadata={
        "example": [{"language": "zh-CN", "channel": "*", "subject": "订单 {{ order_id }} 已完成",
                     "body": "您的订单 {{ order_id }} 已完成交付。"}]})


class MessageTemplateChange(internal.TemplateFieldsSchema):
    variables = fields.List(fields.Nested(MessageTemplateVariable), required=True, validate=validate.Length(max=50))
    contents = fields.List(fields.Nested(MessageTemplateContent), required=True,
                           validate=validate.Length(min=1, max=20))


class MessageTemplateView(internal.TemplateSchema):
    variables = fields.List(fields.Nested(MessageTemplateVariable))
    contents = fields.List(fields.Nested(MessageTemplateContent))


class MessageTemplateQuery(internal.TemplateFilterSchema):
    pass


class MessageTemplatePage(internal.TemplatePageSchema):
    items = fields.List(fields.Nested(MessageTemplateView))


class MessageTemplateDeleted(Schema):
    id = fields.String()
    name = fields.String()
    deleted = fields.Boolean()


class MessageTemplatePreviewBody(internal.PreviewSchema):
    pass


class MessageTemplatePreview(internal.RenderedSchema):
    pass


class DeliveryAttemptView(internal.AttemptSchema):
    pass


class DeliveryView(internal.DeliverySchema):
    attempts = fields.List(fields.Nested(DeliveryAttemptView))


class DeliveryQuery(internal.DeliveryFilterSchema):
    pass


class DeliveryPage(internal.DeliveryPageSchema):
    items = fields.List(fields.Nested(DeliveryView))


EVENT_TYPE = fields.String(validate=validate.OneOf(sorted(KNOWN_WEBHOOK_EVENTS)))


class WebhookEndpointBody(internal.EndpointCreateSchema):
    """Events of the catalogue (`GET /api/v1/webhook-event-types`) you are a party of are POSTed to `url`,
    signed: `X-Platform-Signature: t=<unix time>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`.
    A URL that is not http(s) or leads into the platform's own network is refused with 422."""

    event_types = fields.List(EVENT_TYPE, required=True, validate=validate.Length(min=1, max=100),
                              metadata={"example": ["project_completed"]})


class WebhookEndpointChange(internal.EndpointUpdateSchema):
    """`enabled: true` re-enables an endpoint that was disabled after failing for a day."""

    event_types = fields.List(EVENT_TYPE, load_default=None, validate=validate.Length(min=1, max=100))


class WebhookEndpointView(internal.EndpointSchema):
    pass


class WebhookEndpointWithSecret(internal.EndpointWithSecretSchema):
    pass


class WebhookEndpointList(internal.EndpointListSchema):
    items = fields.List(fields.Nested(WebhookEndpointView))


class WebhookEndpointDeleted(Schema):
    id = fields.String()
    deleted = fields.Boolean()


class WebhookDeliveryView(internal.WebhookDeliverySchema):
    pass


class WebhookDeliveryQuery(internal.WebhookDeliveryFilterSchema):
    pass


class WebhookDeliveryPage(internal.WebhookDeliveryPageSchema):
    items = fields.List(fields.Nested(WebhookDeliveryView))


class WebhookEventTypes(internal.EventTypesSchema):
    pass
