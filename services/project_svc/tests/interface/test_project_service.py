"""project_svc in a nameko container with the real broker and database (PRJ-1..9)."""
import base64
import uuid
from datetime import timedelta

import pytest
from nameko import config
from nameko.amqp.publish import get_producer
from nameko.standalone.events import get_event_exchange
from nameko.standalone.rpc import ClusterRpcClient
from sqlalchemy import create_engine, select, update

from platform_contracts.actor import Actor
from platform_contracts.roles import CUSTOMER, ISV, PROVIDER_ADMIN, VENDOR_ADMIN
from platform_kit.clock import utcnow
from platform_kit.errors import NotFound, Unprocessable, ValidationFailed
from platform_kit.tables import deadlines
from project_svc.adapters.orm import ProjectRow
from project_svc.service import ProjectService

FORM = {"id": "f", "name": "Needs", "fields": [{"key": "site", "label": "Site", "type": "text", "required": True}]}
NODES = [
    {"key": "assign", "kind": "assign_provider", "name": "Assign provider"},
    {"key": "req", "kind": "submit_requirements", "name": "Requirements", "settings": {"form": FORM}},
    {"key": "work", "kind": "generic", "name": "Work", "settings": {"side": "provider", "upload_enabled": True}},
    {"key": "ok", "kind": "confirm", "name": "Confirm", "settings": {"side": "customer", "timeout_days": 3}},
    {"key": "done", "kind": "complete_project", "name": "Complete"},
]


def publish(source: str, event_type: str, data: dict) -> None:
    exchange = get_event_exchange(source)
    with get_producer(config["AMQP_URI"]) as producer:
        producer.publish({"event_id": str(uuid.uuid4()), "event_type": event_type, "version": 1, "source": source,
                          "occurred_at": utcnow().isoformat(), "correlation_id": None, "data": data},
                         exchange=exchange, routing_key=event_type, serializer="json", declare=[exchange])


def client(actor: Actor) -> ClusterRpcClient:
    return ClusterRpcClient(context_data={"actor": actor.to_header()})


@pytest.fixture
def running(platform_config, container_factory, tmp_path):
    config["FILE_STORAGE_DIR"] = str(tmp_path)
    container = container_factory(ProjectService)
    container.start()
    return container


def test_PRJ1_PRJ2_PRJ7_a_purchase_walks_by_events_and_actions_with_files_and_a_durable_timeout(running,
                                                                                                wait_until):
    vendor, provider, customer = (f"{k}-{uuid.uuid4().hex[:8]}" for k in ("vendor", "prov", "cust"))
    product_id = f"prod-{uuid.uuid4().hex[:8]}"
    buyer = Actor("buyer", customer, CUSTOMER, ("customer",))
    admin = Actor("padmin", provider, ISV, (PROVIDER_ADMIN,))
    stranger = Actor("s", "elsewhere", ISV, (VENDOR_ADMIN,))
    with client(buyer) as rpc:
        with pytest.raises(NotFound):
            rpc.project.create_from_purchase({"order_id": f"o-{uuid.uuid4()}", "product_id": product_id})
        publish("template", "product_template_bound", {
            "product_id": product_id, "vendor_id": vendor, "product_code": "ERP", "product_name": "ERP",
            "template_id": "t1", "template_name": "T", "template_version": 1, "nodes": NODES})
        wait_until(lambda: rpc.project.knows_product(product_id), message="the bound flow")
        project = rpc.project.create_from_purchase({"order_id": f"o-{uuid.uuid4()}", "product_id": product_id})
        project_id = project["project"]["id"]
        assert project["project"]["customer_id"] == customer
        publish("dispatch", "provider_assigned", {"project_id": project_id, "provider_id": provider,
                                                  "product_id": product_id, "node_key": "assign", "round": 1,
                                                  "rule": "weighted"})
        wait_until(lambda: rpc.project.get_project(project_id)["current_node"]["key"] == "req",
                   message="the provider to be assigned")
        with pytest.raises(ValidationFailed) as refused:
            rpc.project.act(project_id, "submit_requirements", {"node_key": "req", "data": {}})
        assert "site" in refused.value.fields
        rpc.project.act(project_id, "submit_requirements", {"node_key": "req", "data": {"site": "Beijing"}})
    with client(admin) as rpc:
        content = base64.b64encode(b"%PDF-1.4 design").decode()
        file = rpc.project.upload_file(project_id, {"node_key": "work", "name": "design.pdf",
                                                    "content_type": "application/pdf", "content_base64": content})
        with pytest.raises(ValidationFailed):
            rpc.project.upload_file(project_id, {"node_key": "work", "name": "x.exe",
                                                 "content_type": "application/x-msdownload",
                                                 "content_base64": content})
        rpc.project.add_record(project_id, "note", {"body": "customer is slow"})
        rpc.project.act(project_id, "confirm", {"node_key": "work"})
    with client(stranger) as rpc, pytest.raises(NotFound):
        rpc.project.download_file(project_id, file["id"])
    with client(buyer) as rpc:
        downloaded = rpc.project.download_file(project_id, file["id"])
        assert base64.b64decode(downloaded["content_base64"]) == b"%PDF-1.4 design"
        view = rpc.project.get_project(project_id)
        assert view["current_node"]["key"] == "ok" and view["notes"] == [] and len(view["files"]) == 1
    # the node's durable deadline: bring it forward and watch it fire
    engine = create_engine(config["PROJECT_DATABASE_URL"])
    with engine.begin() as conn:
        row = conn.execute(select(deadlines).where(deadlines.c.key == project_id)).mappings().one()
        assert row["kind"] == "project.node_timeout" and row["payload"]["node_key"] == "ok"
        conn.execute(update(deadlines).where(deadlines.c.id == row["id"]).values(due_at=utcnow()))
        conn.execute(update(ProjectRow).where(ProjectRow.id == project_id)
                     .values(due_at=utcnow() - timedelta(seconds=1)))
    engine.dispose()
    with client(buyer) as rpc:
        late = wait_until(lambda: (p := rpc.project.get_project(project_id))["late_side"] and p,
                          message="the deadline to fire")
        assert late["late_side"] == "customer"
        rpc.project.act(project_id, "confirm", {"node_key": "ok"})
        rpc.project.act(project_id, "confirm", {"node_key": "done"})
        rated = rpc.project.act(project_id, "rate", {"score": 5, "comment": "good"})
        assert rated["status"] == "completed" and rated["rating"] == 5
        page = rpc.project.list_projects({"status": "completed"})
        assert [p["id"] for p in page["items"]] == [project_id] and page["counts"] == {
            "completed": 1, "queued": 0, "in_progress": 0, "paused": 0, "cancelled": 0}
        with pytest.raises(Unprocessable):
            rpc.project.add_record(project_id, "message", {"body": "too late"})
