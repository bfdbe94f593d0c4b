"""The order's money chain on the ledger: hold → post | void, then each provider step's transfers.

Handlers and the stateful property test both go through these functions, so what the test
proves about the ledger is what production does.
"""
from __future__ import annotations

from datetime import datetime

from billing_svc.domain import money
from billing_svc.domain.ledger import Ledger, Transfer
from billing_svc.domain.orders import Order, StepOutcome


def hold_key(order_id: str) -> str:
    return f"hold:{order_id}"


def place_hold(ledger: Ledger, order: Order, at: datetime) -> Transfer:
    """BIL-5: the order reserves its amount on the customer's credit at the supplier.

    Raises InsufficientCredit (nothing reserved) when the available credit does not cover it."""
    transfer = ledger.hold(hold_key(order.id), money.hold_postings(order.customer_id, order.supplier_id, order.amount),
                           order.currency, at, memo=f"order {order.id}")
    order.hold_id = transfer.id
    return transfer


def settle_fulfilment(ledger: Ledger, order: Order, succeeded: bool, at: datetime, reason: str = "",
                      supplier_ref: str | None = None) -> bool:
    """The supplier's result: post the hold on success, void it on failure. False when the order
    was already settled (a duplicate result changes nothing)."""
    changed = order.fulfilled(at, supplier_ref) if succeeded else order.failed(at, reason)
    if changed and order.hold_id:
        if succeeded:
            ledger.post(f"post:{order.id}", order.hold_id, at)
        else:
            ledger.void(f"void:{order.id}", order.hold_id, at)
    return changed


def settle_step(ledger: Ledger, order: Order, key: str, succeeded: bool, at: datetime,
                provider_ref: str | None = None) -> StepOutcome:
    """The provider's final answer for one step, and the transfers it causes (once per key)."""
    outcome = order.answer(key, succeeded, provider_ref)
    for transfer_key, postings in outcome.transfers:
        ledger.transfer(transfer_key, postings, order.currency, at, memo=f"order {order.id}")
    return outcome
