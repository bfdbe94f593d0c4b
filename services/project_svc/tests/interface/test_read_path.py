"""The read path of one project (one statement, no ORM) shows exactly what the aggregate shows."""
import uuid
from types import SimpleNamespace

from nameko import config
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from platform_contracts.actor import Actor
from platform_contracts.roles import CUSTOMER, ISV, PROVIDER_ADMIN
from platform_kit.db import UnitOfWork
from project_svc import handlers
from project_svc.service import ProjectService

NODES = [
    {"key": "assign", "kind": "assign_provider", "name": "Assign provider"},
    {"key": "work", "kind": "generic", "name": "Work", "settings": {"side": "provider", "upload_enabled": True}},
    {"key": "done", "kind": "complete_project", "name": "Complete"},
]


def test_PRJ2_PRJ7_the_one_statement_read_equals_the_aggregate_view_for_each_side(platform_config):
    engine = create_engine(config["PROJECT_DATABASE_URL"])
    vendor, provider, customer = (f"{k}-{uuid.uuid4().hex[:8]}" for k in ("vendor", "prov", "cust"))
    product_id = f"prod-{uuid.uuid4().hex[:8]}"
    admin = Actor("padmin", provider, ISV, (PROVIDER_ADMIN,))
    buyer = Actor("buyer", customer, CUSTOMER, ("customer",))
    stranger = Actor("s", "elsewhere", CUSTOMER, ("customer",))

    def uow() -> UnitOfWork:
        return UnitOfWork(Session(engine, expire_on_commit=False), "project", ProjectService.db.repositories)

    try:
        work = uow()
        handlers.product_template_bound({"event_id": str(uuid.uuid4())}, {
            "product_id": product_id, "vendor_id": vendor, "product_code": "ERP", "product_name": "ERP",
            "template_id": "t1", "template_name": "T", "template_version": 1, "nodes": NODES}, work)
        project, _ = handlers.create_from_purchase({"order_id": f"o-{uuid.uuid4()}", "product_id": product_id,
                                                    "customer_id": customer}, work)
        handlers.provider_assigned({"event_id": str(uuid.uuid4())}, {
            "project_id": project.id, "provider_id": provider, "node_key": "assign", "round": 1}, work)
        handlers.add_record(project.id, "message", "hello", admin, work)
        handlers.add_record(project.id, "note", "internal", admin, work)
        checked = handlers.check_upload(project.id, "work", "a.pdf", "application/pdf", 3, admin, work)
        handlers.record_upload(checked, "work", "a.pdf", SimpleNamespace(
            key=f"projects/{project.id}/{uuid.uuid4()}", content_type="application/pdf", size=3, sha256="0" * 64),
            admin, work)
        work.session.close()
        for actor in (admin, buyer):
            read, loaded = uow(), uow()
            fast = handlers.get_project(project.id, actor, read)
            slow = handlers.project_view(loaded.projects.get(project.id), actor, loaded)
            assert fast == slow
            assert [m["body"] for m in fast["messages"]] == ["hello"] and len(fast["files"]) == 1
            assert fast["notes"] == ([] if actor is buyer else slow["notes"]) and len(fast["log"]) >= 3
            read.session.close()
            loaded.session.close()
        hidden = uow()
        try:
            handlers.get_project(project.id, stranger, hidden)
            raise AssertionError("another tenant's project must answer like a missing one")
        except handlers.ProjectNotFound:
            pass
        finally:
            hidden.session.close()
    finally:
        engine.dispose()


def test_PRJ1_a_purchase_inserts_its_project_once_without_reading_or_updating_it_again(platform_config):
    from sqlalchemy import event as sa_event

    engine = create_engine(config["PROJECT_DATABASE_URL"])
    statements: list[str] = []
    sa_event.listen(engine, "before_cursor_execute", lambda conn, cursor, sql, *a: statements.append(sql))
    product_id = f"prod-{uuid.uuid4().hex[:8]}"
    try:
        work = UnitOfWork(Session(engine, expire_on_commit=False), "project", ProjectService.db.repositories)
        handlers.product_template_bound({"event_id": str(uuid.uuid4())}, {
            "product_id": product_id, "vendor_id": "v", "product_code": "ERP", "product_name": "ERP",
            "template_id": "t1", "template_name": "T", "template_version": 1, "nodes": NODES}, work)
        statements.clear()
        project, created = handlers.create_from_purchase({"order_id": f"o-{uuid.uuid4()}", "product_id": product_id,
                                                          "customer_id": "c"}, work)
        work.session.close()
        assert created
        assert len([s for s in statements if s.startswith("INSERT INTO projects ")]) == 1
        assert not [s for s in statements if s.startswith("UPDATE projects ")], "nothing to update yet"
        assert not [s for s in statements if "FROM projects WHERE projects.id" in s], "RETURNING gave the row"
        check = UnitOfWork(Session(engine), "project", ProjectService.db.repositories)
        again = check.projects.get(project.id)
        assert again.log and again.current_node["key"] == "assign" and again.status == project.status
        check.session.close()
    finally:
        engine.dispose()
