"""Which accounts exist and which transfers each step of an order makes (BIL-5, BIL-6). Pure Python.

Accounts (one currency each):

- ``credit:<customer>:<supplier>``: the customer's credit at a supplier; floor ``-limit`` (none
  when unlimited). An order holds its amount here; a paid withholding gives the credit back.
- ``credit_line:<supplier>``: the other side of the supplier's credit lines.
- ``customer:<customer>``: the customer's enterprise payment account as the platform sees it.
- ``clearing``: money the platform collected and has not passed on; floor 0.
- ``supplier:<supplier>``: the supplier's payment account as the platform sees it.

Every step has one idempotency key, derived from the order (or refund) and the attempt, so a
retried step, a redelivered event or a second replica finds the transfer already made.
"""
from __future__ import annotations

from billing_svc.domain.ledger import Account, Posting, two_legs

CLEARING = "clearing"


def credit_account(customer_id: str, supplier_id: str) -> str:
    return f"credit:{customer_id}:{supplier_id}"


def credit_line(supplier_id: str) -> str:
    return f"credit_line:{supplier_id}"


def customer_account(customer_id: str) -> str:
    return f"customer:{customer_id}"


def supplier_account(supplier_id: str) -> str:
    return f"supplier:{supplier_id}"


def order_accounts(customer_id: str, supplier_id: str, currency: str, limit: int | None) -> list[Account]:
    """Every account an order may touch, with its floor, as it is opened the first time."""
    return [
        Account(credit_account(customer_id, supplier_id), currency, floor=None if limit is None else -limit),
        Account(credit_line(supplier_id), currency),
        Account(customer_account(customer_id), currency),
        Account(CLEARING, currency, floor=0),
        Account(supplier_account(supplier_id), currency),
    ]


def hold_postings(customer_id: str, supplier_id: str, amount: int) -> tuple[Posting, ...]:
    """The order uses credit (held first, posted when the supplier fulfilled it)."""
    return two_legs(credit_account(customer_id, supplier_id), credit_line(supplier_id), amount)


def withhold_postings(customer_id: str, amount: int) -> tuple[Posting, ...]:
    """The provider took the money from the customer's payment account (代扣)."""
    return two_legs(customer_account(customer_id), CLEARING, amount)


def repay_postings(customer_id: str, supplier_id: str, amount: int) -> tuple[Posting, ...]:
    """A paid order gives its credit back."""
    return two_legs(credit_line(supplier_id), credit_account(customer_id, supplier_id), amount)


def payout_postings(supplier_id: str, amount: int) -> tuple[Posting, ...]:
    """The platform paid the supplier (代付)."""
    return two_legs(CLEARING, supplier_account(supplier_id), amount)


def refund_collect_postings(supplier_id: str, amount: int) -> tuple[Posting, ...]:
    """Refund, first leg: supplier → platform."""
    return two_legs(supplier_account(supplier_id), CLEARING, amount)


def refund_return_postings(customer_id: str, amount: int) -> tuple[Posting, ...]:
    """Refund, second leg: platform → customer."""
    return two_legs(CLEARING, customer_account(customer_id), amount)
