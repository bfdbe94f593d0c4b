"""Schemas of notify_svc's RPC payloads (its internal contract; the gateway has its own)."""
from marshmallow import EXCLUDE, Schema, fields, validate

from notify_svc.domain.delivery import STATUSES
from notify_svc.domain.templates import VARIABLE_TYPES
from platform_contracts.nodes import NODE_KINDS, RECEIVERS, TRIGGERS
from platform_contracts.notify import CHANNELS

LANGUAGES = ("zh-CN", "en")


class PageQuery(Schema):
    class Meta:
        unknown = EXCLUDE

    limit = fields.Integer(validate=validate.Range(min=1, max=200), load_default=50)
    offset = fields.Integer(validate=validate.Range(min=0), load_default=0)


class InboxQuerySchema(PageQuery):
    unread_only = fields.Boolean(load_default=False)


class InboxMessageSchema(Schema):
    id = fields.String()
    title = fields.String()
    body = fields.String()
    link = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()
    read_at = fields.AwareDateTime(allow_none=True)


class InboxPageSchema(Schema):
    items = fields.List(fields.Nested(InboxMessageSchema))
    total = fields.Integer()
    unread = fields.Integer()
    limit = fields.Integer()
    offset = fields.Integer()


class MarkedSchema(Schema):
    marked = fields.Integer(metadata={"description": "how many messages turned read"})


class VariableSchema(Schema):
    name = fields.String(required=True, validate=validate.Regexp(r"^[a-z_][a-z0-9_]{0,49}$"))
    type = fields.String(load_default="string", validate=validate.OneOf(VARIABLE_TYPES))
    description = fields.String(load_default="", validate=validate.Length(max=500))
    sample = fields.String(load_default="", validate=validate.Length(max=500))


class ContentSchema(Schema):
    language = fields.String(load_default="zh-CN", validate=validate.OneOf(LANGUAGES))
    channel = fields.String(load_default="*", validate=validate.OneOf(("*", *CHANNELS)))
    subject = fields.String(load_default="", validate=validate.Length(max=500))
    body = fields.String(required=True, validate=validate.Length(min=1, max=5000))


class TemplateFieldsSchema(Schema):
    description = fields.String(load_default="", validate=validate.Length(max=1000))
    node_kind = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(NODE_KINDS))
    trigger = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(TRIGGERS))
    recipient = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=40),
                              metadata={"description": f"one of {', '.join(RECEIVERS)} or another audience"})
    variables = fields.List(fields.Nested(VariableSchema), required=True, validate=validate.Length(max=50))
    contents = fields.List(fields.Nested(ContentSchema), required=True, validate=validate.Length(min=1, max=20))
    channels = fields.List(fields.String(validate=validate.OneOf(CHANNELS)), required=True,
                           validate=validate.Length(min=1))


class TemplateCreateSchema(TemplateFieldsSchema):
    name = fields.String(required=True, validate=validate.Length(min=3, max=200), metadata={
        "description": 'named "node – notify recipient", e.g. "complete project – notify customer"'})


class TemplateSchema(TemplateCreateSchema):
    id = fields.String()
    builtin = fields.Boolean()
    updated_at = fields.AwareDateTime(allow_none=True)


class TemplateFilterSchema(PageQuery):
    name = fields.String(load_default=None, data_key="name", metadata={"description": "part of the name"})
    node_kind = fields.String(load_default=None, validate=validate.OneOf(NODE_KINDS))
    recipient = fields.String(load_default=None)
    trigger = fields.String(load_default=None, validate=validate.OneOf(TRIGGERS))
    sort = fields.String(load_default="name", validate=validate.OneOf(("name", "-name", "updated_at", "-updated_at")))


class TemplatePageSchema(Schema):
    items = fields.List(fields.Nested(TemplateSchema))
    total = fields.Integer()
    limit = fields.Integer()
    offset = fields.Integer()


class PreviewSchema(Schema):
    channel = fields.String(load_default="email", validate=validate.OneOf(CHANNELS))
    language = fields.String(load_default="zh-CN", validate=validate.OneOf(LANGUAGES))
    variables = fields.Dict(load_default=dict, metadata={"description": "values; samples fill the rest"})


class RenderedSchema(Schema):
    subject = fields.String()
    body = fields.String()


class AttemptSchema(Schema):
    at = fields.AwareDateTime()
    provider = fields.String()
    ok = fields.Boolean()
    answer = fields.String()


class DeliverySchema(Schema):
    id = fields.String()
    channel = fields.String()
    template = fields.String()
    recipient_user_id = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    subject = fields.String()
    body = fields.String()
    urgent = fields.Boolean()
    status = fields.String()
    attempts = fields.List(fields.Nested(AttemptSchema))
    last_error = fields.String(allow_none=True)
    due_at = fields.AwareDateTime(allow_none=True)
    created_at = fields.AwareDateTime(allow_none=True)
    sent_at = fields.AwareDateTime(allow_none=True)
    digest_of = fields.List(fields.String())


class DeliveryFilterSchema(PageQuery):
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES))
    channel = fields.String(load_default=None, validate=validate.OneOf(CHANNELS))
    template = fields.String(load_default=None)
    recipient_user_id = fields.String(load_default=None)
    sort = fields.String(load_default="-created_at", validate=validate.OneOf(
        ("created_at", "-created_at", "status", "-status", "channel", "-channel")))


class DeliveryPageSchema(Schema):
    items = fields.List(fields.Nested(DeliverySchema))
    total = fields.Integer()
    limit = fields.Integer()
    offset = fields.Integer()


class PreferencesSchema(Schema):
    channels = fields.List(fields.String(validate=validate.OneOf(CHANNELS)), load_default=None)
    language = fields.String(load_default=None, validate=validate.OneOf(LANGUAGES))
    timezone = fields.String(load_default=None, validate=validate.Length(max=60))


class EndpointCreateSchema(Schema):
    url = fields.String(required=True, validate=validate.Length(min=8, max=2000))
    event_types = fields.List(fields.String(), required=True, validate=validate.Length(min=1, max=100))
    description = fields.String(load_default="", validate=validate.Length(max=500))
    org_id = fields.String(load_default=None, allow_none=True, metadata={
        "description": "platform operators only: the organisation that owns it (default: yours)"})


class EndpointUpdateSchema(Schema):
    url = fields.String(load_default=None, validate=validate.Length(min=8, max=2000))
    event_types = fields.List(fields.String(), load_default=None, validate=validate.Length(min=1, max=100))
    description = fields.String(load_default=None, validate=validate.Length(max=500))
    enabled = fields.Boolean(load_default=None)


class EndpointSchema(Schema):
    id = fields.String()
    org_id = fields.String()
    url = fields.String()
    event_types = fields.List(fields.String())
    description = fields.String()
    enabled = fields.Boolean()
    disabled_reason = fields.String(allow_none=True)
    failing_since = fields.AwareDateTime(allow_none=True)
    previous_secret_expires_at = fields.AwareDateTime(allow_none=True, metadata={
        "description": "until then deliveries carry a second signature with the previous secret"})
    created_at = fields.AwareDateTime(allow_none=True)


class EndpointWithSecretSchema(EndpointSchema):
    secret = fields.String(metadata={"description": "shown only when created or rotated; signs every delivery"})


class EndpointListSchema(Schema):
    items = fields.List(fields.Nested(EndpointSchema))
    total = fields.Integer()


class WebhookDeliverySchema(Schema):
    id = fields.String()
    endpoint_id = fields.String()
    event_id = fields.String()
    event_type = fields.String()
    payload = fields.Dict()
    status = fields.String()
    attempts = fields.Integer()
    last_status = fields.Integer(allow_none=True)
    last_error = fields.String(allow_none=True)
    created_at = fields.AwareDateTime(allow_none=True)
    delivered_at = fields.AwareDateTime(allow_none=True)
    next_attempt_at = fields.AwareDateTime(allow_none=True)


class WebhookDeliveryFilterSchema(PageQuery):
    endpoint_id = fields.String(load_default=None)
    status = fields.String(load_default=None, validate=validate.OneOf(("pending", "delivered", "failed")))
    event_type = fields.String(load_default=None)
    sort = fields.String(load_default="-created_at", validate=validate.OneOf(
        ("created_at", "-created_at", "status", "-status")))


class WebhookDeliveryPageSchema(Schema):
    items = fields.List(fields.Nested(WebhookDeliverySchema))
    total = fields.Integer()
    limit = fields.Integer()
    offset = fields.Integer()


class EventTypesSchema(Schema):
    items = fields.List(fields.String())
