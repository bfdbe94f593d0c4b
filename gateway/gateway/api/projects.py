"""The public HTTP contract of the purchase and project routes (what a caller may send and gets back).

Mirrors project_svc's internal schemas where they agree; the gateway's own copy is what
integrators rely on. Notes never appear in what a customer gets (the service leaves them out).
"""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from project_svc import schemas as internal


class PurchaseBody(internal.PurchaseSchema):
    """A marketplace purchase. Only the marketplace (a platform operator account) names
    `customer_id`; anyone else buys for their own organisation and leaves it out."""


class _Names(Schema):
    """Names beside the ids (from identity; null when not known, e.g. no operator yet)."""

    provider_name = fields.String(allow_none=True, metadata={"example": "Provider A"})
    customer_name = fields.String(allow_none=True, metadata={"example": "Buyer Co"})
    vendor_name = fields.String(allow_none=True)
    current_operator_name = fields.String(allow_none=True, metadata={"example": "Li Lei"})


class Project(internal.ProjectSchema, _Names):
    """One delivery project with its steps, flow log, messages, files and (not for customers) notes."""

    people = fields.Dict(keys=fields.String(), values=fields.String(), metadata={
        "description": "user id -> display name of everyone in its log, messages, notes, files and operators"})


class PurchaseResult(internal.PurchaseResultSchema):
    project = fields.Nested(Project)


class ProjectQuery(internal.ProjectFilterSchema):
    """Filters on every column of the list, a status tab, sort, and paging by cursor (deep pages
    stay fast) or a small offset."""


class ProjectRow(internal.ProjectSummarySchema, _Names):
    """A list row (PRJ-3): provider, current node, its operator (ids and names) and the late mark."""


class ProjectPage(internal.ProjectPageSchema):
    items = fields.List(fields.Nested(ProjectRow))


class ProjectExportQuery(internal.ProjectFilterSchema):
    """The current tab with the same filters as the list; every row, streamed."""

    format = fields.String(load_default="csv", validate=validate.OneOf(("csv", "xlsx")))

    class Meta:
        exclude = ("cursor", "limit", "offset")


class ProjectRequirementsBody(internal.SubmitRequirementsSchema):
    """The requirements form of a submit-requirements node, field key -> value."""


class ProjectConfirmBody(internal.NodeActionSchema):
    """Confirm a confirm node, finish a generic node, or confirm completion (`node_key` is the current node)."""


class ProjectRejectBody(internal.RejectSchema):
    """Reject a confirm or complete-project node that allows it: back to the previous work node."""


class ProjectNoteBody(internal.ProjectNoteSchema):
    pass


class ProjectReasonBody(internal.ProjectReasonSchema):
    pass


class ProjectRequiredNoteBody(internal.ProjectRequiredNoteSchema):
    pass


class ProjectRatingBody(internal.ProjectRateSchema):
    """1 to 5 and a comment, once, after completion (PRJ-9)."""


class ProjectRecordBody(internal.ProjectRecordBodySchema):
    pass


ProjectRecord = internal.ProjectRecordSchema


ProjectFile = internal.ProjectFileSchema


class ProjectUploadQuery(Schema):
    node_key = fields.String(required=True, validate=validate.Length(min=1, max=64),
                             metadata={"description": "the current node (generic with uploads switched on)"})
    name = fields.String(required=True, validate=validate.Length(min=1, max=255),
                         metadata={"description": "the file name shown to others", "example": "design-v2.pdf"})


class ProjectDashboardQuery(internal.DashboardQuerySchema):
    pass


class ProviderSaturation(internal.ProductProviderSaturationSchema):
    provider_name = fields.String(allow_none=True)


class ProjectDashboard(internal.DashboardSchema):
    """PRJ-11 figures up to 00:00 today in the organisation's time zone."""

    saturation = fields.List(fields.Nested(ProviderSaturation))
