"""DSP-8 with two dispatch_svc processes on one database and broker: 500 projects at once, at
provider level and at employee level, racing "dispatch now"; an audit of the database after."""
import os
import uuid

from nameko import config
from sqlalchemy import text

from platform_contracts.roles import DESIGNER
from platform_kit.stack import ProcessSpec, Stack

PROJECTS = 500
EMPLOYEES = 40
BASE_PORT = 8104 + int(os.environ.get("PLATFORM_E2E_PORT_OFFSET", "20000")) + 50


def _count(db, sql: str, **params) -> int:
    with db.connect() as conn:
        return conn.execute(text(sql), params).scalar()


def test_DSP8_two_processes_never_exceed_a_maximum_or_a_capacity_and_every_project_ends_assigned_or_queued(
        platform_config, event_sink, publish, rpc_as, make_reached, make_user, dispatch_db, wait_until, tmp_path):
    env = {"AMQP_URI": config["AMQP_URI"], "DISPATCH_DATABASE_URL": config["DISPATCH_DATABASE_URL"],
           "REDIS_URL": config["REDIS_URL"], "REDIS_KEY_PREFIX": config["REDIS_KEY_PREFIX"],
           "JWT_SECRET": uuid.uuid4().hex, "LOG_LEVEL": "WARNING", "STOP_GRACE_SECONDS": "3"}
    stack = Stack([ProcessSpec(f"dispatch-{n}", "dispatch_svc.service", BASE_PORT + n) for n in (1, 2)],
                  env=env, log_dir=tmp_path)
    stack.start()
    try:
        stack.wait_healthy(timeout=60)
        _run(publish, rpc_as, make_reached, make_user, dispatch_db, wait_until)
    finally:
        stack.stop(grace=5)


def _run(publish, rpc_as, make_reached, make_user, db, wait_until):
    suffix = uuid.uuid4().hex[:8]
    product, vendor, org = f"prod-{suffix}", f"vendor-{suffix}", f"prov-{suffix}"
    first, second = f"a-{suffix}", f"b-{suffix}"

    # provider level: maxima 120 + 180 for 500 projects
    with rpc_as() as rpc:
        rpc.dispatch.set_product_providers({"product_id": product, "vendor_id": vendor, "providers": [
            {"provider_id": first, "weight": 20, "max_held": 120},
            {"provider_id": second, "weight": 30, "max_held": 180}]})
    publish.many("project", "node_reached", [make_reached("assign_provider", product_id=product, vendor_id=vendor)
                                             for _ in range(PROJECTS)])
    wait_until(lambda: _count(db, "select count(*) from provider_assignments where product_id = :p", p=product)
               + _count(db, "select count(*) from provider_queue where product_id = :p", p=product) == PROJECTS,
               timeout=120, interval=0.5, message="every project assigned a provider or queued")

    # employee level: 40 employees with capacities 0..3, while "dispatch now" races the new projects
    users = [f"e{n:02d}-{suffix}" for n in range(EMPLOYEES)]
    publish.many("identity", "user_created", [make_user(u, org, (DESIGNER,)) for u in users])
    wait_until(lambda: _count(db, "select count(*) from employees where org_id = :o", o=org) == EMPLOYEES,
               timeout=30, message="the employees to be known")
    with rpc_as() as rpc:
        for n, user_id in enumerate(users):
            rpc.dispatch.set_employee_settings(user_id, {"capacity": n % 4})
    capacity = sum(n % 4 for n in range(EMPLOYEES))
    publish.many("project", "node_reached", [
        make_reached("assign_order", provider_id=org, settings={"role": DESIGNER, "rule": "provider_first"})
        for _ in range(PROJECTS)])
    with rpc_as() as rpc:
        for _ in range(3):
            rpc.dispatch.dispatch_now.call_async()
    wait_until(lambda: _count(db, "select count(*) from employee_holds where provider_id = :o", o=org)
               + _count(db, "select count(*) from provider_queue where provider_id = :o", o=org) == PROJECTS,
               timeout=180, interval=0.5, message="every project assigned an employee or queued")

    # the audit: counts agree with the hold rows, and no count is past its limit
    assert _count(db, "select count(*) from product_providers where product_id = :p and held > max_held",
                  p=product) == 0
    assert _count(db, "select sum(held) from product_providers where product_id = :p", p=product) == 300
    assert _count(db, """select count(*) from product_providers pp where pp.product_id = :p and pp.held <> (
        select count(*) from provider_assignments a where a.product_id = pp.product_id
        and a.provider_id = pp.provider_id and a.released_at is null and a.rule = 'weighted')""", p=product) == 0
    assert _count(db, "select count(*) from employees where org_id = :o and held > capacity", o=org) == 0
    assert _count(db, """select count(*) from employees e where e.org_id = :o and e.held <> (
        select count(*) from employee_holds h where h.user_id = e.user_id and h.released_at is null)""", o=org) == 0
    assert _count(db, "select count(*) from employee_holds where provider_id = :o", o=org) == capacity
    assert _count(db, "select count(*) from provider_queue where provider_id = :o", o=org) == PROJECTS - capacity
    assert _count(db, "select count(*) from (select project_id from employee_holds where provider_id = :o "
                      "group by project_id having count(*) > 1) twice", o=org) == 0
