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


class TemplateVersionChanged(Schema):
    template_id = fields.String(required=True)
    template_version = fields.Integer(required=True)
    owner_id = fields.String(allow_none=True, load_default=None,
                             metadata={"description": "the vendor; null for a public template"})
    template_name = fields.String(load_default="")
    status = fields.String(required=True, metadata={"description": "pending_approval, approved or rejected"})
    reason = fields.String(load_default=None, allow_none=True,
                           metadata={"description": "the operator's words: why it was rejected, or the "
                                                    "optional note with an approval"})
    by_operator = fields.Boolean(load_default=True, metadata={
        "description": "false when the version was approved at its first publish (TPL-1), with no "
                       "decision of the operator; notify_svc tells the vendor of the operator's decisions"})


register("template_version_submitted", source="template", schema=TemplateVersionChanged,
         description="A template version was published by its owner and awaits the platform operator's "
                     "approval (TPL-1); a public template is approved in the same transaction.")
register("template_version_approved", source="template", schema=TemplateVersionChanged,
         description="A template version was approved (TPL-1): by the operator, or at once at a template's "
                     "first publish; it is now the version the template's products use (each such product "
                     "also gets product_template_bound). notify_svc tells the vendor of the operator's decision.")
register("template_version_rejected", source="template", schema=TemplateVersionChanged,
         description="The operator rejected a template version with a reason (TPL-1); the vendor edits it again. "
                     "notify_svc tells the vendor, with the reason.")
