"""Which accounts exist and which transfers each step of an order makes (BIL-5, BIL-6). Pure Python.

Accounts are per party *and* currency (BIL-13): the currency is the last part of every account
id, so money of one currency never meets another's (a USD order opens USD accounts beside the CNY
ones; nothing is converted).

- ``credit:<customer>:<supplier>:<CCY>``: the customer's credit at a supplier; floor ``-limit``
  (none when unlimited). An order holds its amount here; a paid withholding gives the credit back.
- ``credit_line:<supplier>:<CCY>``: the other side of the supplier's credit lines.
- ``customer:<customer>:<CCY>``: the customer's enterprise payment account as the platform sees it.
- ``clearing:<CCY>``: money the platform collected and has not passed on; floor 0.
- ``supplier:<supplier>:<CCY>``: the supplier's payment account as the platform sees it.

At the payment provider a party is named without the currency (``customer:<id>``,
``supplier:<id>``): the request carries the currency.

Every step has one idempotency key, derived from the order (or refund) and the attempt, so a
retried step, a redelivered event or a second replica finds the transfer already made.
"""
from __future__ import annotations

from billing_svc.domain.ledger import Account, Posting, two_legs

CLEARING = "clearing"
KINDS = ("credit", "credit_line", "customer", "clearing", "supplier")


def clearing(currency: str) -> str:
    return f"{CLEARING}:{currency}"


def credit_account(customer_id: str, supplier_id: str, currency: str) -> str:
    return f"credit:{customer_id}:{supplier_id}:{currency}"


def credit_line(supplier_id: str, currency: str) -> str:
    return f"credit_line:{supplier_id}:{currency}"


def customer_account(customer_id: str, currency: str) -> str:
    return f"customer:{customer_id}:{currency}"


def supplier_account(supplier_id: str, currency: str) -> str:
    return f"supplier:{supplier_id}:{currency}"


def customer_party(customer_id: str) -> str:
    """The customer's payment account as the payment provider knows it."""
    return f"customer:{customer_id}"


def supplier_party(supplier_id: str) -> str:
    return f"supplier:{supplier_id}"


def parse_account(account_id: str) -> dict:
    """``{"kind", "currency", "customer_id", "supplier_id"}`` of an account id (ids absent: None)."""
    kind, *middle, currency = account_id.split(":")
    customer = middle[0] if kind in ("credit", "customer") else None
    supplier = middle[-1] if kind in ("credit", "credit_line", "supplier") else None
    return {"kind": kind, "currency": currency, "customer_id": customer, "supplier_id": supplier}


def owners(account_id: str) -> set[str]:
    """The organisations whose account this is (the platform's own: none)."""
    parsed = parse_account(account_id)
    return {o for o in (parsed["customer_id"], parsed["supplier_id"]) if o}


def order_accounts(customer_id: str, supplier_id: str, currency: str, limit: int | None) -> list[Account]:
    """Every account an order may touch, with its floor, as it is opened the first time."""
    return [
        Account(credit_account(customer_id, supplier_id, currency), currency,
                floor=None if limit is None else -limit),
        Account(credit_line(supplier_id, currency), currency),
        Account(customer_account(customer_id, currency), currency),
        Account(clearing(currency), currency, floor=0),
        Account(supplier_account(supplier_id, currency), currency),
    ]


def hold_postings(customer_id: str, supplier_id: str, amount: int, currency: str) -> tuple[Posting, ...]:
    """The order uses credit (held first, posted when the supplier fulfilled it)."""
    return two_legs(credit_account(customer_id, supplier_id, currency), credit_line(supplier_id, currency), amount)


def withhold_postings(customer_id: str, amount: int, currency: str) -> tuple[Posting, ...]:
    """The provider took the money from the customer's payment account (代扣)."""
    return two_legs(customer_account(customer_id, currency), clearing(currency), amount)


def repay_postings(customer_id: str, supplier_id: str, amount: int, currency: str) -> tuple[Posting, ...]:
    """A paid order gives its credit back."""
    return two_legs(credit_line(supplier_id, currency), credit_account(customer_id, supplier_id, currency), amount)


def payout_postings(supplier_id: str, amount: int, currency: str) -> tuple[Posting, ...]:
    """The platform paid the supplier (代付)."""
    return two_legs(clearing(currency), supplier_account(supplier_id, currency), amount)


def refund_collect_postings(supplier_id: str, amount: int, currency: str) -> tuple[Posting, ...]:
    """Refund, first leg: supplier → platform."""
    return two_legs(supplier_account(supplier_id, currency), clearing(currency), amount)


def refund_return_postings(customer_id: str, amount: int, currency: str) -> tuple[Posting, ...]:
    """Refund, second leg: platform → customer."""
    return two_legs(clearing(currency), customer_account(customer_id, currency), amount)
