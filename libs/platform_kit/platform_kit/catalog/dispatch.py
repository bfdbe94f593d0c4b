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
