"""ORG-7: one rule decides who sees an order, on its page, in lists, exports and statements."""
from dataclasses import dataclass

import pytest

from billing_svc.domain.access import may_see_order, operator_actions_seen_by, order_scope
from platform_contracts.actor import Actor
from platform_contracts.roles import CUSTOMER, CUSTOMER_ROLE, ISV, OPERATOR, PLATFORM_OPERATOR, PROVIDER_ADMIN


@dataclass
class Order:
    customer_id: str
    supplier_id: str


ORDER = Order(customer_id="cust", supplier_id="isv")
OPERATOR_ACTOR = Actor("op", "platform", OPERATOR, (PLATFORM_OPERATOR,))


@pytest.mark.parametrize("actor, sees", [
    (OPERATOR_ACTOR, True),
    (Actor("u1", "cust", CUSTOMER, (CUSTOMER_ROLE,)), True),
    (Actor("u2", "isv", ISV, (PROVIDER_ADMIN,)), True),
    (Actor("u3", "other-cust", CUSTOMER, (CUSTOMER_ROLE,)), False),
    (Actor("u4", "other-isv", ISV, (PROVIDER_ADMIN,)), False),
    # an ISV named as the customer of an order is no customer organisation: neither the list nor
    # the page shows it the order (before, the page did and the list did not)
    (Actor("u5", "cust", ISV, (PROVIDER_ADMIN,)), False),
])
def test_ORG7_the_page_and_the_list_scope_agree_for_every_party(actor, sees):
    assert may_see_order(actor, ORDER) is sees
    scope = order_scope(actor)
    assert all(getattr(ORDER, k) == v for k, v in scope.items()) is sees


def test_ORG7_parties_see_what_the_operator_did_but_not_who():
    actions = [{"key": "payout:1", "action": "retry", "by": "op-user", "at": "t", "note": ""}]
    assert operator_actions_seen_by(OPERATOR_ACTOR, actions) == actions
    seen = operator_actions_seen_by(Actor("u1", "cust", CUSTOMER, (CUSTOMER_ROLE,)), actions)
    assert seen == [{"key": "payout:1", "action": "retry", "at": "t", "note": ""}]
