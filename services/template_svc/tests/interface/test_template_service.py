"""template_svc in a nameko container against the real broker and database (TPL-1, TPL-2, TPL-10, TPL-11)."""
import uuid

import pytest
from nameko import config
from nameko.amqp.publish import get_producer
from nameko.standalone.events import get_event_exchange
from nameko.standalone.rpc import ClusterRpcClient
from nameko.testing.services import entrypoint_waiter
from sqlalchemy import create_engine, func, select

from platform_contracts import nodes as N
from platform_contracts.actor import Actor
from platform_contracts.roles import ISV, OPERATOR, PLATFORM_OPERATOR, VENDOR_ADMIN
from platform_kit.errors import NotFound, Unprocessable, ValidationFailed
from platform_kit.tables import outbox_events
from project_svc.service import ProjectService
from template_svc.adapters.orm import TemplateRow
from template_svc.service import TemplateService
from template_svc.testing import node

OPERATOR_ACTOR = Actor("op-user", "op-org", OPERATOR, (PLATFORM_OPERATOR,))


def as_(actor: Actor) -> ClusterRpcClient:
    return ClusterRpcClient(context_data={"actor": actor.to_header()})


def vendor() -> Actor:
    return Actor(f"u-{uuid.uuid4().hex[:8]}", f"v-{uuid.uuid4().hex[:8]}", ISV, (VENDOR_ADMIN,))


def flow(name: str = "Deliver") -> list[dict]:
    return [node("assign_provider", N.ASSIGN_PROVIDER, "Assign provider"),
            node("requirements", N.SUBMIT_REQUIREMENTS, "Submit requirements", form_template_id="form-general"),
            node("deliver", N.GENERIC, name, side="provider", role="engineer", upload_enabled=True),
            node("complete", N.COMPLETE_PROJECT, "Complete project")]


def bound_events(product_id: str) -> list[dict]:
    engine = create_engine(config["TEMPLATE_DATABASE_URL"])
    with engine.connect() as conn:
        rows = conn.execute(select(outbox_events.c.envelope).where(
            outbox_events.c.event_type == "product_template_bound").order_by(outbox_events.c.seq)).scalars().all()
    engine.dispose()
    return [r["data"] for r in rows if r["data"]["product_id"] == product_id]


def template_count() -> int:
    engine = create_engine(config["TEMPLATE_DATABASE_URL"])
    with engine.connect() as conn:
        count = conn.execute(select(func.count()).select_from(TemplateRow)).scalar_one()
    engine.dispose()
    return count


def test_TPL1_a_new_version_reaches_products_only_after_approval_and_running_projects_keep_theirs(
        platform_config, runner_factory, wait_until):
    runner = runner_factory(TemplateService, ProjectService)
    runner.start()
    owner = vendor()
    product_id = f"prod-{uuid.uuid4().hex[:10]}"
    with as_(owner) as rpc:
        saved = rpc.template.save_new_template({"name": "My flow", "nodes": flow()})
        assert saved["warnings"] == [] and saved["template"]["status"] == "draft"
        template_id = saved["template"]["id"]
        published = rpc.template.publish_template(template_id)
        assert published["status"] == "approved" and published["approved_version"] == 1, "a first publish"
        rpc.template.save_product({"product_id": product_id, "code": "P-1", "name": "Install",
                                   "template_id": template_id})
        wait_until(lambda: rpc.project.knows_product(product_id), message="project_svc to cache the flow")
        running = rpc.project.create_from_purchase({"order_id": f"ord-{uuid.uuid4()}", "product_id": product_id,
                                                    "customer_id": "c"})["project"]
        edited = rpc.template.update_template(template_id, {"name": "My flow v2", "nodes": flow("Deliver v2")})
        assert [v["status"] for v in edited["template"]["versions"]] == ["approved", "draft"]
        rpc.template.publish_template(template_id)
        assert rpc.template.get_product(product_id)["template_version"] == 1
    with as_(OPERATOR_ACTOR) as op:
        op.template.approve_version(template_id, 2)
    with as_(owner) as rpc:
        assert rpc.template.get_product(product_id)["template_version"] == 2
        wait_until(lambda: bound_events(product_id)[-1]["template_version"] == 2)
        version = rpc.template.get_version(template_id, 2)
        assert {"change": "changed", "key": "deliver", "path": "nodes[2]", "name": "Deliver v2",
                "fields": ["name"]} in version["changes"]
        assert version["nodes"][1]["settings"]["form"]["id"] == "form-general"
        wait_until(lambda: rpc.project.create_from_purchase(
            {"order_id": f"ord-{uuid.uuid4()}", "product_id": product_id, "customer_id": "c"}
        )["project"]["template_version"] == 2, message="project_svc to use version 2")
        later = rpc.project.create_from_purchase({"order_id": f"ord-{uuid.uuid4()}", "product_id": product_id,
                                                  "customer_id": "c"})["project"]
        assert rpc.project.get_project(running["id"])["template_version"] == 1
        assert later["template_version"] == 2
    assert [e["template_version"] for e in bound_events(product_id)] == [1, 2]
    assert bound_events(product_id)[1]["nodes"][2]["name"] == "Deliver v2"


def test_TPL1_the_operator_rejects_a_version_with_a_reason(platform_config, runner_factory):
    runner = runner_factory(TemplateService)
    runner.start()
    owner = vendor()
    with as_(owner) as rpc:
        template_id = rpc.template.save_new_template({"name": "Flow", "nodes": flow()})["template"]["id"]
        rpc.template.publish_template(template_id)
        rpc.template.update_template(template_id, {"name": "Flow", "nodes": flow("Deliver v2")})
        rpc.template.publish_template(template_id)
    with as_(OPERATOR_ACTOR) as op:
        queue = op.template.list_templates({"status": "pending_approval"})
        assert template_id in [t["id"] for t in queue["items"]]
        rejected = op.template.reject_version(template_id, 2, {"reason": "Name the deliverable."})
    assert rejected["versions"][1]["status"] == "rejected"
    assert rejected["versions"][1]["reason"] == "Name the deliverable."
    with as_(owner) as rpc:
        again = rpc.template.update_template(template_id, {"name": "Flow", "nodes": flow("Upload the report")})
        assert again["template"]["latest_version"] == 3 and again["template"]["status"] == "draft"


def test_TPL2_a_copy_of_a_public_template_is_independent_and_another_vendor_sees_nothing(
        platform_config, runner_factory):
    runner = runner_factory(TemplateService)
    runner.start()
    owner = vendor()
    with as_(owner) as rpc:
        public = rpc.template.list_templates({"owner": "public", "name": "子账号自动分单"})
        assert public["total"] >= 2
        source = next(t for t in public["items"] if t["id"] == "tpl-public-sub-account")
        assert any(n["kind"] == "assign_order" for n in source["nodes"])
        copy = rpc.template.copy_template(source["id"])
        assert copy["owner_id"] == owner.org_id and copy["copied_from"] == source["id"]
    with as_(OPERATOR_ACTOR) as op:
        nodes = [dict(n) for n in source["nodes"]]
        nodes[1] = {**nodes[1], "name": "Public rename",
                    "settings": {k: v for k, v in nodes[1]["settings"].items() if k != "form"}}
        op.template.update_template(source["id"], {"name": source["name"], "nodes": nodes})
        assert op.template.publish_template(source["id"])["status"] == "approved"
    with as_(owner) as rpc:
        assert rpc.template.get_template(copy["id"])["nodes"][1]["name"] == "提交需求"
    with as_(vendor()) as other, pytest.raises(NotFound):
        other.template.get_template(copy["id"])


def test_TPL11_bad_input_is_refused_naming_the_field_and_nothing_is_stored(platform_config, runner_factory):
    runner = runner_factory(TemplateService)
    runner.start()
    before = template_count()
    many = [node(f"n{i}", N.GENERIC, side="customer") for i in range(10_000)]
    looping = flow()
    looping.insert(2, node("box", N.CONTAINER, "Box", children=[node("box", N.CONTAINER, "Box again", children=[
        node("inner", N.GENERIC, side="customer")])]))
    reminder = flow()
    reminder[2]["reminders"] = [{"trigger": "node_reached", "receivers": ["customer"], "message_template": "nope"}]
    cases = [
        ({"name": "x", "nodes": [{"key": "a", "kind": "teleport", "name": "A"}]}, "nodes[0].kind"),
        ({"name": "x", "nodes": many}, "nodes"),
        ({"name": "x" * 1_000_000, "nodes": flow()}, "name"),
        # the flow as a whole (a loop, a reference to an unknown message template): a business refusal
        ({"name": "x", "nodes": looping}, "nodes[2].children[0].key", Unprocessable),
        ({"name": "x", "nodes": reminder}, "nodes[2].reminders[0].message_template", Unprocessable),
    ]
    with as_(vendor()) as rpc:
        for payload, field, *refusal in cases:
            with pytest.raises(refusal[0] if refusal else ValidationFailed) as refused:
                rpc.template.save_new_template(payload)
            assert field in refused.value.fields, (field, refused.value.fields)
    assert template_count() == before


def test_TPL10_a_message_template_announced_by_notify_can_be_named_by_a_reminder(platform_config, container_factory):
    container = container_factory(TemplateService)
    container.start()
    name = f"deliver – notify customer {uuid.uuid4().hex[:6]}"
    envelope = {"event_id": str(uuid.uuid4()), "event_type": "message_template_changed", "version": 1,
                "source": "notify", "occurred_at": "2026-01-01T00:00:00+00:00", "correlation_id": None,
                "data": {"name": name, "variables": ["project_id"], "channels": ["inbox"], "deleted": False}}
    with entrypoint_waiter(container, "handle_message_template_changed"):
        with get_producer(config["AMQP_URI"]) as producer:
            producer.publish(envelope, exchange=get_event_exchange("notify"), routing_key="message_template_changed",
                             serializer="json", declare=[get_event_exchange("notify")])
    nodes = flow()
    nodes[2]["reminders"] = [{"trigger": "completed", "receivers": ["customer", "role:engineer"],
                              "message_template": name}]
    with as_(vendor()) as rpc:
        saved = rpc.template.save_new_template({"name": "With reminder", "nodes": nodes})
    assert saved["template"]["nodes"][2]["reminders"][0]["message_template"] == name
