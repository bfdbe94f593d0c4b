"""Staged payments of professional-service contracts (BIL-12, seeds 003/004). Pure Python.

A contract for a delivery project is split into stages (首期款, per-module payments, 尾款), each
tied to a milestone: a confirm node of the project's flow, named by its key. The milestone is
accepted when the flow moves past that node, i.e. when project_svc reports a node reached whose
index is greater than the milestone's. Events may arrive in any order, so the contract remembers
every node reached (key → index) and decides whenever it learns something new.

A due stage not paid within ``terms_days`` is overdue; the alert repeats once per
``overdue_period_days`` until it is paid.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from billing_svc.exceptions import BadInput, WrongState

WAITING, DUE, PAID = "waiting", "due", "paid"


@dataclass
class Stage:
    key: str
    name: str
    amount: int
    milestone_node_key: str
    status: str = WAITING
    due_at: datetime | None = None
    paid_at: datetime | None = None
    alerts_sent: int = 0


@dataclass
class StagedContract:
    id: str
    project_id: str
    customer_id: str
    supplier_id: str
    currency: str
    terms_days: int
    overdue_period_days: int
    stages: list[Stage]
    reached: dict[str, int] = field(default_factory=dict)
    accepted: list[str] = field(default_factory=list)   # confirm nodes reported passed (node_completed)

    def __post_init__(self) -> None:
        if not self.stages:
            raise BadInput("A staged contract has at least one stage.", {"stages": ["empty"]})
        if len({s.key for s in self.stages}) != len(self.stages):
            raise BadInput("Stage keys are unique.", {"stages": ["duplicate key"]})

    @property
    def total(self) -> int:
        return sum(s.amount for s in self.stages)

    def node_reached(self, node_key: str, node_index: int, at: datetime) -> list[Stage]:
        """Remember the node; returns the stages that fell due now."""
        self.reached[node_key] = max(node_index, self.reached.get(node_key, node_index))
        return self.evaluate(at)

    def milestone_passed(self, node_key: str, at: datetime) -> list[Stage]:
        """project_svc reported the confirm node passed (``node_completed``): the milestone is
        accepted without waiting for the next node. Returns the stages that fell due now."""
        if node_key not in self.accepted:
            self.accepted.append(node_key)
        return self.evaluate(at)

    def evaluate(self, at: datetime) -> list[Stage]:
        """Stages whose milestone the flow has passed, by what is known now; returns those that fell due."""
        furthest = max(self.reached.values(), default=-1)
        fell_due = []
        for stage in self.stages:
            milestone = self.reached.get(stage.milestone_node_key)
            passed = stage.milestone_node_key in self.accepted or (milestone is not None and furthest > milestone)
            if stage.status == WAITING and passed:
                stage.status, stage.due_at = DUE, at + timedelta(days=self.terms_days)
                fell_due.append(stage)
        return fell_due

    def stage(self, key: str) -> Stage:
        found = next((s for s in self.stages if s.key == key), None)
        if found is None:
            raise BadInput(f"Contract {self.id} has no stage {key}.", {"stage": ["unknown"]})
        return found

    def pay(self, key: str, at: datetime) -> Stage:
        stage = self.stage(key)
        if stage.status != DUE:
            raise WrongState(f"Stage {key} is {stage.status}; only a due stage is paid.")
        stage.status, stage.paid_at = PAID, at
        return stage

    def overdue_alert(self, key: str, now: datetime) -> tuple[bool, datetime | None]:
        """Whether to alert now for this stage, and when to look again (None: never)."""
        stage = self.stage(key)
        if stage.status != DUE or stage.due_at is None:
            return False, None
        if now < stage.due_at:
            return False, stage.due_at
        period = timedelta(days=self.overdue_period_days)
        periods_passed = int((now - stage.due_at) / period) + 1
        alert = periods_passed > stage.alerts_sent
        if alert:
            stage.alerts_sent = periods_passed
        return alert, stage.due_at + period * periods_passed
