"""The double-entry ledger every movement of money goes through (BIL-5, BIL-6). Pure Python.

- An **account** has a currency, a posted ``balance`` (the sum of its postings, in integer minor
  units) and ``pending`` (what pending holds reserve on it). An account with a ``floor`` may never
  have ``balance - pending`` below it: a customer's credit account at a supplier has the floor
  ``-limit`` (no floor: unlimited credit), the platform's clearing account the floor 0 (it never
  pays out money it has not received).
- A **transfer** is immutable: a tuple of postings whose amounts sum to zero, all in one currency.
  A correction is a new transfer, never an edit.
- A **hold** is two-phase: a ``pending`` transfer reserves the amount on the debited account
  without moving it; later exactly one ``post`` (the postings take effect) or ``void`` (the
  reservation is released, nothing moves) settles it.
- Every transfer carries an **idempotency key**, one per effect: asking again with the same key
  and the same effect returns the first transfer; the same key for another effect is refused.

``Ledger`` holds the accounts, holds and keys a use case touches; the repository loads them
(locked) and saves what ``new_transfers`` added, so the rules here are the only ones there are.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from billing_svc.exceptions import HoldNotPending, IdempotencyConflict, InsufficientCredit, LedgerRuleBroken

POSTED, PENDING, POST_PENDING, VOID_PENDING = "posted", "pending", "post_pending", "void_pending"
HOLD_PENDING, HOLD_POSTED, HOLD_VOIDED = "pending", "posted", "voided"


@dataclass
class Account:
    id: str
    currency: str
    floor: int | None = None     # lowest allowed balance - pending; None: no limit
    balance: int = 0
    pending: int = 0

    @property
    def available(self) -> int | None:
        """What may still be taken before the floor (None: unlimited)."""
        return None if self.floor is None else self.balance - self.pending - self.floor


@dataclass(frozen=True)
class Posting:
    account_id: str
    amount: int      # negative: taken from the account; positive: added to it


@dataclass(frozen=True)
class Transfer:
    id: str
    key: str
    kind: str
    currency: str
    postings: tuple[Posting, ...]
    at: datetime
    pending_id: str | None = None
    memo: str = ""

    @property
    def amount(self) -> int:
        return sum(p.amount for p in self.postings if p.amount > 0)

    def same_effect(self, kind: str, postings: tuple[Posting, ...], pending_id: str | None) -> bool:
        return self.kind == kind and self.postings == postings and self.pending_id == pending_id


@dataclass
class Hold:
    id: str                       # the id of its pending transfer
    postings: tuple[Posting, ...]
    currency: str
    status: str = HOLD_PENDING

    @property
    def amount(self) -> int:
        return sum(p.amount for p in self.postings if p.amount > 0)


MAX_AMOUNT = 10**15     # minor units: every amount that enters is at most this (the columns are bigint)


def positive_amount(amount: object, name: str = "amount") -> int:
    """Money is a positive integer of minor units up to MAX_AMOUNT; bool, float and text are refused."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise LedgerRuleBroken(f"{name} must be an integer number of minor units.", {name: ["not an integer"]})
    if amount <= 0:
        raise LedgerRuleBroken(f"{name} must be positive.", {name: ["must be positive"]})
    if amount > MAX_AMOUNT:
        raise LedgerRuleBroken(f"{name} must be at most {MAX_AMOUNT} minor units.", {name: [f"at most {MAX_AMOUNT}"]})
    return amount


def two_legs(debit: str, credit: str, amount: int) -> tuple[Posting, ...]:
    """Take ``amount`` from ``debit`` and add it to ``credit``."""
    positive_amount(amount)
    if debit == credit:
        raise LedgerRuleBroken("A transfer needs two different accounts.")
    return (Posting(debit, -amount), Posting(credit, amount))


@dataclass
class Ledger:
    accounts: dict[str, Account] = field(default_factory=dict)
    holds: dict[str, Hold] = field(default_factory=dict)
    by_key: dict[str, Transfer] = field(default_factory=dict)
    new_transfers: list[Transfer] = field(default_factory=list)
    new_id: object = None        # callable returning a fresh transfer id (random in production)

    def account(self, account_id: str) -> Account:
        try:
            return self.accounts[account_id]
        except KeyError:
            raise LedgerRuleBroken(f"Account {account_id} is not open.") from None

    # --- the four kinds of transfer -----------------------------------------------------------

    def transfer(self, key: str, postings: tuple[Posting, ...], currency: str, at: datetime,
                 memo: str = "") -> Transfer:
        """Move money now; every account's floor is respected."""
        existing = self._replayed(key, POSTED, postings, None)
        if existing:
            return existing
        self._check(postings, currency)
        self._check_floors(postings, reserve=False)
        return self._apply(Transfer(self._id(), key, POSTED, currency, postings, at, None, memo))

    def hold(self, key: str, postings: tuple[Posting, ...], currency: str, at: datetime,
             memo: str = "") -> Transfer:
        """Reserve the amounts taken (phase one); InsufficientCredit when a floor would be crossed."""
        existing = self._replayed(key, PENDING, postings, None)
        if existing:
            return existing
        self._check(postings, currency)
        self._check_floors(postings, reserve=True)
        return self._apply(Transfer(self._id(), key, PENDING, currency, postings, at, None, memo))

    def post(self, key: str, hold_id: str, at: datetime) -> Transfer:
        """Phase two: the held postings take effect (the reservation becomes the movement)."""
        hold = self._hold(hold_id)
        existing = self._replayed(key, POST_PENDING, hold.postings, hold_id)
        if existing:
            return existing
        if hold.status != HOLD_PENDING:
            raise HoldNotPending(f"Hold {hold_id} is already {hold.status}.")
        return self._apply(Transfer(self._id(), key, POST_PENDING, hold.currency, hold.postings, at, hold_id))

    def void(self, key: str, hold_id: str, at: datetime) -> Transfer:
        """Phase two: release the reservation; nothing moves."""
        hold = self._hold(hold_id)
        existing = self._replayed(key, VOID_PENDING, (), hold_id)
        if existing:
            return existing
        if hold.status != HOLD_PENDING:
            raise HoldNotPending(f"Hold {hold_id} is already {hold.status}.")
        return self._apply(Transfer(self._id(), key, VOID_PENDING, hold.currency, (), at, hold_id))

    # --- rules ------------------------------------------------------------------------------

    def _replayed(self, key: str, kind: str, postings: tuple[Posting, ...], pending_id: str | None):
        if not key:
            raise LedgerRuleBroken("Every transfer needs an idempotency key.")
        existing = self.by_key.get(key)
        if existing is None:
            return None
        if not existing.same_effect(kind, postings, pending_id):
            raise IdempotencyConflict(f"Idempotency key {key} was used for another transfer.")
        return existing

    def _check(self, postings: tuple[Posting, ...], currency: str) -> None:
        if len(postings) < 2:
            raise LedgerRuleBroken("A transfer has at least two postings.")
        if sum(p.amount for p in postings) != 0:
            raise LedgerRuleBroken("A transfer's postings must sum to zero.")
        if len({p.account_id for p in postings}) != len(postings):
            raise LedgerRuleBroken("An account appears once in a transfer.")
        for p in postings:
            if isinstance(p.amount, bool) or not isinstance(p.amount, int) or p.amount == 0:
                raise LedgerRuleBroken("Posting amounts are non-zero integers of minor units.")
            if self.account(p.account_id).currency != currency:
                raise LedgerRuleBroken(f"Account {p.account_id} is not in {currency}.")

    def _check_floors(self, postings: tuple[Posting, ...], reserve: bool) -> None:
        for p in postings:
            account = self.account(p.account_id)
            if p.amount < 0 and account.floor is not None and account.available + p.amount < 0:
                raise InsufficientCredit(
                    f"Account {account.id} has {account.available} available, {-p.amount} needed.",
                    {"amount": ["exceeds the available credit"]})

    def _hold(self, hold_id: str) -> Hold:
        try:
            return self.holds[hold_id]
        except KeyError:
            raise LedgerRuleBroken(f"Hold {hold_id} does not exist.") from None

    def _apply(self, transfer: Transfer) -> Transfer:
        if transfer.kind in (POSTED, POST_PENDING):
            for p in transfer.postings:
                self.account(p.account_id).balance += p.amount
        if transfer.kind == PENDING:
            self.holds[transfer.id] = Hold(transfer.id, transfer.postings, transfer.currency)
            self._reserve(transfer.postings, +1)
        elif transfer.kind in (POST_PENDING, VOID_PENDING):
            hold = self.holds[transfer.pending_id]
            self._reserve(hold.postings, -1)
            hold.status = HOLD_POSTED if transfer.kind == POST_PENDING else HOLD_VOIDED
        self.by_key[transfer.key] = transfer
        self.new_transfers.append(transfer)
        return transfer

    def _reserve(self, postings: tuple[Posting, ...], sign: int) -> None:
        for p in postings:
            if p.amount < 0:
                self.account(p.account_id).pending += sign * -p.amount

    def _id(self) -> str:
        return str(uuid.uuid4()) if self.new_id is None else self.new_id()
