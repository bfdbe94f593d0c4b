"""The public HTTP contract of the dispatch routes: product providers, employee capacity, claims,
queues, saturation and change of operator (what a caller may send and gets back)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from dispatch_svc import schemas as internal


class ProviderSetting(internal.ProviderConfigSchema):
    """One provider of the product: weight 1..10000, maximum of held orders 1..2000 (DSP-1)."""


class ProductProvidersBody(Schema):
    """The platform operator sets which providers deliver the product (and names its vendor); the
    vendor admin sends the same providers with new weights and maxima. An empty list: the vendor
    delivers itself."""

    product_id = fields.String(required=True, validate=validate.Length(min=1, max=64),
                               metadata={"example": "prod-cloud-desktop"})
    vendor_id = fields.String(validate=validate.Length(min=1, max=36),
                              metadata={"description": "platform operator only; a vendor sets its own products"})
    providers = fields.List(fields.Nested(ProviderSetting), required=True, metadata={
        "example": [{"provider_id": "org-provider-a", "weight": 20, "max_held": 100},
                    {"provider_id": "org-provider-b", "weight": 30, "max_held": 150}]})


class ProductProvidersQuery(Schema):
    product_id = fields.String(required=True, validate=validate.Length(min=1, max=64))


class ProductProvider(internal.ProductProviderSchema):
    """A provider of the product with its weight, maximum and the orders it holds now."""

    provider_name = fields.String(allow_none=True, metadata={"example": "Provider A"})


class ProductProviderList(Schema):
    items = fields.List(fields.Nested(ProductProvider))
    total = fields.Integer()


class DispatchSaturationQuery(internal.SaturationQuerySchema):
    pass


class DispatchSaturation(internal.SaturationSchema):
    """PRJ-11: held ÷ maximum of a provider for a product."""

    provider_name = fields.String(allow_none=True)


class DispatchSaturationList(Schema):
    items = fields.List(fields.Nested(DispatchSaturation))
    total = fields.Integer()


class QueueQuery(internal.QueueQuerySchema):
    """Filter by level (`provider`: waiting for a provider; `employee`: waiting for an employee),
    product or organisation; sort by `enqueued_at`, `project_id`, `product_id` or `reason`."""


class QueuedProject(internal.QueuedProjectSchema):
    """A waiting project with its reason and how long it has waited (`waited_seconds`)."""


class QueuePage(internal.QueuePageSchema):
    items = fields.List(fields.Nested(QueuedProject))


class DispatchNowResult(Schema):
    assigned = fields.Integer(metadata={"description": "how many waiting projects got a provider or employee"})


class EmployeeQuery(internal.EmployeeQuerySchema):
    """The capacity page: filter by role, department or switch; sort by `user_id`, `display_name`,
    `capacity` or `held`."""


class Employee(internal.EmployeeSchema):
    """An employee with capacity (0..50), open switch and the orders held now (DSP-4)."""


class EmployeePage(internal.EmployeePageSchema):
    items = fields.List(fields.Nested(Employee))


class EmployeeSettingsBody(internal.EmployeeSettingsSchema):
    """`capacity`: the provider admin only; `open`: the provider admin or the employee itself."""


class ClaimBody(internal.ClaimSchema):
    """The marketplace order id of an order standing at a claim node (DSP-7)."""


class Claim(Schema):
    project_id = fields.String()
    order_id = fields.String()
    provider_id = fields.String()
    node_key = fields.String()
    round = fields.Integer()
    user_id = fields.String()
    department_id = fields.String(allow_none=True)


class OperatorBody(Schema):
    """PRJ-6: a user of the provider with the node's role, switched open and below capacity."""

    user_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    node_key = fields.String(validate=validate.Length(min=1, max=64), metadata={
        "description": "the assign-order node whose operator changes; the latest when left out"})
    note = fields.String(load_default="", validate=validate.Length(max=2000),
                         metadata={"description": "why: kept in the project's flow log", "example": "休假一周"})


class OperatorChange(Schema):
    project_id = fields.String()
    provider_id = fields.String()
    node_key = fields.String()
    round = fields.Integer()
    user_id = fields.String()
    role = fields.String()
    rule = fields.String(metadata={"example": "manual"})
