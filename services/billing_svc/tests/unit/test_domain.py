"""BIL-2..BIL-8, BIL-12: the domain rules one by one, without broker or database."""
from datetime import UTC, datetime, timedelta

import pytest

from billing_svc.domain import chain, money
from billing_svc.domain.catalogue import PriceLock, Product, Subscription, round_robin
from billing_svc.domain.ledger import Ledger, Posting, two_legs
from billing_svc.domain.orders import Order
from billing_svc.domain.parties import Customer
from billing_svc.domain.stages import DUE, PAID, Stage, StagedContract
from billing_svc.exceptions import (
    CustomerBlocked,
    IdempotencyConflict,
    InsufficientCredit,
    LedgerRuleBroken,
    NotOnboarded,
    PriceLocked,
    RefundTooLarge,
    WrongState,
)

NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


def ledger_for(limit):
    ledger = Ledger()
    for account in money.order_accounts("c", "s", "CNY", limit):
        ledger.accounts[account.id] = account
    return ledger


def test_BIL6_a_transfer_that_does_not_sum_to_zero_or_is_not_integer_is_refused():
    ledger = ledger_for(None)
    with pytest.raises(LedgerRuleBroken):
        ledger.transfer("k", (Posting("customer:c:CNY", -5), Posting("clearing:CNY", 4)), "CNY", NOW)
    with pytest.raises(LedgerRuleBroken):
        two_legs("customer:c:CNY", "clearing:CNY", 2.5)
    with pytest.raises(LedgerRuleBroken):
        two_legs("customer:c:CNY", "clearing:CNY", -3)
    assert ledger.new_transfers == []


def test_BIL6_the_same_key_gives_the_same_transfer_and_another_effect_under_it_is_refused():
    ledger = ledger_for(None)
    first = ledger.transfer("k", two_legs("customer:c:CNY", "clearing:CNY", 5), "CNY", NOW)
    assert ledger.transfer("k", two_legs("customer:c:CNY", "clearing:CNY", 5), "CNY", NOW) is first
    with pytest.raises(IdempotencyConflict):
        ledger.transfer("k", two_legs("customer:c:CNY", "clearing:CNY", 6), "CNY", NOW)
    assert ledger.accounts["clearing:CNY"].balance == 5


def test_BIL5_a_hold_beyond_the_credit_limit_fails_and_a_voided_hold_gives_the_credit_back():
    ledger = ledger_for(100)
    order = Order("o1", "c", "s", "p", "CODE", 80, "CNY", "k1", NOW)
    chain.place_hold(ledger, order, NOW)
    assert ledger.accounts["credit:c:s:CNY"].available == 20
    with pytest.raises(InsufficientCredit):
        chain.place_hold(ledger, Order("o2", "c", "s", "p", "CODE", 21, "CNY", "k2", NOW), NOW)
    chain.settle_fulfilment(ledger, order, False, NOW, "supplier failed")
    assert ledger.accounts["credit:c:s:CNY"].available == 100


def test_BIL6_a_paid_order_is_paid_out_and_refunded_at_most_what_was_paid():
    ledger = ledger_for(100)
    order = Order("o1", "c", "s", "p", "CODE", 80, "CNY", "k1", NOW)
    chain.place_hold(ledger, order, NOW)
    chain.settle_fulfilment(ledger, order, True, NOW)
    chain.settle_step(ledger, order, "withhold:o1:1", True, NOW)
    assert ledger.accounts["credit:c:s:CNY"].available == 100      # paid: credit given back
    chain.settle_step(ledger, order, "payout:o1:1", True, NOW)
    assert ledger.accounts["supplier:s:CNY"].balance == 80 and ledger.accounts["clearing:CNY"].balance == 0
    with pytest.raises(RefundTooLarge):
        order.start_refund("r1", 81, "", NOW)
    order.start_refund("r1", 30, "", NOW)
    chain.settle_step(ledger, order, "refund:r1:collect", True, NOW)
    chain.settle_step(ledger, order, "refund:r1:return:1", True, NOW)
    assert ledger.accounts["customer:c:CNY"].balance == -50 and ledger.accounts["supplier:s:CNY"].balance == 50
    with pytest.raises(RefundTooLarge):
        order.start_refund("r2", 51, "", NOW)


def test_BIL2_BIL7_orders_are_refused_without_agreements_and_while_blocked():
    customer = Customer("c")
    with pytest.raises(NotOnboarded) as refused:
        customer.check_may_order()
    assert "withholding agreement" in refused.value.message
    customer.sign(NOW, "acct-1", True, True)
    customer.confirm(NOW, "op")
    customer.check_may_order()
    for _ in range(3):
        customer.count_unpaid(+1)
    with pytest.raises(CustomerBlocked):
        customer.check_may_order()
    assert customer.count_unpaid(-1) == (False, True)
    customer.check_may_order()


def test_BIL8_no_price_change_or_customer_cancellation_during_the_lock():
    lock = PriceLock(NOW - timedelta(days=1), NOW + timedelta(days=1))
    product = Product("p", "s", "CODE", "1 GB", 1000, 900, "CNY")
    with pytest.raises(PriceLocked):
        product.change_price(950, lock, NOW)
    subscription = Subscription("sub", "c", "s", "p", "CODE", "approved", NOW)
    with pytest.raises(PriceLocked):
        subscription.cancel(lock, NOW)
    with pytest.raises(PriceLocked):
        subscription.pause(lock, NOW)
    assert product.change_price(950, lock, NOW + timedelta(days=2)) is True


def test_BIL4_round_robin_takes_each_supplier_in_turn():
    picks, cursor = [], 0
    for _ in range(6):
        supplier, cursor = round_robin(["s3", "s1", "s2"], cursor)
        picks.append(supplier)
    assert picks == ["s1", "s2", "s3", "s1", "s2", "s3"]


def test_BIL12_a_stage_falls_due_when_the_flow_passes_its_milestone_and_alerts_once_per_period():
    contract = StagedContract("k", "prj", "c", "s", "CNY", terms_days=5, overdue_period_days=7, stages=[
        Stage("first", "首期款", 3000, "confirm-start"), Stage("final", "尾款", 7000, "confirm-final")],
        status="accepted")
    assert contract.node_reached("confirm-start", 2, NOW) == []          # reaching the confirm node is not passing it
    due = contract.node_reached("build", 3, NOW)
    assert [s.key for s in due] == ["first"] and due[0].status == DUE
    assert contract.overdue_alert("first", NOW + timedelta(days=4)) == (False, NOW + timedelta(days=5))
    alert, again = contract.overdue_alert("first", NOW + timedelta(days=6))
    assert alert and again == NOW + timedelta(days=12)
    assert contract.overdue_alert("first", NOW + timedelta(days=7))[0] is False
    assert contract.overdue_alert("first", NOW + timedelta(days=13))[0] is True
    step = contract.collect("first")
    contract.answer(step.key, True, NOW + timedelta(days=14))
    assert contract.overdue_alert("first", NOW + timedelta(days=30)) == (False, None)


def test_BIL12_paying_a_stage_withholds_then_pays_out_as_balanced_transfers_once_per_key():
    contract = StagedContract("k", "prj", "c", "s", "CNY", terms_days=5, overdue_period_days=7, stages=[
        Stage("first", "首期款", 3000, "confirm-start")], status="accepted")
    with pytest.raises(WrongState):
        contract.collect("first")                                   # not due yet
    contract.milestone_passed("confirm-start", NOW)
    step = contract.collect("first")
    assert contract.collect("first") is step, "asking twice while under way withholds once"
    assert step.key == "stage:k:first:withhold:1"
    request = contract.request_for(step)
    assert (request.payer, request.payee, request.amount, request.order_id) == ("customer:c", "platform", 3000, "k")
    failed = contract.answer(step.key, False, NOW)
    assert failed.transfers == [] and failed.events and contract.stage("first").status == DUE
    assert contract.stage("first").payment == "failed"
    again = contract.collect("first")
    assert again.key == "stage:k:first:withhold:2"
    paid = contract.answer(again.key, True, NOW, "pay-9")
    assert [k for k, _ in paid.transfers] == [again.key]
    assert all(sum(p.amount for p in postings) == 0 for _, postings in paid.transfers)
    assert contract.stage("first").status == PAID and contract.stage("first").payment == "paid"
    assert contract.answer(again.key, True, NOW).transfers == [], "a duplicate answer has no second effect"
    _, payout = contract.next_step()
    assert payout.key == "stage:k:first:payout:1" and contract.request_for(payout).payee == "supplier:s"
    assert [k for k, _ in contract.answer(payout.key, True, NOW).transfers] == [payout.key]
    assert contract.stage("first").payment == "paid_out" and contract.next_step() is None


def test_BIL11_reconciliation_lists_every_mismatch_with_the_suppliers_reports_and_a_missing_report():
    from billing_svc.domain import statements

    orders = []
    for n, supplier in enumerate(("s1", "s1", "s2", "s3")):
        order = Order(f"o{n}", "c", supplier, "p", "CODE", 100, "CNY", f"k{n}", NOW)
        order.fulfilled(NOW)
        orders.append(order)
    reports = {"s1": [{"order_id": "o0", "status": "succeeded", "amount": 100},        # agrees
                      {"order_id": "o1", "status": "succeeded", "amount": 90},         # planted: amount
                      {"order_id": "ghost", "status": "succeeded", "amount": 100}],    # not ours
               "s2": []}                                                               # o2 left out
    checked, mismatches = statements.reconcile([], [], orders, reports,
                                               {"s1": "fetched", "s2": "posted", "s3": "unavailable"})
    found = {(m["reference"], m["problem"]) for m in mismatches}
    assert found == {("o1", "status or amount differ"), ("ghost", "unknown order"), ("o2", "missing in the report"),
                     ("s3", "report unavailable")}
    assert checked == 4


def test_BIL5_BIL6_only_accounts_whose_floor_a_step_checks_are_locked_before_it():
    order = Order("o", "c", "s", "p", "CODE", 100, "CNY", "k", NOW)
    assert chain.hold_locks(order) == ["credit:c:s:CNY"]
    order.fulfilled(NOW)
    withhold = order.next_step().key
    assert chain.step_locks(order, withhold) == [], "money into clearing needs no lock taken first"
    order.answer(withhold, True)
    assert chain.step_locks(order, order.next_step().key) == ["clearing:CNY"], "a payout checks clearing's floor"
    assert set(chain.step_locks(order, withhold)) <= set(chain.step_accounts(order, withhold))


def test_BIL11_an_order_refused_for_credit_is_not_missing_from_its_suppliers_report():
    from billing_svc.domain import statements

    ledger = Ledger()
    for account in money.order_accounts("c", "s1", "CNY", 100):
        ledger.accounts[account.id] = account
    sent = Order("o-sent", "c", "s1", "p", "CODE", 100, "CNY", "k1", NOW)
    chain.place_hold(ledger, sent, NOW)
    refused = Order("o-refused", "c", "s1", "p", "CODE", 100, "CNY", "k2", NOW)
    with pytest.raises(InsufficientCredit):
        chain.place_hold(ledger, refused, NOW)
    refused.failed(NOW, "insufficient credit")
    chain.settle_fulfilment(ledger, sent, True, NOW)
    checked, mismatches = statements.reconcile([], [], [sent, refused],
                                               {"s1": [{"order_id": "o-sent", "status": "succeeded", "amount": 100}]},
                                               {"s1": "fetched"})
    assert (checked, mismatches) == (1, []), "the refused order never reached the supplier"


@pytest.mark.parametrize("schema, body, field", [
    ("NewProductSchema", {"code": "C", "name": "n", "face_value": 3000, "price": 2**62, "currency": "CNY"}, "price"),
    ("NewProductSchema", {"code": "C", "name": "n", "face_value": 10**15 + 1, "price": 1, "currency": "CNY"},
     "face_value"),
    ("ProductChangeSchema", {"price": 2**62}, "price"),
    ("NewRefundSchema", {"amount": 2**62}, "amount"),
    ("CreditLimitSchema", {"limit": 2**62}, "limit"),
    ("NewStageSchema", {"key": "k", "name": "n", "amount": 2**62, "milestone_node_key": "m"}, "amount"),
])
def test_BIL6_money_above_10_to_the_15_minor_units_is_refused_naming_the_field(schema, body, field):
    from billing_svc import schemas
    from platform_kit.errors import ValidationFailed
    from platform_kit.validation import load

    with pytest.raises(ValidationFailed) as refused:
        load(getattr(schemas, schema)(), body)
    assert list(refused.value.fields) == [field]
    at_most = {**body, field: 10**15}
    assert load(getattr(schemas, schema)(), at_most)[field] == 10**15


def test_BIL6_the_ledger_refuses_an_amount_above_10_to_the_15_minor_units():
    from billing_svc.domain.ledger import positive_amount

    assert positive_amount(10**15) == 10**15
    with pytest.raises(LedgerRuleBroken) as refused:
        positive_amount(2**62)
    assert refused.value.fields == {"amount": ["at most 1000000000000000"]}


def test_BIL3_a_cancelled_or_rejected_subscription_can_be_requested_again():
    from billing_svc.domain.catalogue import APPROVED, CANCELLED, REJECTED, REQUESTED, Subscription

    for status in (REJECTED, CANCELLED):
        subscription = Subscription("sub", "c", "s", "p", "CODE", status, NOW, decided_at=NOW)
        assert subscription.request_again(NOW + timedelta(days=1))
        assert (subscription.status, subscription.requested_at, subscription.decided_at) == (
            REQUESTED, NOW + timedelta(days=1), None)
    approved = Subscription("sub", "c", "s", "p", "CODE", APPROVED, NOW)
    assert not approved.request_again(NOW) and approved.status == APPROVED
