"""Public schemas of service-flow templates, requirement forms and products (TPL-1..12).

They mirror template_svc's internal schemas; node settings are documented per kind (``oneOf``)
and a request body's errors name each problem by its path (``nodes[3].settings.timeout_days``).
"""
from __future__ import annotations

from apispec import APISpec
from apispec.ext.marshmallow import OpenAPIConverter
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from platform_contracts import nodes as N
from platform_kit.text import INT64_MAX, INT64_MIN, FreeText, Identifier, Int64, Name
from template_svc import schemas as internal
from template_svc.schemas import flatten_errors


def _settings_json_schemas() -> list[dict]:
    converter = OpenAPIConverter("3.0.3", lambda schema: None, APISpec("x", "1", "3.0.3"))
    out = []
    for kind, schema in internal.SETTINGS.items():
        body = converter.schema2jsonschema(schema)
        body["title"] = f"{kind} settings"
        body["description"] = (schema.__doc__ or "").strip()
        body["additionalProperties"] = False
        out.append(body)
    return out


SETTINGS_DOC = {
    "description": "Typed by the node's kind (see the request body's node variants; unknown settings are "
                   "refused). Kinds: " + ", ".join(N.NODE_KINDS) + ". Omitted settings take their defaults.",
}


def _node_variants(depth: int = 1) -> list[dict]:
    """A request's node at ``depth``, one JSON schema per kind: the kind decides the settings (and only
    a container has children), which a single node schema with a ``oneOf`` of settings cannot say
    (``{}`` is valid settings of several kinds, and any settings would do with any kind)."""
    converter = OpenAPIConverter("3.0.3", lambda schema: None, APISpec("x", "1", "3.0.3"))
    base = converter.schema2jsonschema(internal.node_schema(N.MAX_DEPTH))
    settings = dict(zip(internal.SETTINGS, _settings_json_schemas(), strict=True))
    variants = []
    for kind in N.NODE_KINDS:
        properties = {name: dict(value) for name, value in base["properties"].items() if name != "children"}
        properties["kind"] = {"type": "string", "enum": [kind]}
        properties["settings"] = settings[kind]
        if kind == N.CONTAINER:
            properties["children"] = (
                {"type": "array", "maxItems": N.MAX_NODES, "items": {"oneOf": _node_variants(depth + 1)},
                 "description": "its ordered child nodes"} if depth < N.MAX_DEPTH else
                {"type": "array", "maxItems": 0,
                 "description": f"containers nest at most {N.MAX_DEPTH} levels deep"})
        variants.append(_closed({"type": "object", "title": f"{kind} node (level {depth})",
                                 "required": ["key", "kind", "name"], "properties": properties}))
    return variants


def _closed(schema):
    """``additionalProperties: false`` on every inline object (a reminder): the schemas refuse unknown fields."""
    if isinstance(schema, dict):
        if "properties" in schema:
            schema.setdefault("additionalProperties", False)
        for value in schema.values():
            _closed(value)
    elif isinstance(schema, list):
        for value in schema:
            _closed(value)
    return schema


class TypedNode(fields.Raw):
    """A flow node as the template service loads it, documented per kind (``oneOf`` of variants)."""

    def __init__(self, **kwargs):
        super().__init__(metadata={"oneOf": _node_variants()}, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        # the template service loads the node against this same schema and answers its errors
        # together with every rule the flow breaks besides (TPL-11): one answer, not two passes
        if not isinstance(value, dict):
            raise ValidationError("Not a valid node object.")
        return value

EXAMPLE_FLOW = [
    {"key": "assign_provider", "kind": "assign_provider", "name": "分配服务商", "settings": {}, "reminders": []},
    {"key": "requirements", "kind": "submit_requirements", "name": "提交需求",
     "settings": {"form_template_id": "form-general", "submit_label": "提交需求", "view_label": "查看需求"},
     "reminders": [{"trigger": "node_reached", "receivers": ["customer"],
                    "message_template": "submit requirements – notify customer"}]},
    {"key": "claim_order", "kind": "claim_order", "name": "认领订单", "settings": {"timeout_days": 1},
     "reminders": [{"trigger": "timeout", "receivers": ["provider_admin", "role:customer_manager"],
                    "message_template": "claim order – notify provider"}]},
    {"key": "assign_order", "kind": "assign_order", "name": "分配订单",
     "settings": {"role": "engineer", "rule": "department_first"}, "reminders": []},
    {"key": "delivery", "kind": "container", "name": "交付", "settings": {}, "reminders": [], "children": [
        {"key": "deploy", "kind": "generic", "name": "部署实施",
         "settings": {"side": "provider", "role": "engineer", "upload_enabled": True, "button_label": "提交交付物",
                      "view_label": "查看"}, "reminders": []},
        {"key": "internal_check", "kind": "confirm", "name": "服务商内部确认",
         "settings": {"side": "provider", "role": "customer_manager", "button_label": "确认", "allow_reject": True,
                      "timeout_days": 1.5, "advance_on_timeout": False}, "reminders": []},
    ]},
    {"key": "accept", "kind": "confirm", "name": "客户验收",
     "settings": {"side": "customer", "role": None, "button_label": "验收通过", "allow_reject": True,
                  "timeout_days": 3, "advance_on_timeout": True},
     "reminders": [{"trigger": "timeout", "receivers": ["customer", "node_operator"],
                    "message_template": "confirm – notify customer"}]},
    {"key": "complete", "kind": "complete_project", "name": "完成项目",
     "settings": {"allow_reject": True, "timeout_days": 5, "auto_confirm_on_timeout": True,
                  "button_label": "确认完成"},
     "reminders": [{"trigger": "completed", "receivers": ["vendor"],
                    "message_template": "complete project – notify vendor"}]},
]

FlowNode = internal.node_schema(1, "FlowNode", SETTINGS_DOC)


class PathErrors:
    """Errors as ``nodes[3].settings.role`` paths, the same the template service reports."""

    def handle_error(self, error: ValidationError, data, *, many: bool, **kwargs):
        messages = error.messages if isinstance(error.messages, dict) else {"_schema": error.messages}
        raise ValidationError(flatten_errors(messages))


class TemplateBody(PathErrors, Schema):
    name = Name(max_length=200, required=True, metadata={"example": "ERP 安装交付（子账号自动分单）"})
    nodes = fields.List(TypedNode(), required=True, validate=validate.Length(max=N.MAX_NODES),
                        metadata={"description": "the ordered flow: 'assign provider' first, 'complete project' "
                                                 f"last, at most {N.MAX_NODES} nodes at every depth together",
                                  "example": EXAMPLE_FLOW})


class Violation(internal.ViolationSchema):
    pass


class TemplateVersionSummary(internal.VersionSummarySchema):
    pass


class Template(internal.TemplateSchema):
    owner_id = fields.String(allow_none=True, metadata={"description": "the vendor; null for a public template"})
    status = fields.String(metadata={"description": "status of the newest version: draft, pending_approval, "
                                                    "approved or rejected"})
    latest_version = fields.Integer()
    approved_version = fields.Integer(allow_none=True, metadata={"description": "the version products use"})
    nodes = fields.List(fields.Nested(FlowNode), metadata={"description": "the newest version's flow",
                                                           "example": EXAMPLE_FLOW})
    versions = fields.List(fields.Nested(TemplateVersionSummary))


class SavedTemplate(Schema):
    template = fields.Nested(Template)
    warnings = fields.List(fields.Nested(Violation), metadata={
        "description": "what keeps the draft from being published (TPL-11); publishing refuses while any remain"})


class TemplateQuery(internal.TemplateFilterSchema):
    pass


class TemplatePage(Schema):
    items = fields.List(fields.Nested(Template))
    total = fields.Integer()
    limit = fields.Integer()
    offset = fields.Integer()


class Change(internal.ChangeSchema):
    pass


class TemplateVersion(internal.VersionSchema):
    nodes = fields.List(fields.Nested(FlowNode))
    changes = fields.List(fields.Nested(Change), metadata={"description": "node-level diff against the previous "
                                                                          "version"})


class ApproveBody(internal.ApproveSchema):
    note = FreeText(max_length=500, load_default="", metadata={
        "description": "optional words to the vendor, shown as the version's `reason`",
        "example": "Approved; please add the acceptance checklist in the next version."})


class RejectBody(internal.RejectSchema):
    reason = FreeText(max_length=500, min_length=1, required=True,
                      metadata={"example": "The acceptance node needs a timeout."})


# a number or an ISO date, as ``FieldSchema.bounds_are_scalars`` accepts it
_BOUND = {"anyOf": [{"type": "number", "minimum": INT64_MIN, "maximum": INT64_MAX},
                    {"type": "string", "format": "date"}]}


class FormField(internal.FieldSchema):
    min = fields.Raw(allow_none=True, load_default=None,
                     metadata={"description": "number, or ISO date for dates", **_BOUND})
    max = fields.Raw(allow_none=True, load_default=None, metadata=dict(_BOUND))


class FormBody(PathErrors, internal.FormInputSchema):
    fields_ = fields.List(fields.Nested(FormField), required=True, data_key="fields", attribute="fields",
                          validate=validate.Length(min=1, max=100))


class Form(internal.FormSchema):
    fields_ = fields.List(fields.Nested(FormField), data_key="fields", attribute="fields")


class FormQuery(internal.FormFilterSchema):
    pass


class FormPage(Schema):
    items = fields.List(fields.Nested(Form))
    total = fields.Integer()
    limit = fields.Integer()
    offset = fields.Integer()


class PreviewBody(internal.PreviewInputSchema):
    values = fields.Dict(load_default=dict, metadata={
        "description": "optional sample answers by field key, checked as a submission would be",
        "example": {"contact_name": "王工", "contact_phone": "not a phone"}})


class Preview(internal.PreviewSchema):
    form = fields.Nested(Form)


class ProductBody(internal.SaveProductSchema):
    pass


class ProductUpdateBody(Schema):
    vendor_id = Identifier(max_length=36,
                           metadata={"description": "platform operator only; vendors act for themselves"})
    code = Identifier(max_length=64, required=True, metadata={"example": "ERP-INST"})
    name = Name(max_length=200, required=True)
    template_id = Identifier(max_length=36, required=True, metadata={"example": "tpl-public-sub-account"})


class Product(internal.ProductSchema):
    providers_configured = fields.Boolean(metadata={"description": "a provider list is set in dispatch (TPL-12)"})
    provider_count = fields.Integer()


class SavedProduct(Schema):
    created = fields.Boolean()
    product = fields.Nested(Product)


class ProductQuery(internal.ProductFilterSchema):
    pass


class ProductPage(Schema):
    items = fields.List(fields.Nested(Product))
    total = fields.Integer()
    limit = fields.Integer()
    offset = fields.Integer()


class VersionPath(Schema):
    """The ``{version}`` of a template's version paths (the other path values are ids)."""

    class Meta:
        unknown = EXCLUDE

    version = Int64(minimum=1, maximum=99_999, required=True, metadata={"example": 1})
