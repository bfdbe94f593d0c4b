from marshmallow import Schema, fields, validate

from platform_contracts.nodes import NODE_KINDS


class NodeSchema(Schema):
    key = fields.String(required=True, validate=validate.Length(min=1, max=64))
    kind = fields.String(required=True, validate=validate.OneOf(NODE_KINDS))
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    role = fields.String(allow_none=True, load_default=None)
    options = fields.Dict(load_default=dict)


class CreateTemplateSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    owner_id = fields.String(allow_none=True, load_default=None)
    nodes = fields.List(fields.Nested(NodeSchema), required=True)
    publish = fields.Boolean(load_default=True)


class TemplateSchema(Schema):
    template_id = fields.String()
    version = fields.Integer()
    owner_id = fields.String(allow_none=True)
    name = fields.String()
    status = fields.String()
    nodes = fields.List(fields.Nested(NodeSchema))


class BindProductSchema(Schema):
    product_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    vendor_id = fields.String(required=True)
    product_code = fields.String(required=True)
    product_name = fields.String(required=True)
    template_id = fields.String(required=True)


class ProductFlowSchema(Schema):
    product_id = fields.String()
    vendor_id = fields.String()
    product_code = fields.String()
    product_name = fields.String()
    template_id = fields.String()
    template_version = fields.Integer()
    nodes = fields.List(fields.Nested(NodeSchema))
