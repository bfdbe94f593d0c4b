"""The public HTTP contract of notifications: the in-site inbox (NTF-5), preferences, message
templates (NTF-1), the delivery log (NTF-4) and webhooks for enterprise systems (GW-5).

Mirrors notify_svc's internal schemas where they agree; these classes are what integrators rely on.
"""
from __future__ import annotations

from marshmallow import Schema, fields

from notify_svc import schemas as internal


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

    variables = fields.List(fields.Nested(MessageTemplateVariable), required=True, metadata={
        "example": [{"name": "order_id", "type": "string", "sample": "ord-1001"}]})
    contents = fields.List(fields.Nested(MessageTemplateContent), required=True, metadata={
        "example": [{"language": "zh-CN", "channel": "*", "subject": "订单 {{ order_id }} 已完成",
                     "body": "您的订单 {{ order_id }} 已完成交付。"}]})


class MessageTemplateChange(internal.TemplateFieldsSchema):
    variables = fields.List(fields.Nested(MessageTemplateVariable), required=True)
    contents = fields.List(fields.Nested(MessageTemplateContent), required=True)


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


class WebhookEndpointBody(internal.EndpointCreateSchema):
    """Events of the catalogue (`GET /api/v1/webhook-event-types`) you are a party of are POSTed to `url`,
    signed: `X-Platform-Signature: t=<unix time>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`."""


class WebhookEndpointChange(internal.EndpointUpdateSchema):
    """`enabled: true` re-enables an endpoint that was disabled after failing for a day."""


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
