"""Events of template_svc (service-flow templates and product bindings)."""
from marshmallow import Schema, fields

from platform_kit.contracts import register


class ProductTemplateBound(Schema):
    product_id = fields.String(required=True)
    vendor_id = fields.String(required=True)
    product_code = fields.String(load_default="")
    product_name = fields.String(load_default="")
    template_id = fields.String(required=True)
    template_name = fields.String(load_default="")
    template_version = fields.Integer(required=True)
    nodes = fields.List(fields.Dict(), load_default=list, metadata={
        "description": "the frozen flow of that version: nodes with key, kind, name, settings, reminders "
                       "and children (platform_contracts.nodes); projects started from now on run on it"})


register("product_template_bound", source="template", schema=ProductTemplateBound,
         description="A product was bound to an approved template version (TPL-12), or the version it is "
                     "bound to changed; new projects of the product use it. project_svc keeps the flow "
                     "from this event instead of asking template_svc per purchase.")
