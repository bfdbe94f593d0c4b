"""The delivery project and how it walks its flow (PRJ-1, PRJ-2). Pure Python.

A project holds a snapshot of the template version it started on, so a later edit of the
template never changes a running project (TPL-1). ``round`` counts flow restarts (a change of
provider restarts the flow, PRJ-5): replies from dispatch carry the round they answer, and a
reply to an earlier round is ignored.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

QUEUED, IN_PROGRESS, PAUSED, COMPLETED, CANCELLED = "queued", "in_progress", "paused", "completed", "cancelled"
STATUSES = (QUEUED, IN_PROGRESS, PAUSED, COMPLETED, CANCELLED)


class ProjectStateError(Exception):
    """A transition that the project's current state does not allow."""


@dataclass
class LogEntry:
    at: datetime
    action: str
    node_key: str | None
    actor: str
    note: str = ""


@dataclass
class Project:
    id: str
    order_id: str
    product_id: str
    vendor_id: str
    customer_id: str
    template_id: str
    template_version: int
    nodes: list[dict]
    status: str = IN_PROGRESS
    current_index: int = 0
    round: int = 1
    provider_id: str | None = None
    log: list[LogEntry] = field(default_factory=list)

    @property
    def current_node(self) -> dict:
        return self.nodes[self.current_index]

    def start(self, now: datetime) -> dict:
        """PRJ-1: a new project stands at 'assign provider'."""
        if self.current_node["kind"] != "assign_provider":
            raise ProjectStateError("a flow must start with 'assign provider'")
        self.log.append(LogEntry(now, "created", self.current_node["key"], "marketplace"))
        return self.node_reached()

    def node_reached(self) -> dict:
        node = self.current_node
        return {
            "project_id": self.id, "order_id": self.order_id, "product_id": self.product_id,
            "vendor_id": self.vendor_id, "customer_id": self.customer_id, "provider_id": self.provider_id,
            "node_key": node["key"], "node_kind": node["kind"], "node_name": node["name"],
            "node_index": self.current_index, "role": node.get("role"), "round": self.round,
        }

    def is_waiting_for_provider(self, node_key: str, round_: int) -> bool:
        return (self.status in (IN_PROGRESS, QUEUED) and self.round == round_
                and self.current_node["key"] == node_key and self.current_node["kind"] == "assign_provider")

    def assign_provider(self, provider_id: str, node_key: str, round_: int, now: datetime) -> dict | None:
        """Dispatch chose the provider: record it and move to the next node.

        Returns the ``node_reached`` data of the next node, or None when the reply is stale
        (another round, or the project already moved on).
        """
        if not self.is_waiting_for_provider(node_key, round_):
            return None
        self.provider_id = provider_id
        self.status = IN_PROGRESS
        self.log.append(LogEntry(now, "provider_assigned", node_key, "dispatch", f"provider {provider_id}"))
        return self.advance(now, actor="dispatch")

    def queue(self, node_key: str, round_: int, reason: str, now: datetime) -> bool:
        """DSP-3: no provider has capacity; the project waits in the queue."""
        if not self.is_waiting_for_provider(node_key, round_) or self.status == QUEUED:
            return False
        self.status = QUEUED
        self.log.append(LogEntry(now, "queued", node_key, "dispatch", reason))
        return True

    def advance(self, now: datetime, actor: str) -> dict | None:
        if self.current_index + 1 >= len(self.nodes):
            raise ProjectStateError("the project is already at its last node")
        self.current_index += 1
        self.log.append(LogEntry(now, "node_reached", self.current_node["key"], actor))
        return self.node_reached()
