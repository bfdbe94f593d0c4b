"""The order's money chain on the ledger: hold → post | void, then each provider step's transfers.

Handlers and the stateful property test both go through these functions, so what the test
proves about the ledger is what production does.
"""
from __future__ import annotations

from datetime import datetime

from billing_svc.domain import money
from billing_svc.domain.ledger import Ledger, Transfer
from billing_svc.domain.orders import (
    FAIL,
    FULFILLING,
    OPERATOR_ACTIONS,
    PAYOUT,
    REFUND_COLLECT,
    REFUND_RETURN,
    RETRY,
    WITHHOLD,
    Order,
    StepOutcome,
)
from billing_svc.domain.retries import DEFAULT_POLICY, RetryPolicy
from billing_svc.exceptions import WrongState

NOT_FULFILLED = "供应商未在期限内履约，订单失败，额度已释放（supplier did not fulfil in time）"


def hold_key(order_id: str) -> str:
    return f"hold:{order_id}"


def hold_accounts(order: Order) -> list[str]:
    """The accounts a hold, its post and its void touch (no others are loaded or locked: the
    platform-wide ``clearing`` account is not held up by orders being placed)."""
    return [money.credit_account(order.customer_id, order.supplier_id, order.currency),
            money.credit_line(order.supplier_id, order.currency)]


def floored_debits(kind: str | None, credit_account: str, currency: str) -> list[str]:
    """The accounts with a floor that a step of this kind takes money from: the only ones whose
    balance must be read under a lock (the floor is checked against it). Every other account a
    step touches is moved by a relative update (``balance = balance + x``), so concurrent steps
    need not queue for it: money *into* the platform-wide ``clearing`` account (every
    withholding) no longer waits for the other withholdings."""
    clearing = money.clearing(currency)
    return {"hold": [credit_account], PAYOUT: [clearing], REFUND_RETURN: [clearing]}.get(kind, [])


def step_locks(order: Order, key: str) -> list[str]:
    step = order.step(key)
    return floored_debits(step.kind if step else None,
                          money.credit_account(order.customer_id, order.supplier_id, order.currency), order.currency)


def hold_locks(order: Order) -> list[str]:
    """A hold, its post and its void take from the customer's credit at the supplier."""
    return floored_debits("hold", money.credit_account(order.customer_id, order.supplier_id, order.currency),
                          order.currency)


def step_accounts(order: Order, key: str) -> list[str]:
    """The accounts the provider step ``key`` of the order may touch when it is answered."""
    step = order.step(key)
    c, s, ccy = order.customer_id, order.supplier_id, order.currency
    clearing = money.clearing(ccy)
    return {
        WITHHOLD: [money.customer_account(c, ccy), clearing, *hold_accounts(order)],
        PAYOUT: [clearing, money.supplier_account(s, ccy)],
        REFUND_COLLECT: [money.supplier_account(s, ccy), clearing],
        REFUND_RETURN: [clearing, money.customer_account(c, ccy)],
    }.get(step.kind if step else None, [])


def place_hold(ledger: Ledger, order: Order, at: datetime) -> Transfer:
    """BIL-5: the order reserves its amount on the customer's credit at the supplier.

    Raises InsufficientCredit (nothing reserved) when the available credit does not cover it."""
    transfer = ledger.hold(hold_key(order.id), money.hold_postings(order.customer_id, order.supplier_id, order.amount,
                                                                order.currency),
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
                provider_ref: str | None = None, policy: RetryPolicy = DEFAULT_POLICY) -> StepOutcome:
    """The provider's final answer for one step, and the transfers it causes (once per key)."""
    return _transfers(ledger, order, order.answer(key, succeeded, provider_ref, policy), at)


def _transfers(ledger: Ledger, order: Order, outcome: StepOutcome, at: datetime) -> StepOutcome:
    for transfer_key, postings in outcome.transfers:
        ledger.transfer(transfer_key, postings, order.currency, at, memo=f"order {order.id}")
    return outcome


def fulfilment_unanswered(ledger: Ledger, order: Order, at: datetime, reason: str,
                          policy: RetryPolicy = DEFAULT_POLICY) -> datetime | None:
    """The supplier's system gave no usable answer (no URL, a 5xx, a time-out): when to ask again,
    or None when the order failed now (its budget or its deadline spent; the hold is voided, so
    the credit is released) or is no longer waiting."""
    if order.status != FULFILLING:
        return None
    order.fulfil_attempts += 1
    deadline = policy.fulfil_deadline(order.created_at)
    if policy.exhausted(order.fulfil_attempts) or at >= deadline:
        settle_fulfilment(ledger, order, False, at, f"{NOT_FULFILLED}: {reason}"[:500])
        return None
    return min(at + policy.backoff(order.fulfil_attempts), deadline)


def fulfilment_overdue(ledger: Ledger, order: Order, at: datetime, policy: RetryPolicy = DEFAULT_POLICY) -> bool:
    """An order still waiting for its supplier at its deadline fails and releases its credit."""
    if order.status != FULFILLING or at < policy.fulfil_deadline(order.created_at):
        return False
    return settle_fulfilment(ledger, order, False, at, NOT_FULFILLED)


def resolve_fulfilment(ledger: Ledger, order: Order, action: str, by: str, at: datetime) -> bool:
    """The operator's hand on an order still waiting for its supplier: retry (a fresh budget),
    fail or void (the order fails and its credit is released). False: a second click of the same
    action, which changes nothing."""
    if action not in OPERATOR_ACTIONS:
        raise WrongState(f"Unknown action {action}.")
    key = order.fulfil_key()
    if order.status != FULFILLING or (action == RETRY and order.fulfil_attempts == 0
                                      and order.last_action(key) == RETRY):
        if order.last_action(key) == action:
            return False
        raise WrongState(f"Order {order.id} is {order.status}, not waiting for its supplier.")
    if action == RETRY:
        order.fulfil_attempts = 0
    else:
        reason = ("运营人员判定失败（failed by the operator）" if action == FAIL
                  else "运营人员作废（voided by the operator）")
        settle_fulfilment(ledger, order, False, at, reason)
    order.record_action(key, action, by, at)
    return True


def resolve_step(ledger: Ledger, order: Order, key: str, action: str, by: str, at: datetime) -> StepOutcome | None:
    """The operator's hand on a stuck payment step (see ``Order.resolve_step``) and its transfers."""
    outcome = order.resolve_step(key, action, by, at)
    return None if outcome is None else _transfers(ledger, order, outcome, at)
