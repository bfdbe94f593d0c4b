"""The thin flow inside one process, with the real broker and databases (PRJ-1, DSP-1..3, NTF-5)."""
import uuid

from nameko import config
from nameko.amqp.publish import get_producer
from nameko.standalone.events import get_event_exchange
from nameko.standalone.rpc import ClusterRpcClient
from nameko.testing.services import entrypoint_waiter
from sqlalchemy import create_engine, select

from dispatch_svc.adapters.orm import ProductProvider, ProviderAssignment, QueuedProject
from dispatch_svc.service import DispatchService
from notify_svc.service import NotifyService
from platform_contracts.actor import Actor
from platform_contracts.roles import ISV, PLATFORM_OPERATOR, VENDOR_ADMIN
from platform_contracts.roles import OPERATOR as OPERATOR_KIND
from platform_kit.tables import outbox_events
from platform_kit.testing import _wait_until
from project_svc.service import ProjectService
from template_svc.service import TemplateService

OPERATOR = Actor("op-user", "op-org", OPERATOR_KIND, (PLATFORM_OPERATOR,))


def as_operator() -> ClusterRpcClient:
    """The caller travels in the context data, exactly as the gateway sends it."""
    return ClusterRpcClient(context_data={"actor": OPERATOR.to_header()})


FLOW = [
    {"key": "assign_provider", "kind": "assign_provider", "name": "Assign provider"},
    {"key": "requirements", "kind": "submit_requirements", "name": "Submit requirements"},
    {"key": "complete", "kind": "complete_project", "name": "Complete project"},
]


def _product(rpc, providers=()) -> tuple[str, str]:
    product_id, vendor_id = f"prod-{uuid.uuid4().hex[:10]}", f"vendor-{uuid.uuid4().hex[:10]}"
    template = rpc.template.create_template({"name": "Thin", "nodes": FLOW})
    rpc.template.bind_product({"product_id": product_id, "vendor_id": vendor_id, "product_code": "C",
                               "product_name": "N", "template_id": template["template_id"]})
    if providers:
        # the operator relates organisations dispatch knows as ISVs (from identity's user events)
        rpc.dispatch.sync_users([{"user_id": f"admin-{org}", "org_id": org, "org_kind": "isv",
                                  "roles": ["vendor_admin", "provider_admin"]}
                                 for org in (vendor_id, *(p["provider_id"] for p in providers))])
        rpc.dispatch.set_product_providers({"product_id": product_id, "vendor_id": vendor_id,
                                            "providers": list(providers)})
    # project_svc keeps the bound flow from template_svc's event (no RPC per purchase)
    _wait_until(lambda: rpc.project.knows_product(product_id), message="project_svc to know the product's flow")
    return product_id, vendor_id


def _purchase(rpc, product_id) -> dict:
    return rpc.project.create_from_purchase({"order_id": f"ord-{uuid.uuid4()}", "product_id": product_id,
                                             "customer_id": "cust-1"})


def test_PRJ1_DSP1_a_purchase_walks_to_its_provider_and_the_provider_is_told(
        platform_config, runner_factory, wait_until):
    runner = runner_factory(TemplateService, ProjectService, DispatchService, NotifyService)
    runner.start()
    with as_operator() as rpc:
        product_id, vendor_id = _product(rpc)
        result = _purchase(rpc, product_id)
        assert result["created"] and result["project"]["current_node"]["kind"] == "assign_provider"
        project_id = result["project"]["id"]

        project = wait_until(lambda: (p := rpc.project.get_project(project_id))["provider_id"] and p,
                             message="the provider to be assigned")
        assert project["provider_id"] == vendor_id, "with no provider configured the vendor delivers (DSP-1)"
        assert project["current_node"]["key"] == "requirements"
        assert [e["action"] for e in project["log"]] == ["created", "provider_assigned", "node_reached"]
    vendor_admin = Actor("vendor-user", vendor_id, ISV, (VENDOR_ADMIN,))
    with ClusterRpcClient(context_data={"actor": vendor_admin.to_header()}) as rpc:
        inbox = wait_until(lambda: (page := rpc.notify.inbox({}))["total"] and page, message="the in-site message")
        assert inbox["unread"] == 1 and project_id in inbox["items"][0]["body"]


def test_PRJ1_the_same_order_posted_twice_gives_one_project(platform_config, runner_factory):
    runner = runner_factory(TemplateService, ProjectService)
    runner.start()
    with ClusterRpcClient() as rpc:
        product_id, _ = _product(rpc)
        order = {"order_id": f"ord-{uuid.uuid4()}", "product_id": product_id, "customer_id": "c"}
        first = rpc.project.create_from_purchase(order)
        again = rpc.project.create_from_purchase(order)
    assert first["created"] is True and again["created"] is False
    assert again["project"]["id"] == first["project"]["id"]


def test_DSP8_a_redelivered_node_reached_event_holds_only_one_order(platform_config, container_factory):
    dispatch = container_factory(DispatchService)
    dispatch.start()
    product_id, provider = f"prod-{uuid.uuid4().hex[:8]}", f"prov-{uuid.uuid4().hex[:8]}"
    with ClusterRpcClient() as rpc:
        rpc.dispatch.set_product_providers({"product_id": product_id, "vendor_id": "v",
                                            "providers": [{"provider_id": provider, "weight": 1, "max_held": 5}]})
    project_id = str(uuid.uuid4())
    envelope = {"event_id": str(uuid.uuid4()), "event_type": "node_reached", "version": 1, "source": "project",
                "occurred_at": "2026-11-21T00:00:00+00:00", "correlation_id": "c",
                "data": {"project_id": project_id, "order_id": "o", "product_id": product_id, "vendor_id": "v",
                         "customer_id": "c", "provider_id": None, "node_key": "assign_provider",
                         "node_kind": "assign_provider", "node_name": "Assign", "node_index": 0, "role": None,
                         "round": 1}}
    exchange = get_event_exchange("project")
    for _ in range(2):
        with entrypoint_waiter(dispatch, "handle_node_reached"):
            with get_producer(config["AMQP_URI"]) as producer:
                producer.publish(envelope, exchange=exchange, routing_key="node_reached", serializer="json",
                                 declare=[exchange])
    engine = create_engine(config["DISPATCH_DATABASE_URL"])
    with engine.connect() as conn:
        held = conn.execute(select(ProductProvider.held).where(ProductProvider.product_id == product_id)).scalar()
        assignments = conn.execute(select(ProviderAssignment).where(
            ProviderAssignment.project_id == project_id)).all()
        emitted = conn.execute(select(outbox_events).where(
            outbox_events.c.envelope["data"]["project_id"].astext == project_id)).all()
    engine.dispose()
    assert held == 1 and len(assignments) == 1 and len(emitted) == 1


def test_DSP3_with_every_provider_full_the_project_queues_and_moves_when_capacity_is_raised(
        platform_config, runner_factory, wait_until):
    runner = runner_factory(TemplateService, ProjectService, DispatchService)
    runner.start()
    provider = f"prov-{uuid.uuid4().hex[:8]}"
    with as_operator() as rpc:
        product_id, vendor_id = _product(rpc, [{"provider_id": provider, "weight": 10, "max_held": 1}])
        first = _purchase(rpc, product_id)["project"]["id"]
        wait_until(lambda: rpc.project.get_project(first)["provider_id"] == provider, message="first assigned")
        second = _purchase(rpc, product_id)["project"]["id"]
        wait_until(lambda: rpc.project.get_project(second)["status"] == "queued", message="second queued")
        assert [q["project_id"] for q in rpc.dispatch.list_queue(vendor_id)] == [second]

        rpc.dispatch.set_product_providers({"product_id": product_id, "vendor_id": vendor_id,
                                            "providers": [{"provider_id": provider, "weight": 10, "max_held": 2}]})
        project = wait_until(lambda: (p := rpc.project.get_project(second))["provider_id"] and p,
                             message="the queued project to get its provider")
        assert project["status"] == "in_progress" and rpc.dispatch.list_queue(vendor_id) == []


def test_ORG7_a_project_of_another_tenant_answers_not_found_inside_the_service(platform_config, runner_factory,
                                                                             wait_until):
    from platform_kit.errors import NotFound

    runner = runner_factory(TemplateService, ProjectService)
    runner.start()
    with as_operator() as rpc:
        product_id, vendor_id = _product(rpc)
        project_id = _purchase(rpc, product_id)["project"]["id"]
    stranger = Actor("u", "another-isv", ISV, (VENDOR_ADMIN,))
    owner = Actor("u2", vendor_id, ISV, (VENDOR_ADMIN,))
    with ClusterRpcClient(context_data={"actor": stranger.to_header()}) as rpc:
        try:
            rpc.project.get_project(project_id)
            raise AssertionError("another tenant read the project")
        except NotFound:
            pass
        assert project_id not in [p["id"] for p in rpc.project.list_projects({"limit": 200})["items"]]
    with ClusterRpcClient(context_data={"actor": owner.to_header()}) as rpc:
        assert rpc.project.get_project(project_id)["vendor_id"] == vendor_id


def test_DSP8_capacity_is_never_exceeded_by_two_replicas_dispatching_at_once(platform_config, container_factory,
                                                                             wait_until):
    replicas = [container_factory(DispatchService) for _ in range(2)]
    for replica in replicas:
        replica.start()
    product_id, provider = f"prod-{uuid.uuid4().hex[:8]}", f"prov-{uuid.uuid4().hex[:8]}"
    with ClusterRpcClient() as rpc:
        rpc.dispatch.set_product_providers({"product_id": product_id, "vendor_id": "v",
                                            "providers": [{"provider_id": provider, "weight": 1, "max_held": 3}]})
    exchange = get_event_exchange("project")
    with get_producer(config["AMQP_URI"]) as producer:
        for n in range(20):
            producer.publish({
                "event_id": str(uuid.uuid4()), "event_type": "node_reached", "version": 1, "source": "project",
                "occurred_at": "2026-11-21T00:00:00+00:00", "correlation_id": None,
                "data": {"project_id": f"{product_id}-{n}", "order_id": f"o{n}", "product_id": product_id,
                         "vendor_id": "v", "customer_id": "c", "provider_id": None, "node_key": "assign_provider",
                         "node_kind": "assign_provider", "node_name": "Assign", "node_index": 0, "role": None,
                         "round": 1}}, exchange=exchange, routing_key="node_reached", serializer="json",
                declare=[exchange])
    engine = create_engine(config["DISPATCH_DATABASE_URL"])

    def settled():
        with engine.connect() as conn:
            assigned = conn.execute(select(ProviderAssignment).where(
                ProviderAssignment.product_id == product_id)).all()
            queued = conn.execute(select(QueuedProject).where(QueuedProject.product_id == product_id)).all()
        return (assigned, queued) if len(assigned) + len(queued) == 20 else None

    assigned, queued = wait_until(settled, timeout=20, message="all twenty projects dispatched or queued")
    with engine.connect() as conn:
        held = conn.execute(select(ProductProvider.held).where(ProductProvider.product_id == product_id)).scalar()
    engine.dispose()
    assert held == 3 and len(assigned) == 3 and len(queued) == 17
