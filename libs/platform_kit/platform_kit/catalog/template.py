"""Events of template_svc (service-flow templates and product bindings)."""
from marshmallow import Schema, fields

from platform_kit.contracts import register


class ProductTemplateBound(Schema):
    product_id = fields.String(required=True)
    vendor_id = fields.String(required=True)
    template_id = fields.String(required=True)
    template_version = fields.Integer(required=True)


register("product_template_bound", source="template", schema=ProductTemplateBound,
         description="A product was bound to a published template version (TPL-12); "
                     "new projects of the product use it.")
