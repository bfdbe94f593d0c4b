"""Dispatch through the gateway with every service as its own process (DSP-1, DSP-3, DSP-4, DSP-7, PRJ-6)."""
import uuid

import pytest

from deploy import demo

pytestmark = pytest.mark.e2e

VENDOR, PROVIDER_A, OPERATOR = "vendor.admin", "provider-a.admin", "operator"


def new_user(e2e, http, admin_login: str, roles: list[str]) -> tuple[dict, dict]:
    """A user of the admin's organisation that changed its initial password: (user, headers)."""
    login = f"dsp-{uuid.uuid4().hex[:10]}"
    created = http.post(e2e.url("/api/v1/users"), headers=e2e.auth(admin_login),
                        json={"login_name": login, "display_name": f"Staff {login}", "roles": roles}, timeout=15)
    assert created.status_code == 201, created.text
    first = e2e.login(login, created.json()["password"])
    changed = http.post(e2e.url("/api/v1/auth/password"), headers={"Authorization": f"Bearer {first['access_token']}"},
                        json={"current_password": created.json()["password"], "new_password": demo.DEMO_PASSWORD},
                        timeout=15)
    assert changed.status_code == 200, changed.text
    return created.json()["user"], {"Authorization": f"Bearer {e2e.login(login)['access_token']}"}


def test_DSP1_the_operator_sets_providers_the_vendor_tunes_them_and_wrong_fields_are_named(e2e, http):
    ids = e2e.demo.org_ids
    product_id = f"prod-dsp-{uuid.uuid4().hex[:8]}"
    url = e2e.url("/api/v1/product-providers")
    body = {"product_id": product_id, "vendor_id": ids["vendor"], "providers": [
        {"provider_id": ids["provider_a"], "weight": 20, "max_held": 10},
        {"provider_id": ids["provider_b"], "weight": 30, "max_held": 10}]}
    created = http.put(url, json=body, headers=e2e.auth(OPERATOR), timeout=15)
    assert created.status_code == 200, created.text
    assert {r["provider_id"] for r in created.json()["items"]} == {ids["provider_a"], ids["provider_b"]}

    tuned = http.put(url, headers=e2e.auth(VENDOR), timeout=15, json={"product_id": product_id, "providers": [
        {"provider_id": ids["provider_a"], "weight": 50, "max_held": 5},
        {"provider_id": ids["provider_b"], "weight": 30, "max_held": 10}]})
    assert tuned.status_code == 200, tuned.text
    assert {r["provider_id"]: r["weight"] for r in tuned.json()["items"]}[ids["provider_a"]] == 50

    dropped = http.put(url, headers=e2e.auth(VENDOR), timeout=15, json={"product_id": product_id, "providers": [
        {"provider_id": ids["provider_a"], "weight": 50, "max_held": 5}]})
    assert dropped.status_code == 403, "only the platform operator changes the list (DSP-1)"

    wrong = http.put(url, headers=e2e.auth(OPERATOR), timeout=15, json={**body, "providers": [
        {"provider_id": ids["provider_a"], "weight": 0, "max_held": 2001}]})
    assert wrong.status_code == 400 and wrong.json()["error"] == "validation_failed", wrong.text
    assert set(wrong.json()["fields"]) == {"providers[0].weight", "providers[0].max_held"}, wrong.text

    # references checked at the owner: a missing or a customer organisation is no provider
    for stranger in (str(uuid.uuid4()), ids["customer"]):
        refused = http.put(url, headers=e2e.auth(OPERATOR), timeout=15, json={**body, "providers": [
            *body["providers"], {"provider_id": stranger, "weight": 1, "max_held": 1}]})
        assert refused.status_code == 422 and set(refused.json()["fields"]) == {"providers[2].provider_id"}, \
            refused.text
    refused = http.put(url, headers=e2e.auth(OPERATOR), timeout=15,
                       json={**body, "product_id": f"{product_id}-x", "vendor_id": ids["customer"]})
    assert refused.status_code == 422 and set(refused.json()["fields"]) == {"vendor_id"}, refused.text

    listed = http.get(url, params={"product_id": product_id}, headers=e2e.auth(VENDOR), timeout=15)
    assert listed.status_code == 200 and listed.json()["total"] == 2
    provider_view = http.get(url, params={"product_id": product_id}, headers=e2e.auth(PROVIDER_A), timeout=15).json()
    assert [r["provider_id"] for r in provider_view["items"]] == [ids["provider_a"]], "a provider sees its own row"
    saturation = http.get(e2e.url("/api/v1/dispatch/saturation"), params={"product_id": product_id},
                          headers=e2e.auth(VENDOR), timeout=15)
    assert saturation.status_code == 200 and {r["saturation"] for r in saturation.json()["items"]} == {0.0}


def test_DSP4_capacity_page_switches_and_tenancy_through_the_gateway(e2e, http, wait_until):
    designer, designer_headers = new_user(e2e, http, PROVIDER_A, ["designer"])
    page = wait_until(lambda: (r := http.get(e2e.url("/api/v1/dispatch/employees"), params={"role": "designer"},
                                             headers=e2e.auth(PROVIDER_A), timeout=15).json())
                      and any(e["user_id"] == designer["id"] for e in r.get("items", [])) and r,
                      timeout=20, message="dispatch to learn the new user from identity's events")
    assert all(e["org_id"] == e2e.demo.org_ids["provider_a"] for e in page["items"])
    employee_url = e2e.url(f"/api/v1/dispatch/employees/{designer['id']}")

    raised = http.patch(employee_url, json={"capacity": 7}, headers=e2e.auth(PROVIDER_A), timeout=15)
    assert raised.status_code == 200 and raised.json()["capacity"] == 7
    too_many = http.patch(employee_url, json={"capacity": 51}, headers=e2e.auth(PROVIDER_A), timeout=15)
    assert too_many.status_code == 400 and "capacity" in too_many.json()["fields"]
    closed = http.patch(employee_url, json={"open": False}, headers=designer_headers, timeout=15)
    assert closed.status_code == 200 and closed.json()["open"] is False
    assert http.patch(employee_url, json={"capacity": 50}, headers=designer_headers, timeout=15).status_code == 403
    assert http.patch(employee_url, json={"open": True}, headers=e2e.auth(VENDOR), timeout=15).status_code == 404, \
        "another organisation's employee answers like a missing one (ORG-7)"
    assert http.get(e2e.url("/api/v1/dispatch/employees"), headers=designer_headers, timeout=15).status_code == 403


def test_DSP3_DSP7_PRJ6_queues_dispatch_now_claims_and_operator_changes_answer_by_role(e2e, http):
    queue = http.get(e2e.url("/api/v1/dispatch/queue"), params={"sort": "-enqueued_at"},
                     headers=e2e.auth(VENDOR), timeout=15)
    assert queue.status_code == 200 and {"items", "total", "limit", "offset"} <= set(queue.json())
    now = http.post(e2e.url("/api/v1/dispatch/queue/dispatch-now"), headers=e2e.auth(PROVIDER_A), timeout=30)
    assert now.status_code == 200 and now.json()["assigned"] >= 0
    _, manager = new_user(e2e, http, PROVIDER_A, ["customer_manager"])
    unknown = http.post(e2e.url("/api/v1/claims"), json={"order_id": f"ORD-{uuid.uuid4().hex}"}, headers=manager,
                        timeout=15)
    assert unknown.status_code == 404, unknown.text
    assert http.post(e2e.url("/api/v1/claims"), json={"order_id": "x"}, headers=e2e.auth(VENDOR),
                     timeout=15).status_code == 403, "only customer managers claim (DSP-7)"
    nobody = http.post(e2e.url(f"/api/v1/projects/{uuid.uuid4()}/operator"), json={"user_id": "u"},
                       headers=e2e.auth(PROVIDER_A), timeout=15)
    assert nobody.status_code == 404
