"""Marshmallow schemas of billing_svc's RPC payloads (the internal contract)."""
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from billing_svc.domain import currencies
from billing_svc.domain.catalogue import SUBSCRIPTION_STATUSES
from billing_svc.domain.orders import ORDER_STATUSES
from billing_svc.domain.stages import CONTRACT_STATUSES

CODE = validate.Regexp(r"^[A-Za-z0-9._-]{1,64}$")


# BIL-13: Babel's ISO 4217 list decides ("ABC" is three capitals, no currency), and the API document
# states it as the field's enum, so a client knows before it asks
CURRENCY = [validate.OneOf(sorted(currencies.ISO_4217),
                           error="不是 ISO 4217 货币代码 / Not an ISO 4217 currency code.")]


MAX_MONEY = 10**15     # minor units; far above any real amount, far below the columns' bigint


class Money(fields.Integer):
    """Integer minor units from 1 to MAX_MONEY: 12.5 and "12" are refused, not rounded."""

    def __init__(self, **kwargs):
        kwargs.setdefault("validate", validate.Range(min=1, max=MAX_MONEY))
        super().__init__(strict=True, **kwargs)


class AgreementsSchema(Schema):
    platform_agreement = fields.Boolean(required=True, metadata={"description": "平台补充协议 signed"})
    withholding_agreement = fields.Boolean(required=True, metadata={"description": "代收代扣协议 signed"})
    payment_account = fields.String(required=True, validate=validate.Length(min=3, max=128),
                                    metadata={"example": "alipay-ent-2088000000000001"})


class CustomerSettingsSchema(Schema):
    callback_url = fields.Url(allow_none=True, schemes={"http", "https"}, require_tld=False)
    notice_email = fields.Email(allow_none=True)


class CustomerSchema(Schema):
    id = fields.String()
    platform_agreement_at = fields.AwareDateTime(allow_none=True)
    withholding_agreement_at = fields.AwareDateTime(allow_none=True)
    payment_account = fields.String(allow_none=True)
    confirmed_at = fields.AwareDateTime(allow_none=True)
    callback_url = fields.String(allow_none=True)
    callback_secret = fields.String(metadata={
        "description": "only in the answer that set the callback URL the first time: the secret the pushed "
                       "results are signed with (X-Platform-Signature, as every webhook of the platform)"})
    notice_email = fields.String(allow_none=True)
    onboarded = fields.Boolean()
    unpaid = fields.Integer(metadata={"description": "failed withholdings not paid yet (BIL-7)"})
    block_threshold = fields.Integer()
    blocked = fields.Boolean()


class PriceLockSchema(Schema):
    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True)


class FulfilmentUrlSchema(Schema):
    fulfilment_url = fields.Url(required=True, schemes={"http", "https"}, require_tld=False)
    report_url = fields.Url(load_default=None, allow_none=True, schemes={"http", "https"}, require_tld=False)


class NewProductSchema(Schema):
    code = fields.String(required=True, validate=CODE, metadata={"example": "CMCC-1G-NATION"})
    name = fields.String(required=True, validate=validate.Length(min=1, max=200), metadata={"example": "全国流量 1GB"})
    face_value = Money(required=True, metadata={"example": 3000})
    price = Money(required=True, metadata={"example": 2850})
    currency = fields.String(required=True, validate=CURRENCY, metadata={"example": "CNY"})
    listed = fields.Boolean(load_default=True)
    visible_to = fields.List(fields.String(validate=validate.Length(min=1, max=36)), load_default=list)


class ProductChangeSchema(Schema):
    name = fields.String(validate=validate.Length(min=1, max=200))
    price = Money()
    listed = fields.Boolean()
    suspended = fields.Boolean(metadata={"description": "channel suspended (通道挂起): not routed to"})
    visible_to = fields.List(fields.String(validate=validate.Length(min=1, max=36)))


class ProductSchema(Schema):
    id = fields.String()
    supplier_id = fields.String()
    code = fields.String()
    name = fields.String()
    face_value = fields.Integer()
    price = fields.Integer()
    currency = fields.String()
    listed = fields.Boolean()
    suspended = fields.Boolean()
    visible_to = fields.List(fields.String())


class PageQuerySchema(Schema):
    limit = fields.Integer(validate=validate.Range(min=1, max=200), load_default=50)
    offset = fields.Integer(validate=validate.Range(min=0), load_default=0)


class ProductQuerySchema(PageQuerySchema):
    code = fields.String(load_default=None)


class ProductPageSchema(Schema):
    items = fields.List(fields.Nested(ProductSchema))
    total = fields.Integer()
    limit = fields.Integer()
    offset = fields.Integer()


class SubscribeSchema(Schema):
    product_ids = fields.List(fields.String(), required=True, validate=validate.Length(min=1, max=100))


class DecisionSchema(Schema):
    approve = fields.Boolean(required=True)


class SubscriptionSchema(Schema):
    id = fields.String()
    customer_id = fields.String()
    supplier_id = fields.String()
    product_id = fields.String()
    product_code = fields.String()
    status = fields.String(validate=validate.OneOf(SUBSCRIPTION_STATUSES))
    requested_at = fields.AwareDateTime()
    decided_at = fields.AwareDateTime(allow_none=True)


class SubscriptionListSchema(Schema):
    items = fields.List(fields.Nested(SubscriptionSchema))


class SubscriptionQuerySchema(PageQuerySchema):
    status = fields.String(validate=validate.OneOf(SUBSCRIPTION_STATUSES), load_default=None)


class SubscriptionPageSchema(ProductPageSchema):
    items = fields.List(fields.Nested(SubscriptionSchema))


class CreditLimitSchema(Schema):
    limit = fields.Integer(strict=True, allow_none=True, required=True, validate=validate.Range(min=0, max=MAX_MONEY),
                           metadata={"description": "minor units; null: unlimited"})
    currency = fields.String(load_default="CNY", validate=CURRENCY)


class CreditAccountSchema(Schema):
    customer_id = fields.String()
    supplier_id = fields.String()
    currency = fields.String()
    limit = fields.Integer(allow_none=True)
    used = fields.Integer()
    held = fields.Integer()
    available = fields.Integer(allow_none=True, metadata={"description": "null: unlimited"})


class CreditAccountListSchema(Schema):
    items = fields.List(fields.Nested(CreditAccountSchema))


class PlaceOrderSchema(Schema):
    product_code = fields.String(required=True, validate=CODE, metadata={"example": "CMCC-1G-NATION"})
    idempotency_key = fields.String(required=True, validate=validate.Length(min=1, max=128),
                                    metadata={"description": "the Idempotency-Key header; one order per key"})


class StepSchema(Schema):
    key = fields.String()
    kind = fields.String()
    amount = fields.Integer()
    status = fields.String(metadata={"description": "to_send | sent | succeeded | failed | stuck (stopped after "
                                                    "its retry budget: the operator retries, fails or voids it) "
                                                    "| voided"})
    attempts = fields.Integer(metadata={"description": "tries without a final answer"})


class OperatorActionSchema(Schema):
    key = fields.String()
    action = fields.String()
    by = fields.String()
    at = fields.String()
    note = fields.String()


class RefundSchema(Schema):
    id = fields.String()
    amount = fields.Integer()
    reason = fields.String()
    status = fields.String()
    requested_at = fields.AwareDateTime()


class OrderSchema(Schema):
    id = fields.String()
    customer_id = fields.String()
    supplier_id = fields.String()
    product_id = fields.String()
    product_code = fields.String()
    amount = fields.Integer()
    currency = fields.String()
    idempotency_key = fields.String()
    status = fields.String(validate=validate.OneOf(ORDER_STATUSES))
    reason = fields.String()
    created_at = fields.AwareDateTime()
    finished_at = fields.AwareDateTime(allow_none=True)
    withholding = fields.String(metadata={"description": "none | pending | paid | failed"})
    paid = fields.Integer()
    paid_out = fields.Integer()
    refunded = fields.Integer()
    steps = fields.List(fields.Nested(StepSchema))
    refunds = fields.List(fields.Nested(RefundSchema))
    fulfil_attempts = fields.Integer(metadata={"description": "calls to the supplier without a usable answer"})
    operator_actions = fields.List(fields.Nested(OperatorActionSchema), metadata={
        "description": "the operator's retries, fails and voids of its steps (the audit trail)"})


class PlacedOrderSchema(Schema):
    created = fields.Boolean(metadata={"description": "false: this idempotency key was used before"})
    order = fields.Nested(OrderSchema)


class OrderQuerySchema(PageQuerySchema):
    status = fields.String(validate=validate.OneOf(ORDER_STATUSES), load_default=None)
    customer_id = fields.String(load_default=None)
    supplier_id = fields.String(load_default=None)
    day = fields.Date(load_default=None, metadata={"description": "orders created on this UTC day"})
    sort = fields.String(validate=validate.OneOf(("created_at", "-created_at", "amount", "-amount")),
                         load_default="-created_at")


class OrderPageSchema(ProductPageSchema):
    items = fields.List(fields.Nested(OrderSchema))


class StepActionSchema(Schema):
    step_key = fields.String(required=True, validate=validate.Length(min=1, max=200), metadata={
        "description": "a payment step's key (e.g. payout:<order>:9), or fulfil:<order> for an order waiting "
                       "for its supplier", "example": "payout:ord-1:9"})
    action = fields.String(required=True, validate=validate.OneOf(("retry", "fail", "void")))


class StuckOrderQuerySchema(PageQuerySchema):
    pass


class SupplierOrderSchema(Schema):
    """What a supplier's fulfilment system is sent: the order as the supplier needs it, never the
    customer's integration details (its callback URL, its idempotency key)."""

    order_id = fields.String(attribute="id")
    customer_id = fields.String()
    product_code = fields.String()
    amount = fields.Integer()
    currency = fields.String()


class SupplierResultSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(("succeeded", "failed")))
    reason = fields.String(load_default="")
    reference = fields.String(load_default=None, allow_none=True)


class NewRefundSchema(Schema):
    amount = Money(required=True)
    reason = fields.String(load_default="", validate=validate.Length(max=500))


class ProviderNoticeSchema(Schema):
    """The payment provider's asynchronous notice of a payment's final outcome (its signed body)."""

    class Meta:
        unknown = EXCLUDE      # a provider may add fields to its notices; they are signed, and ignored here

    notice_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    key = fields.String(required=True)
    order_id = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(("succeeded", "failed")))
    reference = fields.String(load_default=None, allow_none=True)


class StatementQuerySchema(Schema):
    day = fields.Date(required=True)
    customer_id = fields.String(load_default=None)
    supplier_id = fields.String(load_default=None)


class StatementLineSchema(Schema):
    order_id = fields.String()
    created_at = fields.AwareDateTime()
    customer_id = fields.String()
    supplier_id = fields.String()
    product_code = fields.String()
    amount = fields.Integer()
    currency = fields.String()
    status = fields.String()
    withholding = fields.String()
    paid = fields.Integer()
    paid_out = fields.Integer()
    refunded = fields.Integer()


class StatementTotalSchema(Schema):
    """BIL-13: the sums of one currency (money of two currencies is never added)."""
    currency = fields.String(metadata={"example": "CNY"})
    orders = fields.Integer()
    succeeded = fields.Integer()
    amount = fields.Integer(metadata={"description": "sum of succeeded orders, minor units of `currency`"})
    paid = fields.Integer()
    paid_out = fields.Integer()
    refunded = fields.Integer()


class StatementSchema(Schema):
    day = fields.Date()
    lines = fields.List(fields.Nested(StatementLineSchema))
    orders = fields.Integer(metadata={"description": "orders of the day, every currency"})
    succeeded = fields.Integer()
    totals = fields.List(fields.Nested(StatementTotalSchema), metadata={
        "description": "one row per currency, sorted by code"})


class SupplierReportLineSchema(Schema):
    order_id = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(("succeeded", "failed")))
    amount = fields.Integer(strict=True, required=True)


class ReconcileSchema(Schema):
    day = fields.Date(required=True)
    supplier_reports = fields.Dict(keys=fields.String(), values=fields.List(fields.Nested(SupplierReportLineSchema)),
                                   load_default=dict, metadata={"description": "supplier id → its order report"})


class MismatchSchema(Schema):
    id = fields.String(metadata={"description": "the stored mismatch (resolve it at "
                                               "/billing/reconciliation-mismatches/{id}/resolve)"})
    status = fields.String(metadata={"description": "open | resolved (a mismatch found again keeps its resolution)"})
    source = fields.String(metadata={"description": "provider | supplier"})
    reference = fields.String(metadata={"description": "payment key or order id"})
    problem = fields.String()
    ledger = fields.Raw(allow_none=True)
    theirs = fields.Raw(allow_none=True)


class ReconciliationSchema(Schema):
    day = fields.Date()
    checked = fields.Integer()
    reports = fields.Dict(keys=fields.String(), values=fields.String(), metadata={
        "description": "supplier id → where its order report came from: fetched (from its report URL), "
                       "posted (in this request), unavailable (its report URL did not answer) or missing"})
    mismatches = fields.List(fields.Nested(MismatchSchema))


class NewStageSchema(Schema):
    key = fields.String(required=True, validate=CODE)
    name = fields.String(required=True, validate=validate.Length(min=1, max=100), metadata={"example": "首期款"})
    amount = Money(required=True)
    milestone_node_key = fields.String(required=True, metadata={
        "description": "key of the confirm node whose acceptance makes the stage due"})


class NewStagedContractSchema(Schema):
    project_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    customer_id = fields.String(load_default=None, allow_none=True, metadata={
        "description": "optional: the project's customer is known from the project; another id is refused"})
    currency = fields.String(load_default="CNY", validate=CURRENCY)
    terms_days = fields.Integer(load_default=10, validate=validate.Range(min=0, max=365))
    overdue_period_days = fields.Integer(load_default=7, validate=validate.Range(min=1, max=365))
    stages = fields.List(fields.Nested(NewStageSchema), required=True, validate=validate.Length(min=1, max=50))

    @validates_schema
    def _unique_keys(self, data, **kwargs):
        keys = [s["key"] for s in data.get("stages", [])]
        if len(keys) != len(set(keys)):
            raise ValidationError("stage keys must be unique", "stages")


class StageSchema(Schema):
    key = fields.String()
    name = fields.String()
    amount = fields.Integer()
    milestone_node_key = fields.String()
    status = fields.String()
    due_at = fields.AwareDateTime(allow_none=True)
    paid_at = fields.AwareDateTime(allow_none=True)
    alerts_sent = fields.Integer()
    payment = fields.String(metadata={"description": "none | pending | failed | stuck | paid | paid_out (BIL-12: "
                                                     "withheld from the customer, then paid out to the supplier)"})
    paid = fields.Integer()
    paid_out = fields.Integer()
    steps = fields.List(fields.Nested(StepSchema), metadata={
        "description": "its payment steps at the provider; a `stuck` one waits for the operator"})
    operator_actions = fields.List(fields.Nested(OperatorActionSchema), metadata={
        "description": "the operator's retries, fails and voids of its steps (the audit trail)"})


class StagedContractSchema(Schema):
    id = fields.String()
    status = fields.String(validate=validate.OneOf(CONTRACT_STATUSES), metadata={
        "description": "proposed (by the vendor) | accepted | declined (by the customer): only an accepted "
                       "contract's stages fall due, alert or are paid"})
    decided_at = fields.AwareDateTime(allow_none=True)
    project_id = fields.String()
    customer_id = fields.String()
    supplier_id = fields.String()
    currency = fields.String()
    terms_days = fields.Integer()
    overdue_period_days = fields.Integer()
    total = fields.Integer()
    stages = fields.List(fields.Nested(StageSchema))


class StagedContractQuerySchema(PageQuerySchema):
    status = fields.String(validate=validate.OneOf(CONTRACT_STATUSES), load_default=None)
    project_id = fields.String(load_default=None)


class StagedContractPageSchema(ProductPageSchema):
    items = fields.List(fields.Nested(StagedContractSchema))


# --- the ledger for finance (BIL-14) and stored reconciliation mismatches (BIL-11) ------------------

ACCOUNT_KINDS = ("credit", "credit_line", "customer", "clearing", "supplier")
TRANSFER_KINDS = ("posted", "pending", "post_pending", "void_pending")


class LedgerAccountQuerySchema(PageQuerySchema):
    currency = fields.String(load_default=None, validate=CURRENCY)
    kind = fields.String(load_default=None, validate=validate.OneOf(ACCOUNT_KINDS))


class LedgerAccountSchema(Schema):
    account_id = fields.String(metadata={"example": "supplier:0b6f…:USD"})
    kind = fields.String(validate=validate.OneOf(ACCOUNT_KINDS), metadata={
        "description": "credit (a customer's credit at a supplier), credit_line (the supplier's side), customer "
                       "(the customer's payment account), clearing (the platform's), supplier (the supplier's)"})
    currency = fields.String()
    customer_id = fields.String(allow_none=True)
    supplier_id = fields.String(allow_none=True)
    balance = fields.Integer(metadata={"description": "posted, minor units of `currency`"})
    pending = fields.Integer(metadata={"description": "reserved by holds not settled yet"})
    floor = fields.Integer(allow_none=True, metadata={"description": "lowest balance - pending allowed; null: none"})
    available = fields.Integer(allow_none=True)


class LedgerAccountPageSchema(ProductPageSchema):
    items = fields.List(fields.Nested(LedgerAccountSchema))


class LedgerTransactionQuerySchema(PageQuerySchema):
    account_id = fields.String(load_default=None, validate=validate.Length(min=1, max=120))
    currency = fields.String(load_default=None, validate=CURRENCY)
    kind = fields.String(load_default=None, validate=validate.OneOf(TRANSFER_KINDS))
    from_ = fields.AwareDateTime(load_default=None, data_key="from", attribute="from",
                                 metadata={"description": "at or after this instant"})
    to = fields.AwareDateTime(load_default=None, metadata={"description": "before this instant"})


class PostingSchema(Schema):
    account_id = fields.String()
    amount = fields.Integer(metadata={"description": "negative: taken from the account; positive: added"})


class LedgerTransactionSchema(Schema):
    id = fields.String()
    key = fields.String(metadata={"description": "the idempotency key: one transfer per key"})
    kind = fields.String(validate=validate.OneOf(TRANSFER_KINDS), metadata={
        "description": "posted (moved now), pending (a hold reserves), post_pending (the hold took effect), "
                       "void_pending (the hold was released; no postings)"})
    currency = fields.String()
    at = fields.AwareDateTime()
    memo = fields.String()
    pending_id = fields.String(allow_none=True)
    postings = fields.List(fields.Nested(PostingSchema))


class LedgerTransactionPageSchema(ProductPageSchema):
    items = fields.List(fields.Nested(LedgerTransactionSchema))


class LedgerBalanceQuerySchema(Schema):
    account_id = fields.String(required=True, validate=validate.Length(min=1, max=120))
    at = fields.AwareDateTime(load_default=None, metadata={"description": "the instant (default: now)"})


class LedgerBalanceSchema(Schema):
    account_id = fields.String()
    currency = fields.String()
    at = fields.AwareDateTime()
    balance = fields.Integer(metadata={"description": "posted balance as of `at`"})


MISMATCH_STATUSES = ("open", "resolved")


class MismatchQuerySchema(PageQuerySchema):
    day = fields.Date(load_default=None)
    status = fields.String(load_default=None, validate=validate.OneOf(MISMATCH_STATUSES))
    source = fields.String(load_default=None, validate=validate.OneOf(("provider", "supplier")))


class StoredMismatchSchema(MismatchSchema):
    day = fields.Date()
    found_at = fields.AwareDateTime()
    resolution = fields.String(allow_none=True)
    resolved_by = fields.String(allow_none=True)
    resolved_at = fields.AwareDateTime(allow_none=True)


class StoredMismatchPageSchema(ProductPageSchema):
    items = fields.List(fields.Nested(StoredMismatchSchema))


class ResolveMismatchSchema(Schema):
    resolution = fields.String(required=True, validate=validate.Length(min=1, max=2000), metadata={
        "description": "what was found and done (e.g. 供应商报表漏单，已补录)", "example": "供应商报表漏单，已补录"})
