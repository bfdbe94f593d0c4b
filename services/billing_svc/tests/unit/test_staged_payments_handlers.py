"""BIL-12: staged payments fall due from project_svc's node_reached events and raise overdue alerts
once per period (handlers against a fake unit of work)."""
from __future__ import annotations

import copy
import uuid
from datetime import UTC, datetime, timedelta

from billing_svc import handlers
from platform_contracts.actor import Actor
from platform_contracts.roles import ISV, VENDOR_ADMIN
from platform_kit.testing import FakeUnitOfWork

NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
SUPPLIER = Actor("u-sup", "org-sup", ISV, (VENDOR_ADMIN,))


class FakeContracts:
    def __init__(self):
        self.contracts, self.reached, self.passed = {}, {}, {}

    def add(self, contract):
        self.contracts[contract.id] = copy.deepcopy(contract)

    def get(self, contract_id, *, for_update=False):
        return copy.deepcopy(self.contracts.get(contract_id))

    def of_project(self, project_id):
        return [copy.deepcopy(c) for c in self.contracts.values() if c.project_id == project_id]

    def save(self, contract):
        self.contracts[contract.id] = copy.deepcopy(contract)

    def progress(self, project_id):
        return dict(self.reached.get(project_id, {})), list(self.passed.get(project_id, []))

    def record_passed(self, project_id, node_key):
        self.passed.setdefault(project_id, []).append(node_key)

    def record_progress(self, project_id, node_key, node_index):
        self.reached.setdefault(project_id, {})[node_key] = node_index


def node_reached(uow, project_id, key, index, at=NOW):
    event = {"event_id": str(uuid.uuid4())}
    handlers.node_reached(event, {"project_id": project_id, "node_key": key, "node_index": index}, at, uow)
    return event


def new_contract(uow, project_id):
    return handlers.create_staged_contract(SUPPLIER, {
        "project_id": project_id, "customer_id": "org-cust", "currency": "CNY", "terms_days": 5,
        "overdue_period_days": 7, "stages": [
            {"key": "first", "name": "首期款", "amount": 30000, "milestone_node_key": "confirm-kickoff"},
            {"key": "final", "name": "尾款", "amount": 70000, "milestone_node_key": "confirm-acceptance"}]}, NOW, uow)


def test_BIL12_a_stage_falls_due_once_when_the_flow_passes_its_confirm_node():
    uow = FakeUnitOfWork("billing", contracts=FakeContracts())
    contract = new_contract(uow, "prj-1")
    node_reached(uow, "prj-1", "confirm-kickoff", 2)
    assert uow.events_of("payment_stage_due") == []
    event = node_reached(uow, "prj-1", "build", 3)
    due = uow.events_of("payment_stage_due")
    assert [(d["stage_key"], d["amount"]) for d in due] == [("first", 30000)]
    assert ("billing_stage_overdue", f"{contract.id}:first") in uow.deadlines
    handlers.node_reached(event, {"project_id": "prj-1", "node_key": "build", "node_index": 3}, NOW, uow)
    node_reached(uow, "prj-1", "deploy", 4)
    assert len(uow.events_of("payment_stage_due")) == 1, "a redelivered or later event does not repeat it"


def test_BIL12_progress_seen_before_the_contract_counts_when_it_is_created():
    uow = FakeUnitOfWork("billing", contracts=FakeContracts())
    node_reached(uow, "prj-2", "confirm-kickoff", 2)
    node_reached(uow, "prj-2", "build", 3)
    new_contract(uow, "prj-2")
    assert [d["stage_key"] for d in uow.events_of("payment_stage_due")] == ["first"]


def test_BIL12_an_unpaid_stage_is_alerted_once_per_overdue_period_until_paid():
    uow = FakeUnitOfWork("billing", contracts=FakeContracts())
    contract = new_contract(uow, "prj-3")
    node_reached(uow, "prj-3", "confirm-kickoff", 2)
    node_reached(uow, "prj-3", "build", 3)
    due_at = NOW + timedelta(days=5)
    handlers.stage_overdue(contract.id, "first", due_at + timedelta(hours=1), uow)
    handlers.stage_overdue(contract.id, "first", due_at + timedelta(days=2), uow)    # same period: no repeat
    handlers.stage_overdue(contract.id, "first", due_at + timedelta(days=8), uow)
    alerts = uow.events_of("billing_notification_requested")
    assert [a["message_template"] for a in alerts] == ["billing payment overdue"] * 2
    assert len({a["dedupe_key"] for a in alerts}) == 2 and all(a["urgent"] for a in alerts)
    handlers.pay_stage(SUPPLIER, contract.id, "first", due_at + timedelta(days=9), uow)
    assert ("billing_stage_overdue", f"{contract.id}:first") not in uow.deadlines
    handlers.stage_overdue(contract.id, "first", due_at + timedelta(days=30), uow)
    assert len(uow.events_of("billing_notification_requested")) == 2


def test_BIL12_a_confirm_node_reported_passed_accepts_its_milestone_at_once():
    uow = FakeUnitOfWork("billing", contracts=FakeContracts())
    new_contract(uow, "prj-4")
    data = {"project_id": "prj-4", "order_id": "o", "node_key": "confirm-acceptance", "node_kind": "confirm",
            "node_name": "验收", "round": 1, "by": "u-1"}
    event = {"event_id": str(uuid.uuid4())}
    handlers.node_completed(event, data, NOW, uow)
    handlers.node_completed(event, data, NOW, uow)              # redelivered: nothing more
    assert [d["stage_key"] for d in uow.events_of("payment_stage_due")] == ["final"]
    handlers.node_completed({"event_id": str(uuid.uuid4())}, {**data, "node_key": "confirm-kickoff",
                                                               "node_kind": "generic"}, NOW, uow)
    assert len(uow.events_of("payment_stage_due")) == 1, "only confirm nodes are milestones"
