"""The public HTTP contract of the billing routes (what a caller may send and gets back).

Mirrors billing_svc's internal schemas where they agree; the gateway's own classes are what
integrators rely on. Money is always integer minor units with a currency code.
"""
from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from billing_svc import schemas as internal
from platform_kit.text import Identifier

# An http(s) URL as the server checks it (marshmallow's URL rule without a top-level domain), stated
# as a pattern so the document says what is accepted: a host of letters, digits and hyphens whose
# dotted labels have two characters or more (or an IPv4 address), an optional port and a plain path; at most 500
# characters (the column's length).
URL_PATTERN = (r"^https?://([0-9]{1,3}(\.[0-9]{1,3}){3}|"
               r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9][A-Za-z0-9-]{0,61}[A-Za-z0-9])*)"
               r"(:[0-9]{1,5})?(/[A-Za-z0-9._~%/-]*)?$")


def _url(**kwargs) -> fields.Url:
    return fields.Url(schemes={"http", "https"}, require_tld=False,
                      validate=[validate.Length(max=500), validate.Regexp(URL_PATTERN, error="Not a valid URL.")],
                      **kwargs)


class BillingAgreementsBody(internal.AgreementsSchema):
    """BIL-2: 平台补充协议 and 代收代扣协议, bound to an enterprise payment account."""


class BillingSettingsBody(internal.CustomerSettingsSchema):
    """BIL-9 callback URL and BIL-10 change-notice e-mail."""

    callback_url = _url(allow_none=True, metadata={"example": "https://erp.example.com/billing/callback"})


class BillingCustomerView(internal.CustomerSchema):
    pass


class BillingPriceLockBody(internal.PriceLockSchema):
    pass


class BillingFulfilmentUrlBody(internal.FulfilmentUrlSchema):
    fulfilment_url = _url(required=True, metadata={"example": "https://orders.supplier.example.com/fulfil"})
    report_url = _url(load_default=None, allow_none=True, metadata={
        "example": "https://orders.supplier.example.com/reports",
        "description": "BIL-11: reconciliation fetches `GET <report_url>?day=YYYY-MM-DD` answering "
                       "`{\"orders\": [{\"order_id\", \"status\", \"amount\"}]}`"})


class BillingFulfilmentUrlView(Schema):
    supplier_id = fields.String()
    fulfilment_url = fields.String()
    report_url = fields.String(allow_none=True)


class BillingProviderNoticeBody(Schema):
    """The payment provider's notice of a payment's final outcome, signed (see the route)."""

    class Meta:
        unknown = EXCLUDE      # a provider may add fields to its notices; they are signed, and ignored here

    notice_id = fields.String(required=True, validate=validate.Length(min=1, max=36),
                              metadata={"description": "unique per notice: a repeated id has no second effect"})
    key = fields.String(required=True, validate=validate.Length(min=1, max=200), metadata={
        "description": "the idempotency key the platform sent the payment under", "example": "withhold:ord-1:1"})
    order_id = fields.String(required=True, validate=validate.Length(min=1, max=64), metadata={
        "description": "the platform's reference sent with the payment (an order, or a staged contract)"})
    status = fields.String(required=True, validate=validate.OneOf(("succeeded", "failed")))
    reference = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200),
                              metadata={"description": "the provider's own payment reference"})


class BillingNoticeReceipt(Schema):
    notice_id = fields.String()
    applied = fields.Boolean(metadata={"description": "false: this notice id was applied before (nothing changed)"})


class BillingNewProductBody(internal.NewProductSchema):
    pass


class BillingProductChangeBody(internal.ProductChangeSchema):
    pass


class _Parties(Schema):
    """Names beside the parties' ids (LOC-1): the console shows organisations, not ids. Only the
    ids of rows billing_svc already limited to what the caller may see are looked up."""

    customer_name = fields.String(allow_none=True, metadata={"example": "Buyer Co"})
    supplier_name = fields.String(allow_none=True, metadata={"example": "Data Supplier Ltd"})


class BillingProductView(internal.ProductSchema):
    supplier_name = fields.String(allow_none=True, metadata={"example": "Data Supplier Ltd"})


class BillingProductQuery(internal.ProductQuerySchema):
    pass


class BillingProductPage(internal.ProductPageSchema):
    items = fields.List(fields.Nested(BillingProductView))


class BillingSubscribeBody(internal.SubscribeSchema):
    """One or many products at once (批量订购)."""


class BillingSubscriptionView(internal.SubscriptionSchema, _Parties):
    pass


class BillingSubscriptionList(Schema):
    items = fields.List(fields.Nested(BillingSubscriptionView))


class BillingSubscriptionQuery(internal.SubscriptionQuerySchema):
    pass


class BillingSubscriptionPage(internal.SubscriptionPageSchema):
    items = fields.List(fields.Nested(BillingSubscriptionView))


class BillingCreditLimitBody(internal.CreditLimitSchema):
    pass


class BillingCreditAccountView(internal.CreditAccountSchema, _Parties):
    pass


class BillingCreditAccountList(Schema):
    items = fields.List(fields.Nested(BillingCreditAccountView))


class BillingPlaceOrderBody(Schema):
    """The idempotency key travels in the `Idempotency-Key` header (required here)."""

    product_code = fields.String(required=True, validate=internal.CODE, metadata={"example": "CMCC-1G-NATION"})


class BillingOrderView(internal.OrderSchema, _Parties):
    pass


class BillingPlacedOrder(Schema):
    created = fields.Boolean()
    order = fields.Nested(BillingOrderView)


class BillingOrderQuery(internal.OrderQuerySchema):
    pass


class BillingOrderExportQuery(internal.OrderQuerySchema):
    format = fields.String(load_default="csv", validate=validate.OneOf(("csv", "xlsx")))

    class Meta:
        exclude = ("limit", "offset")


class BillingOrderPage(internal.OrderPageSchema):
    items = fields.List(fields.Nested(BillingOrderView))


class BillingStuckOrderQuery(internal.StuckOrderQuerySchema):
    pass


class BillingStepActionView(BillingOrderView):
    changed = fields.Boolean(metadata={"description": "false: the same action was taken before (nothing changed)"})


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


class BillingStatementLine(internal.StatementLineSchema, _Parties):
    pass


class BillingStatementView(internal.StatementSchema):
    lines = fields.List(fields.Nested(BillingStatementLine))


class BillingReconcileBody(internal.ReconcileSchema):
    supplier_reports = fields.Dict(keys=Identifier(max_length=64),
                                   values=fields.List(fields.Nested(internal.SupplierReportLineSchema)),
                                   load_default=dict, metadata={"description": "supplier id → its order report"})


class BillingReconciliationView(internal.ReconciliationSchema):
    pass


class BillingReconciliationExportQuery(Schema):
    day = fields.Date(required=True, metadata={"example": "2026-11-22"})
    format = fields.String(load_default="csv", validate=validate.OneOf(("csv", "xlsx")))


class BillingNewStagedContractBody(internal.NewStagedContractSchema):
    pass


class BillingStagedContractView(internal.StagedContractSchema):
    pass


class BillingStageStepActionView(BillingStagedContractView):
    changed = fields.Boolean(metadata={"description": "false: the same action was taken before (nothing changed)"})


class BillingStagedContractQuery(internal.StagedContractQuerySchema):
    pass


class BillingStagedContractPage(internal.StagedContractPageSchema):
    items = fields.List(fields.Nested(BillingStagedContractView))


class BillingLedgerAccountQuery(internal.LedgerAccountQuerySchema):
    pass


class BillingLedgerAccountPage(internal.LedgerAccountPageSchema):
    pass


class BillingLedgerTransactionQuery(internal.LedgerTransactionQuerySchema):
    pass


class BillingLedgerTransactionPage(internal.LedgerTransactionPageSchema):
    pass


class BillingLedgerBalanceQuery(internal.LedgerBalanceQuerySchema):
    pass


class BillingLedgerBalanceView(internal.LedgerBalanceSchema):
    pass


class BillingMismatchQuery(internal.MismatchQuerySchema):
    pass


class BillingMismatchView(internal.StoredMismatchSchema):
    pass


class BillingMismatchPage(internal.StoredMismatchPageSchema):
    items = fields.List(fields.Nested(BillingMismatchView))


class BillingResolveMismatchBody(internal.ResolveMismatchSchema):
    pass
