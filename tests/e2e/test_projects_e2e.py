"""The delivery engine through the gateway (PRJ-1..11, ORG-5, ORG-7): the seed's self-service scenario
from the bound flow to the customer's rating, seen from every role, with the refusals that change nothing."""
import csv
import io
import uuid

import pytest
from nameko.amqp.publish import get_producer
from nameko.standalone.events import get_event_exchange

from platform_kit.clock import utcnow
from platform_kit.testing import _wait_until as wait_until

pytestmark = pytest.mark.e2e

FORM = {"id": "form-site", "name": "Site survey", "fields": [
    {"key": "site_address", "label": "Site address", "type": "text", "required": True},
    {"key": "users", "label": "Users", "type": "number", "required": True}]}
# 3.1 主账号自服务: no assign-order node, so the provider's main account operates the provider side
SELF_SERVICE = [
    {"key": "assign", "kind": "assign_provider", "name": "分配服务商", "settings": {}, "reminders": []},
    {"key": "needs", "kind": "container", "name": "需求阶段", "settings": {}, "reminders": [], "children": [
        {"key": "req", "kind": "submit_requirements", "name": "提交需求", "settings": {"form": FORM},
         "reminders": [{"trigger": "node_reached", "receivers": ["customer"], "message_template": "submit"}]},
        {"key": "req_ok", "kind": "confirm", "name": "确认需求",
         "settings": {"side": "provider", "allow_reject": True}, "reminders": []}]},
    {"key": "design", "kind": "generic", "name": "设计", "reminders": [],
     "settings": {"side": "provider", "upload_enabled": True}},
    {"key": "design_ok", "kind": "confirm", "name": "确认设计", "reminders": [],
     "settings": {"side": "customer", "allow_reject": True, "timeout_days": 3, "advance_on_timeout": False}},
    {"key": "done", "kind": "complete_project", "name": "项目完成", "reminders": [],
     "settings": {"allow_reject": True, "timeout_days": 5, "auto_confirm_on_timeout": True}},
]


def bind(e2e, product_id: str, vendor_id: str, nodes: list[dict]) -> None:
    """template_svc's product_template_bound, as it carries the frozen flow; project_svc keeps it."""
    exchange = get_event_exchange("template")
    with get_producer(e2e.amqp_uri) as producer:
        producer.publish({"event_id": str(uuid.uuid4()), "event_type": "product_template_bound", "version": 1,
                          "source": "template", "occurred_at": utcnow().isoformat(), "correlation_id": None,
                          "data": {"product_id": product_id, "vendor_id": vendor_id, "product_code": "SITE",
                                   "product_name": "Site design", "template_id": str(uuid.uuid4()),
                                   "template_name": "Self service", "template_version": 1, "nodes": nodes}},
                         exchange=exchange, routing_key="product_template_bound", serializer="json",
                         declare=[exchange])
    with e2e.rpc() as rpc:
        wait_until(lambda: rpc.project.knows_product(product_id), timeout=20, message="the bound flow")


def test_seed_3_1_self_service_from_purchase_to_rating_with_files_messages_notes_and_the_log(e2e, http):
    isv, buyer, stranger = e2e.new_organisation("isv"), e2e.new_organisation("customer"), \
        e2e.new_organisation("customer")
    provider, customer, other = isv["headers"], buyer["headers"], stranger["headers"]
    product_id = f"prod-self-{uuid.uuid4().hex[:8]}"
    url = e2e.url

    unknown = http.post(url("/api/v1/purchases"), headers=customer,
                        json={"order_id": f"ORD-{uuid.uuid4().hex[:8]}", "product_id": "no-such-product"})
    assert unknown.status_code == 422 and "product_id" in unknown.json()["fields"]

    bind(e2e, product_id, isv["org"]["id"], SELF_SERVICE)
    order_id = f"ORD-{uuid.uuid4().hex[:10]}"
    bought = http.post(url("/api/v1/purchases"), headers=customer, json={"order_id": order_id,
                                                                         "product_id": product_id})
    assert bought.status_code == 201, bought.text
    project_id = bought.json()["project"]["id"]
    assert bought.json()["project"]["customer_id"] == buyer["org"]["id"]
    base = url(f"/api/v1/projects/{project_id}")

    def project(headers=customer):
        answer = http.get(base, headers=headers)
        assert answer.status_code == 200, answer.text
        return answer.json()

    wait_until(lambda: project()["current_node"]["key"] == "req", timeout=30,
               message="dispatch to assign the vendor itself (no providers configured)")
    assert project()["provider_id"] == isv["org"]["id"]

    # bad input: each field named, node not passed; wrong role 403; another tenant 404
    bad = http.post(f"{base}/requirements", headers=customer, json={"node_key": "req",
                                                                    "data": {"users": "many", "colour": "red"}})
    assert bad.status_code == 400 and set(bad.json()["fields"]) >= {"site_address", "users", "colour"}, bad.text
    assert http.post(f"{base}/requirements", headers=provider,
                     json={"node_key": "req", "data": {"site_address": "x", "users": 1}}).status_code == 403
    for method, path in (("get", ""), ("post", "/confirm"), ("get", "/messages"), ("get", "/files")):
        answer = getattr(http, method)(base + path, headers=other, json={"node_key": "req"})
        assert answer.status_code == 404, (path, answer.text)
    assert http.post(f"{base}/confirm", headers=provider, json={"node_key": "design"}).status_code == 422
    assert project()["current_node"]["key"] == "req"

    ok = http.post(f"{base}/requirements", headers=customer,
                   json={"node_key": "req", "data": {"site_address": "Beijing", "users": 20}})
    assert ok.status_code == 200 and ok.json()["current_node"]["key"] == "req_ok", ok.text
    assert http.post(f"{base}/confirm", headers=provider, json={"node_key": "req_ok"}).status_code == 200

    # files at the design node: a disallowed type is refused, a PDF is kept and downloadable by the customer
    refused = http.post(f"{base}/files", headers={**provider, "Content-Type": "application/x-msdownload"},
                        params={"node_key": "design", "name": "tool.exe"}, data=b"MZ")
    assert refused.status_code == 400 and "content_type" in refused.json()["fields"]
    uploaded = http.post(f"{base}/files", headers={**provider, "Content-Type": "application/pdf"},
                         params={"node_key": "design", "name": "design-v1.pdf"}, data=b"%PDF-1.4 v1")
    assert uploaded.status_code == 201, uploaded.text
    file_id = uploaded.json()["id"]
    download = http.get(f"{base}/files/{file_id}", headers=customer)
    assert download.status_code == 200 and download.content == b"%PDF-1.4 v1"
    assert http.get(f"{base}/files/{file_id}", headers=other).status_code == 404

    # messages for everyone, notes never for the customer
    assert http.post(f"{base}/notes", headers=provider, json={"body": "ask for the floor plan"}).status_code == 201
    assert http.post(f"{base}/messages", headers=customer, json={"body": "when is it ready?"}).status_code == 201
    assert http.post(f"{base}/notes", headers=customer, json={"body": "x"}).status_code == 403
    assert http.get(f"{base}/notes", headers=customer).status_code == 404
    assert project()["notes"] == [] and "floor plan" not in http.get(base, headers=customer).text
    assert [n["body"] for n in project(provider)["notes"]] == ["ask for the floor plan"]

    # the customer rejects the design back, the provider redoes it, then completion
    assert http.post(f"{base}/confirm", headers=provider, json={"node_key": "design"}).status_code == 200
    rejected = http.post(f"{base}/reject", headers=customer, json={"node_key": "design_ok", "reason": "too dark"})
    assert rejected.status_code == 200 and rejected.json()["current_node"]["key"] == "design"
    assert http.post(f"{base}/confirm", headers=provider, json={"node_key": "design"}).status_code == 200
    assert project()["due_at"] is not None, "the confirm node's clock runs in working days"
    assert http.post(f"{base}/confirm", headers=customer, json={"node_key": "design_ok"}).status_code == 200
    done = http.post(f"{base}/confirm", headers=customer, json={"node_key": "done"})
    assert done.status_code == 200 and done.json()["status"] == "completed"

    # closed: no new messages, one rating
    assert http.post(f"{base}/messages", headers=customer, json={"body": "thanks"}).status_code == 422
    assert http.post(f"{base}/rating", headers=provider, json={"score": 5}).status_code == 403
    rated = http.post(f"{base}/rating", headers=customer, json={"score": 5, "comment": "fast"})
    assert rated.status_code == 200 and rated.json()["rating"] == 5
    assert http.post(f"{base}/rating", headers=customer, json={"score": 1}).status_code == 422

    # the flow log, readable from both sides
    actions = [e["action"] for e in project(provider)["log"]]
    assert actions[:3] == ["created", "provider_assigned", "node_reached"]
    assert "rejected" in actions and actions[-2:] == ["completed", "rated"]
    assert next(e for e in project()["log"] if e["action"] == "rejected")["note"] == "too dark"

    # lists and exports of each role
    mine = http.get(url("/api/v1/projects"), headers=customer, params={"status": "completed"}).json()
    assert [p["id"] for p in mine["items"]] == [project_id] and mine["counts"] == {"completed": 1}
    vendor_list = http.get(url("/api/v1/projects"), headers=provider, params={"order_id": order_id}).json()
    assert vendor_list["items"][0]["current_node_key"] == "done" and vendor_list["total"] == 1
    assert http.get(url("/api/v1/projects"), headers=other, params={"order_id": order_id}).json()["total"] == 0
    exported = http.get(url("/api/v1/projects/export"), headers=customer, params={"format": "csv"})
    assert exported.status_code == 200 and exported.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert [r["order_id"] for r in rows] == [order_id] and "floor plan" not in exported.text
    xlsx = http.get(url("/api/v1/projects/export"), headers=provider, params={"format": "xlsx"})
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    board = http.get(url("/api/v1/projects/dashboard"), headers=provider, params={"view": "provider"})
    assert board.status_code == 200 and len(board.json()["new_per_day"]) == 7, board.text
    assert len(board.json()["new_per_month"]) == 6
    assert http.get(url("/api/v1/projects/dashboard"), headers=customer).status_code == 403
