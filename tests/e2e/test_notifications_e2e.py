"""Notifications through the gateway with every service as its own process: message templates
(NTF-1), the delivery log (NTF-4), the inbox (NTF-5), preferences and webhooks (GW-5)."""
import uuid

import pytest

pytestmark = pytest.mark.e2e

OPERATOR, CUSTOMER, VENDOR = "operator", "customer.admin", "vendor.admin"


def test_NTF1_the_operator_browses_seeded_templates_and_a_template_with_an_unknown_variable_is_refused(
        e2e, http, wait_until):
    page = wait_until(lambda: (r := http.get(e2e.url("/api/v1/message-templates"), headers=e2e.auth(CUSTOMER),
                                             params={"name": "complete project", "limit": 50}, timeout=10).json())
                      ["total"] and r, message="the default templates")
    assert "complete project – notify customer" in [t["name"] for t in page["items"]]
    body = {"name": f"design review {uuid.uuid4().hex[:6]} – notify customer", "variables": [{"name": "order_id"}],
            "contents": [{"subject": "订单 {{ order_id }}", "body": "{{ order_id }} {{ not_declared }}"}],
            "channels": ["email", "inbox"]}
    refused = http.post(e2e.url("/api/v1/message-templates"), json=body, headers=e2e.auth(OPERATOR), timeout=10)
    assert refused.status_code == 422 and "not_declared" in refused.text
    forbidden = http.post(e2e.url("/api/v1/message-templates"), json=body, headers=e2e.auth(VENDOR), timeout=10)
    assert forbidden.status_code == 403
    body["contents"][0]["body"] = "您的订单 {{ order_id }} 进入设计评审。"
    created = http.post(e2e.url("/api/v1/message-templates"), json=body, headers=e2e.auth(OPERATOR), timeout=10)
    assert created.status_code == 201, created.text
    preview = http.post(e2e.url(f"/api/v1/message-templates/{created.json()['id']}/preview"),
                        json={"variables": {"order_id": "ORD-9"}}, headers=e2e.auth(OPERATOR), timeout=10)
    assert preview.status_code == 200 and "ORD-9" in preview.json()["body"]


def test_NTF4_NTF5_the_delivery_log_is_the_operators_and_the_inbox_marks_all_read(e2e, http):
    assert http.get(e2e.url("/api/v1/notification-deliveries"), headers=e2e.auth(CUSTOMER),
                    timeout=10).status_code == 403
    log = http.get(e2e.url("/api/v1/notification-deliveries"), headers=e2e.auth(OPERATOR),
                   params={"status": "failed", "sort": "-created_at"}, timeout=10)
    assert log.status_code == 200 and "total" in log.json()
    marked = http.post(e2e.url("/api/v1/inbox/read-all"), headers=e2e.auth(CUSTOMER), timeout=10)
    assert marked.status_code == 200
    inbox = http.get(e2e.url("/api/v1/inbox"), headers=e2e.auth(CUSTOMER), params={"unread_only": "true"},
                     timeout=10).json()
    assert inbox["unread"] == 0
    prefs = http.put(e2e.url("/api/v1/notification-preferences"), headers=e2e.auth(CUSTOMER),
                     json={"channels": ["inbox", "email"], "timezone": "Asia/Shanghai"}, timeout=10)
    assert prefs.status_code == 200 and prefs.json()["channels"] == ["inbox", "email"]


def test_GW5_webhook_urls_into_the_platforms_network_are_refused_and_endpoints_are_per_organisation(e2e, http):
    for url in ("ftp://example.com/hook", "http://127.0.0.1:8000/hook", "http://10.1.2.3/hook",
                "http://169.254.169.254/latest/meta-data"):
        refused = http.post(e2e.url("/api/v1/webhooks"), headers=e2e.auth(CUSTOMER),
                            json={"url": url, "event_types": ["project_completed"]}, timeout=10)
        assert refused.status_code == 422, (url, refused.text)
    unknown = http.post(e2e.url("/api/v1/webhooks"), headers=e2e.auth(CUSTOMER),
                        json={"url": "https://93.184.216.34/hook", "event_types": ["no_such_event"]}, timeout=10)
    assert unknown.status_code == 400
    types = http.get(e2e.url("/api/v1/webhook-event-types"), headers=e2e.auth(CUSTOMER), timeout=10).json()["items"]
    assert "order_result_ready" in types and "reminder_due" not in types
    created = http.post(e2e.url("/api/v1/webhooks"), headers=e2e.auth(CUSTOMER),
                        json={"url": "https://93.184.216.34/hook", "event_types": ["calendar_changed"]}, timeout=10)
    assert created.status_code == 201, created.text
    endpoint = created.json()
    assert endpoint["secret"].startswith("whsec_")
    rotated = http.post(e2e.url(f"/api/v1/webhooks/{endpoint['id']}/rotate-secret"), headers=e2e.auth(CUSTOMER),
                        timeout=10).json()
    assert rotated["secret"] != endpoint["secret"] and rotated["previous_secret_expires_at"]
    shown = http.get(e2e.url(f"/api/v1/webhooks/{endpoint['id']}"), headers=e2e.auth(CUSTOMER), timeout=10).json()
    assert "secret" not in shown
    other = http.get(e2e.url(f"/api/v1/webhooks/{endpoint['id']}"), headers=e2e.auth(VENDOR), timeout=10)
    assert other.status_code == 404, "another organisation's endpoint answers like a missing one (ORG-7)"
    gone = http.delete(e2e.url(f"/api/v1/webhooks/{endpoint['id']}"), headers=e2e.auth(CUSTOMER), timeout=10)
    assert gone.status_code == 200
