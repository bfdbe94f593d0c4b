"""The public HTTP contract of the billing routes (what a caller may send and gets back).

Mirrors billing_svc's internal schemas where they agree; the gateway's own classes are what
integrators rely on. Money is always integer minor units with a currency code.
"""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from billing_svc import schemas as internal


class AgreementsBody(internal.AgreementsSchema):
    """BIL-2: 平台补充协议 and 代收代扣协议, bound to an enterprise payment account."""


class SettingsBody(internal.CustomerSettingsSchema):
    """BIL-9 callback URL and BIL-10 change-notice e-mail."""


class CustomerView(internal.CustomerSchema):
    pass


class PriceLockBody(internal.PriceLockSchema):
    pass


class FulfilmentUrlBody(internal.FulfilmentUrlSchema):
    pass


class FulfilmentUrlView(Schema):
    supplier_id = fields.String()
    fulfilment_url = fields.String()


class NewProductBody(internal.NewProductSchema):
    pass


class ProductChangeBody(internal.ProductChangeSchema):
    pass


class ProductView(internal.ProductSchema):
    pass


class ProductQuery(internal.ProductQuerySchema):
    pass


class ProductPage(internal.ProductPageSchema):
    items = fields.List(fields.Nested(ProductView))


class SubscribeBody(internal.SubscribeSchema):
    """One or many products at once (批量订购)."""


class SubscriptionView(internal.SubscriptionSchema):
    pass


class SubscriptionList(Schema):
    items = fields.List(fields.Nested(SubscriptionView))


class SubscriptionQuery(internal.SubscriptionQuerySchema):
    pass


class SubscriptionPage(internal.SubscriptionPageSchema):
    items = fields.List(fields.Nested(SubscriptionView))


class CreditLimitBody(internal.CreditLimitSchema):
    pass


class CreditAccountView(internal.CreditAccountSchema):
    pass


class CreditAccountList(Schema):
    items = fields.List(fields.Nested(CreditAccountView))


class PlaceOrderBody(Schema):
    """The idempotency key travels in the `Idempotency-Key` header (required here)."""

    product_code = fields.String(required=True, validate=internal.CODE, metadata={"example": "CMCC-1G-NATION"})


class OrderView(internal.OrderSchema):
    pass


class PlacedOrder(Schema):
    created = fields.Boolean()
    order = fields.Nested(OrderView)


class OrderQuery(internal.OrderQuerySchema):
    pass


class OrderPage(internal.OrderPageSchema):
    items = fields.List(fields.Nested(OrderView))


class SupplierResultBody(internal.SupplierResultSchema):
    pass


class RefundBody(internal.NewRefundSchema):
    pass


class RetriedView(Schema):
    retried = fields.List(fields.String(), metadata={"description": "orders whose withholding is tried again"})


class StatementQuery(internal.StatementQuerySchema):
    pass


class StatementExportQuery(internal.StatementQuerySchema):
    format = fields.String(load_default="csv", validate=validate.OneOf(("csv", "xlsx")))


class StatementView(internal.StatementSchema):
    pass


class ReconcileBody(internal.ReconcileSchema):
    pass


class ReconciliationView(internal.ReconciliationSchema):
    pass


class NewStagedContractBody(internal.NewStagedContractSchema):
    pass


class StagedContractView(internal.StagedContractSchema):
    pass
