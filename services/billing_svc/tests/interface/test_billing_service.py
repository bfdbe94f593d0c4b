"""billing_svc in nameko containers on the real broker and database, with a fake payment provider
and fake supplier systems over HTTP."""
from __future__ import annotations

import gc
import uuid

import eventlet
import pytest
from nameko import config as nameko_config
from nameko.standalone.rpc import ClusterRpcClient
from sqlalchemy import create_engine, text

from billing_svc.service import BillingService
from billing_svc.testing import FakeProvider, FakeSupplier
from platform_contracts.actor import ACTOR_KEY, Actor
from platform_contracts.roles import CUSTOMER, CUSTOMER_ROLE, ISV, OPERATOR, PLATFORM_OPERATOR, VENDOR_ADMIN
from platform_kit.errors import Unprocessable

PRICE = 2850


def new_id() -> str:
    return str(uuid.uuid4())


OPERATOR_ACTOR = Actor(new_id(), new_id(), OPERATOR, (PLATFORM_OPERATOR,))


def rpc_as(actor: Actor) -> ClusterRpcClient:
    return ClusterRpcClient(context_data={ACTOR_KEY: actor.to_header()}, timeout=30)


@pytest.fixture
def provider():
    with FakeProvider() as fake:
        yield fake


@pytest.fixture
def billing(platform_config, container_factory, provider):
    """Two replicas of billing_svc: competing consumers, deadline pollers and outbox relays."""
    with nameko_config.patch({"PAYMENT_PROVIDER_URL": provider.url, "OUTSIDE_TIMEOUT_SECONDS": 1}):
        containers = [container_factory(BillingService) for _ in range(2)]
        for container in containers:
            container.start()
        yield containers
        for container in containers:
            container.stop()
    gc.collect()


@pytest.fixture(scope="session")
def ledger_db(test_database_urls):
    engine = create_engine(test_database_urls["billing"])
    yield engine
    engine.dispose()


def onboard(code: str, suppliers: list[FakeSupplier], limit: int | None) -> tuple[Actor, list[Actor]]:
    """A confirmed customer subscribed to ``code`` at every supplier, with credit ``limit`` at each."""
    customer = Actor(new_id(), new_id(), CUSTOMER, (CUSTOMER_ROLE,))
    supplier_actors = [Actor(new_id(), new_id(), ISV, (VENDOR_ADMIN,)) for _ in suppliers]
    with rpc_as(customer) as rpc:
        rpc.billing.sign_agreements({"platform_agreement": True, "withholding_agreement": True,
                                     "payment_account": "alipay-ent-1"})
    with rpc_as(OPERATOR_ACTOR) as rpc:
        rpc.billing.confirm_customer(customer.org_id)
    for actor, fake in zip(supplier_actors, suppliers, strict=True):
        with rpc_as(actor) as rpc:
            rpc.billing.set_fulfilment_url({"fulfilment_url": fake.url + "/orders"})
            product = rpc.billing.publish_product({"code": code, "name": "1 GB", "face_value": 3000, "price": PRICE,
                                                   "currency": "CNY", "visible_to": [customer.org_id]})
        with rpc_as(customer) as rpc:
            subscription = rpc.billing.request_subscriptions({"product_ids": [product["id"]]})["items"][0]
        with rpc_as(actor) as rpc:
            rpc.billing.decide_subscription(subscription["id"], {"approve": True})
            rpc.billing.set_credit_limit(customer.org_id, {"limit": limit})
    return customer, supplier_actors


def order(customer: Actor, code: str, key: str | None = None) -> dict:
    with rpc_as(customer) as rpc:
        return rpc.billing.place_order({"product_code": code, "idempotency_key": key or new_id()})["order"]


def get_order(customer: Actor, order_id: str) -> dict:
    with rpc_as(customer) as rpc:
        return rpc.billing.get_order(order_id)


def test_BIL5_fifty_parallel_orders_against_one_credit_limit_never_exceed_it(billing, ledger_db):
    with FakeSupplier(answer="processing") as supplier:
        customer, _ = onboard("P50", [supplier], limit=10 * PRICE)
        pool = eventlet.GreenPool(50)
        orders = list(pool.imap(lambda _: order(customer, "P50"), range(50)))
    held = [o for o in orders if o["status"] == "fulfilling"]
    refused = [o for o in orders if o["status"] == "failed"]
    assert len(held) == 10 and len(refused) == 40
    assert all("available" in o["reason"] for o in refused)
    with ledger_db.connect() as conn:
        floor, balance, pending = conn.execute(text(
            "select floor, balance, pending from ledger_accounts where id like :id"),
            {"id": f"credit:{customer.org_id}:%"}).one()
    assert balance - pending - floor == 0 and pending == 10 * PRICE


def test_BIL6_two_replicas_withhold_and_pay_out_every_order_once_even_when_answers_come_late(
        billing, provider, ledger_db, wait_until):
    with FakeSupplier() as s1, FakeSupplier() as s2, FakeSupplier() as s3:
        customer, suppliers = onboard("RR3", [s1, s2, s3], limit=None)
        first = order(customer, "RR3")
        provider.late_keys.add(f"withhold:{first['id']}:1")
        provider.late_seconds = 1.5            # beyond the client's 1 s: the answer is lost
        orders = [first] + [order(customer, "RR3") for _ in range(8)]
        # BIL-4: round-robin over the three suppliers, fair whichever replica served the request
        assert sorted(sum(1 for o in orders if o["supplier_id"] == a.org_id) for a in suppliers) == [3, 3, 3]
        wait_until(lambda: all(get_order(customer, o["id"])["paid_out"] == PRICE for o in orders), timeout=40,
                   message="every order withheld and paid out")
    assert all(n == 1 for n in provider.executions.values())
    assert len([k for k in provider.payments if k.startswith("withhold:")]) == 9
    assert ("GET", f"withhold:{first['id']}:1") in provider.requests   # the lost answer was queried
    with ledger_db.connect() as conn:
        sums = dict(conn.execute(text(
            "select a.id, a.balance - coalesce((select sum(p.amount) from ledger_postings p join ledger_transfers t "
            "on t.id = p.transfer_id where p.account_id = a.id and t.kind in ('posted', 'post_pending')), 0) "
            "from ledger_accounts a where a.id like :c"), {"c": f"%{customer.org_id}%"}).all())
        customer_balance = conn.execute(text("select balance from ledger_accounts where id = :id"),
                                        {"id": f"customer:{customer.org_id}"}).scalar_one()
    assert customer_balance == -9 * PRICE
    assert len(sums) == 4 and all(v == 0 for v in sums.values()), "every balance is the sum of its postings"


def test_BIL7_failed_withholdings_block_new_orders_until_paid(billing, provider, wait_until):
    with FakeSupplier() as supplier:
        customer, _ = onboard("BLK", [supplier], limit=None)
        provider.fail_payers.add(f"customer:{customer.org_id}")
        placed = [order(customer, "BLK") for _ in range(3)]
        wait_until(lambda: all(get_order(customer, o["id"])["withholding"] == "failed" for o in placed), timeout=30,
                   message="three failed withholdings")
        with pytest.raises(Unprocessable) as refused:
            order(customer, "BLK")
        assert "withholdings failed" in refused.value.message
        provider.fail_payers.clear()         # the customer topped up its account
        with rpc_as(customer) as rpc:
            assert len(rpc.billing.retry_withholdings()["retried"]) == 3
        wait_until(lambda: all(get_order(customer, o["id"])["withholding"] == "paid" for o in placed), timeout=30,
                   message="withholdings paid")
        assert order(customer, "BLK")["status"] == "fulfilling"
