"""The public HTTP contract of the billing routes (what a caller may send and gets back).

Mirrors billing_svc's internal schemas where they agree; the gateway's own classes are what
integrators rely on. Money is always integer minor units with a currency code.
"""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from billing_svc import schemas as internal


class BillingAgreementsBody(internal.AgreementsSchema):
    """BIL-2: 平台补充协议 and 代收代扣协议, bound to an enterprise payment account."""


class BillingSettingsBody(internal.CustomerSettingsSchema):
    """BIL-9 callback URL and BIL-10 change-notice e-mail."""


class BillingCustomerView(internal.CustomerSchema):
    pass


class BillingPriceLockBody(internal.PriceLockSchema):
    pass


class BillingFulfilmentUrlBody(internal.FulfilmentUrlSchema):
    pass


class BillingFulfilmentUrlView(Schema):
    supplier_id = fields.String()
    fulfilment_url = fields.String()


class BillingNewProductBody(internal.NewProductSchema):
    pass


class BillingProductChangeBody(internal.ProductChangeSchema):
    pass


class BillingProductView(internal.ProductSchema):
    pass


class BillingProductQuery(internal.ProductQuerySchema):
    pass


class BillingProductPage(internal.ProductPageSchema):
    items = fields.List(fields.Nested(BillingProductView))


class BillingSubscribeBody(internal.SubscribeSchema):
    """One or many products at once (批量订购)."""


class BillingSubscriptionView(internal.SubscriptionSchema):
    pass


class BillingSubscriptionList(Schema):
    items = fields.List(fields.Nested(BillingSubscriptionView))


class BillingSubscriptionQuery(internal.SubscriptionQuerySchema):
    pass


class BillingSubscriptionPage(internal.SubscriptionPageSchema):
    items = fields.List(fields.Nested(BillingSubscriptionView))


class BillingCreditLimitBody(internal.CreditLimitSchema):
    pass


class BillingCreditAccountView(internal.CreditAccountSchema):
    pass


class BillingCreditAccountList(Schema):
    items = fields.List(fields.Nested(BillingCreditAccountView))


class BillingPlaceOrderBody(Schema):
    """The idempotency key travels in the `Idempotency-Key` header (required here)."""

    product_code = fields.String(required=True, validate=internal.CODE, metadata={"example": "CMCC-1G-NATION"})


class BillingOrderView(internal.OrderSchema):
    pass


class BillingPlacedOrder(Schema):
    created = fields.Boolean()
    order = fields.Nested(BillingOrderView)


class BillingOrderQuery(internal.OrderQuerySchema):
    pass


class BillingOrderPage(internal.OrderPageSchema):
    items = fields.List(fields.Nested(BillingOrderView))


class BillingSupplierResultBody(internal.SupplierResultSchema):
    pass


class BillingRefundBody(internal.NewRefundSchema):
    pass


class BillingRetriedView(Schema):
    retried = fields.List(fields.String(), metadata={"description": "orders whose withholding is tried again"})


class BillingStatementQuery(internal.StatementQuerySchema):
    pass


class BillingStatementExportQuery(internal.StatementQuerySchema):
    format = fields.String(load_default="csv", validate=validate.OneOf(("csv", "xlsx")))


class BillingStatementView(internal.StatementSchema):
    pass


class BillingReconcileBody(internal.ReconcileSchema):
    pass


class BillingReconciliationView(internal.ReconciliationSchema):
    pass


class BillingNewStagedContractBody(internal.NewStagedContractSchema):
    pass


class BillingStagedContractView(internal.StagedContractSchema):
    pass
