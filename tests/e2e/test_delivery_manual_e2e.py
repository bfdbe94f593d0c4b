"""The delivery manual (seed 000) case by case through the gateway: the self-served product queueing
at the main account's capacity (3.1.3, 3.1.5), strict types, and the purchase and pause rules."""
import uuid

import pytest

from platform_kit.testing import _wait_until as wait_until
from tests.e2e.test_projects_e2e import SELF_SERVICE, bind

pytestmark = pytest.mark.e2e


def test_DSP4_seed_3_1_5_a_self_served_product_queues_at_the_main_accounts_capacity(e2e, http):
    isv, buyer = e2e.new_organisation("isv"), e2e.new_organisation("customer")
    main, customer = isv["headers"], buyer["headers"]
    admin_id = isv["org"]["admin_user_id"]
    employee = e2e.url(f"/api/v1/dispatch/employees/{admin_id}")
    wait_until(lambda: http.get(employee, headers=main, timeout=15).status_code == 200, timeout=20,
               message="dispatch to learn the main account from identity's events")

    # GW-3: the OpenAPI types are the contract, nothing is coerced
    strings = http.patch(employee, json={"capacity": "1", "open": "yes"}, headers=main, timeout=15)
    assert strings.status_code == 400 and set(strings.json()["fields"]) == {"capacity", "open"}, strings.text
    assert http.patch(employee, json={"capacity": 1}, headers=main, timeout=15).status_code == 200

    product_id = f"prod-self-{uuid.uuid4().hex[:8]}"
    bind(e2e, product_id, isv["org"]["id"], SELF_SERVICE)
    projects = []
    for _ in range(3):
        bought = http.post(e2e.url("/api/v1/purchases"), headers=customer, timeout=15,
                           json={"order_id": f"ORD-{uuid.uuid4().hex[:10]}", "product_id": product_id})
        assert bought.status_code == 201, bought.text
        projects.append(bought.json()["project"]["id"])

    def statuses():
        return [http.get(e2e.url(f"/api/v1/projects/{p}"), headers=main, timeout=15).json()["status"]
                for p in projects]

    wait_until(lambda: statuses() == ["in_progress", "queued", "queued"], timeout=20,
               message="one project held by the main account at capacity 1, the others queued")
    assert http.get(employee, headers=main, timeout=15).json()["held"] == 1
    assert http.patch(employee, json={"capacity": 2}, headers=main, timeout=15).status_code == 200
    wait_until(lambda: statuses() == ["in_progress", "in_progress", "queued"], timeout=20,
               message="raising the capacity moves the oldest queued project")

    # PRJ-8: a pause says why
    first = e2e.url(f"/api/v1/projects/{projects[0]}")
    silent = http.post(f"{first}/pause", headers=main, json={"note": " "}, timeout=15)
    assert silent.status_code == 400 and "note" in silent.json()["fields"], silent.text


def test_PRJ1_blank_and_reused_order_ids_are_refused_naming_the_field(e2e, http):
    isv, buyer = e2e.new_organisation("isv"), e2e.new_organisation("customer")
    customer = buyer["headers"]
    first, second = (f"prod-{uuid.uuid4().hex[:8]}" for _ in range(2))
    for product_id in (first, second):
        bind(e2e, product_id, isv["org"]["id"], SELF_SERVICE)
    purchases = e2e.url("/api/v1/purchases")
    for blank in (" ", "\u3000"):
        refused = http.post(purchases, headers=customer, json={"order_id": blank, "product_id": first}, timeout=15)
        assert refused.status_code == 400 and "order_id" in refused.json()["fields"], refused.text
    order_id = f"ORD-{uuid.uuid4().hex[:10]}"
    assert http.post(purchases, headers=customer, json={"order_id": order_id, "product_id": first},
                     timeout=15).status_code == 201
    again = http.post(purchases, headers=customer, json={"order_id": order_id, "product_id": first}, timeout=15)
    assert again.status_code == 200, "the same purchase again is the same project"
    other = http.post(purchases, headers=customer, json={"order_id": order_id, "product_id": second}, timeout=15)
    assert other.status_code == 409 and other.json()["fields"] == {
        "order_id": ["already used with another product"]}, other.text
