from marshmallow import Schema, fields, validate

from dispatch_svc.domain.choice import MAX_HELD_LIMIT


class ProviderConfigSchema(Schema):
    provider_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    weight = fields.Integer(required=True, validate=validate.Range(min=0, max=10000))
    max_held = fields.Integer(required=True, validate=validate.Range(min=0, max=MAX_HELD_LIMIT))


class SetProductProvidersSchema(Schema):
    product_id = fields.String(required=True)
    vendor_id = fields.String(required=True)
    providers = fields.List(fields.Nested(ProviderConfigSchema), required=True)


class ProductProviderSchema(Schema):
    product_id = fields.String()
    provider_id = fields.String()
    weight = fields.Integer()
    max_held = fields.Integer()
    held = fields.Integer()


class QueuedProjectSchema(Schema):
    project_id = fields.String()
    product_id = fields.String()
    vendor_id = fields.String()
    node_key = fields.String()
    round = fields.Integer()
    reason = fields.String()
    enqueued_at = fields.AwareDateTime()
