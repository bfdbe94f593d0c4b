"""Events of dispatch_svc (providers and employees chosen by capacity)."""
from marshmallow import Schema, fields, validate

from platform_kit.contracts import register


class ProviderAssigned(Schema):
    project_id = fields.String(required=True)
    provider_id = fields.String(required=True)
    product_id = fields.String(required=True)
    node_key = fields.String(required=True)
    round = fields.Integer(required=True)
    rule = fields.String(required=True, validate=validate.OneOf(("weighted", "vendor_self")), metadata={
        "description": "weighted: chosen among the configured providers (DSP-2); "
                       "vendor_self: no provider configured, the vendor delivers itself (DSP-1)"})


class ProviderQueued(Schema):
    project_id = fields.String(required=True)
    product_id = fields.String(required=True)
    node_key = fields.String(required=True)
    round = fields.Integer(required=True)
    reason = fields.String(required=True)


register("provider_assigned", source="dispatch", schema=ProviderAssigned,
         description="A project's provider was chosen (DSP-1, DSP-2); project_svc advances the flow, "
                     "notify_svc tells the provider.")
register("provider_queued", source="dispatch", schema=ProviderQueued,
         description="No provider has spare capacity: the project waits in the dispatch queue (DSP-3).")


class EmployeeAssigned(Schema):
    project_id = fields.String(required=True)
    provider_id = fields.String(required=True)
    node_key = fields.String(required=True)
    round = fields.Integer(required=True)
    user_id = fields.String(required=True, metadata={"description": "the node's operator from now on"})
    role = fields.String(required=True)
    rule = fields.String(required=True, validate=validate.OneOf(
        ("least_loaded", "department_first", "manual", "provider_admin", "reassigned")), metadata={
        "description": "least_loaded (DSP-5), department_first (DSP-6), manual: changed by the provider "
                       "admin (PRJ-6), provider_admin: the flow has no assign-order node, reassigned: "
                       "the operator was deactivated and dispatch chose another by the same rule"})
    by = fields.String(allow_none=True, load_default=None, metadata={
        "description": "manual: the provider admin who changed the operator (null: dispatch chose)"})
    note = fields.String(load_default="", metadata={"description": "manual: the provider admin's note"})


class EmployeeQueued(Schema):
    project_id = fields.String(required=True)
    provider_id = fields.String(required=True)
    node_key = fields.String(required=True)
    round = fields.Integer(required=True)
    reason = fields.String(required=True)


class OrderClaimed(Schema):
    project_id = fields.String(required=True)
    order_id = fields.String(required=True)
    provider_id = fields.String(required=True)
    node_key = fields.String(required=True)
    round = fields.Integer(required=True)
    user_id = fields.String(required=True)
    department_id = fields.String(allow_none=True, load_default=None)


class SaturationChanged(Schema):
    product_id = fields.String(required=True)
    provider_id = fields.String(required=True)
    vendor_id = fields.String(required=True)
    held = fields.Integer(required=True)
    max_held = fields.Integer(required=True)


register("employee_assigned", source="dispatch", schema=EmployeeAssigned,
         description="An employee became the operator of a project's node (DSP-5, DSP-6, PRJ-6); project_svc "
                     "records the operator and advances past the assign-order node.")
register("employee_queued", source="dispatch", schema=EmployeeQueued,
         description="No employee of the role is open with spare capacity: the project waits in the "
                     "provider's employee-level queue (DSP-5).")
register("order_claimed", source="dispatch", schema=OrderClaimed,
         description="A customer manager claimed the order at a claim-order node (DSP-7); project_svc "
                     "advances, and a later department-first assign-order dispatches inside that department.")
register("saturation_changed", source="dispatch", schema=SaturationChanged,
         description="A provider's held orders or maximum for a product changed (PRJ-11 saturation).")


class ProductProvidersSet(Schema):
    product_id = fields.String(required=True)
    vendor_id = fields.String(required=True)
    provider_ids = fields.List(fields.String(), required=True, metadata={
        "description": "every provider that delivers the product now; empty: the vendor delivers itself"})


register("product_providers_set", source="dispatch", schema=ProductProvidersSet,
         description="The providers of a product were set or changed (DSP-1); template_svc shows the product's "
                     "provider configuration status.")
