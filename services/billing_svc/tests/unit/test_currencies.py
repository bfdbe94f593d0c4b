"""BIL-13: money of several currencies never mixes; currency codes are ISO 4217 from a maintained list."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
from marshmallow import ValidationError

from billing_svc.domain import chain, currencies, money, statements
from billing_svc.domain.ledger import Ledger
from billing_svc.domain.orders import Order
from billing_svc.exceptions import UnsupportedCurrency
from billing_svc.schemas import CreditLimitSchema, NewProductSchema, NewStagedContractSchema

NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
PRODUCT = {"code": "US-1G", "name": "1GB", "face_value": 300, "price": 285}


def test_BIL13_any_three_capitals_are_not_a_currency():
    for schema, body in ((NewProductSchema(), PRODUCT), (CreditLimitSchema(), {"limit": 1}),
                         (NewStagedContractSchema(), {"project_id": "p", "stages": [
                             {"key": "a", "name": "首期款", "amount": 1, "milestone_node_key": "n"}]})):
        for wrong in ("ABC", "ZZZ", "usd", "US", "RMB"):
            with pytest.raises(ValidationError) as refused:
                schema.load({**body, "currency": wrong})
            assert "currency" in refused.value.messages
        assert schema.load({**body, "currency": "USD"})["currency"] == "USD"
    assert currencies.is_iso_4217("JPY") and not currencies.is_iso_4217("ABC")


def test_BIL13_the_supported_currencies_are_configured_and_checked():
    assert currencies.parse_supported("CNY, usd") == ("CNY", "USD")
    assert currencies.parse_supported(None) == currencies.DEFAULT_SUPPORTED
    with pytest.raises(RuntimeError):
        currencies.parse_supported("CNY,ABC")
    with pytest.raises(UnsupportedCurrency) as refused:
        currencies.check_supported("JPY", ("CNY", "USD"))
    assert refused.value.fields == {"currency": ["not supported: CNY, USD"]} and "JPY" in refused.value.message


def ledger_with(*opened: tuple[str, int | None]) -> Ledger:
    ledger = Ledger()
    for currency, limit in opened:
        for account in money.order_accounts("c", "s", currency, limit):
            ledger.accounts[account.id] = account
    return ledger


def pay(ledger: Ledger, order: Order) -> None:
    chain.place_hold(ledger, order, NOW)
    chain.settle_fulfilment(ledger, order, True, NOW)
    chain.settle_step(ledger, order, f"withhold:{order.id}:1", True, NOW)
    chain.settle_step(ledger, order, f"payout:{order.id}:1", True, NOW)


def test_BIL13_a_usd_order_is_withheld_paid_out_and_refunded_in_usd_beside_cny_money():
    """The clearing account and the credit line are per currency: a USD order after a CNY one no
    longer fails with 'Account clearing is not in USD'."""
    ledger = ledger_with(("CNY", None), ("USD", 1000))
    cny = Order("o-cny", "c", "s", "p", "CN-1G", 2850, "CNY", "k1", NOW)
    usd = Order("o-usd", "c", "s", "p2", "US-1G", 400, "USD", "k2", NOW)
    pay(ledger, cny)
    pay(ledger, usd)
    usd.start_refund("r1", 150, "", NOW)
    chain.settle_step(ledger, usd, "refund:r1:collect", True, NOW)
    chain.settle_step(ledger, usd, "refund:r1:return:1", True, NOW)
    balances = {a.id: a.balance for a in ledger.accounts.values() if a.balance}
    assert balances == {"customer:c:CNY": -2850, "supplier:s:CNY": 2850,
                        "customer:c:USD": -250, "supplier:s:USD": 250}
    assert ledger.accounts["credit:c:s:USD"].available == 1000, "the USD credit was given back"
    assert all(len({ledger.accounts[p.account_id].currency for p in t.postings}) == 1 for t in ledger.new_transfers)
    assert money.parse_account("credit:c:s:USD") == {"kind": "credit", "currency": "USD", "customer_id": "c",
                                                      "supplier_id": "s"}
    assert money.owners("clearing:USD") == set() and money.owners("supplier:s:USD") == {"s"}


def test_BIL13_a_statement_sums_per_currency_and_never_adds_cny_and_usd():
    orders = [Order("a", "c", "s", "p", "X", 2850, "CNY", "k1", NOW),
              Order("b", "c", "s", "p", "Y", 400, "USD", "k2", NOW)]
    for order in orders:
        order.fulfilled(NOW)
    result = statements.statement(NOW.date(), orders)
    assert result["orders"] == 2 and "amount" not in result
    assert [(t["currency"], t["amount"]) for t in result["totals"]] == [("CNY", 2850), ("USD", 400)]
