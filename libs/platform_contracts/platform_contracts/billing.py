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
