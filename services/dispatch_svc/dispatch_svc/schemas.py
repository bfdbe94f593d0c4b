"""Payloads of dispatch_svc's RPCs (its internal contract); the gateway has its own public schemas."""
from marshmallow import Schema, fields, validate

from dispatch_svc.domain.choice import MAX_HELD_LIMIT
from dispatch_svc.domain.model import MAX_CAPACITY, MAX_WEIGHT, MIN_MAX_HELD

LEVELS = ("provider", "employee")


class ProviderConfigSchema(Schema):
    provider_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    weight = fields.Integer(required=True, validate=validate.Range(min=1, max=MAX_WEIGHT))
    max_held = fields.Integer(required=True, validate=validate.Range(min=MIN_MAX_HELD, max=MAX_HELD_LIMIT))


class SetProductProvidersSchema(Schema):
    product_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    vendor_id = fields.String(validate=validate.Length(min=1, max=36), metadata={
        "description": "the platform operator names the vendor; a vendor sets its own products"})
    providers = fields.List(fields.Nested(ProviderConfigSchema), required=True)


class ProductProviderSchema(Schema):
    product_id = fields.String()
    vendor_id = fields.String(allow_none=True)
    provider_id = fields.String()
    weight = fields.Integer()
    max_held = fields.Integer()
    held = fields.Integer()


class SaturationSchema(Schema):
    product_id = fields.String()
    provider_id = fields.String()
    vendor_id = fields.String()
    held = fields.Integer()
    max_held = fields.Integer()
    saturation = fields.Method("_ratio", metadata={"description": "held ÷ max_held, 0..1 (more when lowered)"})

    def _ratio(self, row) -> float:
        return round(row["held"] / row["max_held"], 4) if row["max_held"] else 1.0


class SaturationQuerySchema(Schema):
    product_id = fields.String()


class QueueQuerySchema(Schema):
    level = fields.String(validate=validate.OneOf(LEVELS))
    product_id = fields.String()
    vendor_id = fields.String()
    provider_id = fields.String()
    sort = fields.String(load_default="enqueued_at", validate=validate.OneOf(
        [f"{d}{f}" for f in ("enqueued_at", "project_id", "product_id", "reason") for d in ("", "-")]))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0))


class QueuedProjectSchema(Schema):
    project_id = fields.String()
    order_id = fields.String(allow_none=True)
    product_id = fields.String()
    vendor_id = fields.String()
    provider_id = fields.String(allow_none=True)
    level = fields.String()
    node_key = fields.String()
    round = fields.Integer()
    role = fields.String(allow_none=True)
    reason = fields.String()
    enqueued_at = fields.AwareDateTime()
    waited_seconds = fields.Integer()


class QueuePageSchema(Schema):
    items = fields.List(fields.Nested(QueuedProjectSchema))
    total = fields.Integer()
    limit = fields.Integer()
    offset = fields.Integer()


class EmployeeSettingsSchema(Schema):
    capacity = fields.Integer(validate=validate.Range(min=0, max=MAX_CAPACITY))
    open = fields.Boolean()


class EmployeeSchema(Schema):
    user_id = fields.String()
    org_id = fields.String()
    display_name = fields.String()
    roles = fields.List(fields.String())
    department_id = fields.String(allow_none=True)
    active = fields.Boolean()
    capacity = fields.Integer()
    open = fields.Boolean()
    held = fields.Integer()


class EmployeeQuerySchema(Schema):
    role = fields.String()
    department_id = fields.String()
    open = fields.Boolean()
    sort = fields.String(load_default="user_id", validate=validate.OneOf(
        [f"{d}{f}" for f in ("user_id", "display_name", "capacity", "held") for d in ("", "-")]))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0))


class EmployeePageSchema(Schema):
    items = fields.List(fields.Nested(EmployeeSchema))
    total = fields.Integer()
    limit = fields.Integer()
    offset = fields.Integer()


class ClaimSchema(Schema):
    order_id = fields.String(required=True, validate=validate.Length(min=1, max=64))


class ChangeOperatorSchema(Schema):
    project_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    user_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    node_key = fields.String(validate=validate.Length(min=1, max=64), metadata={
        "description": "the assign-order node whose operator changes; the latest one when left out"})
    note = fields.String(load_default="", validate=validate.Length(max=2000),
                         metadata={"description": "why: kept in the project's flow log"})


class UserSnapshotSchema(Schema):
    user_id = fields.String(required=True)
    org_id = fields.String(required=True)
    org_kind = fields.String(required=True)
    display_name = fields.String(load_default="")
    roles = fields.List(fields.String(), required=True)
    department_id = fields.String(allow_none=True, load_default=None)
    active = fields.Boolean(load_default=True)
