"""DSP-1, DSP-4, DSP-7, DSP-9, PRJ-6: the aggregates' rules, pure."""
import random
from datetime import UTC, datetime

import pytest

from dispatch_svc.domain.model import Employee, ProductProviders, ProjectDispatch, ProviderLink
from dispatch_svc.exceptions import (
    ClaimNotAllowed,
    InvalidCapacity,
    InvalidProviderSettings,
    NotYourProduct,
    OperatorChangeRefused,
    OrderNotClaimable,
    ProviderListChangeRefused,
)

NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


def _project(**kw) -> ProjectDispatch:
    return ProjectDispatch("p1", "o1", "prod", "vendor", "cust", **kw)


def test_DSP1_maximum_and_weight_out_of_range_are_refused_naming_each_field():
    product = ProductProviders("prod")
    with pytest.raises(InvalidProviderSettings) as refused:
        product.configure("vendor", [{"provider_id": "a", "weight": 0, "max_held": 2001},
                                     {"provider_id": "b", "weight": 5, "max_held": 0}], by_operator=True)
    assert set(refused.value.fields) == {"providers[0].weight", "providers[0].max_held", "providers[1].max_held"}


def test_DSP1_the_vendor_tunes_but_only_the_operator_changes_the_list():
    product = ProductProviders("prod")
    events = product.configure("vendor", [{"provider_id": "a", "weight": 20, "max_held": 3}], by_operator=True)
    assert [e for e, _ in events] == ["saturation_changed", "product_providers_set"]
    with pytest.raises(ProviderListChangeRefused):
        product.configure("vendor", [{"provider_id": "b", "weight": 1, "max_held": 3}], by_operator=False)
    with pytest.raises(NotYourProduct):
        product.configure("other", [{"provider_id": "a", "weight": 1, "max_held": 3}], by_operator=True)
    product.configure("vendor", [{"provider_id": "a", "weight": 30, "max_held": 3}], by_operator=False)
    assert product.links["a"].weight == 30


def test_DSP9_a_maximum_lowered_below_current_keeps_holdings_and_gives_nothing_new():
    product = ProductProviders("prod", "vendor", {"a": ProviderLink("a", 10, 5, held=4)})
    product.configure("vendor", [{"provider_id": "a", "weight": 10, "max_held": 2}], by_operator=False)
    link = product.links["a"]
    assert (link.held, link.kept_over) == (4, 4) and product.choose(random.Random(1)) is None
    for _ in range(2):
        product.release("a")
    assert (link.held, link.kept_over) == (2, 2) and product.choose(random.Random(1)) is None
    product.release("a")
    assert (link.held, link.kept_over) == (1, 1) and product.choose(random.Random(1)).provider_id == "a"


def test_DSP1_with_no_provider_configured_the_vendor_delivers_itself():
    project = _project()
    events = project.assign_provider("ap", 1, ProductProviders("prod"), None, NOW)
    assert events[0][1]["provider_id"] == "vendor" and events[0][1]["rule"] == "vendor_self"
    assert not project.provider_held


def test_DSP3_a_full_product_queues_once_and_assigns_when_capacity_appears():
    product = ProductProviders("prod", "vendor", {"a": ProviderLink("a", 10, 1, held=1)})
    project = _project()
    assert [e for e, _ in project.assign_provider("ap", 1, product, None, NOW)] == ["provider_queued"]
    assert project.assign_provider("ap", 1, product, None, NOW) == [], "the same wait is no news"
    product.release("a")
    assert [e for e, _ in project.assign_provider("ap", 1, product, None, NOW)] == \
        ["provider_assigned", "saturation_changed"]
    assert project.waiting is None and product.links["a"].held == 1


def test_DSP4_capacity_is_0_to_50():
    with pytest.raises(InvalidCapacity):
        Employee("u", "prov").set_capacity(51)
    employee = Employee("u", "prov", held=3)
    employee.set_capacity(1)
    assert (employee.held, employee.kept_over) == (3, 3) and not employee.can_take("x")


def _staffed_project(**kw):
    project = _project(provider_id="prov", provider_round=1, **kw)
    staff = [Employee("e1", "prov", roles=("designer",), department_id="d1"),
             Employee("e2", "prov", roles=("designer",), department_id="d2", held=1)]
    return project, staff


def test_DSP5_assign_order_holds_the_least_loaded_and_a_redelivery_holds_nothing_more():
    project, staff = _staffed_project()
    events = project.assign_employee("ao", 1, "designer", "provider_first", staff, {}, random.Random(1), NOW)
    assert events[0][0] == "employee_assigned" and events[0][1]["user_id"] == "e1"
    assert events[0][1]["rule"] == "least_loaded" and staff[0].held == 1
    assert project.assign_employee("ao", 1, "designer", "provider_first", staff, {}, None, NOW) == []
    assert staff[0].held == 1


def test_DSP6_department_first_dispatches_inside_the_claimers_department():
    project, staff = _staffed_project(claim_node_key="claim", claim_round=1)
    claimer = Employee("cm", "prov", roles=("customer_manager",), department_id="d2")
    assert project.claim(claimer, NOW)[1]["department_id"] == "d2"
    events = project.assign_employee("ao", 1, "designer", "department_first", staff, {"d1": None, "d2": None},
                                     None, NOW)
    assert events[0][1]["user_id"] == "e2" and events[0][1]["rule"] == "department_first"


def test_DSP7_claims_by_the_wrong_role_twice_or_off_the_claim_node_are_refused():
    project, _ = _staffed_project()
    manager = Employee("cm", "prov", roles=("customer_manager",))
    with pytest.raises(OrderNotClaimable):
        project.claim(manager, NOW)
    project.await_claim("claim", 1)
    with pytest.raises(ClaimNotAllowed):
        project.claim(Employee("d", "prov", roles=("designer",)), NOW)
    project.claim(manager, NOW)
    with pytest.raises(OrderNotClaimable):
        project.claim(manager, NOW)


def test_DSP9_closing_frees_the_provider_and_employee_holds_once():
    product = ProductProviders("prod", "vendor", {"a": ProviderLink("a", 10, 2)})
    project = _project()
    project.assign_provider("ap", 1, product, None, NOW)
    staff = [Employee("e1", "a", roles=("designer",))]
    project.assign_employee("ao", 1, "designer", "provider_first", staff, {}, None, NOW)
    by_id = {e.user_id: e for e in staff}
    events = project.close(product, by_id)
    assert [e for e, _ in events] == ["saturation_changed"]
    assert product.links["a"].held == 0 and staff[0].held == 0
    assert project.close(product, by_id) == []


def test_PRJ5_a_changed_provider_is_avoided_when_another_has_capacity():
    product = ProductProviders("prod", "vendor", {"a": ProviderLink("a", 1000, 5), "b": ProviderLink("b", 1, 5)})
    project = _project(provider_id="a", provider_round=1, provider_held=True, provider_rule="weighted")
    product.links["a"].held = 1
    project.change_provider(2, product, {})
    assert product.links["a"].held == 0 and project.excluded_provider_id == "a"
    events = project.assign_provider("ap", 2, product, random.Random(1), NOW)
    assert events[0][1]["provider_id"] == "b"


def test_PRJ6_change_operator_only_to_the_same_role_with_spare_capacity():
    project, staff = _staffed_project()
    project.assign_employee("ao", 1, "designer", "provider_first", staff, {}, None, NOW)
    old, other = staff
    with pytest.raises(OperatorChangeRefused):
        project.change_operator(Employee("x", "prov", roles=("engineer",)), old, None)
    with pytest.raises(OperatorChangeRefused):
        project.change_operator(Employee("y", "prov", roles=("designer",), capacity=1, held=1), old, None)
    event = project.change_operator(other, old, None)
    assert event[1]["user_id"] == "e2" and event[1]["rule"] == "manual"
    assert (old.held, other.held) == (0, 2)


def test_DSP9_a_new_rounds_node_arriving_before_the_provider_change_still_frees_the_old_hold():
    product = ProductProviders("prod", "vendor", {"a": ProviderLink("a", 1000, 5, held=1),
                                                  "b": ProviderLink("b", 1, 5)})
    project = _project(provider_id="a", provider_round=1, provider_held=True, provider_rule="weighted")
    events = project.assign_provider("ap", 2, product, random.Random(1), NOW)
    assert product.links["a"].held == 0 and events[0][1]["provider_id"] == "b"
    assert project.change_provider(2, product, {}) == [] and product.links["b"].held == 1
