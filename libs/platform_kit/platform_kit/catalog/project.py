"""Events of project_svc (the delivery projects)."""
from marshmallow import Schema, fields, validate

from platform_kit.contracts import register

NODE_KINDS = ("assign_provider", "container", "submit_requirements", "confirm", "claim_order",
              "assign_order", "generic", "complete_project")


class ProjectCreated(Schema):
    project_id = fields.String(required=True)
    order_id = fields.String(required=True)
    product_id = fields.String(required=True)
    vendor_id = fields.String(required=True)
    customer_id = fields.String(required=True)
    template_id = fields.String(required=True)
    template_version = fields.Integer(required=True)


class NodeReached(Schema):
    project_id = fields.String(required=True)
    order_id = fields.String(required=True)
    product_id = fields.String(required=True)
    vendor_id = fields.String(required=True)
    customer_id = fields.String(required=True)
    provider_id = fields.String(allow_none=True, load_default=None)
    node_key = fields.String(required=True)
    node_kind = fields.String(required=True, validate=validate.OneOf(NODE_KINDS))
    node_name = fields.String(required=True)
    node_index = fields.Integer(required=True)
    role = fields.String(allow_none=True, load_default=None)
    round = fields.Integer(required=True, metadata={
        "description": "increases each time the flow restarts (change of provider)"})


register("project_created", source="project", schema=ProjectCreated,
         description="A purchase became a delivery project (PRJ-1).")
register("node_reached", source="project", schema=NodeReached,
         description="A project arrived at a node of its flow; dispatch acts on 'assign provider' "
                     "(and later 'assign order') nodes.")
