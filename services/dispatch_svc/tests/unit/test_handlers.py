"""Use cases of dispatch_svc against the fake unit of work (DSP-1..9, PRJ-6, ORG-7)."""
import uuid

import pytest

from dispatch_svc import handlers
from dispatch_svc.domain.model import EmployeeHold, ProjectDispatch
from dispatch_svc.exceptions import UnknownProvider, VendorNotNamed
from platform_contracts.actor import Actor
from platform_contracts.roles import CUSTOMER_MANAGER, DESIGNER, ISV, PROVIDER_ADMIN, VENDOR_ADMIN
from platform_kit.exceptions import Forbidden, NotFound


def _event(event_type: str, data: dict) -> dict:
    return {"event_id": str(uuid.uuid4()), "event_type": event_type, "data": data}


def _reached(kind: str, project_id="p1", round_=1, provider_id=None, settings=None, node_key=None) -> dict:
    return {"project_id": project_id, "order_id": f"o-{project_id}", "product_id": "prod", "vendor_id": "vendor",
            "customer_id": "cust", "provider_id": provider_id, "node_key": node_key or kind, "node_kind": kind,
            "node_name": kind, "node_index": 0, "role": None, "round": round_, "settings": settings or {}}


def _user(user_id: str, roles=(DESIGNER,), org_id="prov", department_id=None, active=True) -> dict:
    return {"user_id": user_id, "org_id": org_id, "org_kind": ISV, "login_name": user_id, "display_name": user_id,
            "roles": list(roles), "department_id": department_id, "active": active}


def _reach(uow, kind, **kw):
    data = _reached(kind, **kw)
    handlers.node_reached(_event("node_reached", data), data, uow)


OPERATOR = None  # system calls (no actor) act as the platform


def test_DSP1_DSP2_assign_provider_holds_an_order_and_says_so(uow, repo):
    handlers.set_product_providers(OPERATOR, {"product_id": "prod", "vendor_id": "vendor", "providers": [
        {"provider_id": "prov", "weight": 10, "max_held": 1}]}, uow)
    assert uow.events_of("product_providers_set")[0]["provider_ids"] == ["prov"]
    _reach(uow, "assign_provider")
    assert uow.events_of("provider_assigned")[0]["provider_id"] == "prov"
    assert repo.products["prod"].links["prov"].held == 1
    assert uow.events_of("saturation_changed")[-1]["held"] == 1


def test_DSP3_a_full_product_queues_and_a_completed_project_wakes_the_queue(uow, repo):
    handlers.set_product_providers(OPERATOR, {"product_id": "prod", "vendor_id": "vendor", "providers": [
        {"provider_id": "prov", "weight": 10, "max_held": 1}]}, uow)
    _reach(uow, "assign_provider", project_id="p1")
    _reach(uow, "assign_provider", project_id="p2")
    assert uow.events_of("provider_queued")[0]["project_id"] == "p2"
    handlers.project_closed(_event("project_completed", {"project_id": "p1"}), {"project_id": "p1"}, uow)
    assert ("retry_queue", "provider:prod") in uow.deadlines
    key, payload = "provider:prod", uow.deadlines[("retry_queue", "provider:prod")][1]
    assert handlers.retry_due(key, payload, uow) == 1
    assert uow.events_of("provider_assigned")[-1]["project_id"] == "p2"
    assert repo.products["prod"].links["prov"].held == 1 and repo.projects["p2"].waiting is None


def test_DSP5_assign_order_picks_the_least_loaded_employee_of_the_role(uow, repo):
    for user in (_user("e1"), _user("e2"), _user("e3", roles=("engineer",))):
        handlers.user_changed(_event("user_created", user), user, uow)
    repo.projects["p0"] = ProjectDispatch("p0", "o-p0", "prod", "vendor", "cust", provider_id="prov", holds=[
        EmployeeHold(f"n{n}", 1, "e1", DESIGNER, "least_loaded") for n in range(2)])
    _reach(uow, "assign_order", provider_id="prov", settings={"role": DESIGNER, "rule": "provider_first"})
    assigned = uow.events_of("employee_assigned")
    assert [(a["user_id"], a["rule"]) for a in assigned] == [("e2", "least_loaded")]
    assert repo.staff["e2"].held == 1


def test_DSP5_nobody_with_the_role_queues_and_a_user_given_the_role_wakes_it(uow, repo):
    handlers.user_changed(_event("user_created", _user("e1", roles=("engineer",))), _user("e1", roles=("engineer",)),
                          uow)
    _reach(uow, "assign_order", provider_id="prov", settings={"role": DESIGNER})
    assert uow.events_of("employee_queued")[0]["reason"] == "nobody at the provider holds the role"
    updated = {**_user("e1", roles=("engineer", DESIGNER)), "changed": ["roles"]}
    handlers.user_changed(_event("user_updated", updated), updated, uow)
    assert ("retry_queue", "employee:prov") in uow.deadlines
    handlers.retry_queue(uow, level="employee", key="prov")
    assert uow.events_of("employee_assigned")[0]["user_id"] == "e1"


def test_DSP7_DSP6_a_claim_then_department_first_dispatch(uow, repo):
    users = [_user("cm", roles=(CUSTOMER_MANAGER,), department_id="d2"), _user("e1", department_id="d1"),
             _user("e2", department_id="d2")]
    for user in users:
        handlers.user_changed(_event("user_created", user), user, uow)
    _reach(uow, "claim_order", provider_id="prov")
    manager = Actor("cm", "prov", ISV, (CUSTOMER_MANAGER,), "d2")
    claimed = handlers.claim_order(manager, "o-p1", uow)
    assert claimed["department_id"] == "d2" and uow.events_of("order_claimed") == [claimed]
    _reach(uow, "assign_order", provider_id="prov", settings={"role": DESIGNER, "rule": "department_first"})
    assert uow.events_of("employee_assigned")[0]["user_id"] == "e2"


def test_DSP7_ORG7_another_providers_manager_sees_no_such_order(uow):
    _reach(uow, "claim_order", provider_id="prov")
    with pytest.raises(NotFound):
        handlers.claim_order(Actor("x", "other", ISV, (CUSTOMER_MANAGER,)), "o-p1", uow)


def test_DSP4_the_admin_sets_capacity_the_employee_only_its_switch_and_a_stranger_nothing(uow, repo):
    handlers.user_changed(_event("user_created", _user("e1")), _user("e1"), uow)
    admin = Actor("adm", "prov", ISV, (PROVIDER_ADMIN,))
    assert handlers.set_employee_settings(admin, "e1", {"capacity": 9}, uow).capacity == 9
    me = Actor("e1", "prov", ISV, (DESIGNER,))
    assert handlers.set_employee_settings(me, "e1", {"open": False}, uow).open is False
    with pytest.raises(Forbidden):
        handlers.set_employee_settings(me, "e1", {"capacity": 50}, uow)
    with pytest.raises(NotFound):
        handlers.set_employee_settings(Actor("adm2", "other", ISV, (PROVIDER_ADMIN,)), "e1", {"open": True}, uow)
    handlers.set_employee_settings(me, "e1", {"open": True}, uow)
    assert ("retry_queue", "employee:prov") in uow.deadlines, "switching open lets the queue move at once"


def test_PRJ6_change_operator_moves_the_hold_and_emits_manual(uow, repo):
    for user in (_user("e1"), _user("e2")):
        handlers.user_changed(_event("user_created", user), user, uow)
    _reach(uow, "assign_order", provider_id="prov", settings={"role": DESIGNER})
    first = uow.events_of("employee_assigned")[0]["user_id"]
    other = "e2" if first == "e1" else "e1"
    admin = Actor("adm", "prov", ISV, (PROVIDER_ADMIN,))
    with pytest.raises(NotFound):
        handlers.change_operator(Actor("adm", "else", ISV, (PROVIDER_ADMIN,)), {"project_id": "p1", "user_id": other},
                                 uow)
    result = handlers.change_operator(admin, {"project_id": "p1", "user_id": other}, uow)
    assert result["rule"] == "manual" and repo.staff[other].held == 1 and repo.staff[first].held == 0


def test_DSP9_a_provider_change_frees_the_old_holds_and_the_next_round_picks_another(uow, repo):
    handlers.set_product_providers(OPERATOR, {"product_id": "prod", "vendor_id": "vendor", "providers": [
        {"provider_id": "a", "weight": 1, "max_held": 5}, {"provider_id": "b", "weight": 1, "max_held": 5}]}, uow)
    _reach(uow, "assign_provider")
    old = uow.events_of("provider_assigned")[0]["provider_id"]
    data = {"project_id": "p1", "product_id": "prod", "old_provider_id": old, "round": 2}
    handlers.provider_changed(_event("project_provider_changed", data), data, uow)
    assert repo.products["prod"].links[old].held == 0
    _reach(uow, "assign_provider", round_=2)
    assert uow.events_of("provider_assigned")[1]["provider_id"] != old


def test_DSP3_queues_are_seen_by_their_vendor_and_provider_admin_only(uow, repo):
    handlers.set_product_providers(OPERATOR, {"product_id": "prod", "vendor_id": "vendor", "providers": [
        {"provider_id": "prov", "weight": 1, "max_held": 1}]}, uow)
    _reach(uow, "assign_provider", project_id="p1")
    _reach(uow, "assign_provider", project_id="p2")
    vendor = Actor("v", "vendor", ISV, (VENDOR_ADMIN,))
    rows, total = handlers.queue_page(vendor, {}, uow)
    assert total == 1 and rows[0]["project_id"] == "p2" and rows[0]["waited_seconds"] >= 0
    assert handlers.queue_page(Actor("v", "stranger", ISV, (VENDOR_ADMIN,)), {}, uow) == ([], 0)


def test_DSP1_a_vendor_cannot_add_providers(uow):
    handlers.set_product_providers(OPERATOR, {"product_id": "prod", "vendor_id": "vendor", "providers": [
        {"provider_id": "prov", "weight": 1, "max_held": 1}]}, uow)
    vendor = Actor("v", "vendor", ISV, (VENDOR_ADMIN,))
    with pytest.raises(Forbidden):
        handlers.set_product_providers(vendor, {"product_id": "prod", "providers": [
            {"provider_id": "prov", "weight": 1, "max_held": 1},
            {"provider_id": "x", "weight": 1, "max_held": 1}]}, uow)
    rows = handlers.set_product_providers(vendor, {"product_id": "prod", "providers": [
        {"provider_id": "prov", "weight": 7, "max_held": 9}]}, uow)
    assert rows[0]["weight"] == 7 and rows[0]["max_held"] == 9


def test_DSP1_the_operator_setting_providers_without_the_vendor_is_a_business_refusal_naming_it(uow):
    operator = Actor("op", "platform", "operator", ("platform_operator",))
    with pytest.raises(VendorNotNamed) as refused:
        handlers.set_product_providers(operator, {"product_id": "prod", "providers": [
            {"provider_id": "prov", "weight": 10, "max_held": 1}]}, uow)
    assert refused.value.status == 422 and "vendor_id" in refused.value.fields and not uow.events


def _self_served(uow, project_id: str, round_: int = 1) -> None:
    data = {**_reached("assign_provider", project_id=project_id, round_=round_), "self_served": True}
    handlers.node_reached(_event("node_reached", data), data, uow)


def _main_account(uow, org_id="vendor", user_id="main") -> Actor:
    user = _user(user_id, roles=(VENDOR_ADMIN, PROVIDER_ADMIN), org_id=org_id)
    handlers.user_changed(_event("user_created", user), user, uow)
    return Actor(user_id, org_id, ISV, (VENDOR_ADMIN, PROVIDER_ADMIN))


def test_DSP4_seed_3_1_5_the_main_account_of_a_self_served_product_queues_past_its_capacity(uow, repo):
    main = _main_account(uow)
    handlers.set_employee_settings(main, "main", {"capacity": 1}, uow)
    for project_id in ("p1", "p2", "p3"):
        _self_served(uow, project_id)
    assert [e["project_id"] for e in uow.events_of("provider_assigned")] == ["p1"]
    assert [e["project_id"] for e in uow.events_of("employee_queued")] == ["p2", "p3"]
    assert repo.employee("main").held == 1
    handlers.set_employee_settings(main, "main", {"capacity": 2}, uow)
    payload = uow.deadlines[("retry_queue", "employee:vendor")][1]
    assert handlers.retry_due("employee:vendor", payload, uow) == 1
    assert [e["project_id"] for e in uow.events_of("provider_assigned")] == ["p1", "p2"]
    handlers.project_closed(_event("project_completed", {"project_id": "p1"}), {"project_id": "p1"}, uow)
    assert handlers.retry_due("employee:vendor", payload, uow) == 1
    assert repo.employee("main").held == 2 and repo.projects["p3"].waiting is None


def test_DSP4_a_closed_main_account_takes_no_self_served_project(uow, repo):
    main = _main_account(uow)
    handlers.set_employee_settings(main, "main", {"open": False}, uow)
    _self_served(uow, "p1")
    assert not uow.events_of("provider_assigned") and repo.employee("main").held == 0
    assert uow.events_of("employee_queued")[0]["reason"] == "every employee with the role has switched off new work"


def test_DSP1_held_counts_include_projects_the_vendor_delivered_itself_before_providers_were_added(uow, repo):
    for project_id in ("p1", "p2", "p3"):
        _reach(uow, "assign_provider", project_id=project_id)
    assert {e["rule"] for e in uow.events_of("provider_assigned")} == {"vendor_self"}
    handlers.set_product_providers(OPERATOR, {"product_id": "prod", "vendor_id": "vendor", "providers": [
        {"provider_id": "vendor", "weight": 1, "max_held": 4}, {"provider_id": "other", "weight": 1, "max_held": 4}]},
        uow)
    rows = {r["provider_id"]: r["held"] for r in handlers.get_product_providers(OPERATOR, "prod", uow)}
    assert rows == {"vendor": 3, "other": 0}
    handlers.project_closed(_event("project_completed", {"project_id": "p1"}), {"project_id": "p1"}, uow)
    assert repo.product("prod").links["vendor"].held == 2


def test_DSP5_a_deactivated_employee_hands_its_projects_on_by_the_dispatch_rule(uow, repo):
    for user in (_user("e1"), _user("e2")):
        handlers.user_changed(_event("user_created", user), user, uow)
    handlers.set_employee_settings(OPERATOR, "e2", {"open": False}, uow)
    for project_id in ("p1", "p2"):
        _reach(uow, "assign_order", project_id=project_id, provider_id="prov", settings={"role": DESIGNER})
    assert repo.employee("e1").held == 2
    handlers.set_employee_settings(OPERATOR, "e2", {"open": True}, uow)
    gone = {**_user("e1", active=False), "changed": ["active"]}
    handlers.user_changed(_event("user_updated", gone), gone, uow)
    key, payload = "e1", uow.deadlines[("reassign_operator", "e1")][1]
    assert handlers.reassign_due(key, payload, uow) == 2
    handed = uow.events_of("employee_assigned")[-2:]
    assert {(e["project_id"], e["user_id"], e["rule"]) for e in handed} == {
        ("p1", "e2", "reassigned"), ("p2", "e2", "reassigned")}
    assert repo.employee("e1").held == 0 and repo.employee("e2").held == 2


def test_DSP4_a_self_served_provider_whose_main_account_dispatch_does_not_know_is_not_held_up(uow, repo):
    _self_served(uow, "p1")
    assert [e["project_id"] for e in uow.events_of("provider_assigned")] == ["p1"]
    assert not uow.events_of("employee_queued")


def test_DSP1_a_person_relates_only_organisations_dispatch_knows_as_isvs_as_providers(uow, repo):
    """A missing organisation, or a customer one (identity never tells dispatch of its users as
    employees), named as a provider or a vendor is refused with the field named; nothing is kept."""
    operator = Actor("op", "platform", "operator", ("platform_operator",))
    handlers.user_changed(_event("user_created", _user("v-admin", (VENDOR_ADMIN,), org_id="vendor")),
                          _user("v-admin", (VENDOR_ADMIN,), org_id="vendor"), uow)
    handlers.user_changed(_event("user_created", _user("p-admin", (PROVIDER_ADMIN,), org_id="prov")),
                          _user("p-admin", (PROVIDER_ADMIN,), org_id="prov"), uow)
    customer = {**_user("c-admin", org_id="cust"), "org_kind": "customer"}
    handlers.user_changed(_event("user_created", customer), customer, uow)
    for bad in ("nobody", "cust"):
        with pytest.raises(UnknownProvider) as refused:
            handlers.set_product_providers(operator, {"product_id": "prod", "vendor_id": "vendor", "providers": [
                {"provider_id": "prov", "weight": 1, "max_held": 5},
                {"provider_id": bad, "weight": 1, "max_held": 5}]}, uow)
        assert set(refused.value.fields) == {"providers[1].provider_id"}
    with pytest.raises(UnknownProvider) as refused:
        handlers.set_product_providers(operator, {"product_id": "prod", "vendor_id": "cust", "providers": [
            {"provider_id": "prov", "weight": 1, "max_held": 5}]}, uow)
    assert set(refused.value.fields) == {"vendor_id"}
    assert "prod" not in repo.products
    handlers.set_product_providers(operator, {"product_id": "prod", "vendor_id": "vendor", "providers": [
        {"provider_id": "prov", "weight": 1, "max_held": 5}]}, uow)
    assert set(repo.products["prod"].links) == {"prov"}
