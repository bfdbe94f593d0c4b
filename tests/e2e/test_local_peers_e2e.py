"""What `make run` shows a newcomer, end to end: notify and billing configured against the local peers
(``peers.process.platform_settings``, the settings `make run` and compose use), a real flow's
notification arriving as an e-mail in the SMTP sink and as an SMS at the SMS peer (after a retry and a
fallback), and an order fulfilled by the supplier peer and paid out through the payment peer, whose
answer to the withholding was lost (NTF-2, NTF-4, BIL-4, BIL-6)."""
from __future__ import annotations

import uuid

import pytest

from deploy import demo
from peers.process import Addresses, PeersProcess, platform_settings

pytestmark = pytest.mark.e2e
NOTICES = "/api/v1/billing/provider-notices"
PRICE = 2850
RESTARTED = ("notify", "billing")


@pytest.fixture(scope="module")
def peers(e2e, tmp_path_factory):
    """The peers on free ports; notify and billing restarted against them, and back afterwards."""
    addresses = Addresses.free()
    log = tmp_path_factory.mktemp("peers") / "peers.log"
    settings = {**platform_settings(addresses), "NOTIFY_BACKOFF_SECONDS": "1", "NOTIFY_MAX_BACKOFF_SECONDS": "2",
                "NOTIFY_FALLBACK_AFTER": "1", "NOTIFY_QUIET_HOURS": "00:00-00:00"}
    saved = {key: e2e.stack.env.get(key) for key in settings}
    with PeersProcess(addresses, log, notice_url=e2e.url(NOTICES),
                      notice_secret=e2e.stack.env["PAYMENT_NOTICE_SECRET"]) as running:
        e2e.stack.env.update(settings)
        e2e.stack.stop(*RESTARTED)
        e2e.restart(*RESTARTED)
        try:
            yield running
        finally:
            for key, value in saved.items():
                if value is None:
                    e2e.stack.env.pop(key, None)
                else:
                    e2e.stack.env[key] = value
            e2e.stack.stop(*RESTARTED)
            e2e.restart(*RESTARTED)


def organisation_with_contacts(e2e, http, kind: str) -> dict:
    """A new organisation whose admin has a phone and an e-mail address, signed in."""
    suffix = uuid.uuid4().hex[:8]
    login, phone, email = f"admin-{suffix}", f"139{uuid.uuid4().int % 10**8:08d}", f"admin-{suffix}@example.com"
    created = http.post(e2e.url("/api/v1/organisations"), headers=e2e.auth("operator"), timeout=15, json={
        "name": f"Org {suffix}", "kind": kind,
        "admin": {"login_name": login, "display_name": f"管理员 {suffix}", "phone": phone, "email": email}})
    assert created.status_code == 201, created.text
    first = e2e.login(login, created.json()["password"])
    changed = http.post(e2e.url("/api/v1/auth/password"), timeout=15,
                        headers={"Authorization": f"Bearer {first['access_token']}"},
                        json={"current_password": created.json()["password"], "new_password": demo.DEMO_PASSWORD})
    assert changed.status_code == 200, changed.text
    return {"org": created.json()["organisation"], "phone": phone, "email": email,
            "headers": {"Authorization": f"Bearer {e2e.login(login)['access_token']}"}}


def test_NTF2_NTF4_a_tickets_alert_lands_in_the_mailbox_by_smtp_and_at_the_sms_peer_after_a_fallback(
        e2e, http, peers, wait_until):
    customer = organisation_with_contacts(e2e, http, "customer")
    order_id = f"ORD-P-{uuid.uuid4().hex[:10]}"
    bought = http.post(e2e.url("/api/v1/purchases"), headers=customer["headers"], timeout=15,
                       json={"order_id": order_id, "product_id": "prod-site-design", "customer_id": "me"})
    assert bought.status_code == 201, bought.text
    # the primary SMS provider is down: after one failed attempt notify's fallback provider takes over;
    # the mailbox refuses one mail (451), which notify retries
    http.post(peers.addresses.messaging_url + "/_peer/fail", json={"channel": "sms", "down": True}, timeout=10)
    peers.fail_mails(times=1)
    try:
        body = {"title": "后台无法登录", "description": "登录密码是 Secret#123，请尽快处理", "category": "site_down",
                "order_id": order_id}

        def opened():
            answer = http.post(e2e.url("/api/v1/tickets"), headers=customer["headers"], json=body, timeout=15)
            return answer if answer.status_code == 201 else None
        ticket = wait_until(opened, timeout=30, message="ticket_svc learned the order").json()

        # the customer is told that the password was hidden (TKT-9), on every default channel
        mail = wait_until(lambda: next(iter(peers.mails(customer["email"])), None), timeout=60,
                          message="the e-mail in the SMTP sink")
        # people read the ticket's number, never its id
        assert ticket["number"] in mail["subject"] and ticket["id"] not in mail["subject"] + mail["text"]
        assert mail["message_id"].endswith("@notify>")          # sent by notify's SMTP channel
        sms = wait_until(lambda: [m for m in peers.messages("sms-fallback") if m["to"] == customer["phone"]],
                         timeout=60, message="the SMS at the fallback provider")
        assert "后台无法登录" in sms[0]["text"] and sms[0]["sign_name"] == "交付平台"
        tried = [r for r in peers.refused_messages("sms") if r["body"]["to"] == customer["phone"]]
        assert tried, "the primary provider was tried first"
        assert not [m for m in peers.messages("sms") if m["to"] == customer["phone"]]
    finally:
        http.post(peers.addresses.messaging_url + "/_peer/fail", json={"channel": "sms", "down": False}, timeout=10)


def call(http, e2e, method, path, headers, **kwargs):
    return http.request(method, e2e.url(path), headers=headers, timeout=20, **kwargs)


def test_BIL4_BIL6_an_order_is_fulfilled_by_the_supplier_peer_and_paid_out_through_the_payment_peer(
        e2e, http, peers, wait_until):
    supplier, customer = e2e.new_organisation("isv"), e2e.new_organisation("customer")
    s, c, op = supplier["headers"], customer["headers"], e2e.auth("operator")
    customer_id, code = customer["org"]["id"], f"PEER-{uuid.uuid4().hex[:6]}"
    assert call(http, e2e, "POST", "/api/v1/billing/agreements", c, json={
        "platform_agreement": True, "withholding_agreement": True,
        "payment_account": "alipay-ent-peer"}).status_code == 200
    assert call(http, e2e, "POST", f"/api/v1/billing/customers/{customer_id}/confirm", op).status_code == 200
    assert call(http, e2e, "PUT", "/api/v1/billing/fulfilment-url", s, json={
        "fulfilment_url": peers.addresses.supplier_url + "/orders",
        "report_url": peers.addresses.supplier_url + "/reports"}).status_code == 200
    product = call(http, e2e, "POST", "/api/v1/billing/products", s, json={
        "code": code, "name": "流量 1GB", "face_value": 3000, "price": PRICE, "currency": "CNY",
        "visible_to": [customer_id]}).json()
    subscription = call(http, e2e, "POST", "/api/v1/billing/subscriptions", c,
                        json={"product_ids": [product["id"]]}).json()["items"][0]
    assert call(http, e2e, "POST", f"/api/v1/billing/subscriptions/{subscription['id']}/approve", s).status_code == 200
    assert call(http, e2e, "PUT", f"/api/v1/billing/credit-accounts/{customer_id}", s,
                json={"limit": None}).status_code == 200

    peers.payment_mode("lost", times=1)     # the withholding executes, its answer never arrives
    placed = call(http, e2e, "POST", "/api/v1/billing/orders", {**c, "Idempotency-Key": f"peer-{code}"},
                  json={"product_code": code})
    assert placed.status_code == 201, placed.text
    order_id = placed.json()["order"]["id"]

    def order():
        return call(http, e2e, "GET", f"/api/v1/billing/orders/{order_id}", c).json()
    wait_until(lambda: order()["paid_out"] == PRICE, timeout=90, message="withheld and paid out")
    assert order_id in [o["order_id"] for o in peers.orders()]
    mine = {p["kind"]: p for p in peers.payments() if p["order_id"] == order_id}
    assert set(mine) == {"withhold", "payout"}, mine
    assert mine["withhold"]["payer"].endswith(customer_id) and mine["withhold"]["executions"] == 1
    assert mine["payout"]["payee"].endswith(supplier["org"]["id"])
    assert mine["payout"]["amount"] == PRICE and mine["payout"]["status"] == "succeeded"
