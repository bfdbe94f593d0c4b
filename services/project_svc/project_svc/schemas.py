from marshmallow import Schema, fields, validate

from project_svc.domain.model import STATUSES


class PurchaseSchema(Schema):
    """A marketplace purchase (the order that becomes a project)."""

    order_id = fields.String(required=True, validate=validate.Length(min=1, max=64),
                             metadata={"description": "the marketplace order id; one project per order",
                                       "example": "ORD-20261121-0001"})
    product_id = fields.String(required=True, validate=validate.Length(min=1, max=64),
                               metadata={"example": "prod-erp-install"})
    customer_id = fields.String(required=True, validate=validate.Length(min=1, max=36),
                                metadata={"example": "cust-acme"})


class NodeSchema(Schema):
    key = fields.String()
    kind = fields.String()
    name = fields.String()
    role = fields.String(allow_none=True)


class LogEntrySchema(Schema):
    at = fields.AwareDateTime()
    action = fields.String()
    node_key = fields.String(allow_none=True)
    actor = fields.String()
    note = fields.String()


class ProjectSchema(Schema):
    id = fields.String()
    order_id = fields.String()
    product_id = fields.String()
    vendor_id = fields.String()
    customer_id = fields.String()
    provider_id = fields.String(allow_none=True)
    template_id = fields.String()
    template_version = fields.Integer()
    status = fields.String(validate=validate.OneOf(STATUSES))
    round = fields.Integer()
    current_node = fields.Nested(NodeSchema)
    nodes = fields.List(fields.Nested(NodeSchema))
    log = fields.List(fields.Nested(LogEntrySchema))


class PurchaseResultSchema(Schema):
    created = fields.Boolean(metadata={"description": "false when the order already had its project"})
    project = fields.Nested(ProjectSchema)


class ProjectFilterSchema(Schema):
    status = fields.String(validate=validate.OneOf(STATUSES), load_default=None)
    vendor_id = fields.String(load_default=None)
    provider_id = fields.String(load_default=None)
    customer_id = fields.String(load_default=None)
    limit = fields.Integer(validate=validate.Range(min=1, max=200), load_default=50)
    offset = fields.Integer(validate=validate.Range(min=0), load_default=0)


class ProjectSummarySchema(ProjectSchema):
    """A row of a project list: everything but the node list and the flow log."""

    class Meta:
        exclude = ("log", "nodes")


class ProjectPageSchema(Schema):
    items = fields.List(fields.Nested(ProjectSummarySchema))
    total = fields.Integer()
    limit = fields.Integer()
    offset = fields.Integer()
