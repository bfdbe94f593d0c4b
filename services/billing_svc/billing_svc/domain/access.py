"""Who sees which order, and which of its fields (ORG-7): one rule for the order's page, the list,
the export and the day's statement, pure Python.

``order_scope`` is the rule: the operator sees every order, a customer organisation the orders it
placed, any other organisation (a supplier: an ISV, or the platform selling as its own supplier)
the orders placed with it. The repository turns the scope into its WHERE clause; ``may_see_order``
applies the same scope to one order, so a page and a list can never disagree.
"""
from __future__ import annotations

from platform_contracts.actor import Actor
from platform_contracts.roles import CUSTOMER


def order_scope(actor: Actor) -> dict[str, str]:
    """The columns an order must match for the actor to see it (none for the operator)."""
    if actor.is_operator:
        return {}
    if actor.org_kind == CUSTOMER:
        return {"customer_id": actor.org_id}
    return {"supplier_id": actor.org_id}


def may_see_order(actor: Actor, order) -> bool:
    return all(getattr(order, column) == value for column, value in order_scope(actor).items())


def operator_actions_seen_by(actor: Actor, actions: list[dict]) -> list[dict]:
    """The parties see what the operator did to their order, not which of its people did it."""
    if actor.is_operator:
        return actions
    return [{k: v for k, v in a.items() if k != "by"} for a in actions]
