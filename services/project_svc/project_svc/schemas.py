"""Marshmallow schemas of every RPC payload of project_svc (the internal contract)."""
from zoneinfo import available_timezones

from marshmallow import Schema, ValidationError, fields, validate

from project_svc.domain.listing import SORT_CHOICES
from project_svc.domain.model import STATUSES

NOTE = fields.String(load_default="", validate=validate.Length(max=2000))

TIME_ZONES = tuple(sorted(available_timezones()))


def _not_blank(value: str) -> None:
    # str.strip() knows Unicode spaces too (the ideographic space of a Chinese keyboard)
    if not value.strip():
        raise ValidationError("The order id cannot be blank.")


class PurchaseSchema(Schema):
    """A marketplace purchase (the order that becomes a project)."""

    order_id = fields.String(required=True, validate=[validate.Length(min=1, max=64), _not_blank],
                             metadata={"description": "the marketplace order id; one project per order",
                                       "example": "ORD-20261121-0001"})
    product_id = fields.String(required=True, validate=validate.Length(min=1, max=64),
                               metadata={"example": "prod-erp-install"})
    customer_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=36),
                                metadata={"description": "only the marketplace (platform operator) names it; "
                                                         "anyone else buys for their own organisation",
                                          "example": "cust-acme"})


class FlowNodeSchema(Schema):
    key = fields.String()
    kind = fields.String()
    name = fields.String()
    parent = fields.String(allow_none=True, metadata={"description": "the container the node runs in"})
    settings = fields.Dict()


class FlowLogEntrySchema(Schema):
    at = fields.AwareDateTime()
    action = fields.String()
    node_key = fields.String(allow_none=True)
    actor = fields.String()
    note = fields.String()
    round = fields.Integer()


class ProjectRecordSchema(Schema):
    id = fields.String()
    kind = fields.String(metadata={"description": "message or note"})
    author_id = fields.String()
    node_key = fields.String(allow_none=True)
    body = fields.String()
    at = fields.AwareDateTime()


class ProjectFileSchema(Schema):
    id = fields.String()
    node_key = fields.String()
    name = fields.String()
    content_type = fields.String()
    size = fields.Integer()
    sha256 = fields.String()
    uploaded_by = fields.String()
    at = fields.AwareDateTime()


class _Common(Schema):
    id = fields.String()
    order_id = fields.String()
    product_id = fields.String()
    product_code = fields.String()
    product_name = fields.String()
    vendor_id = fields.String()
    customer_id = fields.String()
    provider_id = fields.String(allow_none=True)
    template_id = fields.String()
    template_version = fields.Integer()
    status = fields.String(validate=validate.OneOf(STATUSES))
    round = fields.Integer()
    current_side = fields.String(metadata={"description": "customer, provider or dispatch: who the node waits for"})
    current_operator_id = fields.String(allow_none=True, metadata={
        "description": "the employee operating the current node; null on the provider side means the provider admin"})
    late_side = fields.String(allow_none=True, metadata={"description": "PRJ-3: which side is late, if any"})
    late_since = fields.AwareDateTime(allow_none=True)
    due_at = fields.AwareDateTime(allow_none=True, metadata={"description": "when the current node times out"})
    created_at = fields.AwareDateTime(allow_none=True)
    completed_at = fields.AwareDateTime(allow_none=True)
    rating = fields.Integer(allow_none=True)


class ProjectSchema(_Common):
    current_node = fields.Nested(FlowNodeSchema)
    nodes = fields.List(fields.Nested(FlowNodeSchema), metadata={"description": "the steps in walking order"})
    operators = fields.Dict(keys=fields.String(), values=fields.String(),
                            metadata={"description": "role -> the employee dispatch assigned"})
    claimed_by = fields.String(allow_none=True)
    remaining_seconds = fields.Integer(allow_none=True, metadata={"description": "paused: working time left"})
    submissions = fields.Dict(metadata={"description": "requirements submitted, by node key"})
    rating_comment = fields.String()
    closed_reason = fields.String()
    log = fields.List(fields.Nested(FlowLogEntrySchema))
    messages = fields.List(fields.Nested(ProjectRecordSchema))
    notes = fields.List(fields.Nested(ProjectRecordSchema), metadata={"description": "never shown to the customer"})
    files = fields.List(fields.Nested(ProjectFileSchema))


class PurchaseResultSchema(Schema):
    created = fields.Boolean(metadata={"description": "false when the order already had its project"})
    project = fields.Nested(ProjectSchema)


class ProjectFilterSchema(Schema):
    status = fields.String(validate=validate.OneOf(STATUSES), load_default=None,
                           metadata={"description": "the tab"})
    q = fields.String(load_default=None, validate=validate.Length(max=100), metadata={
        "description": "search: a prefix or any part of the order id, product code or name, or customer "
                       "name, case-insensitive (3 characters or more use the trigram index)",
        "example": "ERP"})
    order_id = fields.String(load_default=None)
    customer_id = fields.String(load_default=None)
    product_id = fields.String(load_default=None)
    product_code = fields.String(load_default=None)
    vendor_id = fields.String(load_default=None)
    provider_id = fields.String(load_default=None)
    operator_id = fields.String(load_default=None, metadata={"description": "the current node's operator"})
    late = fields.Boolean(load_default=None)
    created_from = fields.AwareDateTime(load_default=None)
    created_to = fields.AwareDateTime(load_default=None)
    mine = fields.String(load_default=None, validate=validate.OneOf(("waiting", "handled")),
                         metadata={"description": "my projects: waiting for me, or handled by me (PRJ-2)"})
    as_customer = fields.Boolean(load_default=False,
                                 metadata={"description": "purchased services: what my organisation bought (ORG-5)"})
    sort = fields.String(load_default="-created_at", validate=validate.OneOf(SORT_CHOICES))
    cursor = fields.String(load_default=None, metadata={"description": "next_cursor of the previous page"})
    limit = fields.Integer(validate=validate.Range(min=1, max=200), load_default=50)
    offset = fields.Integer(validate=validate.Range(min=0, max=10_000), load_default=0,
                            metadata={"description": "for shallow pages; deep pages use cursor"})


class ProjectSummarySchema(_Common):
    """A row of a project list (PRJ-3)."""

    current_node_key = fields.String()
    current_node_name = fields.String()
    current_node_kind = fields.String()
    updated_at = fields.AwareDateTime()


class ProjectPageSchema(Schema):
    items = fields.List(fields.Nested(ProjectSummarySchema))
    total = fields.Integer(allow_none=True, metadata={"description": "first page only (null on cursor pages)"})
    counts = fields.Dict(keys=fields.String(), values=fields.Integer(), allow_none=True,
                         metadata={"description": "projects per status tab under the same filters; first page "
                                                  "only (null on cursor pages)"})
    counts_capped = fields.Boolean(allow_none=True, metadata={
        "description": "true when a filtered list's tab reached 10,000 rows: its count then reads "
                       "\"at least\" (an unfiltered list's counts are always exact); null on cursor pages"})
    next_cursor = fields.String(allow_none=True)
    limit = fields.Integer()
    offset = fields.Integer()


class NodeActionSchema(Schema):
    node_key = fields.String(required=True, validate=validate.Length(min=1, max=64))
    note = NOTE


class SubmitRequirementsSchema(Schema):
    node_key = fields.String(required=True, validate=validate.Length(min=1, max=64))
    data = fields.Dict(required=True, metadata={"description": "field key -> value, per the node's form"})


class RejectSchema(Schema):
    node_key = fields.String(required=True, validate=validate.Length(min=1, max=64))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class ProjectNoteSchema(Schema):
    note = NOTE


def _said(value: str) -> None:
    if not value.strip():
        raise ValidationError("Say why: the note is kept in the project's log.")


class ProjectRequiredNoteSchema(Schema):
    """Pause and change of provider: the reason is part of the project's record."""
    note = fields.String(required=True, validate=[validate.Length(min=1, max=2000), _said])


class ProjectReasonSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class ProjectRateSchema(Schema):
    score = fields.Integer(required=True, validate=validate.Range(min=1, max=5))
    comment = fields.String(load_default="", validate=validate.Length(max=2000))


class ProjectRecordBodySchema(Schema):
    body = fields.String(required=True, validate=validate.Length(min=1, max=5000))


class UploadSchema(Schema):
    node_key = fields.String(required=True, validate=validate.Length(min=1, max=64))
    name = fields.String(required=True, validate=validate.Length(min=1, max=255))
    content_type = fields.String(required=True, validate=validate.Length(min=1, max=100))
    content_base64 = fields.String(required=True)


class FileContentSchema(ProjectFileSchema):
    content_base64 = fields.String()


class DashboardQuerySchema(Schema):
    view = fields.String(load_default=None, validate=validate.OneOf(("vendor", "provider")),
                         metadata={"description": "vendor or provider figures (default: what your roles allow)"})
    # an IANA zone this machine knows: any other name made ZoneInfo fail with a 500
    time_zone = fields.String(load_default="Asia/Shanghai", validate=validate.OneOf(TIME_ZONES),
                              metadata={"description": "an IANA time zone, e.g. Asia/Shanghai"})


class DayCountSchema(Schema):
    day = fields.String(metadata={"example": "2026-11-20"})
    count = fields.Integer()


class MonthCountSchema(Schema):
    month = fields.String(metadata={"example": "2026-11"})
    count = fields.Integer()


class StatusBreakdownSchema(Schema):
    new = fields.Integer()
    delivered = fields.Integer()
    in_progress = fields.Integer(metadata={"description": "in progress and not late"})
    late = fields.Integer()
    paused = fields.Integer()
    cancelled = fields.Integer()


class ProductProviderSaturationSchema(Schema):
    product_id = fields.String()
    product_code = fields.String()
    product_name = fields.String()
    provider_id = fields.String()
    held = fields.Integer()
    max_held = fields.Integer()
    ratio = fields.Float()
    band = fields.String(metadata={"description": "green < 40 %, blue 40-80 %, red > 80 %"})


class DashboardSchema(Schema):
    as_of = fields.AwareDateTime(metadata={"description": "00:00 today in the time zone; today is not counted"})
    time_zone = fields.String()
    view = fields.String(attribute="as")
    average_completion_days = fields.Float(allow_none=True)
    new_per_day = fields.List(fields.Nested(DayCountSchema))
    new_per_month = fields.List(fields.Nested(MonthCountSchema))
    status_30_days = fields.Nested(StatusBreakdownSchema)
    status_60_days = fields.Nested(StatusBreakdownSchema)
    saturation = fields.List(fields.Nested(ProductProviderSaturationSchema))
