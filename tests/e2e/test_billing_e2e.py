"""The supplier money chain end to end through the gateway (BIL-2..BIL-12), every service as its own
process, with a local fake payment provider and fake supplier systems over HTTP. The fake provider
sends its signed notices to the gateway's public notice route, as a real one does."""
from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from nameko.amqp.publish import get_producer
from nameko.standalone.events import get_event_exchange

from billing_svc.testing import FakeProvider, FakeSupplier
from deploy import demo
from platform_kit.clock import utcnow

pytestmark = pytest.mark.e2e
PRICE = 2850
NOTICES = "/api/v1/billing/provider-notices"
SMALL_BUDGET = {"BILLING_RETRY_MAX_ATTEMPTS": "3", "BILLING_RETRY_BASE_SECONDS": "0.2",
                "BILLING_RETRY_MAX_BACKOFF_SECONDS": "0.5"}


@pytest.fixture(scope="module")
def provider(e2e):
    """billing_svc restarted against a fresh fake provider (its URL is configuration); the provider
    signs its notices with the stack's PAYMENT_NOTICE_SECRET and posts them to the gateway."""
    with FakeProvider(notice_url=e2e.url(NOTICES), secret=e2e.stack.env["PAYMENT_NOTICE_SECRET"]) as fake:
        e2e.stack.env["PAYMENT_PROVIDER_URL"] = fake.url
        e2e.stack.env.update(SMALL_BUDGET)      # steps that keep failing stop within seconds, not minutes
        e2e.stack.stop("billing")
        e2e.restart("billing")
        yield fake
        for name in SMALL_BUDGET:
            e2e.stack.env.pop(name, None)


@pytest.fixture(scope="module")
def parties(e2e, provider, http_module):
    suppliers = [e2e.new_organisation("isv") for _ in range(3)]
    customer = e2e.new_organisation("customer")
    return customer, suppliers


@pytest.fixture(scope="module")
def http_module():
    import requests

    with requests.Session() as session:
        yield session


def call(http, e2e, method, path, headers, **kwargs):
    return http.request(method, e2e.url(path), headers=headers, timeout=20, **kwargs)


def test_BIL2_to_BIL11_onboard_subscribe_route_pay_refund_block_and_reconcile(e2e, provider, parties, http_module,
                                                                             wait_until):
    http = http_module
    customer, suppliers = parties
    c = customer["headers"]
    op = e2e.auth("operator")
    code = f"CMCC-1G-{uuid.uuid4().hex[:6]}"
    fakes = [FakeSupplier().__enter__() for _ in suppliers]
    try:
        # BIL-2: without both agreements and the operator's confirmation, orders are refused
        refused = call(http, e2e, "POST", "/api/v1/billing/orders", {**c, "Idempotency-Key": "k0"},
                       json={"product_code": code})
        assert refused.status_code == 422 and "platform agreement" in refused.json()["message"]
        signed = call(http, e2e, "POST", "/api/v1/billing/agreements", c, json={
            "platform_agreement": True, "withholding_agreement": True, "payment_account": "alipay-ent-0001"})
        assert signed.status_code == 200 and signed.json()["onboarded"] is False
        customer_id = customer["org"]["id"]
        assert call(http, e2e, "POST", f"/api/v1/billing/customers/{customer_id}/confirm", op).json()["onboarded"]
        # BIL-9: the callback URL is the customer's webhook endpoint for order results (notify's rules apply)
        internal = call(http, e2e, "PUT", "/api/v1/billing/settings", c, json={"callback_url": "http://127.0.0.1:9/cb"})
        assert internal.status_code == 422, internal.text
        settings = call(http, e2e, "PUT", "/api/v1/billing/settings", c, json={
            "callback_url": "https://93.184.216.34/erp/callback", "notice_email": "ops@example.com"})
        assert settings.status_code == 200 and settings.json()["callback_secret"].startswith("whsec_"), settings.text
        hooks = call(http, e2e, "GET", "/api/v1/webhooks", c).json()["items"]
        assert [(h["url"], h["event_types"]) for h in hooks] == [("https://93.184.216.34/erp/callback",
                                                                  ["order_result_ready"])]
        # no order is pushed to that address from here (it is not reachable): cleared, the endpoint goes
        cleared = call(http, e2e, "PUT", "/api/v1/billing/settings", c, json={"callback_url": None})
        assert cleared.status_code == 200 and call(http, e2e, "GET", "/api/v1/webhooks", c).json()["items"] == []

        # BIL-3: three suppliers publish the same code; one batch request; each approves
        product_ids = []
        for supplier, fake in zip(suppliers, fakes, strict=True):
            s = supplier["headers"]
            assert call(http, e2e, "PUT", "/api/v1/billing/fulfilment-url", s,
                        json={"fulfilment_url": fake.url + "/orders", "report_url": fake.report_url}).status_code == 200
            product = call(http, e2e, "POST", "/api/v1/billing/products", s, json={
                "code": code, "name": "全国流量 1GB", "face_value": 3000, "price": PRICE, "currency": "CNY",
                "visible_to": [customer_id]})
            assert product.status_code == 201, product.text
            product_ids.append(product.json()["id"])
        subscribed = call(http, e2e, "POST", "/api/v1/billing/subscriptions", c, json={"product_ids": product_ids})
        assert subscribed.status_code == 201 and len(subscribed.json()["items"]) == 3
        unapproved = call(http, e2e, "POST", "/api/v1/billing/orders", {**c, "Idempotency-Key": "k1"},
                          json={"product_code": code})
        assert unapproved.status_code == 422 and unapproved.json()["fields"] == {"product_code": ["not subscribed"]}
        for supplier, subscription in zip(suppliers, subscribed.json()["items"], strict=True):
            s = supplier["headers"]
            approved = call(http, e2e, "POST", f"/api/v1/billing/subscriptions/{subscription['id']}/approve", s)
            assert approved.status_code == 200 and approved.json()["status"] == "approved"
            assert call(http, e2e, "PUT", f"/api/v1/billing/credit-accounts/{customer_id}", s,
                        json={"limit": None}).status_code == 200

        # BIL-4: round-robin over the three suppliers; the same Idempotency-Key gives the same order
        orders = []
        for n in range(3):
            placed = call(http, e2e, "POST", "/api/v1/billing/orders", {**c, "Idempotency-Key": f"order-{n}"},
                          json={"product_code": code})
            assert placed.status_code == 201, placed.text
            orders.append(placed.json()["order"])
        again = call(http, e2e, "POST", "/api/v1/billing/orders", {**c, "Idempotency-Key": "order-0"},
                     json={"product_code": code})
        assert again.json()["order"]["id"] == orders[0]["id"]
        assert {o["supplier_id"] for o in orders} == {s["org"]["id"] for s in suppliers}
        assert call(http, e2e, "POST", "/api/v1/billing/orders", {**c, "Idempotency-Key": "unknown"},
                    json={"product_code": "NO-SUCH-CODE"}).status_code == 422

        # BIL-6: each is withheld and paid out once (the provider also notifies each payment, racing its answer)
        provider.notify_all = True

        def order(o):
            return call(http, e2e, "GET", f"/api/v1/billing/orders/{o['id']}", c).json()
        wait_until(lambda: all(order(o)["paid_out"] == PRICE for o in orders), timeout=40,
                   message="three orders withheld and paid out")
        assert sorted(len(f.received) for f in fakes) == [1, 1, 1]

        # BIL-6 refunds: bad amounts are refused and move nothing; a good one flows back
        first = orders[0]
        owner = next(s["headers"] for s in suppliers if s["org"]["id"] == first["supplier_id"])
        for amount, status in ((12.5, 400), (-1, 400), (PRICE + 1, 422)):
            bad = call(http, e2e, "POST", f"/api/v1/billing/orders/{first['id']}/refunds", owner,
                       json={"amount": amount})
            assert bad.status_code == status, bad.text
        other = next(s["headers"] for s in suppliers if s["org"]["id"] != first["supplier_id"])
        assert call(http, e2e, "POST", f"/api/v1/billing/orders/{first['id']}/refunds", other,
                    json={"amount": 100}).status_code == 404
        refund = call(http, e2e, "POST", f"/api/v1/billing/orders/{first['id']}/refunds", owner,
                      json={"amount": 1000, "reason": "not delivered"})
        assert refund.status_code == 201, refund.text
        wait_until(lambda: order(first)["refunds"][0]["status"] == "completed", timeout=30, message="refund done")

        # BIL-8: no price change during the lock (listing still works)
        now = datetime.now(UTC)
        assert call(http, e2e, "PUT", "/api/v1/billing/price-lock", op, json={
            "starts_at": (now - timedelta(minutes=1)).isoformat(),
            "ends_at": (now + timedelta(minutes=2)).isoformat()}).status_code == 200
        s0 = suppliers[0]["headers"]
        locked = call(http, e2e, "PATCH", f"/api/v1/billing/products/{product_ids[0]}", s0, json={"price": 2900})
        assert locked.status_code == 422 and "price lock" in locked.json()["message"], locked.text
        assert call(http, e2e, "PATCH", f"/api/v1/billing/products/{product_ids[0]}", s0,
                    json={"listed": True}).status_code == 200
        assert call(http, e2e, "PUT", "/api/v1/billing/price-lock", op, json={
            "starts_at": (now - timedelta(minutes=2)).isoformat(),
            "ends_at": (now - timedelta(minutes=1)).isoformat()}).status_code == 200

        # BIL-7: three failed withholdings block new orders until they are paid
        provider.fail_payers.add(f"customer:{customer_id}")
        failing = [call(http, e2e, "POST", "/api/v1/billing/orders", {**c, "Idempotency-Key": f"fail-{n}"},
                        json={"product_code": code}).json()["order"] for n in range(3)]
        wait_until(lambda: all(order(o)["withholding"] == "failed" for o in failing), timeout=40,
                   message="three failed withholdings")
        blocked = call(http, e2e, "POST", "/api/v1/billing/orders", {**c, "Idempotency-Key": "blocked"},
                       json={"product_code": code})
        assert blocked.status_code == 422 and "withholdings failed" in blocked.json()["message"]
        provider.fail_payers.clear()
        assert len(call(http, e2e, "POST", "/api/v1/billing/withholdings/retry", c).json()["retried"]) == 3
        wait_until(lambda: all(order(o)["withholding"] == "paid" for o in failing), timeout=40,
                   message="retried withholdings paid")
        unblocked = call(http, e2e, "POST", "/api/v1/billing/orders", {**c, "Idempotency-Key": "unblocked"},
                         json={"product_code": code})
        assert unblocked.status_code == 201
        # a day is reconciled once its payments settled (one still in flight is a true mismatch)
        wait_until(lambda: order(unblocked.json()["order"])["paid_out"] == PRICE, timeout=40,
                   message="the last order paid out")

        # BIL-11: the day's statement, its export, and a reconciliation finding a planted mismatch
        day = datetime.now(UTC).date().isoformat()
        statement = call(http, e2e, "GET", "/api/v1/billing/statements", c, params={"day": day}).json()
        assert statement["orders"] == 7 and [(t["currency"], t["refunded"]) for t in statement["totals"]] == [
            ("CNY", 1000)]
        exported = call(http, e2e, "GET", "/api/v1/billing/statements/export", c, params={"day": day, "format": "csv"})
        assert exported.status_code == 200 and exported.headers["Content-Type"].startswith("text/csv")
        assert first["id"] in exported.content.decode("utf-8-sig")
        # the orders list's export takes the list's filters: the supplier of the first order sees only its own
        owned = call(http, e2e, "GET", "/api/v1/billing/orders/export", owner, params={"day": day, "format": "csv"})
        rows = owned.content.decode("utf-8-sig").splitlines()
        assert owned.status_code == 200 and rows[0].startswith("order_id,") and len(rows) > 1
        assert all(first["supplier_id"] in row for row in rows[1:]) and first["id"] in owned.text
        as_xlsx = call(http, e2e, "GET", "/api/v1/billing/orders/export", c, params={"format": "xlsx"})
        assert as_xlsx.status_code == 200 and as_xlsx.content[:2] == b"PK"
        provider.planted.append({"key": "withhold:planted:1", "amount": 999, "status": "succeeded"})
        # the suppliers' reports are fetched from their systems; one reports an order's amount wrong,
        # and one supplier's report is posted instead (the alternative), leaving an order out
        wrong = orders[1]
        wrong_fake = fakes[[s["org"]["id"] for s in suppliers].index(wrong["supplier_id"])]
        wrong_fake.report_changes[wrong["id"]] = {"amount": PRICE - 1}
        posting = next(s["org"]["id"] for s in suppliers if s["org"]["id"] != wrong["supplier_id"])
        reconciled = call(http, e2e, "POST", "/api/v1/billing/reconciliations", op,
                          json={"day": day, "supplier_reports": {posting: []}})
        assert reconciled.status_code == 200, reconciled.text
        result = reconciled.json()
        assert result["reports"][posting] == "posted"
        assert all(result["reports"][s["org"]["id"]] == "fetched" for s in suppliers if s["org"]["id"] != posting)
        assert all(day in fake.report_requests for fake in fakes if fake is not
                   fakes[[s["org"]["id"] for s in suppliers].index(posting)])
        problems = {(m["source"], m["reference"], m["problem"]) for m in result["mismatches"]}
        assert ("provider", "withhold:planted:1", "missing in the ledger") in problems
        assert ("supplier", wrong["id"], "status or amount differ") in problems
        assert any(source == "supplier" and problem == "missing in the report" for source, _, problem in problems)
        assert all(ref == "withhold:planted:1" for source, ref, _ in problems if source == "provider")
        # (other tests' suppliers on the shared stack may have orders that day and no report: not ours)
        fetched_orders = {o["id"] for s in suppliers if s["org"]["id"] != posting
                          for o in call(http, e2e, "GET", "/api/v1/billing/orders", op,
                                        params={"supplier_id": s["org"]["id"]}).json()["items"]}
        fetched_problems = {ref for source, ref, _ in problems if source == "supplier" and ref in fetched_orders}
        assert fetched_problems == {wrong["id"]}, "the fetched reports differ only where it was planted"
        exported = call(http, e2e, "GET", "/api/v1/billing/reconciliations/export", op,
                        params={"day": day, "format": "xlsx"})
        assert exported.status_code == 200 and exported.content[:2] == b"PK", exported.text[:200]
        as_csv = call(http, e2e, "GET", "/api/v1/billing/reconciliations/export", op, params={"day": day}).content
        assert "withhold:planted:1" in as_csv.decode("utf-8-sig") and wrong["id"] in as_csv.decode("utf-8-sig")
        assert call(http, e2e, "GET", "/api/v1/billing/reconciliations/export", c,
                    params={"day": day}).status_code == 403
        # BIL-11: every mismatch is kept with its resolution; reconciling again keeps it
        planted = next(m for m in result["mismatches"] if m["reference"] == "withhold:planted:1")
        assert planted["status"] == "open" and planted["id"]
        stored = call(http, e2e, "GET", "/api/v1/billing/reconciliation-mismatches", op,
                      params={"day": day, "status": "open", "source": "provider", "limit": 200}).json()
        assert planted["id"] in {m["id"] for m in stored["items"]}
        resolve = f"/api/v1/billing/reconciliation-mismatches/{planted['id']}/resolve"
        assert call(http, e2e, "POST", resolve, c, json={"resolution": "x"}).status_code == 403
        resolved = call(http, e2e, "POST", resolve, op, json={"resolution": "供应商结算文件多出一笔测试数据，已核销"})
        assert resolved.status_code == 200 and resolved.json()["status"] == "resolved", resolved.text
        assert call(http, e2e, "POST", resolve, op, json={"resolution": "另一种说法"}).status_code == 422
        again = call(http, e2e, "POST", "/api/v1/billing/reconciliations", op,
                     json={"day": day, "supplier_reports": {posting: []}}).json()
        assert next(m for m in again["mismatches"] if m["id"] == planted["id"])["status"] == "resolved"
    finally:
        for fake in fakes:
            fake.__exit__(None, None, None)


def onboarded_customer(e2e, http, supplier: dict, fake: FakeSupplier, code: str) -> dict:
    """A confirmed customer subscribed to ``code`` at ``supplier`` with unlimited credit."""
    customer = e2e.new_organisation("customer")
    c, s, op = customer["headers"], supplier["headers"], e2e.auth("operator")
    customer_id = customer["org"]["id"]
    signed = call(http, e2e, "POST", "/api/v1/billing/agreements", c, json={
        "platform_agreement": True, "withholding_agreement": True, "payment_account": "alipay-ent-9"})
    assert signed.status_code == 200, signed.text
    assert call(http, e2e, "POST", f"/api/v1/billing/customers/{customer_id}/confirm", op).status_code == 200
    if fake is not None:
        assert call(http, e2e, "PUT", "/api/v1/billing/fulfilment-url", s,
                    json={"fulfilment_url": fake.url + "/orders"}).status_code == 200
        product = call(http, e2e, "POST", "/api/v1/billing/products", s, json={
            "code": code, "name": "流量 500MB", "face_value": 3000, "price": PRICE, "currency": "CNY",
            "visible_to": [customer_id]}).json()
        subscription = call(http, e2e, "POST", "/api/v1/billing/subscriptions", c,
                            json={"product_ids": [product["id"]]}).json()["items"][0]
        assert call(http, e2e, "POST", f"/api/v1/billing/subscriptions/{subscription['id']}/approve",
                    s).status_code == 200
        assert call(http, e2e, "PUT", f"/api/v1/billing/credit-accounts/{customer_id}", s,
                    json={"limit": None}).status_code == 200
    return customer


def test_BIL6_the_providers_signed_notice_settles_a_payment_once_and_forged_or_old_ones_change_nothing(
        e2e, provider, http_module, wait_until):
    http = http_module
    code = f"NOTICE-{uuid.uuid4().hex[:6]}"
    supplier = e2e.new_organisation("isv")
    with FakeSupplier() as fake:
        customer = onboarded_customer(e2e, http, supplier, fake, code)
        c = customer["headers"]
        payer = f"customer:{customer['org']['id']}"
        provider.processing_payers.add(payer)      # the provider answers 'processing'; the outcome comes by notice
        try:
            placed = call(http, e2e, "POST", "/api/v1/billing/orders", {**c, "Idempotency-Key": "n-1"},
                          json={"product_code": code})
            assert placed.status_code == 201, placed.text
            order_id = placed.json()["order"]["id"]
            key = f"withhold:{order_id}:1"

            def order():
                return call(http, e2e, "GET", f"/api/v1/billing/orders/{order_id}", c).json()
            wait_until(lambda: key in provider.payments and order()["withholding"] == "pending", timeout=30,
                       message="the withholding sent and answered 'processing'")
            notice = {**provider.notice_for(key), "status": "succeeded"}

            # forged (another secret), tampered (body changed after signing), unsigned, old: 401, nothing moves
            forged = provider.send_notice(notice=notice, secret="not-the-shared-secret")
            tampered = provider.send_notice(notice=notice,
                                            body=json.dumps({**notice, "status": "failed"}).encode())
            unsigned = http.post(e2e.url(NOTICES), json=notice, timeout=20)
            old = provider.send_notice(notice=notice, timestamp=int(time.time()) - 3600)
            for refused in (forged, tampered, unsigned, old):
                assert refused.status_code == 401, refused.text
                assert refused.headers["WWW-Authenticate"].startswith("Provider-Signature")
                assert refused.json()["error"] == "unauthenticated"
            assert "window" in old.json()["message"]
            assert order()["withholding"] == "pending" and order()["paid"] == 0

            # the good notice settles it; a duplicate delivery and a second notice for the key change nothing
            good = provider.complete(key)
            assert good.status_code == 200 and good.json() == {"notice_id": good.json()["notice_id"],
                                                               "applied": True}, good.text
            assert order()["withholding"] == "paid" and order()["paid"] == PRICE
            repeated = provider.send_notice(notice={**provider.notice_for(key), "notice_id": good.json()["notice_id"]})
            assert repeated.status_code == 200 and repeated.json()["applied"] is False
            assert provider.send_notice(key).status_code == 200
            wait_until(lambda: order()["paid_out"] == PRICE, timeout=30, message="paid out after the notice")
            assert order()["paid"] == PRICE and provider.executions[key] == 1
            statement = call(http, e2e, "GET", "/api/v1/billing/statements", c,
                             params={"day": datetime.now(UTC).date().isoformat()}).json()
            assert statement["totals"][0]["paid"] == PRICE, "one withholding, whatever the notices"
        finally:
            provider.processing_payers.discard(payer)


def test_BIL6_a_refund_retried_after_a_503_at_the_deadline_is_refunded_once(e2e, provider, http_module, wait_until):
    """A slow database: the order's row is held (SELECT ... FOR UPDATE in the test's own
    connection) past the gateway's deadline, so the refund answers 503 and then commits anyway.
    The retry with the same Idempotency-Key finds that refund (its id derives from the key)."""
    import psycopg2

    http = http_module
    code = f"REFUND-{uuid.uuid4().hex[:6]}"
    supplier = e2e.new_organisation("isv")
    with FakeSupplier() as fake:
        customer = onboarded_customer(e2e, http, supplier, fake, code)
        c, s = customer["headers"], supplier["headers"]
        placed = call(http, e2e, "POST", "/api/v1/billing/orders", {**c, "Idempotency-Key": "r-1"},
                      json={"product_code": code})
        assert placed.status_code == 201, placed.text
        order_id = placed.json()["order"]["id"]

        def order():
            return call(http, e2e, "GET", f"/api/v1/billing/orders/{order_id}", c).json()
        wait_until(lambda: order()["paid_out"] == PRICE, timeout=40, message="withheld and paid out")

        refund_path, key = f"/api/v1/billing/orders/{order_id}/refunds", f"refund-{uuid.uuid4()}"
        held = psycopg2.connect(e2e.stack.env["BILLING_DATABASE_URL"])
        try:
            with held.cursor() as cursor:
                cursor.execute("SELECT id FROM orders WHERE id = %s FOR UPDATE", (order_id,))
                first = call(http, e2e, "POST", refund_path, {**s, "Idempotency-Key": key},
                             json={"amount": 300, "reason": "not delivered"})
                assert first.status_code == 503, first.text
        finally:
            held.rollback()     # the database recovers: the first attempt commits after its caller gave up
            held.close()
        wait_until(lambda: len(order()["refunds"]) == 1, timeout=30, message="the first attempt committed late")
        retried = call(http, e2e, "POST", refund_path, {**s, "Idempotency-Key": key},
                       json={"reason": "not delivered", "amount": 300})
        assert retried.status_code == 201, retried.text
        assert [r["amount"] for r in retried.json()["refunds"]] == [300]
        wait_until(lambda: order()["refunds"][0]["status"] == "completed", timeout=30, message="refund done")
        assert order()["refunded"] == 300 and len(order()["refunds"]) == 1
        reused = call(http, e2e, "POST", refund_path, {**s, "Idempotency-Key": key}, json={"amount": 200})
        assert reused.status_code in (409, 422) and "Idempotency-Key" in reused.json()["fields"], reused.text


# BIL-12: kickoff and acceptance are the milestones (confirm nodes) of the delivery flow
STAGED_FLOW = [
    {"key": "assign", "kind": "assign_provider", "name": "分配服务商", "settings": {}, "reminders": []},
    {"key": "kickoff_ok", "kind": "confirm", "name": "启动确认", "settings": {"side": "provider"}, "reminders": []},
    {"key": "build", "kind": "generic", "name": "实施", "settings": {"side": "provider"}, "reminders": []},
    {"key": "accept", "kind": "confirm", "name": "验收", "settings": {"side": "customer"}, "reminders": []},
    {"key": "done", "kind": "complete_project", "name": "项目完成", "settings": {}, "reminders": []},
]


def bind_flow(e2e, product_id: str, vendor_id: str, nodes: list[dict], wait_until) -> None:
    """template_svc's product_template_bound, as it carries the frozen flow; project_svc keeps it."""
    exchange = get_event_exchange("template")
    with get_producer(e2e.amqp_uri) as producer:
        producer.publish({"event_id": str(uuid.uuid4()), "event_type": "product_template_bound", "version": 1,
                          "source": "template", "occurred_at": utcnow().isoformat(), "correlation_id": None,
                          "data": {"product_id": product_id, "vendor_id": vendor_id, "product_code": "STAGED",
                                   "product_name": "ERP rollout", "template_id": str(uuid.uuid4()),
                                   "template_name": "Staged", "template_version": 1, "nodes": nodes}},
                         exchange=exchange, routing_key="product_template_bound", serializer="json",
                         declare=[exchange])
    with e2e.rpc() as rpc:
        wait_until(lambda: rpc.project.knows_product(product_id), timeout=20, message="the bound flow")


def test_BIL12_a_stage_falls_due_when_its_milestone_is_accepted_and_is_paid_through_the_provider_and_ledger(
        e2e, provider, http_module, wait_until):
    http = http_module
    vendor = e2e.new_organisation("isv")
    customer = onboarded_customer(e2e, http, vendor, None, "")
    v, c = vendor["headers"], customer["headers"]
    product_id = f"prod-staged-{uuid.uuid4().hex[:8]}"
    bind_flow(e2e, product_id, vendor["org"]["id"], STAGED_FLOW, wait_until)
    bought = call(http, e2e, "POST", "/api/v1/purchases", c,
                  json={"order_id": f"ORD-{uuid.uuid4().hex[:10]}", "product_id": product_id})
    assert bought.status_code == 201, bought.text
    project_id = bought.json()["project"]["id"]
    base = f"/api/v1/projects/{project_id}"
    wait_until(lambda: call(http, e2e, "GET", base, c).json()["current_node"]["key"] == "kickoff_ok", timeout=30,
               message="the vendor assigned itself")
    terms = {"project_id": project_id, "customer_id": customer["org"]["id"], "currency": "CNY", "terms_days": 10,
             "overdue_period_days": 7, "stages": [
                 {"key": "first", "name": "首期款", "amount": 30000, "milestone_node_key": "kickoff_ok"},
                 {"key": "final", "name": "尾款", "amount": 70000, "milestone_node_key": "accept"}]}

    def proposed():         # billing learns the project from project_svc's events
        answer = call(http, e2e, "POST", "/api/v1/billing/staged-contracts", v, json=terms)
        assert answer.status_code in (201, 404), answer.text
        return answer if answer.status_code == 201 else None
    created = wait_until(proposed, timeout=30, message="the vendor's proposal")
    assert created.json()["status"] == "proposed", created.text
    # the stranger's contract (billing knows the project now): another ISV, for this project or for none, is refused
    stranger = e2e.new_organisation("isv")["headers"]
    for body in (terms, {**terms, "project_id": str(uuid.uuid4())}):
        refused = call(http, e2e, "POST", "/api/v1/billing/staged-contracts", stranger, json=body)
        assert refused.status_code == 404, refused.text
    assert call(http, e2e, "POST", "/api/v1/billing/staged-contracts", c, json=terms).status_code == 403
    contract = f"/api/v1/billing/staged-contracts/{created.json()['id']}"
    proposals = call(http, e2e, "GET", "/api/v1/billing/staged-contracts", c, params={"status": "proposed"}).json()
    assert [p["id"] for p in proposals["items"]] == [created.json()["id"]]
    assert call(http, e2e, "POST", f"{contract}/accept", v).status_code == 403, "the vendor cannot accept for them"
    assert call(http, e2e, "POST", f"{contract}/accept", e2e.new_organisation("customer")["headers"]).status_code == 404
    accepted = call(http, e2e, "POST", f"{contract}/accept", c)
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted", accepted.text

    def stage(key):
        return next(s for s in call(http, e2e, "GET", contract, c).json()["stages"] if s["key"] == key)
    early = call(http, e2e, "POST", f"{contract}/stages/first/payments", c)
    assert early.status_code == 422, "not due before its milestone is accepted"

    assert call(http, e2e, "POST", f"{base}/confirm", v, json={"node_key": "kickoff_ok"}).status_code == 200
    wait_until(lambda: stage("first")["status"] == "due", timeout=30, message="the first stage due")
    assert stage("final")["status"] == "waiting"
    paying = call(http, e2e, "POST", f"{contract}/stages/first/payments", c)
    assert paying.status_code == 202, paying.text
    assert call(http, e2e, "POST", f"{contract}/stages/first/payments", c).status_code == 202   # asked twice
    wait_until(lambda: stage("first")["payment"] == "paid_out", timeout=40, message="withheld and paid out")
    first = stage("first")
    assert (first["status"], first["paid"], first["paid_out"]) == ("paid", 30000, 30000)
    withholds = [k for k in provider.payments if k.startswith(f"stage:{created.json()['id']}:first:withhold")]
    assert len(withholds) == 1 and provider.executions[withholds[0]] == 1
    assert call(http, e2e, "POST", f"{contract}/stages/final/payments", c).status_code == 422
    stranger = e2e.new_organisation("customer")["headers"]
    assert call(http, e2e, "POST", f"{contract}/stages/first/payments", stranger).status_code == 404


def test_BIL3_a_supplier_finds_the_customers_it_names_by_name_and_only_customers(e2e, http_module):
    """LOC-1: visible-to customers are picked from `GET /customer-organisations`, a search by name."""
    http = http_module
    supplier, customer, other_isv = e2e.new_organisation("isv"), e2e.new_organisation("customer"), \
        e2e.new_organisation("isv")
    suffix = customer["org"]["name"].split()[-1]
    found = call(http, e2e, "GET", "/api/v1/customer-organisations", supplier["headers"], params={"q": suffix})
    assert found.status_code == 200, found.text
    assert found.json()["items"] == [{"id": customer["org"]["id"], "name": customer["org"]["name"]}]
    isv_suffix = other_isv["org"]["name"].split()[-1]
    assert call(http, e2e, "GET", "/api/v1/customer-organisations", supplier["headers"],
                params={"q": isv_suffix}).json()["items"] == []
    short = call(http, e2e, "GET", "/api/v1/customer-organisations", supplier["headers"], params={"q": "O"})
    assert short.status_code == 400 and "q" in short.json()["fields"], short.text
    assert call(http, e2e, "GET", "/api/v1/customer-organisations", supplier["headers"]).status_code == 400
    assert call(http, e2e, "GET", "/api/v1/customer-organisations", customer["headers"],
                params={"q": suffix}).status_code == 403


USD_PRICE = 400


def subscribe(http, e2e, supplier: dict, customer: dict, code: str, currency: str, price: int) -> None:
    """The supplier offers ``code`` in ``currency`` to the customer, approves it, unlimited credit in it."""
    s, c, customer_id = supplier["headers"], customer["headers"], customer["org"]["id"]
    product = call(http, e2e, "POST", "/api/v1/billing/products", s, json={
        "code": code, "name": "Global 1GB", "face_value": price, "price": price, "currency": currency,
        "visible_to": [customer_id]})
    assert product.status_code == 201, product.text
    subscription = call(http, e2e, "POST", "/api/v1/billing/subscriptions", c,
                        json={"product_ids": [product.json()["id"]]}).json()["items"][0]
    assert call(http, e2e, "POST", f"/api/v1/billing/subscriptions/{subscription['id']}/approve",
                s).status_code == 200
    limit = call(http, e2e, "PUT", f"/api/v1/billing/credit-accounts/{customer_id}", s,
                 json={"limit": None, "currency": currency})
    assert limit.status_code == 200 and limit.json()["currency"] == currency, limit.text


def test_BIL13_BIL14_a_usd_order_is_withheld_paid_out_and_refunded_with_balances_per_currency(
        e2e, provider, http_module, wait_until):
    http = http_module
    supplier = e2e.new_organisation("isv")
    s = supplier["headers"]
    cny_code, usd_code = f"CN-{uuid.uuid4().hex[:6]}", f"US-{uuid.uuid4().hex[:6]}"
    with FakeSupplier() as fake:
        customer = onboarded_customer(e2e, http, supplier, fake, cny_code)
        c, op = customer["headers"], e2e.auth("operator")
        sid, cid = supplier["org"]["id"], customer["org"]["id"]
        # BIL-13: three capitals are no currency (400); an ISO code the platform does not move money in is 422
        for currency, status in (("ABC", 400), ("ZZZ", 400), ("JPY", 422)):
            refused = call(http, e2e, "POST", "/api/v1/billing/products", s, json={
                "code": f"X-{currency}", "name": "x", "face_value": 1, "price": 1, "currency": currency})
            assert refused.status_code == status and "currency" in refused.json()["fields"], refused.text
        subscribe(http, e2e, supplier, customer, usd_code, "USD", USD_PRICE)
        before = utcnow()
        orders = {}
        for code in (cny_code, usd_code):
            placed = call(http, e2e, "POST", "/api/v1/billing/orders", {**c, "Idempotency-Key": code},
                          json={"product_code": code})
            assert placed.status_code == 201, placed.text
            orders[code] = placed.json()["order"]

        def order(code):
            return call(http, e2e, "GET", f"/api/v1/billing/orders/{orders[code]['id']}", c).json()
        wait_until(lambda: order(usd_code)["paid_out"] == USD_PRICE and order(cny_code)["paid_out"] == PRICE,
                   timeout=40, message="both orders withheld and paid out, each in its currency")
        assert order(usd_code)["currency"] == "USD"
        refund = call(http, e2e, "POST", f"/api/v1/billing/orders/{orders[usd_code]['id']}/refunds", s,
                      json={"amount": 150, "reason": "partly delivered"})
        assert refund.status_code == 201, refund.text
        wait_until(lambda: order(usd_code)["refunds"][0]["status"] == "completed", timeout=30, message="refunded")

    # BIL-14: balances per account and currency, each party its own
    def balances(headers, **params):
        page = call(http, e2e, "GET", "/api/v1/billing/ledger/accounts", headers, params={"limit": 200, **params})
        assert page.status_code == 200, page.text
        return {a["account_id"]: a["balance"] for a in page.json()["items"]}
    assert balances(s) == {f"supplier:{sid}:CNY": PRICE, f"supplier:{sid}:USD": USD_PRICE - 150,
                           f"credit_line:{sid}:CNY": 0, f"credit_line:{sid}:USD": 0,
                           f"credit:{cid}:{sid}:CNY": 0, f"credit:{cid}:{sid}:USD": 0}
    mine = balances(c, currency="USD")
    assert mine[f"customer:{cid}:USD"] == -(USD_PRICE - 150) and all(k.endswith(":USD") for k in mine)
    assert f"supplier:{sid}:USD" in balances(op, currency="USD", kind="supplier")
    # transfers with their postings, filtered; a balance as of an instant
    usd_account = f"supplier:{sid}:USD"
    moves = call(http, e2e, "GET", "/api/v1/billing/ledger/transactions", s,
                 params={"account_id": usd_account, "currency": "USD", "from": before.isoformat()}).json()
    assert moves["total"] == 2 and {t["key"].split(":")[0] for t in moves["items"]} == {"payout", "refund"}
    for transfer in moves["items"]:
        assert sum(p["amount"] for p in transfer["postings"]) == 0
        assert all(p["account_id"].endswith(":USD") for p in transfer["postings"])
    then = call(http, e2e, "GET", "/api/v1/billing/ledger/balance", s,
                params={"account_id": usd_account, "at": before.isoformat()})
    now = call(http, e2e, "GET", "/api/v1/billing/ledger/balance", s, params={"account_id": usd_account})
    assert (then.json()["balance"], now.json()["balance"]) == (0, USD_PRICE - 150), (then.text, now.text)
    # another tenant sees none of it
    other = e2e.new_organisation("customer")["headers"]
    assert call(http, e2e, "GET", "/api/v1/billing/ledger/balance", other,
                params={"account_id": usd_account}).status_code == 404
    assert balances(other) == {}
    assert call(http, e2e, "GET", "/api/v1/billing/ledger/transactions", other).json()["total"] == 0
    # BIL-13: the statement sums per currency, never CNY and USD together
    statement = call(http, e2e, "GET", "/api/v1/billing/statements", op,
                     params={"day": utcnow().date().isoformat(), "supplier_id": sid}).json()
    assert [(t["currency"], t["amount"], t["refunded"]) for t in statement["totals"]] == [
        ("CNY", PRICE, 0), ("USD", USD_PRICE, 150)]
    # BIL-14: every movement is an event an ERP can subscribe its webhook to
    types = set(call(http, e2e, "GET", "/api/v1/webhook-event-types", c).json()["items"])
    assert {"withholding_succeeded", "withholding_failed", "payout_paid", "payout_failed", "refund_completed",
            "refund_failed"} <= types


def test_GW2_ORG7_every_route_that_moves_money_names_who_may_call_it(e2e, provider, http_module, wait_until):
    """Every other role gets 403 and another tenant 404 (or sees nothing of it) on the routes that
    move or show money: staged contracts, orders, refunds, statements, the ledger, reconciliation."""
    http = http_module
    code = f"AUTH-{uuid.uuid4().hex[:6]}"
    supplier = e2e.new_organisation("isv")
    with FakeSupplier() as fake:
        customer = onboarded_customer(e2e, http, supplier, fake, code)
        placed = call(http, e2e, "POST", "/api/v1/billing/orders", {**customer["headers"], "Idempotency-Key": code},
                      json={"product_code": code})
        assert placed.status_code == 201, placed.text
        order_id = placed.json()["order"]["id"]
        wait_until(lambda: call(http, e2e, "GET", f"/api/v1/billing/orders/{order_id}",
                                customer["headers"]).json()["paid_out"] == PRICE, timeout=40, message="paid out")
    engineer = call(http, e2e, "POST", "/api/v1/users", supplier["headers"], json={
        "login_name": f"eng-{uuid.uuid4().hex[:8]}", "display_name": "Engineer", "roles": ["engineer"]})
    assert engineer.status_code == 201, engineer.text
    login = engineer.json()["user"]["login_name"]
    first = e2e.login(login, engineer.json()["password"])
    changed = call(http, e2e, "POST", "/api/v1/auth/password", {"Authorization": f"Bearer {first['access_token']}"},
                   json={"current_password": engineer.json()["password"], "new_password": demo.DEMO_PASSWORD})
    assert changed.status_code == 200, changed.text
    engineer_headers = {"Authorization": f"Bearer {e2e.login(login)['access_token']}"}
    tokens = {"supplier": supplier["headers"], "customer": customer["headers"], "operator": e2e.auth("operator"),
              "engineer": engineer_headers}
    account = f"supplier:{supplier['org']['id']}:CNY"
    day = utcnow().date().isoformat()
    contract_id, mismatch_id = str(uuid.uuid4()), str(uuid.uuid4())
    # (method, path, body, params, who may call)
    routes = [
        ("POST", "/api/v1/billing/staged-contracts", {"project_id": str(uuid.uuid4()), "stages": [
            {"key": "a", "name": "首期款", "amount": 1, "milestone_node_key": "n"}]}, None, {"supplier"}),
        ("GET", "/api/v1/billing/staged-contracts", None, None, {"supplier", "customer", "operator"}),
        ("POST", f"/api/v1/billing/staged-contracts/{contract_id}/accept", None, None, {"customer"}),
        ("POST", f"/api/v1/billing/staged-contracts/{contract_id}/decline", None, None, {"customer"}),
        ("POST", f"/api/v1/billing/staged-contracts/{contract_id}/stages/a/payments", None, None,
         {"customer", "operator"}),
        ("POST", "/api/v1/billing/orders", {"product_code": code}, None, {"customer"}),
        ("POST", f"/api/v1/billing/orders/{order_id}/refunds", {"amount": 1}, None, {"supplier"}),
        ("POST", "/api/v1/billing/withholdings/retry", None, None, {"customer"}),
        ("GET", "/api/v1/billing/statements", None, {"day": day}, {"supplier", "customer", "operator"}),
        ("GET", "/api/v1/billing/ledger/accounts", None, None, {"supplier", "customer", "operator"}),
        ("GET", "/api/v1/billing/ledger/transactions", None, None, {"supplier", "customer", "operator"}),
        ("GET", "/api/v1/billing/ledger/balance", None, {"account_id": account}, {"supplier", "operator"}),
        ("POST", "/api/v1/billing/reconciliations", {"day": day}, None, {"operator"}),
        ("GET", "/api/v1/billing/reconciliation-mismatches", None, None, {"operator"}),
        ("POST", f"/api/v1/billing/reconciliation-mismatches/{mismatch_id}/resolve", {"resolution": "x"}, None,
         {"operator"}),
    ]
    for method, path, body, params, allowed in routes:
        for who, headers in tokens.items():
            if who in allowed:
                continue
            key = {} if method == "GET" else {"Idempotency-Key": uuid.uuid4().hex}
            answer = call(http, e2e, method, path, {**headers, **key}, json=body, params=params)
            # the operator sells as a supplier of its own (BIL-1): another supplier's order is missing for it
            missing = (who == "customer" and path.endswith("/ledger/balance")) or (
                who == "operator" and path.endswith("/refunds"))
            expected = 404 if missing else 403
            assert answer.status_code == expected, f"{who} {method} {path}: {answer.status_code} {answer.text}"
    # another tenant with an allowed role: the objects of this one are missing for it
    other_isv, other_customer = e2e.new_organisation("isv")["headers"], e2e.new_organisation("customer")["headers"]
    assert call(http, e2e, "POST", f"/api/v1/billing/orders/{order_id}/refunds", other_isv,
                json={"amount": 1}).status_code == 404
    assert call(http, e2e, "GET", f"/api/v1/billing/orders/{order_id}", other_customer).status_code == 404
    for headers in (other_isv, other_customer):
        assert call(http, e2e, "GET", "/api/v1/billing/ledger/balance", headers,
                    params={"account_id": account}).status_code == 404
        assert call(http, e2e, "GET", "/api/v1/billing/ledger/transactions", headers).json()["total"] == 0
        statement = call(http, e2e, "GET", "/api/v1/billing/statements", headers, params={"day": day}).json()
        assert order_id not in {line["order_id"] for line in statement["lines"]}


def test_BIL6_the_operator_sees_a_stuck_payout_and_retries_it_once_through_the_gateway_audited(
        e2e, provider, http_module, wait_until):
    http = http_module
    code = f"STUCK-{uuid.uuid4().hex[:6]}"
    supplier = e2e.new_organisation("isv")
    op, s = e2e.auth("operator"), supplier["headers"]
    provider.fail_payers.add("platform")              # every payout is refused
    try:
        with FakeSupplier() as fake:
            customer = onboarded_customer(e2e, http, supplier, fake, code)
            placed = call(http, e2e, "POST", "/api/v1/billing/orders", {**customer["headers"], "Idempotency-Key": code},
                          json={"product_code": code})
            assert placed.status_code == 201, placed.text
            order_id = placed.json()["order"]["id"]

            def listed():
                page = call(http, e2e, "GET", "/api/v1/billing/stuck-orders", op).json()
                return next((o for o in page["items"] if o["id"] == order_id), None)
            stuck = wait_until(listed, timeout=40, message="the payout stopped after its budget, listed")
    finally:
        provider.fail_payers.discard("platform")
    [step] = [x for x in stuck["steps"] if x["status"] == "stuck"]
    assert step["kind"] == "payout" and stuck["supplier_name"] == supplier["org"]["name"]
    assert call(http, e2e, "GET", "/api/v1/billing/stuck-orders", s).status_code == 403
    path = f"/api/v1/billing/orders/{order_id}/steps/{step['key']}"
    assert call(http, e2e, "POST", f"{path}/retry", s).status_code == 403, "the supplier may not"
    assert call(http, e2e, "POST", f"{path}/void", op).json()["changed"] is True
    again = call(http, e2e, "POST", f"{path}/void", op)
    assert again.status_code == 200 and again.json()["changed"] is False, "a second click changes nothing"
    assert call(http, e2e, "POST", f"{path}/retry", op).status_code == 422, "a voided step is not stuck"
    audit = wait_until(lambda: call(http, e2e, "GET", "/api/v1/audit-log", op,
                                    params={"action": "billing_step_resolved"}).json()["items"], timeout=20,
                       message="the operator's void in the audit log")
    assert [(a["subject_id"], a["details"]["action"]) for a in audit if a["subject_id"] == order_id] == [
        (order_id, "void")]
    # a staged contract's stuck steps have the same list and actions, for the operator only
    assert call(http, e2e, "GET", "/api/v1/billing/stuck-staged-contracts", op).status_code == 200
    assert call(http, e2e, "GET", "/api/v1/billing/stuck-staged-contracts", s).status_code == 403
    stage_path = f"/api/v1/billing/staged-contracts/{uuid.uuid4()}/steps/stage:x:first:payout:4"
    assert call(http, e2e, "POST", f"{stage_path}/retry", s).status_code == 403
    assert call(http, e2e, "POST", f"{stage_path}/retry", op).status_code == 404
