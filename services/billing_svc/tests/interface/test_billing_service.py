"""billing_svc in nameko containers on the real broker and database, with a fake payment provider
and fake supplier systems over HTTP."""
from __future__ import annotations

import gc
import time
import uuid
from datetime import timedelta

import eventlet
import pytest
from nameko import config as nameko_config
from nameko.amqp.publish import get_producer
from nameko.standalone.events import get_event_exchange
from nameko.standalone.rpc import ClusterRpcClient
from sqlalchemy import create_engine, text

from billing_svc.service import BillingService
from billing_svc.testing import FakeProvider, FakeSupplier
from identity_svc.service import IdentityService
from notify_svc.domain import webhooks as wh
from notify_svc.service import NotifyService
from notify_svc.testing import HttpPeer
from platform_contracts.actor import ACTOR_KEY, Actor
from platform_contracts.roles import CUSTOMER, CUSTOMER_ROLE, ISV, OPERATOR, PLATFORM_OPERATOR, VENDOR_ADMIN
from platform_kit.clock import utcnow
from platform_kit.errors import Forbidden, NotFound, ServiceUnavailable, Unprocessable, ValidationFailed
from platform_kit.topology import declare

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
    with nameko_config.patch({"PAYMENT_PROVIDER_URL": provider.url, "OUTSIDE_TIMEOUT_SECONDS": 1,
                              "PAYMENT_NOTICE_SECRET": uuid.uuid4().hex}):
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


def onboard(code: str, suppliers: list[FakeSupplier], limit: int | None, fulfilment_url: bool = True,
            supplier_actors: list[Actor] | None = None) -> tuple[Actor, list[Actor]]:
    """A confirmed customer subscribed to ``code`` at every supplier, with credit ``limit`` at each
    (``fulfilment_url=False``: the suppliers never configure their fulfilment system)."""
    customer = Actor(new_id(), new_id(), CUSTOMER, (CUSTOMER_ROLE,))
    supplier_actors = supplier_actors or [Actor(new_id(), new_id(), ISV, (VENDOR_ADMIN,)) for _ in suppliers]
    with rpc_as(customer) as rpc:
        rpc.billing.sign_agreements({"platform_agreement": True, "withholding_agreement": True,
                                     "payment_account": "alipay-ent-1"})
    with rpc_as(OPERATOR_ACTOR) as rpc:
        rpc.billing.confirm_customer(customer.org_id)
    for actor, fake in zip(supplier_actors, suppliers, strict=True):
        with rpc_as(actor) as rpc:
            if fulfilment_url:
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
                                        {"id": f"customer:{customer.org_id}:CNY"}).scalar_one()
    assert customer_balance == -9 * PRICE
    assert len(sums) == 4 and all(v == 0 for v in sums.values()), "every balance is the sum of its postings"
    # BIL-14: each movement is one event, committed with it, whatever the lost answers and replicas
    with ledger_db.connect() as conn:
        moved = conn.execute(text(
            "select event_type, envelope->'data'->>'movement_id' from outbox_events "
            "where envelope->'data'->>'customer_id' = :c and event_type in ('withholding_succeeded', 'payout_paid')"),
            {"c": customer.org_id}).all()
    assert sorted(moved) == sorted([("withholding_succeeded", f"withhold:{o['id']}:1") for o in orders]
                                   + [("payout_paid", f"payout:{o['id']}:1") for o in orders])


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


@pytest.fixture
def billing_and_notify(platform_config, runner_factory, provider):
    """billing and notify_svc side by side: notify pushes billing's order results to webhooks."""
    settings = {"PAYMENT_PROVIDER_URL": provider.url, "OUTSIDE_TIMEOUT_SECONDS": 1,
                "PAYMENT_NOTICE_SECRET": uuid.uuid4().hex, "ALLOW_PRIVATE_WEBHOOK_ADDRESSES": "true",
                "WEBHOOK_BACKOFF_SECONDS": 0.2, "WEBHOOK_MAX_BACKOFF_SECONDS": 0.5}
    with nameko_config.patch(settings):
        for service in (BillingService, NotifyService):
            declare(nameko_config["AMQP_URI"], service)     # what the migrator does before a deployment
        runner = runner_factory(BillingService, NotifyService)
        runner.start()
        yield runner
    gc.collect()


def test_BIL9_the_callback_url_set_in_billing_receives_order_results_signed_and_retried(billing_and_notify,
                                                                                        wait_until):
    hook = HttpPeer()
    try:
        with FakeSupplier() as supplier:
            customer, _ = onboard("CB1", [supplier], limit=None)
            callback = hook.url + "/billing/callback"
            with rpc_as(customer) as rpc:
                with pytest.raises(Unprocessable):           # notify's rules: http(s) with a host that resolves
                    rpc.billing.update_customer_settings({"callback_url": "http://no-such-host.invalid/cb"})
                assert rpc.billing.get_customer(customer.org_id)["callback_url"] is None, "a refused URL saves nothing"
                first = rpc.billing.update_customer_settings({"callback_url": hook.url + "/old"})
                secret = first["callback_secret"]
                moved = rpc.billing.update_customer_settings({"callback_url": callback})
                assert "callback_secret" not in moved and moved["callback_url"] == callback
                [endpoint] = rpc.notify.list_webhook_endpoints()["items"]
                assert (endpoint["url"], endpoint["event_types"]) == (callback, ["order_result_ready"])
            hook.fail(1, 503)                    # the customer's system is down for the first attempt
            placed = order(customer, "CB1", key="erp-order-1")
            wait_until(lambda: len(hook.received) >= 1, timeout=30, message="the order's result at the callback")
        received = hook.received[0]
        assert received.path == "/billing/callback"
        assert wh.verify(received.headers[wh.SIGNATURE_HEADER], received.body, secret, int(time.time()))
        pushed = received.json()
        assert pushed["type"] == "order_result_ready"
        assert {k: pushed["data"][k] for k in ("order_id", "status", "idempotency_key", "amount", "callback_url")} == {
            "order_id": placed["id"], "status": "succeeded", "idempotency_key": "erp-order-1", "amount": PRICE,
            "callback_url": callback}
        with rpc_as(customer) as rpc:
            [delivery] = rpc.notify.list_webhook_deliveries({})["items"]
            assert delivery["attempts"] >= 2, "the first attempt failed and was retried"
            assert rpc.billing.update_customer_settings({"callback_url": None})["callback_url"] is None
            assert rpc.notify.list_webhook_endpoints()["items"] == [], "clearing the URL deletes the endpoint"
    finally:
        hook.stop()


def test_BIL4_BIL5_a_supplier_answering_later_posts_or_voids_the_hold_by_its_call_back_once(
        billing, provider, wait_until):
    with FakeSupplier(answer="processing") as supplier:
        customer, [supplier_actor] = onboard("LATER", [supplier], limit=2 * PRICE)
        delivered, undelivered = order(customer, "LATER"), order(customer, "LATER")
        assert delivered["status"] == undelivered["status"] == "fulfilling"
        # a request timed out under load is sent again by the deadline (the supplier dedupes by its key)
        wait_until(lambda: {r["order_id"] for r in supplier.received} == {delivered["id"], undelivered["id"]},
                   timeout=20, message="both orders sent to the supplier")
        stranger = Actor(new_id(), new_id(), ISV, (VENDOR_ADMIN,))
        with rpc_as(stranger) as rpc, pytest.raises(NotFound):
            rpc.billing.supplier_result(delivered["id"], {"status": "succeeded"})   # another supplier's: no order
        with rpc_as(supplier_actor) as rpc:
            assert rpc.billing.supplier_result(delivered["id"], {"status": "succeeded", "reference": "S-1"})[
                "status"] == "succeeded"
            again = rpc.billing.supplier_result(delivered["id"], {"status": "failed", "reason": "late duplicate"})
            assert again["status"] == "succeeded", "a second call-back changes nothing"
            failed = rpc.billing.supplier_result(undelivered["id"], {"status": "failed", "reason": "no stock"})
            assert (failed["status"], failed["reason"]) == ("failed", "no stock")
        wait_until(lambda: get_order(customer, delivered["id"])["paid_out"] == PRICE, timeout=30,
                   message="the delivered order withheld and paid out")
        with rpc_as(customer) as rpc:
            [credit] = rpc.billing.credit_accounts()["items"]
        # the failed order's hold was voided; the paid one's credit came back when it was withheld
        assert (credit["held"], credit["used"], credit["available"]) == (0, 0, 2 * PRICE)
        assert [k for k in provider.payments if k.startswith("withhold:")] == [f"withhold:{delivered['id']}:1"]


def publish_project_event(event_type: str, data: dict) -> None:
    exchange = get_event_exchange("project")
    event = {"event_id": new_id(), "event_type": event_type, "version": 1, "source": "project",
             "occurred_at": utcnow().isoformat(), "correlation_id": None, "data": data}
    with get_producer(nameko_config["AMQP_URI"]) as producer:
        producer.publish(event, exchange=exchange, routing_key=event_type, serializer="json", declare=[exchange])


def publish_node_completed(project_id: str, node_key: str) -> None:
    publish_project_event("node_completed", {"project_id": project_id, "order_id": "o", "node_key": node_key,
                                             "node_kind": "confirm", "node_name": "验收", "round": 1, "by": "u-1"})


def project_created(project_id: str, vendor: Actor, customer: Actor, wait_until) -> None:
    """project_svc's project_created, as billing learns who the project's vendor and customer are."""
    publish_project_event("project_created", {
        "project_id": project_id, "order_id": new_id(), "product_id": new_id(), "vendor_id": vendor.org_id,
        "customer_id": customer.org_id, "template_id": new_id(), "template_version": 1})

    def known():
        with rpc_as(vendor) as rpc:
            try:
                # a customer that is not the project's: refused only once the project is known
                rpc.billing.create_staged_contract({"project_id": project_id, "customer_id": "not-the-customer",
                                                    "stages": STAGES})
            except NotFound:
                return False
            except ValidationFailed:
                return True
    wait_until(known, timeout=20, message="billing knows the project")


STAGES = [{"key": "first", "name": "首期款", "amount": 30000, "milestone_node_key": "kickoff"}]


def test_BIL12_a_stranger_cannot_propose_a_contract_and_the_vendors_binds_nothing_until_accepted(
        billing, wait_until):
    customer, [vendor] = onboard("STR", [FakeSupplier()], limit=None)
    stranger = Actor(new_id(), new_id(), ISV, (VENDOR_ADMIN,))
    project_id = new_id()
    project_created(project_id, vendor, customer, wait_until)
    with rpc_as(stranger) as rpc:
        for target in (project_id, new_id()):        # another vendor's project, and one that does not exist
            with pytest.raises(NotFound):
                rpc.billing.create_staged_contract({"project_id": target, "customer_id": customer.org_id,
                                                    "stages": STAGES})
    with rpc_as(vendor) as rpc:
        contract = rpc.billing.create_staged_contract({"project_id": project_id, "stages": STAGES})
    assert (contract["status"], contract["customer_id"]) == ("proposed", customer.org_id)
    publish_node_completed(project_id, "kickoff")
    with rpc_as(customer) as rpc:
        wait_until(lambda: rpc.billing.list_staged_contracts({"status": "proposed"})["total"] == 1, timeout=10,
                   message="the customer sees the proposal")
        with pytest.raises(Unprocessable):
            rpc.billing.collect_stage(contract["id"], "first")
        accepted = rpc.billing.decide_staged_contract(contract["id"], {"approve": True})
    assert accepted["status"] == "accepted" and accepted["stages"][0]["status"] == "due", \
        "the milestone passed while proposed falls due on acceptance"


def test_BIL12_two_replicas_withhold_and_pay_out_a_due_stage_once_even_when_the_answer_is_lost(
        billing, provider, ledger_db, wait_until):
    customer, [supplier] = onboard("STG", [FakeSupplier()], limit=None)
    project_id = new_id()
    project_created(project_id, supplier, customer, wait_until)
    with rpc_as(supplier) as rpc:
        contract = rpc.billing.create_staged_contract({
            "project_id": project_id, "customer_id": customer.org_id, "currency": "CNY", "terms_days": 10,
            "stages": STAGES})
    with rpc_as(customer) as rpc:
        rpc.billing.decide_staged_contract(contract["id"], {"approve": True})
    publish_node_completed(project_id, "kickoff")

    def stage():
        with rpc_as(customer) as rpc:
            return rpc.billing.get_staged_contract(contract["id"])["stages"][0]
    wait_until(lambda: stage()["status"] == "due", timeout=20, message="the stage due")
    withhold = f"stage:{contract['id']}:first:withhold:1"
    provider.late_keys.add(withhold)
    provider.late_seconds = 1.5              # beyond the client's 1 s: the answer is lost
    with rpc_as(customer) as rpc:
        for _ in range(3):                   # asked again and again while it is under way
            rpc.billing.collect_stage(contract["id"], "first")
    wait_until(lambda: stage()["payment"] == "paid_out", timeout=40, message="the stage withheld and paid out")
    stage_keys = [k for k in provider.payments if k.startswith(f"stage:{contract['id']}")]
    assert sorted(stage_keys) == sorted([withhold, f"stage:{contract['id']}:first:payout:1"])
    assert all(provider.executions[k] == 1 for k in stage_keys)
    assert ("GET", withhold) in provider.requests, "the lost answer was queried, not sent again"
    with ledger_db.connect() as conn:
        keys = conn.execute(text("select key from ledger_transfers where key like :k"),
                            {"k": f"stage:{contract['id']}:%"}).scalars().all()
        balance = conn.execute(text("select balance from ledger_accounts where id = :id"),
                               {"id": f"supplier:{supplier.org_id}:CNY"}).scalar_one()
    assert sorted(keys) == sorted(stage_keys) and balance == 30000


def test_BIL13_an_order_in_a_currency_the_platform_does_not_support_is_refused_before_anything_is_held(
        billing, provider, ledger_db):
    """A product published before its currency was dropped from BILLING_CURRENCIES."""
    with FakeSupplier() as supplier:
        customer, [actor] = onboard("JPY1", [supplier], limit=None)
        with rpc_as(actor) as rpc, pytest.raises(Unprocessable) as refused:
            rpc.billing.publish_product({"code": "JPY2", "name": "1 GB", "face_value": 3000, "price": PRICE,
                                         "currency": "JPY", "visible_to": [customer.org_id]})
        assert "JPY" in str(refused.value)
        with ledger_db.begin() as conn:
            conn.execute(text("update products set currency = 'JPY' where code = 'JPY1' and supplier_id = :s"),
                         {"s": actor.org_id})
        with rpc_as(customer) as rpc, pytest.raises(Unprocessable) as refused:
            rpc.billing.place_order({"product_code": "JPY1", "idempotency_key": new_id()})
        assert "JPY" in str(refused.value)
        with ledger_db.connect() as conn:
            assert conn.execute(text("select count(*) from orders where customer_id = :c"),
                                {"c": customer.org_id}).scalar_one() == 0
            assert conn.execute(text("select count(*) from ledger_accounts where currency = 'JPY'")).scalar_one() == 0
        assert supplier.received == [] and provider.requests == []


# --- nothing stuck for ever: retry budgets, deadlines and the operator's hand (BIL-6) -------------

SMALL_BUDGET = {"BILLING_RETRY_MAX_ATTEMPTS": 3, "BILLING_RETRY_BASE_SECONDS": 0.2,
                "BILLING_RETRY_MAX_BACKOFF_SECONDS": 0.5}


@pytest.fixture
def billing_small_budget(platform_config, container_factory, provider):
    """One billing replica whose steps toward suppliers and the provider have a budget of three
    attempts spaced 0.2 s, 0.4 s (the production defaults are minutes to an hour)."""
    with nameko_config.patch({"PAYMENT_PROVIDER_URL": provider.url, "OUTSIDE_TIMEOUT_SECONDS": 1,
                              "PAYMENT_NOTICE_SECRET": uuid.uuid4().hex, **SMALL_BUDGET}):
        container = container_factory(BillingService)
        container.start()
        yield container
        container.stop()
    gc.collect()


@pytest.fixture
def billing_and_identity_small_budget(platform_config, runner_factory, provider):
    """billing (small budgets) and identity_svc, whose audit log records the operator's actions."""
    settings = {"PAYMENT_PROVIDER_URL": provider.url, "OUTSIDE_TIMEOUT_SECONDS": 1,
                "PAYMENT_NOTICE_SECRET": uuid.uuid4().hex, "JWT_SECRET": uuid.uuid4().hex, **SMALL_BUDGET}
    with nameko_config.patch(settings):
        for service in (BillingService, IdentityService):
            declare(nameko_config["AMQP_URI"], service)     # what the migrator does before a deployment
        runner = runner_factory(BillingService, IdentityService)
        runner.start()
        yield runner
    gc.collect()


def notifications(ledger_db, template: str, order_id: str) -> list[dict]:
    with ledger_db.connect() as conn:
        rows = conn.execute(text("select envelope from outbox_events where event_type = "
                                 "'billing_notification_requested'")).scalars().all()
    found = [e["data"] for e in rows if e["data"]["message_template"] == template
             and e["data"]["variables"].get("order_id") == order_id]
    for data in found:
        data["receivers"] = [{k: v for k, v in r.items() if v} for r in data["receivers"]]
    return found


def credit(customer: Actor) -> dict:
    with rpc_as(customer) as rpc:
        [account] = rpc.billing.credit_accounts()["items"]
    return account


@pytest.mark.parametrize("broken", ["no fulfilment URL", "answers 500"])
def test_BIL5_an_order_its_supplier_never_fulfils_fails_after_its_budget_and_releases_its_credit(
        billing_small_budget, ledger_db, wait_until, broken):
    code = f"NF{uuid.uuid4().hex[:6]}"
    with FakeSupplier(status=500) as supplier:
        customer, _ = onboard(code, [supplier], limit=2 * PRICE, fulfilment_url=broken == "answers 500")
        placed = order(customer, code)
        assert credit(customer)["held"] == PRICE
        failed = wait_until(lambda: (o := get_order(customer, placed["id"]))["status"] == "failed" and o,
                            timeout=30, message="the order failed after its budget")
        assert failed["fulfil_attempts"] == 3 and "供应商未在期限内履约" in failed["reason"]
        assert len(supplier.received) == (3 if broken == "answers 500" else 0), "asked three times, no more"
        time.sleep(1.5)                      # the budget's longest back-off, twice: no fourth attempt
        assert len(supplier.received) == (3 if broken == "answers 500" else 0)
    assert (credit(customer)["held"], credit(customer)["available"]) == (0, 2 * PRICE), "the credit is released"
    [told] = notifications(ledger_db, "billing order not fulfilled", placed["id"])
    assert told["receivers"] == [{"org_id": failed["supplier_id"]}, {"user_id": OPERATOR_ACTOR.user_id}], \
        "the supplier and the operator who confirmed the customer are told"


def test_BIL6_a_payout_that_keeps_failing_stops_alerts_and_is_retried_once_by_the_operator(
        billing_and_identity_small_budget, provider, ledger_db, wait_until):
    code = f"PO{uuid.uuid4().hex[:6]}"
    provider.fail_payers.add("platform")           # the platform's payouts are refused
    with FakeSupplier() as supplier:
        customer, [supplier_actor] = onboard(code, [supplier], limit=None)
        placed = order(customer, code)

        def stuck():
            o = get_order(customer, placed["id"])
            return [s for s in o["steps"] if s["status"] == "stuck"]
        [step] = wait_until(stuck, timeout=30, message="the payout stopped after its budget")
        assert set(supplier.received[0]) == {"order_id", "customer_id", "product_code", "amount", "currency", "day"}, \
            "the supplier is sent the order, never the customer's callback URL or idempotency key"
    payouts = [k for k in provider.payments if k.startswith(f"payout:{placed['id']}")]
    assert len(payouts) == 3 and step["key"] == f"payout:{placed['id']}:4", "three refusals, then it waits"
    time.sleep(1.5)
    assert len([k for k in provider.payments if k.startswith(f"payout:{placed['id']}")]) == 3, "no fourth attempt"
    [told] = notifications(ledger_db, "billing payment step stuck", placed["id"])
    assert told["receivers"] == [{"user_id": OPERATOR_ACTOR.user_id}, {"org_id": supplier_actor.org_id}]
    assert told["variables"]["step"] == "代付给供应商" and told["urgent"] is True
    with rpc_as(OPERATOR_ACTOR) as rpc:
        listed = rpc.billing.stuck_orders({})
        assert placed["id"] in [o["id"] for o in listed["items"]]
    with rpc_as(supplier_actor) as rpc, pytest.raises(Forbidden):
        rpc.billing.resolve_step(placed["id"], {"step_key": step["key"], "action": "retry"})
    provider.fail_payers.clear()                    # the supplier fixed its account
    with rpc_as(OPERATOR_ACTOR) as rpc:
        first = rpc.billing.resolve_step(placed["id"], {"step_key": step["key"], "action": "retry"})
        second = rpc.billing.resolve_step(placed["id"], {"step_key": step["key"], "action": "retry"})
    assert (first["changed"], second["changed"]) == (True, False), "a second click changes nothing"
    wait_until(lambda: get_order(customer, placed["id"])["paid_out"] == PRICE, timeout=30, message="paid out")
    done = get_order(OPERATOR_ACTOR, placed["id"])
    assert [(a["action"], a["by"]) for a in done["operator_actions"]] == [("retry", OPERATOR_ACTOR.user_id)]
    assert [set(a) for a in get_order(customer, placed["id"])["operator_actions"]] == [
        {"key", "action", "at", "note"}], "the customer sees what was done, not by whom"

    def audited():
        with rpc_as(OPERATOR_ACTOR) as rpc:
            return rpc.identity.audit_log({"action": "billing_step_resolved", "org_id": customer.org_id})["items"]
    [entry] = wait_until(audited, timeout=20, message="the operator's retry in the audit log")
    assert (entry["actor_user_id"], entry["subject_id"], entry["details"]["action"], entry["details"]["step_key"]) == (
        OPERATOR_ACTOR.user_id, placed["id"], "retry", step["key"]), "audited once, the second click not at all"
    assert provider.executions[step["key"]] == 1
    with ledger_db.connect() as conn:
        balance = conn.execute(text("select balance from ledger_accounts where id = :id"),
                               {"id": f"supplier:{supplier_actor.org_id}:CNY"}).scalar_one()
    assert balance == PRICE, "paid once"


def test_BIL6_BIL12_a_stage_payout_that_keeps_failing_stops_alerts_and_is_retried_once_by_the_operator(
        billing_and_identity_small_budget, provider, ledger_db, wait_until):
    provider.fail_payers.add("platform")           # the platform's payouts are refused
    customer, [supplier] = onboard(f"SS{uuid.uuid4().hex[:6]}", [FakeSupplier()], limit=None)
    project_id = new_id()
    project_created(project_id, supplier, customer, wait_until)
    with rpc_as(supplier) as rpc:
        contract = rpc.billing.create_staged_contract({
            "project_id": project_id, "customer_id": customer.org_id, "currency": "CNY", "terms_days": 10,
            "stages": STAGES})
    with rpc_as(customer) as rpc:
        rpc.billing.decide_staged_contract(contract["id"], {"approve": True})
    publish_node_completed(project_id, "kickoff")

    def stage(actor=customer):
        with rpc_as(actor) as rpc:
            return rpc.billing.get_staged_contract(contract["id"])["stages"][0]
    wait_until(lambda: stage()["status"] == "due", timeout=20, message="the stage due")
    with rpc_as(customer) as rpc:
        rpc.billing.collect_stage(contract["id"], "first")
    [step] = wait_until(lambda: [s for s in stage()["steps"] if s["status"] == "stuck"], timeout=30,
                        message="the stage's payout stopped after its budget")
    prefix = f"stage:{contract['id']}:first:payout:"
    assert step["key"] == f"{prefix}4" and len([k for k in provider.payments if k.startswith(prefix)]) == 3
    time.sleep(1.5)                                # the budget's longest back-off, twice: no fourth attempt
    assert len([k for k in provider.payments if k.startswith(prefix)]) == 3
    [told] = notifications(ledger_db, "billing payment step stuck", contract["id"])
    assert told["receivers"] == [{"user_id": OPERATOR_ACTOR.user_id}, {"org_id": supplier.org_id}]
    assert told["urgent"] is True and told["variables"]["step_key"] == step["key"]
    with rpc_as(OPERATOR_ACTOR) as rpc:
        assert contract["id"] in [c["id"] for c in rpc.billing.stuck_staged_contracts({})["items"]]
    with rpc_as(supplier) as rpc, pytest.raises(Forbidden):
        rpc.billing.resolve_stage_step(contract["id"], {"step_key": step["key"], "action": "retry"})
    provider.fail_payers.clear()                    # the supplier fixed its account
    with rpc_as(OPERATOR_ACTOR) as rpc:
        first = rpc.billing.resolve_stage_step(contract["id"], {"step_key": step["key"], "action": "retry"})
        second = rpc.billing.resolve_stage_step(contract["id"], {"step_key": step["key"], "action": "retry"})
    assert (first["changed"], second["changed"]) == (True, False), "a second click changes nothing"
    wait_until(lambda: stage()["payment"] == "paid_out", timeout=30, message="paid out after the retry")
    assert [(a["action"], a["by"]) for a in stage(OPERATOR_ACTOR)["operator_actions"]] == [
        ("retry", OPERATOR_ACTOR.user_id)]
    assert [set(a) for a in stage()["operator_actions"]] == [{"key", "action", "at", "note"}]

    def audited():
        with rpc_as(OPERATOR_ACTOR) as rpc:
            return rpc.identity.audit_log({"action": "billing_step_resolved", "org_id": customer.org_id})["items"]
    [entry] = wait_until(audited, timeout=20, message="the operator's retry in the audit log")
    assert (entry["subject_id"], entry["details"]["action"], entry["details"]["step_key"]) == (
        contract["id"], "retry", step["key"])
    assert provider.executions[step["key"]] == 1
    with ledger_db.connect() as conn:
        balance = conn.execute(text("select balance from ledger_accounts where id = :id"),
                               {"id": f"supplier:{supplier.org_id}:CNY"}).scalar_one()
    assert balance == 30000, "paid once"


def test_BIL6_a_withholding_the_provider_never_answers_stops_and_the_operator_fails_it_after_asking(
        billing_small_budget, provider, ledger_db, wait_until):
    code = f"WH{uuid.uuid4().hex[:6]}"
    provider.unavailable = True                      # the provider answers 503 to everything
    with FakeSupplier() as supplier:
        customer, _ = onboard(code, [supplier], limit=None)
        placed = order(customer, code)
        wait_until(lambda: get_order(customer, placed["id"])["withholding"] == "stuck", timeout=30,
                   message="the withholding stopped after its budget")
    key = f"withhold:{placed['id']}:1"
    with rpc_as(OPERATOR_ACTOR) as rpc:
        with pytest.raises(ServiceUnavailable) as unknown:   # the provider cannot say what became of it
            rpc.billing.resolve_step(placed["id"], {"step_key": key, "action": "fail"})
        assert "cannot say" in str(unknown.value)
        provider.unavailable = False                  # it never received the payment (404 on asking)
        failed = rpc.billing.resolve_step(placed["id"], {"step_key": key, "action": "fail"})
        again = rpc.billing.resolve_step(placed["id"], {"step_key": key, "action": "fail"})
        with pytest.raises(Unprocessable):
            rpc.billing.resolve_step(placed["id"], {"step_key": key, "action": "void"})
    assert (failed["changed"], failed["withholding"], again["changed"]) == (True, "failed", False)
    assert ("GET", key) in provider.requests and key not in provider.payments, "asked, never sent blindly"
    with rpc_as(customer) as rpc:
        assert rpc.billing.get_customer(customer.org_id)["unpaid"] == 1, "BIL-7 counts it as unpaid"


# --- smaller findings -----------------------------------------------------------------------------


def test_BIL1_BIL3_the_platform_sells_as_its_own_supplier_and_a_rejected_subscription_is_asked_for_again(
        billing, provider, wait_until):
    platform = Actor(new_id(), new_id(), OPERATOR, (PLATFORM_OPERATOR,))     # the operator organisation
    code = f"OWN{uuid.uuid4().hex[:6]}"
    with FakeSupplier() as system:
        customer, _ = onboard(code, [system], limit=None, supplier_actors=[platform])
        with rpc_as(platform) as rpc:
            mine = [s for s in rpc.billing.list_subscriptions({})["items"] if s["customer_id"] == customer.org_id]
            [subscription] = mine
            assert subscription["supplier_id"] == platform.org_id
        with rpc_as(customer) as rpc:
            cancelled = rpc.billing.change_subscription(subscription["id"], "cancel")
            assert cancelled["status"] == "cancelled"
            [again] = rpc.billing.request_subscriptions({"product_ids": [subscription["product_id"]]})["items"]
        assert (again["id"], again["status"]) == (subscription["id"], "requested"), "asked for again"
        with rpc_as(platform) as rpc:
            assert rpc.billing.decide_subscription(again["id"], {"approve": False})["status"] == "rejected"
        with rpc_as(customer) as rpc:
            [third] = rpc.billing.request_subscriptions({"product_ids": [subscription["product_id"]]})["items"]
        assert third["status"] == "requested"
        with rpc_as(platform) as rpc:
            assert rpc.billing.decide_subscription(third["id"], {"approve": True})["status"] == "approved"
        placed = order(customer, code)
        assert placed["supplier_id"] == platform.org_id
        wait_until(lambda: get_order(customer, placed["id"])["paid_out"] == PRICE, timeout=30,
                   message="the platform's own order paid out to it")


def test_BIL8_a_lock_scheduled_for_next_month_leaves_the_current_one_in_force(billing, ledger_db):
    code = f"LCK{uuid.uuid4().hex[:6]}"
    customer, [supplier] = onboard(code, [FakeSupplier()], limit=None)
    now = utcnow()
    try:
        with rpc_as(OPERATOR_ACTOR) as rpc:
            rpc.billing.set_price_lock({"starts_at": (now - timedelta(seconds=5)).isoformat(),
                                        "ends_at": (now + timedelta(seconds=60)).isoformat()})
            rpc.billing.set_price_lock({"starts_at": (now + timedelta(seconds=60)).isoformat(),
                                        "ends_at": (now + timedelta(seconds=120)).isoformat()})   # next "month"
        with rpc_as(supplier) as rpc:
            [product] = rpc.billing.list_products({"code": code})["items"]
            with pytest.raises(Unprocessable) as refused:
                rpc.billing.update_product(product["id"], {"price": PRICE + 100})
            assert "price lock" in refused.value.message
        with rpc_as(customer) as rpc:
            [subscription] = rpc.billing.list_subscriptions({})["items"]
            with pytest.raises(Unprocessable):
                rpc.billing.change_subscription(subscription["id"], "cancel")
    finally:
        with ledger_db.begin() as conn:      # the locks are platform-wide: leave none behind
            conn.execute(text("delete from price_locks where ends_at <= :end"), {"end": now + timedelta(seconds=120)})
