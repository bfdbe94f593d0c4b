"""Products, subscriptions, the price lock and round-robin routing (BIL-3, BIL-4, BIL-8). Pure Python."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from billing_svc.exceptions import NotAllowed, PriceLocked, WrongState

REQUESTED, APPROVED, REJECTED, CANCELLED, PAUSED = "requested", "approved", "rejected", "cancelled", "paused"
SUBSCRIPTION_STATUSES = (REQUESTED, APPROVED, REJECTED, CANCELLED, PAUSED)


@dataclass
class PriceLock:
    """BIL-8: set by the operator, e.g. for a month after the suppliers quoted."""
    starts_at: datetime
    ends_at: datetime

    def active(self, now: datetime) -> bool:
        return self.starts_at <= now < self.ends_at


def check_unlocked(lock: PriceLock | None, now: datetime, what: str) -> None:
    if lock is not None and lock.active(now):
        raise PriceLocked(f"{what} is not allowed during the price lock (until {lock.ends_at.isoformat()}).",
                          {"price_lock": [f"active until {lock.ends_at.isoformat()}"]})


@dataclass
class Product:
    id: str
    supplier_id: str
    code: str              # what enterprise systems order by; shared by suppliers of the same good
    name: str
    face_value: int
    price: int
    currency: str
    listed: bool = True
    suspended: bool = False
    visible_to: list[str] = field(default_factory=list)

    def visible_for(self, customer_id: str) -> bool:
        return customer_id in self.visible_to

    def change_price(self, price: int, lock: PriceLock | None, now: datetime) -> bool:
        """False when the price stays as it is (restating it is no change, even during the lock)."""
        if price == self.price:
            return False
        check_unlocked(lock, now, "Changing a price")
        self.price = price
        return True


@dataclass
class Subscription:
    id: str
    customer_id: str
    supplier_id: str
    product_id: str
    product_code: str
    status: str
    requested_at: datetime
    decided_at: datetime | None = None

    def decide(self, approve: bool, at: datetime) -> None:
        if self.status != REQUESTED:
            raise WrongState(f"Subscription {self.id} is {self.status}, not awaiting a decision.")
        self.status, self.decided_at = (APPROVED if approve else REJECTED), at

    def request_again(self, at: datetime) -> bool:
        """A cancelled or rejected subscription can be asked for again: it awaits the supplier's
        decision anew. False (nothing changes) for one requested, approved or paused."""
        if self.status not in (REJECTED, CANCELLED):
            return False
        self.status, self.requested_at, self.decided_at = REQUESTED, at, None
        return True

    def cancel(self, lock: PriceLock | None, now: datetime) -> None:
        check_unlocked(lock, now, "Cancelling a subscription")
        if self.status in (REJECTED, CANCELLED):
            raise WrongState(f"Subscription {self.id} is already {self.status}.")
        self.status = CANCELLED

    def pause(self, lock: PriceLock | None, now: datetime) -> None:
        check_unlocked(lock, now, "Pausing a subscription")
        if self.status != APPROVED:
            raise WrongState(f"Only an approved subscription can be paused; {self.id} is {self.status}.")
        self.status = PAUSED

    def resume(self) -> None:
        if self.status != PAUSED:
            raise WrongState(f"Subscription {self.id} is not paused.")
        self.status = APPROVED


def may_subscribe(product: Product, customer_id: str) -> None:
    if not product.visible_for(customer_id) or not product.listed:
        raise NotAllowed(f"Product {product.id} is not offered to this customer.")


def round_robin(supplier_ids: list[str], cursor: int) -> tuple[str, int]:
    """BIL-4: the next supplier in a stable order; the cursor lives in the database, shared by
    every replica, so turns are fair across them. Returns (supplier, next cursor)."""
    ordered = sorted(supplier_ids)
    return ordered[cursor % len(ordered)], cursor + 1
