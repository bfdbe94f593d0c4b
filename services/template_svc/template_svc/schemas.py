"""Schemas of template_svc's RPC payloads (its internal contract).

Node settings are typed per kind (``SETTINGS``); an unknown kind or setting is refused with the
node's path. ``load_flow`` reports marshmallow's errors with the same paths the domain uses
(``nodes[3].children[1].settings.timeout_days``), so a vendor reads one vocabulary of paths.
"""
from __future__ import annotations

from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_load, pre_load, validate, validates_schema

from platform_contracts import forms as F
from platform_contracts import nodes as N
from platform_kit.exceptions import ValidationFailed
from platform_kit.text import FreeText, Identifier, Name

TIMEOUT = {"allow_none": True, "load_default": None, "allow_nan": False,
           "metadata": {"description": "days (working days for confirm), > 0 with at most one decimal; null: none",
                        "example": 1.5}}


def _role(description: str):
    return Identifier(max_length=50, allow_none=True, load_default=None,
                      metadata={"description": description, "example": "engineer"})


def _side():
    return fields.String(validate=validate.OneOf(N.SIDES), load_default=N.CUSTOMER_SIDE,
                         metadata={"description": "who operates the node: customer or provider"})


class AssignProviderSettings(Schema):
    """Built in, always first, not deletable: dispatch picks the provider (DSP)."""


class ContainerSettings(Schema):
    """Groups ordered child nodes (``children``); no behaviour of its own."""


class SubmitRequirementsSettings(Schema):
    """The customer fills in a requirement form to pass the node (TPL-6)."""
    form_template_id = Identifier(max_length=36, allow_none=True, load_default=None,
                                  metadata={"description": "id of a requirement-form template",
                                               "example": "form-general"})
    submit_label = Name(max_length=20, load_default="提交需求")
    view_label = Name(max_length=20, load_default="查看需求")
    form = fields.Dict(dump_only=True, metadata={
        "description": "read only: the form as it was when the version was approved ({id, name, fields}); "
                       "ignored when sent back"})

    @pre_load
    def drop_snapshot(self, data, **kwargs):
        # a flow read back from an approved version carries the snapshot; it is ours to add, not to take
        return {k: v for k, v in data.items() if k != "form"} if isinstance(data, dict) else data


class ConfirmSettings(Schema):
    """Someone confirms; rejecting returns the flow to the previous node (TPL-7)."""
    side = _side()
    role = _role("provider side: the role that confirms")
    button_label = Name(max_length=20, load_default="确认")
    allow_reject = fields.Boolean(load_default=False)
    timeout_days = fields.Float(**TIMEOUT)
    advance_on_timeout = fields.Boolean(load_default=False, metadata={"description": "pass by itself at timeout"})


class ClaimOrderSettings(Schema):
    """A customer manager of the provider claims the order by its marketplace order id (TPL-4)."""
    timeout_days = fields.Float(**TIMEOUT)


class AssignOrderSettings(Schema):
    """Dispatch to an employee of a role (TPL-5)."""
    role = _role("the role the order is dispatched to")
    rule = fields.String(validate=validate.OneOf(N.ASSIGN_RULES), load_default=N.PROVIDER_FIRST,
                         metadata={"description": "provider_first, or department_first (needs a claim order node "
                                                  "before it)"})


class GenericSettings(Schema):
    """A work step, e.g. upload a deliverable (TPL-8)."""
    side = fields.String(validate=validate.OneOf(N.SIDES), load_default=N.PROVIDER_SIDE)
    role = _role("provider side: the role that works on it")
    upload_enabled = fields.Boolean(load_default=False)
    button_label = Name(max_length=20, load_default="完成")
    view_label = Name(max_length=20, load_default="查看")


class CompleteProjectSettings(Schema):
    """The customer confirms the end of the project; always last (TPL-9)."""
    allow_reject = fields.Boolean(load_default=False)
    timeout_days = fields.Float(**TIMEOUT)
    auto_confirm_on_timeout = fields.Boolean(load_default=False)
    button_label = Name(max_length=20, load_default="确认完成")


SETTINGS: dict[str, type[Schema]] = {
    N.ASSIGN_PROVIDER: AssignProviderSettings, N.CONTAINER: ContainerSettings,
    N.SUBMIT_REQUIREMENTS: SubmitRequirementsSettings, N.CONFIRM: ConfirmSettings,
    N.CLAIM_ORDER: ClaimOrderSettings, N.ASSIGN_ORDER: AssignOrderSettings, N.GENERIC: GenericSettings,
    N.COMPLETE_PROJECT: CompleteProjectSettings,
}


class ReminderSchema(Schema):
    trigger = fields.String(required=True, validate=validate.OneOf(N.TRIGGERS))
    receivers = fields.List(Identifier(max_length=60), required=True,
                            validate=validate.Length(min=1, max=10),
                            metadata={"description": "customer, provider_admin, node_operator, vendor or role:<role>",
                                      "example": ["customer", "role:engineer"]})
    message_template = Name(max_length=200, required=True,
                            metadata={"description": "a notify message template, named 'node – recipient'",
                                               "example": "complete project – notify customer"})


def node_schema(depth: int = 1, prefix: str = "Node", settings_metadata: dict | None = None) -> type[Schema]:
    """A node at ``depth`` (1 = top level); containers nest at most ``MAX_DEPTH`` levels.
    ``settings_metadata`` documents the per-kind settings (the gateway's API document)."""
    attrs = {
        "key": fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_\-]{1,64}$", error=(
            "Use 1 to 64 letters, digits, _ or -."))),
        "kind": fields.String(required=True, validate=validate.OneOf(N.NODE_KINDS)),
        "name": Name(max_length=100, required=True),
        "settings": fields.Dict(load_default=dict, metadata=settings_metadata or {}),
        "reminders": fields.List(fields.Nested(ReminderSchema), load_default=list,
                                 validate=validate.Length(max=20)),
    }
    if depth < N.MAX_DEPTH:
        attrs["children"] = fields.List(fields.Nested(node_schema(depth + 1, prefix, settings_metadata)),
                                        load_default=list, validate=validate.Length(max=N.MAX_NODES),
                                        metadata={"description": "container only: its ordered child nodes"})
    else:
        attrs["children"] = fields.List(fields.Dict(), load_default=list, validate=validate.Length(
            max=0, error=f"Containers nest at most {N.MAX_DEPTH} levels deep."))

    def typed_settings(self, data, **kwargs):
        schema = SETTINGS[data["kind"]]()
        try:
            data["settings"] = schema.load(data.get("settings") or {})
        except ValidationError as err:
            raise ValidationError({"settings": err.messages}) from None
        if data["kind"] != N.CONTAINER and not data["children"]:
            data.pop("children")
        return data

    attrs["typed_settings"] = post_load(typed_settings)
    return type(f"{prefix}Level{depth}Schema", (Schema,), attrs)


NodeSchema = node_schema(1)


class TemplateDraftSchema(Schema):
    name = Name(max_length=200, required=True)
    nodes = fields.List(fields.Nested(NodeSchema), required=True, validate=validate.Length(max=N.MAX_NODES))


class ImportTemplateSchema(TemplateDraftSchema):
    """TRANSITIONAL: the old create_template payload (a flat ``role`` is moved into the settings)."""
    owner_id = fields.String(allow_none=True, load_default=None)
    publish = fields.Boolean(load_default=True)

    @pre_load
    def move_roles(self, data, **kwargs):
        if isinstance(data, dict) and isinstance(data.get("nodes"), list):
            nodes = []
            for node in data["nodes"]:
                if isinstance(node, dict) and ("role" in node or "options" in node):
                    node = dict(node)
                    role, _ = node.pop("role", None), node.pop("options", None)
                    if role and node.get("kind") in (N.ASSIGN_ORDER, N.GENERIC, N.CONFIRM):
                        node["settings"] = {**(node.get("settings") or {}), "role": role,
                                            **({"side": N.PROVIDER_SIDE} if node["kind"] != N.ASSIGN_ORDER else {})}
                nodes.append(node)
            data = {**data, "nodes": nodes}
        return data


def flatten_errors(messages, path: str = "") -> dict[str, list[str]]:
    """marshmallow's nested messages as ``nodes[3].settings.role`` paths."""
    out: dict[str, list[str]] = {}
    if isinstance(messages, list):
        out[path or "_schema"] = [str(m) for m in messages]
        return out
    for key, value in messages.items():
        if isinstance(key, int):
            sub = f"{path}[{key}]"
        else:
            sub = f"{path}.{key}" if path else str(key)
        out.update(flatten_errors(value, sub))
    return out


def load_flow(schema: Schema, payload) -> dict:
    try:
        return schema.load(payload if payload is not None else {})
    except ValidationError as err:
        messages = err.messages if isinstance(err.messages, dict) else {"_schema": err.messages}
        raise ValidationFailed("Some fields are not valid.", flatten_errors(messages)) from None


def lenient_nodes(raw, path: str = "nodes") -> list[dict]:
    """The nodes of a payload that failed the schema, as far as they can be read: every node keeps
    its place (so paths stay true), an unknown kind becomes None, a setting that does not load is
    left out. The rules of the flow then run on this, so one answer names every problem (TPL-11)."""
    out: list[dict] = []
    for i, node in enumerate(raw if isinstance(raw, list) else []):
        at = f"{path}[{i}]"
        node = node if isinstance(node, dict) else {}
        kind = node.get("kind") if node.get("kind") in N.NODE_KINDS else None
        raw_settings = node.get("settings") if isinstance(node.get("settings"), dict) else {}
        settings: dict = {}
        if kind is not None:
            try:
                settings = SETTINGS[kind]().load(raw_settings, unknown=EXCLUDE)
            except ValidationError as err:
                settings = err.valid_data if isinstance(err.valid_data, dict) else {}
        key = node.get("key")
        reminders = node.get("reminders") if isinstance(node.get("reminders"), list) else []
        out.append({
            "key": key if isinstance(key, str) and key else f"?{at}",
            "kind": kind, "name": node.get("name") if isinstance(node.get("name"), str) else "",
            "settings": settings,
            "reminders": [r if isinstance(r, dict) else {} for r in reminders],
            "children": lenient_nodes(node.get("children"), f"{at}.children"),
        })
    return out


class ViolationSchema(Schema):
    path = fields.String(metadata={"example": "nodes[3].settings.role"})
    message = fields.String(metadata={"example": "Choose the role the order is dispatched to."})


class VersionSummarySchema(Schema):
    version = fields.Integer(attribute="number")
    name = fields.String()
    status = fields.String(metadata={"description": "draft, pending_approval, approved or rejected"})
    created_at = fields.DateTime()
    submitted_at = fields.DateTime(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    reason = fields.String(allow_none=True, metadata={
        "description": "the operator's words with its decision: a rejection's reason, an approval's note"})


class OutNodeSchema(Schema):
    key = fields.String()
    kind = fields.String()
    name = fields.String()
    settings = fields.Dict()
    reminders = fields.List(fields.Dict())
    children = fields.List(fields.Dict())


class TemplateSchema(Schema):
    id = fields.String()
    owner_id = fields.String(allow_none=True)
    public = fields.Boolean()
    name = fields.String()
    copied_from = fields.String(allow_none=True)
    status = fields.Function(lambda t: t.latest.status)
    latest_version = fields.Function(lambda t: t.latest.number)
    approved_version = fields.Function(lambda t: t.approved.number if t.approved else None)
    nodes = fields.Function(lambda t: t.latest.nodes)
    versions = fields.List(fields.Nested(VersionSummarySchema))
    created_at = fields.DateTime()


class SavedTemplateSchema(Schema):
    template = fields.Nested(TemplateSchema)
    warnings = fields.List(fields.Nested(ViolationSchema))


class ChangeSchema(Schema):
    change = fields.String(metadata={"description": "added, removed, changed or moved"})
    key = fields.String()
    path = fields.String()
    name = fields.String()
    fields_ = fields.List(fields.String(), data_key="fields", attribute="fields")
    from_path = fields.String()


class VersionSchema(VersionSummarySchema):
    template_id = fields.String()
    nodes = fields.List(fields.Dict())
    decided_by = fields.String(allow_none=True)
    changes = fields.List(fields.Nested(ChangeSchema), metadata={"description": "against the previous version"})


def page_query(sorts: tuple[str, ...], default: str):
    allowed = tuple(s for name in sorts for s in (name, f"-{name}"))
    return {
        "limit": fields.Integer(load_default=50, validate=validate.Range(min=1, max=200)),
        "offset": fields.Integer(load_default=0, validate=validate.Range(min=0)),
        "sort": fields.String(load_default=default, validate=validate.OneOf(allowed)),
    }


class TemplateFilterSchema(Schema.from_dict(page_query(("name", "created_at", "updated_at"), "name"))):
    class Meta:
        unknown = EXCLUDE

    name = fields.String(validate=validate.Length(max=200), metadata={"description": "part of the name"})
    owner = fields.String(validate=validate.OneOf(("public", "own")))
    status = fields.String(validate=validate.OneOf(("draft", "pending_approval", "approved", "rejected")),
                           metadata={"description": "status of the newest version (pending_approval: the "
                                                    "operator's approval queue)"})


class TemplatePageSchema(Schema):
    items = fields.List(fields.Nested(TemplateSchema))
    total = fields.Integer()
    limit = fields.Integer()
    offset = fields.Integer()


class RejectSchema(Schema):
    reason = FreeText(max_length=500, min_length=1, required=True)


class ApproveSchema(Schema):
    note = FreeText(max_length=500, load_default="", metadata={
        "description": "optional words to the vendor, kept as the version's `reason`"})


# --- requirement forms ---------------------------------------------------------------------------

class FieldSchema(Schema):
    key = Identifier(max_length=64, required=True, metadata={"example": "contact_phone"})
    label = Name(max_length=100, required=True, metadata={"example": "联系电话"})
    type = fields.String(required=True, validate=validate.OneOf(F.FIELD_TYPES))
    required = fields.Boolean(load_default=False)
    help_text = FreeText(max_length=300, load_default="")
    options = fields.List(Name(max_length=100), load_default=list,
                          validate=validate.Length(max=50), metadata={"description": "choices of single/multi choice"})
    min_length = fields.Integer(allow_none=True, load_default=None, validate=validate.Range(min=0))
    max_length = fields.Integer(allow_none=True, load_default=None, validate=validate.Range(min=1, max=20000))
    min = fields.Raw(allow_none=True, load_default=None, metadata={"description": "number, or ISO date for dates"})
    max = fields.Raw(allow_none=True, load_default=None)
    max_files = fields.Integer(allow_none=True, load_default=None, validate=validate.Range(min=1, max=50))

    @validates_schema
    def bounds_are_scalars(self, data, **kwargs):
        for key in ("min", "max"):
            value = data.get(key)
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float, str))):
                raise ValidationError("Give a number or an ISO date.", key)


class FormInputSchema(Schema):
    name = Name(max_length=100, required=True)
    description = FreeText(max_length=1000, load_default="")
    fields_ = fields.List(fields.Nested(FieldSchema), required=True, data_key="fields", attribute="fields",
                          validate=validate.Length(min=1, max=F.MAX_FIELDS))


class FormSchema(Schema):
    id = fields.String()
    name = fields.String()
    description = fields.String()
    fields_ = fields.List(fields.Dict(), data_key="fields", attribute="fields")
    updated_at = fields.DateTime(allow_none=True)


class FormFilterSchema(Schema.from_dict(page_query(("name", "updated_at"), "name"))):
    name = fields.String(validate=validate.Length(max=100))


class FormPageSchema(Schema):
    items = fields.List(fields.Nested(FormSchema))
    total = fields.Integer()
    limit = fields.Integer()
    offset = fields.Integer()


class PreviewInputSchema(Schema):
    values = fields.Dict(load_default=dict, metadata={"description": "sample answers to check, by field key"})


class PreviewSchema(Schema):
    form = fields.Nested(FormSchema)
    rendered = fields.List(fields.Dict(), metadata={"description": "the fields as the customer sees them"})
    errors = fields.Dict(metadata={"description": "problems of the sample values, by field key"})


# --- products -----------------------------------------------------------------------------------

class SaveProductSchema(Schema):
    product_id = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_\-]{1,64}$"))
    vendor_id = Identifier(max_length=36,
                           metadata={"description": "platform operator only; vendors act for themselves"})
    code = Identifier(max_length=64, required=True)
    name = Name(max_length=200, required=True)
    template_id = Identifier(max_length=36, required=True)


class ProductSchema(Schema):
    product_id = fields.String()
    vendor_id = fields.String()
    code = fields.String()
    name = fields.String()
    template_id = fields.String()
    template_name = fields.String()
    template_version = fields.Integer()
    providers_configured = fields.Boolean()
    provider_count = fields.Function(lambda p: len(p.provider_ids))
    updated_at = fields.DateTime(allow_none=True)


class ProductFilterSchema(Schema.from_dict(page_query(("code", "name", "template_name", "updated_at"), "code"))):
    code = fields.String(validate=validate.Length(max=64))
    name = fields.String(validate=validate.Length(max=200))
    template_name = fields.String(validate=validate.Length(max=200))
    provider_status = fields.String(validate=validate.OneOf(("configured", "not_configured")))


class ProductPageSchema(Schema):
    items = fields.List(fields.Nested(ProductSchema))
    total = fields.Integer()
    limit = fields.Integer()
    offset = fields.Integer()


# --- transitional internal RPC (the old thin flow) -------------------------------------------------

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
    template_name = fields.String()
    template_version = fields.Integer()
    nodes = fields.List(fields.Dict())


class ImportedTemplateSchema(Schema):
    template_id = fields.String(attribute="id")
    version = fields.Function(lambda t: t.latest.number)
    owner_id = fields.String(allow_none=True)
    name = fields.String()
    status = fields.Function(lambda t: t.latest.status)
    nodes = fields.Function(lambda t: t.latest.nodes)

