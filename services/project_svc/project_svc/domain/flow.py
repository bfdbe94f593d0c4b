"""Reading a frozen flow (platform_contracts.nodes): the steps a project walks, in order. Pure Python.

A container is not a step of its own: it runs its children in order, so the flow is walked as
the depth-first list of its leaf nodes, each remembering the container it sits in. Rejecting
back to "the previous step" is then the nearest earlier step a person does, whether or not a
container boundary lies between (``platform_contracts.nodes.reject_target``, which the template's
check uses too).
"""
from __future__ import annotations

from decimal import Decimal

from platform_contracts import nodes
from platform_contracts.nodes import (
    ASSIGN_ORDER,
    COMPLETE_PROJECT,
    CONFIRM,
    CONTAINER,
    CUSTOMER_SIDE,
    GENERIC,
    PROVIDER_SIDE,
    SUBMIT_REQUIREMENTS,
)

SYSTEM_KINDS = nodes.SYSTEM_KINDS


def steps_of(nodes: list[dict], parent: str | None = None) -> list[dict]:
    """The leaf nodes in walking order, each with ``parent`` (the container key or None)."""
    steps: list[dict] = []
    for node in nodes:
        if node.get("kind") == CONTAINER:
            steps.extend(steps_of(node.get("children") or [], node["key"]))
        else:
            steps.append({**node, "parent": parent})
    return steps


def settings_of(node: dict) -> dict:
    return node.get("settings") or {}


def side_of(node: dict) -> str:
    """Who owes the next step at this node: the customer or the provider side (PRJ-3 late mark)."""
    kind = node["kind"]
    if kind in (SUBMIT_REQUIREMENTS, COMPLETE_PROJECT):
        return CUSTOMER_SIDE
    if kind == CONFIRM:
        return settings_of(node).get("side") or CUSTOMER_SIDE
    if kind == GENERIC:
        return settings_of(node).get("side") or PROVIDER_SIDE
    return PROVIDER_SIDE


def role_of(node: dict) -> str | None:
    return settings_of(node).get("role") or node.get("role")


def timeout_days(node: dict) -> Decimal | None:
    value = settings_of(node).get("timeout_days")
    if value in (None, "", 0):
        return None
    return Decimal(str(value))


def allows_reject(node: dict) -> bool:
    return node["kind"] in (CONFIRM, COMPLETE_PROJECT) and bool(settings_of(node).get("allow_reject"))


def reminders_of(node: dict, trigger: str) -> list[dict]:
    return [r for r in node.get("reminders") or [] if r.get("trigger") == trigger]


def has_assign_order(nodes: list[dict]) -> bool:
    return any(step["kind"] == ASSIGN_ORDER for step in steps_of(nodes))
