"""BIL-3, BIL-8, BIL-10: the catalogue's use cases against a fake unit of work: the price lock
refuses price changes and cancellations while listing still works, and subscribed customers are
e-mailed price changes and channel suspensions."""
from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

import pytest

from billing_svc import handlers
from billing_svc.domain.catalogue import APPROVED, PriceLock, Product, Subscription
from billing_svc.domain.parties import Customer
from billing_svc.exceptions import NotAllowed, PriceLocked
from platform_contracts.actor import Actor
from platform_contracts.roles import CUSTOMER, CUSTOMER_ROLE, ISV, VENDOR_ADMIN
from platform_kit.testing import FakeUnitOfWork

NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
SUPPLIER = Actor("u-s", "org-s", ISV, (VENDOR_ADMIN,))
BUYER = Actor("u-c", "org-c", CUSTOMER, (CUSTOMER_ROLE,))
LOCK = PriceLock(NOW - timedelta(days=1), NOW + timedelta(days=29))


class Store:
    """An in-memory repository of one kind of aggregate (copies in and out, as the database does)."""

    def __init__(self, *items):
        self.items = {i.id: copy.deepcopy(i) for i in items}

    def get(self, item_id, *, for_update=False):
        return copy.deepcopy(self.items.get(item_id))

    def save(self, item):
        self.items[item.id] = copy.deepcopy(item)

    def of_product(self, product_id, status=APPROVED):
        return [copy.deepcopy(s) for s in self.items.values() if s.product_id == product_id and s.status == status]


class Locks:
    def __init__(self, lock):
        self.lock = lock

    def in_force(self, now):
        return self.lock if self.lock is not None and self.lock.active(now) else None


def catalogue(lock=None, notice_email="ops@example.com"):
    product = Product("p-1", "org-s", "CMCC-1G", "全国流量 1GB", 3000, 2850, "CNY", visible_to=["org-c"])
    subscription = Subscription("sub-1", "org-c", "org-s", "p-1", "CMCC-1G", APPROVED, NOW)
    return FakeUnitOfWork("billing", products=Store(product), subscriptions=Store(subscription),
                          customers=Store(Customer("org-c", notice_email=notice_email)), price_locks=Locks(lock))


def test_BIL10_a_price_change_and_a_channel_suspension_are_emailed_to_each_subscribed_customer():
    uow = catalogue()
    handlers.update_product(SUPPLIER, "p-1", {"price": 2900}, NOW, uow)
    handlers.update_product(SUPPLIER, "p-1", {"suspended": True}, NOW, uow)
    handlers.update_product(SUPPLIER, "p-1", {"suspended": True}, NOW, uow)      # no change: no second e-mail
    sent = uow.events_of("billing_notification_requested")
    assert [n["message_template"] for n in sent] == ["billing price changed", "billing channel suspended"]
    assert all([r["email"] for r in n["receivers"]] == ["ops@example.com"] and n["channels"] == ["email"]
               for n in sent)
    assert sent[0]["variables"]["price"] == 2900 and len({n["dedupe_key"] for n in sent}) == 2


def test_BIL10_without_a_change_notice_email_the_customers_admins_are_told():
    uow = catalogue(notice_email=None)
    handlers.update_product(SUPPLIER, "p-1", {"suspended": True}, NOW, uow)
    [notice] = uow.events_of("billing_notification_requested")
    assert [(r["org_id"], r["email"]) for r in notice["receivers"]] == [("org-c", None)]
    assert notice["channels"] is None


def test_BIL8_during_the_lock_a_price_change_is_refused_and_nothing_changes_but_listing_still_works():
    uow = catalogue(LOCK)
    with pytest.raises(PriceLocked):
        handlers.update_product(SUPPLIER, "p-1", {"price": 2900, "listed": False}, NOW, uow)
    assert uow.products.get("p-1").price == 2850 and uow.products.get("p-1").listed
    assert uow.events_of("billing_notification_requested") == []
    delisted = handlers.update_product(SUPPLIER, "p-1", {"listed": False, "price": 2850}, NOW, uow)
    assert delisted.listed is False and delisted.price == 2850
    assert handlers.update_product(SUPPLIER, "p-1", {"listed": True}, NOW, uow).listed
    assert handlers.update_product(SUPPLIER, "p-1", {"price": 2900}, LOCK.ends_at, uow).price == 2900


@pytest.mark.parametrize("actor, action", [(SUPPLIER, "cancel"), (BUYER, "cancel"), (BUYER, "pause")])
def test_BIL8_during_the_lock_neither_party_cancels_and_the_customer_does_not_pause(actor, action):
    uow = catalogue(LOCK)
    with pytest.raises(PriceLocked):
        handlers.change_subscription(actor, "sub-1", action, NOW, uow)
    assert uow.subscriptions.get("sub-1").status == APPROVED
    after = handlers.change_subscription(actor, "sub-1", action, LOCK.ends_at, uow)
    assert after.status == {"cancel": "cancelled", "pause": "paused"}[action]


def test_BIL8_a_supplier_does_not_pause_a_customers_subscription():
    with pytest.raises(NotAllowed):
        handlers.change_subscription(SUPPLIER, "sub-1", "pause", NOW, catalogue())
