"""dispatch_svc in a nameko container against the real broker and database (DSP-3..9, PRJ-6)."""
import uuid

from sqlalchemy import text

from dispatch_svc.service import DispatchService
from platform_contracts.actor import Actor
from platform_contracts.roles import CUSTOMER_MANAGER, DESIGNER, ISV, PROVIDER_ADMIN, VENDOR_ADMIN
from platform_kit.errors import NotFound, Unprocessable


def _outbox(db, event_type: str, project_id: str) -> list[dict]:
    with db.connect() as conn:
        return [r[0] for r in conn.execute(text(
            "select envelope->'data' from outbox_events where event_type = :t and envelope->'data'->>'project_id' = :p"
            " order by created_at"), {"t": event_type, "p": project_id})]


def _staff(publish, wait_until, dispatch_db, make_user, org: str, users: list[tuple[str, tuple, str | None]]):
    for user_id, roles, department_id in users:
        publish("identity", "user_created", make_user(user_id, org, roles, department_id))

    def known():
        with dispatch_db.connect() as conn:
            return conn.execute(text("select count(*) from employees where org_id = :o"), {"o": org}).scalar() \
                == len(users)
    wait_until(known, message="dispatch to learn the users from identity's events")


def test_DSP3_a_project_queued_at_capacity_moves_within_seconds_of_another_completing_or_a_raise(
        container_factory, publish, rpc_as, make_reached, dispatch_db, wait_until):
    container_factory(DispatchService).start()
    product, vendor, provider = (f"{p}-{uuid.uuid4().hex[:8]}" for p in ("prod", "vendor", "prov"))
    with rpc_as() as rpc:
        rpc.dispatch.set_product_providers({"product_id": product, "vendor_id": vendor, "providers": [
            {"provider_id": provider, "weight": 5, "max_held": 1}]})
    first, second, third = (make_reached("assign_provider", product_id=product, vendor_id=vendor) for _ in range(3))
    publish("project", "node_reached", first)
    wait_until(lambda: _outbox(dispatch_db, "provider_assigned", first["project_id"]), message="first assigned")
    publish("project", "node_reached", second)
    publish("project", "node_reached", third)
    wait_until(lambda: _outbox(dispatch_db, "provider_queued", third["project_id"]), message="third queued")
    vendor_admin = Actor("va", vendor, ISV, (VENDOR_ADMIN,))
    with rpc_as(vendor_admin) as rpc:
        page = rpc.dispatch.queue({})
        assert [r["project_id"] for r in page["items"]] == [second["project_id"], third["project_id"]]
        assert page["items"][0]["reason"] and page["items"][0]["waited_seconds"] >= 0
    with rpc_as(Actor("x", "another-vendor", ISV, (VENDOR_ADMIN,))) as rpc:
        assert rpc.dispatch.queue({})["total"] == 0, "another vendor sees nothing of this queue (ORG-7)"

    publish("project", "project_completed", {"project_id": first["project_id"], "order_id": "o",
                                             "product_id": product, "vendor_id": vendor, "customer_id": "c",
                                             "provider_id": provider, "round": 1})
    wait_until(lambda: _outbox(dispatch_db, "provider_assigned", second["project_id"]), timeout=20,
               message="the oldest queued project to move when the held order is released (no dispatch now)")
    with rpc_as(vendor_admin) as rpc:
        rpc.dispatch.set_product_providers({"product_id": product, "providers": [
            {"provider_id": provider, "weight": 5, "max_held": 2}]})
    wait_until(lambda: _outbox(dispatch_db, "provider_assigned", third["project_id"]), timeout=20,
               message="the next queued project to move when the maximum is raised")
    with dispatch_db.connect() as conn:
        held = conn.execute(text("select held from product_providers where product_id = :p"), {"p": product}).scalar()
    assert held == 2


def test_DSP5_employee_queue_moves_when_a_user_is_given_the_role_and_when_capacity_is_raised(
        container_factory, publish, rpc_as, make_reached, make_user, dispatch_db, wait_until):
    container_factory(DispatchService).start()
    org = f"prov-{uuid.uuid4().hex[:8]}"
    a, b = f"a-{uuid.uuid4().hex[:6]}", f"b-{uuid.uuid4().hex[:6]}"
    _staff(publish, wait_until, dispatch_db, make_user, org, [(a, ("engineer",), None), (b, (DESIGNER,), None)])
    admin = Actor("adm", org, ISV, (PROVIDER_ADMIN,))
    with rpc_as(admin) as rpc:
        rpc.dispatch.set_employee_settings(b, {"capacity": 1})
    node = {"role": DESIGNER, "rule": "provider_first"}
    one, two = (make_reached("assign_order", provider_id=org, settings=node) for _ in range(2))
    publish("project", "node_reached", one)
    assert wait_until(lambda: _outbox(dispatch_db, "employee_assigned", one["project_id"]))[0]["user_id"] == b
    publish("project", "node_reached", two)
    queued = wait_until(lambda: _outbox(dispatch_db, "employee_queued", two["project_id"]))
    assert queued[0]["reason"] == "every open employee with the role is at capacity"
    with rpc_as(admin) as rpc:
        assert rpc.dispatch.queue({"level": "employee"})["items"][0]["project_id"] == two["project_id"]

    publish("identity", "user_updated", {**make_user(a, org, ("engineer", DESIGNER)), "changed": ["roles"]})
    assigned = wait_until(lambda: _outbox(dispatch_db, "employee_assigned", two["project_id"]), timeout=20,
                          message="the waiting project to go to the user just given the role")
    assert assigned[0]["user_id"] == a and assigned[0]["rule"] == "least_loaded"

    three = make_reached("assign_order", provider_id=org, settings=node)
    with rpc_as(admin) as rpc:
        rpc.dispatch.set_employee_settings(a, {"open": False})
    publish("project", "node_reached", three)
    assert wait_until(lambda: _outbox(dispatch_db, "employee_queued", three["project_id"]))[0]["reason"] == \
        "every open employee with the role is at capacity"
    with rpc_as(admin) as rpc:
        rpc.dispatch.set_employee_settings(b, {"capacity": 2})
    assert wait_until(lambda: _outbox(dispatch_db, "employee_assigned", three["project_id"]), timeout=20,
                      message="the waiting project to move when a capacity is raised")[0]["user_id"] == b


def test_DSP7_DSP6_PRJ6_claim_then_department_first_then_change_operator(
        container_factory, publish, rpc_as, make_reached, make_user, dispatch_db, wait_until):
    container_factory(DispatchService).start()
    org = f"prov-{uuid.uuid4().hex[:8]}"
    cm, d1, d2, d2b = (f"{p}-{uuid.uuid4().hex[:6]}" for p in ("cm", "d1", "d2", "d2b"))
    _staff(publish, wait_until, dispatch_db, make_user, org, [
        (cm, (CUSTOMER_MANAGER,), "dep2"), (d1, (DESIGNER,), "dep1"), (d2, (DESIGNER,), "dep2"),
        (d2b, (DESIGNER,), "dep2")])
    claim = make_reached("claim_order", provider_id=org)
    publish("project", "node_reached", claim)
    manager = Actor(cm, org, ISV, (CUSTOMER_MANAGER,), "dep2")

    def claimed():
        with rpc_as(manager) as rpc:
            try:
                return rpc.dispatch.claim_order({"order_id": claim["order_id"]})
            except (NotFound, Unprocessable):
                return None
    assert wait_until(claimed, message="the order to become claimable")["department_id"] == "dep2"
    with rpc_as(manager) as rpc:
        try:
            rpc.dispatch.claim_order({"order_id": claim["order_id"]})
            raise AssertionError("claimed twice")
        except Unprocessable as refused:
            assert "claimed already" in str(refused)

    assign = {**claim, "node_key": "assign_order", "node_kind": "assign_order",
              "settings": {"role": DESIGNER, "rule": "department_first"}}
    publish("project", "node_reached", assign)
    first = wait_until(lambda: _outbox(dispatch_db, "employee_assigned", claim["project_id"]))[0]
    assert first["user_id"] in (d2, d2b) and first["rule"] == "department_first"

    other = d2b if first["user_id"] == d2 else d2
    with rpc_as(Actor("adm", org, ISV, (PROVIDER_ADMIN,))) as rpc:
        changed = rpc.dispatch.change_operator({"project_id": claim["project_id"], "user_id": other})
    assert changed["rule"] == "manual" and changed["user_id"] == other
    with dispatch_db.connect() as conn:
        helds = dict(conn.execute(text("select user_id, held from employees where org_id = :o"), {"o": org}).all())
    assert helds[other] == 1 and helds[first["user_id"]] == 0
    with rpc_as(Actor("adm", "stranger", ISV, (PROVIDER_ADMIN,))) as rpc:
        try:
            rpc.dispatch.change_operator({"project_id": claim["project_id"], "user_id": first["user_id"]})
            raise AssertionError("another provider changed the operator")
        except NotFound:
            pass


def test_DSP8_the_database_refuses_a_held_count_past_the_limit_whatever_the_code(platform_config, dispatch_db):
    from sqlalchemy.exc import IntegrityError

    user_id = f"u-{uuid.uuid4().hex[:8]}"
    with dispatch_db.begin() as conn:
        conn.execute(text("insert into employees (user_id, org_id, capacity, held) values (:u, 'o', 2, 2)"),
                     {"u": user_id})
    try:
        with dispatch_db.begin() as conn:
            conn.execute(text("update employees set held = 3 where user_id = :u"), {"u": user_id})
        raise AssertionError("the database let a held count grow past the capacity")
    except IntegrityError:
        pass
    with dispatch_db.begin() as conn:  # lowering the capacity below what is held is allowed (DSP-4)
        conn.execute(text("update employees set capacity = 1, kept_over = 2 where user_id = :u"), {"u": user_id})
