"""Events of billing_svc (the supplier money chain, BIL-1..BIL-12)."""
from marshmallow import Schema, fields, validate

from platform_contracts.notify import NotificationRequest
from platform_kit.contracts import register


class OrderResultReady(Schema):
    """BIL-9: an order's result, to be pushed (signed, retried) to the customer's callback URL."""

    order_id = fields.String(required=True)
    customer_id = fields.String(required=True, metadata={"description": "the customer organisation (webhook owner)"})
    callback_url = fields.String(allow_none=True, load_default=None, metadata={
        "description": "the customer's configured callback URL; none configured: nothing to push"})
    idempotency_key = fields.String(required=True, metadata={"description": "the key the customer ordered with"})
    product_code = fields.String(required=True)
    supplier_id = fields.String(required=True)
    amount = fields.Integer(required=True, metadata={"description": "integer minor units"})
    currency = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(("succeeded", "failed")))
    reason = fields.String(load_default="")


class PaymentStepResolved(Schema):
    """BIL-6: the platform operator retried, failed or voided a stuck step of an order (audited)."""

    order_id = fields.String(required=True)
    customer_id = fields.String(required=True)
    supplier_id = fields.String(required=True)
    step_key = fields.String(required=True, metadata={"description": "a payment step's key, or fulfil:<order>"})
    action = fields.String(required=True, validate=validate.OneOf(("retry", "fail", "void")))
    note = fields.String(load_default="")
    operator_user_id = fields.String(required=True, metadata={"description": "who (never sent to webhooks)"})
    operator_org_id = fields.String(required=True)


class PaymentStageDue(Schema):
    """BIL-12: a milestone was accepted, so its stage of a staged contract is due."""

    contract_id = fields.String(required=True)
    project_id = fields.String(required=True)
    customer_id = fields.String(required=True)
    supplier_id = fields.String(required=True)
    stage_key = fields.String(required=True)
    stage_name = fields.String(required=True)
    amount = fields.Integer(required=True)
    currency = fields.String(required=True)
    due_at = fields.AwareDateTime(required=True)


register("order_result_ready", source="billing", schema=OrderResultReady,
         description="An enterprise order succeeded or failed (BIL-4, BIL-9); notify_svc pushes it to the "
                     "customer's callback URL, signed and retried.")
register("billing_notification_requested", source="billing", schema=NotificationRequest,
         description="billing asks notify_svc to tell people (BIL-7 blocked/unblocked, BIL-10 price change and "
                     "channel suspension by e-mail, BIL-12 stage due and overdue alerts, once per dedupe_key).")
register("payment_step_resolved", source="billing", schema=PaymentStepResolved,
         description="The platform operator retried, failed or voided a stuck step of an order (BIL-6); "
                     "identity_svc writes it to the audit log.")
register("payment_stage_due", source="billing", schema=PaymentStageDue,
         description="A stage of a staged contract fell due because its milestone was accepted (BIL-12).")


class MoneyMovement(Schema):
    """BIL-14: one movement of money at the payment provider, as the ledger recorded it. An ERP
    follows money from these without polling; ``movement_id`` is the step's idempotency key (the
    same at the provider and on the ledger transfer), so a consumer applies each once."""

    movement_id = fields.String(required=True, metadata={"example": "withhold:4f1c…:1"})
    customer_id = fields.String(required=True)
    supplier_id = fields.String(required=True)
    amount = fields.Integer(required=True, metadata={"description": "integer minor units of `currency`"})
    currency = fields.String(required=True, metadata={"description": "ISO 4217", "example": "CNY"})
    order_id = fields.String(allow_none=True, load_default=None, metadata={"description": "an order's movement"})
    contract_id = fields.String(allow_none=True, load_default=None, metadata={
        "description": "a staged contract's movement (BIL-12), with its `stage_key`"})
    stage_key = fields.String(allow_none=True, load_default=None)
    refund_id = fields.String(allow_none=True, load_default=None)
    provider_reference = fields.String(allow_none=True, load_default=None)


for _type, _what in (
        ("withholding_succeeded", "The amount was withheld from the customer's payment account into clearing (BIL-6)."),
        ("withholding_failed", "A withholding failed (the customer's account could not pay); it counts as unpaid "
                               "(BIL-7) until a retry succeeds."),
        ("payout_paid", "Clearing paid the supplier (BIL-6)."),
        ("payout_failed", "A payout attempt failed; the money stays in clearing and the payout is tried again."),
        ("refund_completed", "A refund reached the customer's payment account (supplier → platform → customer)."),
        ("refund_failed", "A refund failed: the amount could not be collected from the supplier; nothing moved.")):
    register(_type, source="billing", schema=MoneyMovement, description=f"{_what} BIL-14.")
