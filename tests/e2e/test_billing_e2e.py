"""The supplier money chain end to end through the gateway (BIL-2..BIL-11), every service as its own
process, with a local fake payment provider and fake supplier systems over HTTP."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from billing_svc.testing import FakeProvider, FakeSupplier

pytestmark = pytest.mark.e2e
PRICE = 2850


@pytest.fixture(scope="module")
def provider(e2e):
    """billing_svc restarted against a fresh fake provider (its URL is configuration)."""
    with FakeProvider() as fake:
        e2e.stack.env["PAYMENT_PROVIDER_URL"] = fake.url
        e2e.stack.stop("billing")
        e2e.restart("billing")
        yield fake


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
        assert call(http, e2e, "PUT", "/api/v1/billing/settings", c, json={
            "callback_url": "http://127.0.0.1:9/callback", "notice_email": "ops@example.com"}).status_code == 200

        # BIL-3: three suppliers publish the same code; one batch request; each approves
        product_ids = []
        for supplier, fake in zip(suppliers, fakes, strict=True):
            s = supplier["headers"]
            assert call(http, e2e, "PUT", "/api/v1/billing/fulfilment-url", s,
                        json={"fulfilment_url": fake.url + "/orders"}).status_code == 200
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

        # BIL-6: each is withheld and paid out once
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
        assert statement["orders"] == 7 and statement["refunded"] == 1000
        exported = call(http, e2e, "GET", "/api/v1/billing/statements/export", c, params={"day": day, "format": "csv"})
        assert exported.status_code == 200 and exported.headers["Content-Type"].startswith("text/csv")
        assert first["id"] in exported.content.decode("utf-8-sig")
        provider.planted.append({"key": "withhold:planted:1", "amount": 999, "status": "succeeded"})
        report = {suppliers[0]["org"]["id"]: []}
        reconciled = call(http, e2e, "POST", "/api/v1/billing/reconciliations", op,
                          json={"day": day, "supplier_reports": report})
        assert reconciled.status_code == 200, reconciled.text
        problems = {(m["source"], m["reference"]) for m in reconciled.json()["mismatches"]}
        assert ("provider", "withhold:planted:1") in problems
        assert any(source == "supplier" for source, _ in problems)     # the empty report misses orders
        assert all(ref == "withhold:planted:1" for source, ref in problems if source == "provider")
    finally:
        for fake in fakes:
            fake.__exit__(None, None, None)
