"""BIL-6: nothing is stuck for ever. Every step toward a supplier or the payment provider has a
retry budget with exponential back-off and a deadline; what exhausts it fails (an order: its
credit released) or stops for the operator, who retries, fails or voids it once (pure domain)."""
from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from billing_svc.domain import chain, money
from billing_svc.domain.ledger import Ledger
from billing_svc.domain.orders import (
    PAYOUT,
    REFUND_RETURN,
    SENT,
    STEP_FAILED,
    STEP_STUCK,
    STEP_VOIDED,
    TO_SEND,
    Order,
)
from billing_svc.domain.retries import RetryPolicy
from billing_svc.exceptions import WrongState

NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
POLICY = RetryPolicy(max_attempts=3, base_seconds=2, max_backoff_seconds=5, fulfil_deadline_seconds=600,
                     answer_deadline_seconds=600)


def ledger_with_accounts(limit: int | None = 1_000) -> Ledger:
    counter = itertools.count()
    ledger = Ledger(new_id=lambda: f"t{next(counter)}")
    for account in money.order_accounts("c1", "s1", "CNY", limit):
        ledger.accounts[account.id] = account
    return ledger


def held_order(ledger: Ledger, amount: int = 300) -> Order:
    order = Order("o1", "c1", "s1", "p", "CODE", amount, "CNY", "k", NOW)
    chain.place_hold(ledger, order, NOW)
    return order


def paid_order(ledger: Ledger) -> Order:
    """Fulfilled and withheld: its payout is the next step."""
    order = held_order(ledger)
    chain.settle_fulfilment(ledger, order, True, NOW)
    order.mark_sent(order.next_step().key, NOW)
    chain.settle_step(ledger, order, order.steps[0].key, True, NOW)
    return order


def test_the_back_off_doubles_from_the_base_and_is_capped():
    assert [POLICY.backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [2, 4, 5, 5]
    assert RetryPolicy.from_config({"BILLING_RETRY_MAX_ATTEMPTS": "4", "BILLING_RETRY_BASE_SECONDS": ""}) == \
        RetryPolicy(max_attempts=4)
    with pytest.raises(ValueError):
        RetryPolicy.from_config({"BILLING_RETRY_MAX_ATTEMPTS": "0"})


def test_BIL5_an_order_whose_supplier_never_answers_fails_after_its_budget_and_releases_its_credit():
    ledger = ledger_with_accounts()
    order = held_order(ledger)
    credit = ledger.accounts[money.credit_account("c1", "s1", "CNY")]
    assert credit.pending == 300
    first = chain.fulfilment_unanswered(ledger, order, NOW, "500 from supplier", POLICY)
    second = chain.fulfilment_unanswered(ledger, order, NOW, "500 from supplier", POLICY)
    assert (first, second) == (NOW + timedelta(seconds=2), NOW + timedelta(seconds=4))
    assert chain.fulfilment_unanswered(ledger, order, NOW, "500 from supplier", POLICY) is None
    assert order.status == "failed" and "500 from supplier" in order.reason
    assert credit.pending == 0 and credit.available == 1_000, "the hold was voided: the credit is free again"
    assert chain.fulfilment_unanswered(ledger, order, NOW, "again", POLICY) is None and order.fulfil_attempts == 3


def test_BIL5_an_order_still_processing_at_its_deadline_fails_and_releases_its_credit():
    ledger = ledger_with_accounts()
    order = held_order(ledger)
    assert not chain.fulfilment_overdue(ledger, order, NOW + timedelta(seconds=599), POLICY)
    assert chain.fulfilment_overdue(ledger, order, NOW + timedelta(seconds=600), POLICY)
    assert order.status == "failed" and ledger.accounts[money.credit_account("c1", "s1", "CNY")].pending == 0


def test_BIL6_a_payout_refused_again_and_again_is_retried_with_back_off_then_stops_for_the_operator():
    ledger = ledger_with_accounts()
    order = paid_order(ledger)
    delays = []
    for _ in range(POLICY.max_attempts):
        step = order.next_step()
        assert step.kind == PAYOUT
        order.mark_sent(step.key, NOW)
        outcome = chain.settle_step(ledger, order, step.key, False, NOW, policy=POLICY)
        delays.append(outcome.retry_after)
    assert delays[:-1] == [1, 2] and outcome.stuck, "the last refusal spent the budget"
    assert order.next_step() is None, "nothing goes out by itself any more"
    [stuck] = order.stuck_steps()
    assert (stuck.kind, stuck.status, stuck.key) == (PAYOUT, STEP_STUCK, f"payout:{order.id}:4")


def test_BIL6_a_step_the_provider_never_answers_stops_after_its_budget_or_its_deadline():
    ledger = ledger_with_accounts()
    order = held_order(ledger)
    chain.settle_fulfilment(ledger, order, True, NOW)
    step = order.mark_sent(order.next_step().key, NOW)
    assert order.unanswered(step.key, NOW, POLICY) == NOW + timedelta(seconds=2)
    assert order.unanswered(step.key, NOW, POLICY, processing=True) == NOW + timedelta(seconds=4)
    assert order.unanswered(step.key, NOW, POLICY, processing=True) is not None, "processing: the deadline counts"
    assert order.unanswered(step.key, NOW + timedelta(seconds=600), POLICY, processing=True) is None
    assert step.status == STEP_STUCK and order.withholding == "stuck"
    other = Order("o2", "c1", "s1", "p", "CODE", 5, "CNY", "k2", NOW)
    other.fulfilled(NOW)
    step = other.mark_sent(other.next_step().key, NOW)
    for _ in range(POLICY.max_attempts - 1):
        assert other.unanswered(step.key, NOW, POLICY) is not None
    assert other.unanswered(step.key, NOW, POLICY) is None and step.status == STEP_STUCK


def stuck_payout(ledger: Ledger) -> Order:
    order = paid_order(ledger)
    for _ in range(POLICY.max_attempts):
        step = order.mark_sent(order.next_step().key, NOW)
        chain.settle_step(ledger, order, step.key, False, NOW, policy=POLICY)
    return order


def test_BIL6_the_operator_retries_a_stuck_payout_once_a_second_click_changes_nothing():
    ledger = ledger_with_accounts()
    order = stuck_payout(ledger)
    [step] = order.stuck_steps()
    assert chain.resolve_step(ledger, order, step.key, "retry", "u-op", NOW) is not None
    assert step.status == TO_SEND and order.next_step() is step
    assert chain.resolve_step(ledger, order, step.key, "retry", "u-op", NOW) is None, "a second click"
    assert [a["action"] for a in order.operator_actions] == ["retry"]
    with pytest.raises(WrongState):
        chain.resolve_step(ledger, order, step.key, "fail", "u-op", NOW)   # not stuck any more
    order.mark_sent(step.key, NOW)
    chain.settle_step(ledger, order, step.key, True, NOW, policy=POLICY)
    assert order.paid_out == 300 and ledger.accounts[money.supplier_account("s1", "CNY")].balance == 300


def test_BIL6_the_operator_fails_or_voids_a_stuck_payout_and_the_money_stays_in_clearing():
    for action, status in (("fail", STEP_FAILED), ("void", STEP_VOIDED)):
        ledger = ledger_with_accounts()
        order = stuck_payout(ledger)
        [step] = order.stuck_steps()
        chain.resolve_step(ledger, order, step.key, action, "u-op", NOW)
        assert step.status == status and order.next_step() is None
        assert chain.resolve_step(ledger, order, step.key, action, "u-op", NOW) is None, "a second click"
        assert ledger.accounts[money.clearing("CNY")].balance == 300 and order.paid_out == 0


def test_BIL6_a_withholding_or_a_refund_return_cannot_be_voided_but_can_be_failed():
    ledger = ledger_with_accounts()
    order = held_order(ledger)
    chain.settle_fulfilment(ledger, order, True, NOW)
    step = order.mark_sent(order.next_step().key, NOW)
    for _ in range(POLICY.max_attempts):
        order.unanswered(step.key, NOW, POLICY)
    with pytest.raises(WrongState):
        chain.resolve_step(ledger, order, step.key, "void", "u-op", NOW)
    outcome = chain.resolve_step(ledger, order, step.key, "fail", "u-op", NOW)
    assert outcome.unpaid_delta == 1 and order.withholding == "failed", "BIL-7 counts it as unpaid"


def test_BIL6_a_refund_whose_return_is_failed_by_the_operator_is_never_collected_twice():
    ledger = ledger_with_accounts()
    order = paid_order(ledger)
    order.mark_sent(order.next_step().key, NOW)
    chain.settle_step(ledger, order, order.steps[-1].key, True, NOW)       # paid out
    order.start_refund("r1", 300, "not delivered", NOW)
    collect = order.mark_sent(order.next_step().key, NOW)
    chain.settle_step(ledger, order, collect.key, True, NOW, policy=POLICY)
    for _ in range(POLICY.max_attempts):
        step = order.mark_sent(order.next_step().key, NOW)
        assert step.kind == REFUND_RETURN
        chain.settle_step(ledger, order, step.key, False, NOW, policy=POLICY)
    [stuck] = order.stuck_steps()
    chain.resolve_step(ledger, order, stuck.key, "fail", "u-op", NOW)
    assert order.refunds[0].status == "stopped" and order.refunded == 300
    with pytest.raises(Exception, match="refunded"):
        order.start_refund("r2", 1, "again", NOW)
    assert ledger.accounts[money.clearing("CNY")].balance == 300, "the supplier's money waits in clearing"


def test_BIL6_the_operator_retries_fails_or_voids_an_order_waiting_for_its_supplier():
    ledger = ledger_with_accounts()
    order = held_order(ledger)
    chain.fulfilment_unanswered(ledger, order, NOW, "no URL", POLICY)
    assert chain.resolve_fulfilment(ledger, order, "retry", "u-op", NOW) and order.fulfil_attempts == 0
    assert not chain.resolve_fulfilment(ledger, order, "retry", "u-op", NOW), "a second click"
    assert chain.resolve_fulfilment(ledger, order, "void", "u-op", NOW)
    assert order.status == "failed" and ledger.accounts[money.credit_account("c1", "s1", "CNY")].pending == 0
    assert not chain.resolve_fulfilment(ledger, order, "void", "u-op", NOW), "a second click"
    with pytest.raises(WrongState):
        chain.resolve_fulfilment(ledger, order, "retry", "u-op", NOW)
    assert [a["action"] for a in order.operator_actions] == ["retry", "void"]


def test_BIL6_an_answer_that_comes_after_all_settles_a_stuck_step():
    ledger = ledger_with_accounts()
    order = held_order(ledger)
    chain.settle_fulfilment(ledger, order, True, NOW)
    step = order.mark_sent(order.next_step().key, NOW)
    order.unanswered(step.key, NOW + timedelta(days=2), POLICY)
    assert step.status == STEP_STUCK
    chain.settle_step(ledger, order, step.key, True, NOW, policy=POLICY)
    assert order.withholding == "paid" and order.next_step().kind == PAYOUT and order.next_step().status != SENT


def test_BIL6_the_parties_see_what_the_operator_did_to_their_order_but_not_who():
    from billing_svc import handlers
    from platform_contracts.actor import Actor
    from platform_contracts.roles import CUSTOMER, CUSTOMER_ROLE, OPERATOR, PLATFORM_OPERATOR

    class Orders:
        def get(self, order_id, for_update=False):
            order = Order("o1", "c1", "s1", "p", "CODE", 300, "CNY", "k", NOW)
            order.record_action("fulfil:o1", "void", "u-op", NOW)
            return order

    class Uow:
        orders = Orders()
    seen = handlers.get_order(Actor("u-c", "c1", CUSTOMER, (CUSTOMER_ROLE,)), "o1", Uow())
    assert seen.operator_actions == [{"key": "fulfil:o1", "action": "void", "at": NOW.isoformat(), "note": ""}]
    operator = handlers.get_order(Actor("u-x", "op", OPERATOR, (PLATFORM_OPERATOR,)), "o1", Uow())
    assert operator.operator_actions[0]["by"] == "u-op"
