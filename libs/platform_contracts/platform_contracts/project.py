"""Events of project_svc (the delivery projects)."""
from marshmallow import Schema, fields, validate

from platform_contracts.nodes import NODE_KINDS, TRIGGERS
from platform_kit.contracts import register


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
    settings = fields.Dict(load_default=dict, metadata={
        "description": "the node's settings from the frozen flow (platform_contracts.nodes), e.g. "
                       "`rule` of an assign-order node"})
    self_served = fields.Boolean(load_default=False, metadata={
        "description": "the flow has neither an assign-order nor a claim node: the provider's main "
                       "account delivers and holds the project against its own capacity"})


class ProjectClosed(Schema):
    project_id = fields.String(required=True)
    order_id = fields.String(required=True)
    product_id = fields.String(required=True)
    vendor_id = fields.String(required=True)
    customer_id = fields.String(required=True)
    provider_id = fields.String(allow_none=True, load_default=None)
    round = fields.Integer(required=True)
    reason = fields.String(load_default="")


class ProviderChanged(Schema):
    project_id = fields.String(required=True)
    product_id = fields.String(required=True)
    old_provider_id = fields.String(allow_none=True, load_default=None)
    round = fields.Integer(required=True, metadata={"description": "the new round the flow restarts in"})
    note = fields.String(load_default="")


class ReminderDue(Schema):
    """One reminder rule of a node fired (TPL-10); notify_svc resolves the receivers and sends."""

    project_id = fields.String(required=True)
    order_id = fields.String(required=True)
    product_id = fields.String(required=True)
    vendor_id = fields.String(required=True)
    customer_id = fields.String(required=True)
    provider_id = fields.String(allow_none=True, load_default=None)
    operator_user_id = fields.String(allow_none=True, load_default=None)
    node_key = fields.String(required=True)
    node_name = fields.String(required=True)
    trigger = fields.String(required=True, validate=validate.OneOf(TRIGGERS))
    receivers = fields.List(fields.String(), required=True)
    message_template = fields.String(required=True)
    variables = fields.Dict(load_default=dict, metadata={"description": "values for the message template"})


register("project_created", source="project", schema=ProjectCreated,
         description="A purchase became a delivery project (PRJ-1).")
register("node_reached", source="project", schema=NodeReached,
         description="A project arrived at a node of its flow; dispatch acts on 'assign provider' "
                     "(and later 'assign order') nodes.")
register("project_completed", source="project", schema=ProjectClosed,
         description="The customer confirmed completion (TPL-9); dispatch frees the held orders (DSP-9).")
register("project_cancelled", source="project", schema=ProjectClosed,
         description="The vendor or the operator cancelled the project; dispatch frees the held orders (DSP-9).")
register("project_provider_changed", source="project", schema=ProviderChanged,
         description="The vendor changed the provider (PRJ-5): dispatch frees the old provider's and "
                     "employee's held orders; the flow restarts at 'assign provider' in the new round.")
register("reminder_due", source="project", schema=ReminderDue,
         description="A node's reminder rule fired (node reached, timeout, completed, rejected; TPL-10); "
                     "notify_svc fans it out to the receivers on their channels.")


class NodeCompleted(Schema):
    project_id = fields.String(required=True)
    order_id = fields.String(required=True)
    node_key = fields.String(required=True)
    node_kind = fields.String(required=True, validate=validate.OneOf(NODE_KINDS))
    node_name = fields.String(required=True)
    round = fields.Integer(required=True)
    by = fields.String(required=True, metadata={
        "description": "the user who passed the node, `dispatch`, or `system` (advanced or confirmed on timeout)"})


class ProjectRated(Schema):
    project_id = fields.String(required=True)
    order_id = fields.String(required=True)
    product_id = fields.String(required=True)
    vendor_id = fields.String(required=True)
    provider_id = fields.String(allow_none=True, load_default=None)
    score = fields.Integer(required=True, validate=validate.Range(min=1, max=5))
    comment = fields.String(load_default="")


register("node_completed", source="project", schema=NodeCompleted,
         description="A node of a project's flow was passed (confirmed, finished, submitted, assigned, claimed, "
                     "or advanced on timeout); billing's staged payments use passed confirm nodes as milestones.")
register("project_paused", source="project", schema=ProjectClosed,
         description="The provider admin paused the project (PRJ-8); `reason` is the note. Its node clock is frozen.")
register("project_resumed", source="project", schema=ProjectClosed,
         description="The provider admin resumed the project (PRJ-8); the node clock continues with what it had left.")
register("project_rated", source="project", schema=ProjectRated,
         description="The customer rated a completed project (PRJ-9).")
