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
    assert unknown.status_code == 404 and "product_id" in unknown.json()["fields"]

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
    disguised = http.post(f"{base}/files", headers={**provider, "Content-Type": "application/pdf"},
                          params={"node_key": "design", "name": "设计稿.pdf"}, data=b"MZ\x90\x00 a program")
    assert disguised.status_code == 400 and "program" in disguised.json()["fields"]["content_type"][0], \
        "a program declared as a PDF is judged by its bytes (PRJ-7)"
    uploaded = http.post(f"{base}/files", headers={**provider, "Content-Type": "application/pdf"},
                         params={"node_key": "design", "name": "设计稿v1.pdf"}, data=b"%PDF-1.4 v1")
    assert uploaded.status_code == 201, uploaded.text
    file_id = uploaded.json()["id"]
    download = http.get(f"{base}/files/{file_id}", headers=customer)
    assert download.status_code == 200 and download.content == b"%PDF-1.4 v1"
    # the Chinese name comes back whole (RFC 6266 filename*), and the type is not to be sniffed
    assert "filename*=UTF-8''%E8%AE%BE%E8%AE%A1%E7%A8%BFv1.pdf" in download.headers["Content-Disposition"]
    assert download.headers["X-Content-Type-Options"] == "nosniff"
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
    assert [p["id"] for p in mine["items"]] == [project_id]
    assert mine["counts"] == {"completed": 1, "queued": 0, "in_progress": 0, "paused": 0, "cancelled": 0}
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


def new_user(e2e, http, admin: dict, roles: list[str], **extra) -> tuple[dict, dict]:
    """A sub-account of the admin's organisation that has set its password: (user, headers)."""
    from deploy import demo

    login = f"pj-{uuid.uuid4().hex[:10]}"
    created = http.post(e2e.url("/api/v1/users"), headers=admin,
                        json={"login_name": login, "display_name": f"Staff {login}", "roles": roles, **extra})
    assert created.status_code == 201, created.text
    first = e2e.login(login, created.json()["password"])
    changed = http.post(e2e.url("/api/v1/auth/password"), headers={"Authorization": f"Bearer {first['access_token']}"},
                        json={"current_password": created.json()["password"], "new_password": demo.DEMO_PASSWORD})
    assert changed.status_code == 200, changed.text
    return created.json()["user"], {"Authorization": f"Bearer {e2e.login(login)['access_token']}"}


def open_for_orders(e2e, http, admin: dict, user_id: str) -> None:
    """DSP-4: the provider admin gives the employee capacity (dispatch learns users from events)."""
    wait_until(lambda: http.patch(e2e.url(f"/api/v1/dispatch/employees/{user_id}"), headers=admin,
                                  json={"capacity": 5, "open": True}).status_code == 200,
               timeout=20, message="dispatch to know the employee")


def buy_and_submit(e2e, http, customer: dict, product_id: str) -> tuple[str, str]:
    order_id = f"ORD-{uuid.uuid4().hex[:10]}"
    bought = http.post(e2e.url("/api/v1/purchases"), headers=customer, json={"order_id": order_id,
                                                                              "product_id": product_id})
    assert bought.status_code == 201, bought.text
    return bought.json()["project"]["id"], order_id


def current(e2e, http, headers: dict, project_id: str) -> dict:
    answer = http.get(e2e.url(f"/api/v1/projects/{project_id}"), headers=headers)
    return answer.json() if answer.status_code == 200 else {}


SUB_ACCOUNT = [
    {"key": "assign", "kind": "assign_provider", "name": "分配服务商"},
    {"key": "req", "kind": "submit_requirements", "name": "提交需求", "settings": {"form": FORM}},
    {"key": "dispatch", "kind": "assign_order", "name": "分配订单", "settings": {"role": "engineer",
                                                                                 "rule": "provider_first"}},
    {"key": "deploy", "kind": "generic", "name": "部署", "settings": {"side": "provider", "role": "engineer",
                                                                      "upload_enabled": True}},
    {"key": "done", "kind": "complete_project", "name": "项目完成", "settings": {"allow_reject": True}},
]


def test_seed_3_2_dispatch_to_sub_accounts_the_assigned_engineer_operates_and_the_admin_changes_operator(e2e, http):
    isv, buyer = e2e.new_organisation("isv"), e2e.new_organisation("customer")
    admin, customer = isv["headers"], buyer["headers"]
    first, first_headers = new_user(e2e, http, admin, ["engineer"])
    second, second_headers = new_user(e2e, http, admin, ["engineer"])
    for user in (first, second):
        open_for_orders(e2e, http, admin, user["id"])
    product_id = f"prod-sub-{uuid.uuid4().hex[:8]}"
    bind(e2e, product_id, isv["org"]["id"], SUB_ACCOUNT)
    project_id, order_id = buy_and_submit(e2e, http, customer, product_id)
    base = e2e.url(f"/api/v1/projects/{project_id}")
    wait_until(lambda: current(e2e, http, customer, project_id).get("current_node", {}).get("key") == "req",
               timeout=30, message="the vendor to be assigned")
    assert http.post(f"{base}/requirements", headers=customer,
                     json={"node_key": "req", "data": {"site_address": "Shanghai", "users": 5}}).status_code == 200
    project = wait_until(lambda: (p := current(e2e, http, admin, project_id)).get("current_node", {}).get("key")
                         == "deploy" and p, timeout=30, message="dispatch to assign an engineer")
    assigned = project["operators"]["engineer"]
    assert assigned in (first["id"], second["id"]) and project["current_operator_id"] == assigned
    mine, others = (first_headers, second_headers) if assigned == first["id"] else (second_headers, first_headers)
    other_id = second["id"] if assigned == first["id"] else first["id"]

    waiting = http.get(e2e.url("/api/v1/projects"), headers=mine, params={"mine": "waiting"}).json()
    assert [p["id"] for p in waiting["items"]] == [project_id]
    assert http.post(f"{base}/confirm", headers=others, json={"node_key": "deploy"}).status_code in (403, 404)

    # PRJ-6: the provider admin hands the node to the other engineer (dispatch decides, project applies)
    changed = http.post(f"{base}/operator", headers=admin, json={"user_id": other_id})
    assert changed.status_code == 200, changed.text
    wait_until(lambda: current(e2e, http, admin, project_id)["operators"]["engineer"] == other_id, timeout=20,
               message="the operator change to reach the project")
    assert http.post(f"{base}/confirm", headers=mine, json={"node_key": "deploy"}).status_code in (403, 404)
    uploaded = http.post(f"{base}/files", headers={**others, "Content-Type": "text/plain"},
                         params={"node_key": "deploy", "name": "runbook.txt"}, data=b"steps")
    assert uploaded.status_code == 201, uploaded.text
    assert http.post(f"{base}/notes", headers=others, json={"body": "root password rotated"}).status_code == 201
    assert http.post(f"{base}/confirm", headers=others, json={"node_key": "deploy"}).status_code == 200
    handled = http.get(e2e.url("/api/v1/projects"), headers=others, params={"mine": "handled"}).json()
    assert project_id in [p["id"] for p in handled["items"]]

    # the customer rejects completion back to the work node, then confirms and rates
    rejected = http.post(f"{base}/reject", headers=customer, json={"node_key": "done", "reason": "service down"})
    assert rejected.status_code == 200 and rejected.json()["current_node"]["key"] == "deploy"
    assert http.post(f"{base}/confirm", headers=others, json={"node_key": "deploy"}).status_code == 200
    assert http.post(f"{base}/confirm", headers=customer, json={"node_key": "done"}).json()["status"] == "completed"
    assert http.post(f"{base}/rating", headers=customer, json={"score": 4}).status_code == 200
    seen = current(e2e, http, customer, project_id)
    assert seen["notes"] == [] and "root password" not in http.get(base, headers=customer).text
    assert [e["action"] for e in seen["log"]].count("operator_changed") == 1


OUTSOURCED = [
    {"key": "assign", "kind": "assign_provider", "name": "分配服务商"},
    {"key": "claim", "kind": "claim_order", "name": "认领订单"},
    {"key": "req", "kind": "submit_requirements", "name": "提交需求", "settings": {"form": FORM}},
    {"key": "dispatch", "kind": "assign_order", "name": "分配订单", "settings": {"role": "engineer",
                                                                                 "rule": "department_first"}},
    {"key": "build", "kind": "generic", "name": "实施", "settings": {"side": "provider", "role": "engineer"}},
    {"key": "accept", "kind": "confirm", "name": "验收", "settings": {"side": "customer"}},
    {"key": "done", "kind": "complete_project", "name": "项目完成"},
]


def test_seed_3_3_outsourcing_a_claim_then_dispatch_inside_the_claimers_department(e2e, http):
    isv, buyer = e2e.new_organisation("isv"), e2e.new_organisation("customer")
    admin, customer = isv["headers"], buyer["headers"]
    department = http.post(e2e.url("/api/v1/departments"), headers=admin, json={"name": f"East {uuid.uuid4().hex[:6]}"})
    assert department.status_code == 201, department.text
    department_id = department.json()["id"]
    manager, manager_headers = new_user(e2e, http, admin, ["customer_manager"], department_id=department_id)
    engineer, engineer_headers = new_user(e2e, http, admin, ["engineer"], department_id=department_id)
    open_for_orders(e2e, http, admin, engineer["id"])
    open_for_orders(e2e, http, admin, manager["id"])
    product_id = f"prod-out-{uuid.uuid4().hex[:8]}"
    bind(e2e, product_id, isv["org"]["id"], OUTSOURCED)
    project_id, order_id = buy_and_submit(e2e, http, customer, product_id)
    base = e2e.url(f"/api/v1/projects/{project_id}")
    wait_until(lambda: current(e2e, http, admin, project_id).get("current_node", {}).get("key") == "claim",
               timeout=30, message="the project to wait at the claim node")
    assert http.post(f"{base}/confirm", headers=admin, json={"node_key": "claim"}).status_code == 422
    claimed = http.post(e2e.url("/api/v1/claims"), headers=manager_headers, json={"order_id": order_id})
    assert claimed.status_code == 201, claimed.text
    wait_until(lambda: current(e2e, http, customer, project_id).get("current_node", {}).get("key") == "req",
               timeout=20, message="the claim to pass the claim node")
    assert http.post(f"{base}/requirements", headers=customer,
                     json={"node_key": "req", "data": {"site_address": "Hangzhou", "users": 3}}).status_code == 200
    project = wait_until(lambda: (p := current(e2e, http, admin, project_id)).get("current_node", {}).get("key")
                         == "build" and p, timeout=30, message="dispatch inside the claimer's department")
    assert project["operators"]["engineer"] == engineer["id"] and project["claimed_by"] == manager["id"]
    assert http.post(f"{base}/confirm", headers=engineer_headers, json={"node_key": "build"}).status_code == 200
    assert http.post(f"{base}/confirm", headers=customer, json={"node_key": "accept"}).status_code == 200
    assert http.post(f"{base}/confirm", headers=customer, json={"node_key": "done"}).json()["status"] == "completed"
    assert http.post(f"{base}/rating", headers=customer, json={"score": 5, "comment": "ok"}).status_code == 200
    log = current(e2e, http, manager_headers, project_id)["log"]
    assert [e["action"] for e in log if e["node_key"] == "claim"][-1] == "order_claimed"


def test_ORG6_PRJ4_the_operator_imports_a_whole_year_and_every_bad_row_is_named(e2e, http):
    operator = e2e.auth("operator")
    bad = http.post(e2e.url("/api/v1/calendar/imports"), headers=operator, json={
        "year": 2031, "csv": "day,kind,name\n2031-01-01,holiday,New Year\n2030-12-31,holiday,x\n2031-02-01,party,\n"})
    # the rows of a CSV text are what no schema can state: a business refusal naming each row
    assert bad.status_code == 422 and set(bad.json()["fields"]) == {"days[1].day", "days[2].kind"}, bad.text
    assert http.post(e2e.url("/api/v1/calendar/imports"), headers=e2e.auth("vendor.admin"),
                     json={"year": 2031, "days": []}).status_code == 403
    days = [{"day": "2031-01-01", "kind": "holiday", "name": "New Year's Day"},
            {"day": "2031-01-25", "kind": "makeup_workday", "name": "Spring Festival"}]
    imported = http.post(e2e.url("/api/v1/calendar/imports"), headers=operator, json={"year": 2031, "days": days})
    assert imported.status_code == 200 and imported.json()["changed"] == 2, imported.text
    again = http.post(e2e.url("/api/v1/calendar/imports"), headers=operator, json={"year": 2031, "days": days})
    assert again.json()["changed"] == 0
    year = http.get(e2e.url("/api/v1/calendar/2031"), headers=operator).json()
    assert {(d["day"], d["source"]) for d in year["days"]} >= {("2031-01-01", "override"), ("2031-01-25", "override")}
    coverage = http.get(e2e.url("/api/v1/calendar/coverage"), headers=operator)
    assert coverage.status_code == 200 and set(coverage.json()) >= {"next_year", "alert", "covers_next_year"}
