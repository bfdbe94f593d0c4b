"""The thin flow through the gateway with every service as its own process (issue: foundation)."""
import json
import os
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from deploy import demo

pytestmark = pytest.mark.e2e


CUSTOMER, PROVIDERS = "customer.admin", ("provider-a.admin", "provider-b.admin")


@pytest.fixture(scope="module")
def demo_loaded(e2e):
    with e2e.rpc() as rpc:
        again = demo.load(rpc, e2e.amqp_uri, os.environ["PLATFORM_E2E_JWT_SECRET"])
    assert again.org_ids == e2e.demo.org_ids, "loading the demo data twice changes nothing"
    return e2e.demo


def purchase(http, e2e, order_id=None, product_id="prod-site-design", headers=None):
    body = {"order_id": order_id or f"ORD-{uuid.uuid4().hex[:12]}", "product_id": product_id,
            "customer_id": "ignored-for-customers"}
    return http.post(e2e.url("/api/v1/purchases"), json=body, headers={**e2e.auth(CUSTOMER), **(headers or {})},
                     timeout=15)


def project_when(http, e2e, project_id, predicate, wait_until, what):
    return wait_until(lambda: (p := http.get(e2e.url(f"/api/v1/projects/{project_id}"), headers=e2e.auth(CUSTOMER),
                                             timeout=5).json()) and predicate(p) and p, timeout=20, message=what)


def provider_login(e2e, provider_id: str) -> str:
    return {e2e.demo.org_ids["provider_a"]: PROVIDERS[0], e2e.demo.org_ids["provider_b"]: PROVIDERS[1]}[provider_id]


def test_PRJ1_a_purchase_reaches_its_provider_and_the_provider_gets_an_in_site_message(
        e2e, demo_loaded, http, wait_until):
    created = purchase(http, e2e, product_id="prod-erp-install")
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["created"] is True and body["project"]["current_node"]["kind"] == "assign_provider"
    project = project_when(http, e2e, body["project"]["id"], lambda p: p["provider_id"], wait_until,
                           "the provider to be assigned")
    assert project["provider_id"] in (demo_loaded.org_ids["provider_a"], demo_loaded.org_ids["provider_b"])
    assert project["customer_id"] == demo_loaded.org_ids["customer"]
    assert project["current_node"]["key"] == "requirements"
    provider = e2e.auth(provider_login(e2e, project["provider_id"]))
    inbox = wait_until(lambda: (r := http.get(e2e.url("/api/v1/inbox"), headers=provider, params={"limit": 200}
                                             ).json()) and any(project["id"] in m["body"] for m in r["items"]) and r,
                       timeout=20, message="the provider's in-site message")
    assert inbox["unread"] >= 1
    message = next(m for m in inbox["items"] if project["id"] in m["body"])
    read = http.post(e2e.url(f"/api/v1/inbox/{message['id']}/read"), headers=provider)
    assert read.status_code == 200 and read.json()["read_at"]
    assert http.get(e2e.url(f"/api/v1/projects/{project['id']}"), headers=provider).json()["id"] == project["id"]


def test_PRJ1_the_same_purchase_posted_twice_and_in_parallel_gives_one_project(e2e, demo_loaded, http):
    order_id = f"ORD-{uuid.uuid4().hex[:12]}"
    first = purchase(http, e2e, order_id)
    again = purchase(http, e2e, order_id)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["created"] is False
    assert again.json()["project"]["id"] == first.json()["project"]["id"]

    order_id = f"ORD-{uuid.uuid4().hex[:12]}"
    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda _: purchase(http, e2e, order_id), range(6)))
    assert sorted(a.status_code for a in answers) == [200] * 5 + [201]
    assert len({a.json()["project"]["id"] for a in answers}) == 1


def test_OPS3_one_correlation_id_is_in_the_logs_of_every_service_the_request_reached(
        e2e, demo_loaded, http, wait_until):
    request_id = f"req-{uuid.uuid4().hex}"
    created = purchase(http, e2e, headers={"X-Request-ID": request_id})
    assert created.headers["X-Request-ID"] == request_id
    project_id = created.json()["project"]["id"]
    project_when(http, e2e, project_id, lambda p: p["provider_id"], wait_until, "the flow to finish")
    # a purchase no longer asks template_svc (project_svc keeps the product's flow from its events)
    reached = ("gateway", "project", "dispatch", "notify")

    def logged_everywhere():
        return all(request_id in e2e.logs(name) for name in reached)

    wait_until(logged_everywhere, timeout=10, message=f"{request_id} in the logs of {reached}")
    for name in reached:
        lines = [json.loads(line) for line in e2e.logs(name).splitlines() if request_id in line]
        assert all(line["correlation_id"] == request_id for line in lines), name


def test_OPS1_a_service_killed_in_the_middle_of_the_flow_loses_nothing(e2e, demo_loaded, http, wait_until):
    e2e.stack.kill("dispatch")
    e2e.stack.kill("notify")
    try:
        created = purchase(http, e2e, product_id="prod-erp-install")
        assert created.status_code == 201
        project_id = created.json()["project"]["id"]
        waiting = http.get(e2e.url(f"/api/v1/projects/{project_id}"), headers=e2e.auth(CUSTOMER)).json()
        assert waiting["provider_id"] is None and waiting["current_node"]["kind"] == "assign_provider"
    finally:
        e2e.restart("dispatch", "notify")
    project = project_when(http, e2e, project_id, lambda p: p["provider_id"], wait_until,
                           "the restarted dispatch to pick up the waiting event")
    provider = e2e.auth(provider_login(e2e, project["provider_id"]))
    wait_until(lambda: any(project_id in m["body"] for m in http.get(
        e2e.url("/api/v1/inbox"), headers=provider, params={"limit": 200}).json()["items"]),
        timeout=20, message="the restarted notify to store the message")
