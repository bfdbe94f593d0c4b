"""BIL-12: staged payments fall due from project_svc's node_reached events and raise overdue alerts
once per period (handlers against a fake unit of work)."""
from __future__ import annotations

import copy
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from billing_svc import handlers
from billing_svc.domain.ledger import Ledger
from billing_svc.domain.parties import Customer
from billing_svc.domain.retries import RetryPolicy
from billing_svc.exceptions import BadInput, BillingNotFound, NotAllowed, NotOnboarded, WrongState
from platform_contracts.actor import Actor
from platform_contracts.roles import CUSTOMER as CUSTOMER_KIND
from platform_contracts.roles import CUSTOMER_ROLE, ISV, PROVIDER_ADMIN, VENDOR_ADMIN
from platform_contracts.roles import OPERATOR as OPERATOR_KIND
from platform_kit.testing import FakeUnitOfWork

NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
SUPPLIER = Actor("u-sup", "org-sup", ISV, (VENDOR_ADMIN,))
CUSTOMER = Actor("u-cust", "org-cust", CUSTOMER_KIND, (CUSTOMER_ROLE,))


class FakeContracts:
    def __init__(self):
        self.contracts, self.reached, self.passed, self.projects = {}, {}, {}, {}

    def project(self, project_id):
        return copy.deepcopy(self.projects.get(project_id))

    def remember_project(self, project_id, vendor_id, customer_id, provider_id):
        known = self.projects.setdefault(project_id, {"project_id": project_id, "vendor_id": vendor_id,
                                                      "customer_id": customer_id, "provider_id": provider_id})
        known["provider_id"] = provider_id or known["provider_id"]

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

    def stuck(self, limit=50, offset=0):
        found = [copy.deepcopy(c) for c in self.contracts.values()
                 if any(s.status == "stuck" for stage in c.stages for s in stage.steps)]
        return found[offset:offset + limit], len(found)


class FakeLedger:
    """Accounts and transfers in memory, loaded and saved as the repository does."""

    def __init__(self):
        self.accounts, self.transfers = {}, {}

    def open_accounts(self, accounts):
        for account in accounts:
            self.accounts.setdefault(account.id, copy.deepcopy(account))

    def load(self, account_ids, keys=(), hold_ids=(), lock=None):
        ledger = Ledger(accounts={i: copy.deepcopy(self.accounts[i]) for i in account_ids if i in self.accounts})
        ledger.by_key = {k: self.transfers[k] for k in keys if k in self.transfers}
        return ledger

    def save(self, ledger):
        for transfer in ledger.new_transfers:
            assert transfer.key not in self.transfers, "one transfer per idempotency key"
            self.transfers[transfer.key] = transfer
            for posting in transfer.postings:
                self.accounts[posting.account_id].balance += posting.amount


class FakeCustomers:
    def __init__(self, *customers):
        self.customers = {c.id: c for c in customers}

    def get(self, customer_id, *, for_update=False):
        return copy.deepcopy(self.customers.get(customer_id))


def onboarded(customer_id="org-cust"):
    customer = Customer(customer_id)
    customer.sign(NOW, "alipay-ent-1", True, True)
    customer.confirm(NOW, "u-op")
    return customer


def billing_uow(*customers):
    return FakeUnitOfWork("billing", contracts=FakeContracts(), ledger=FakeLedger(),
                          customers=FakeCustomers(*customers))


def overdue_alerts(uow):
    return [e for e in uow.events_of("billing_notification_requested")
            if e["message_template"] == "billing payment overdue"]


def node_reached(uow, project_id, key, index, at=NOW):
    event = {"event_id": str(uuid.uuid4())}
    handlers.node_reached(event, {"project_id": project_id, "node_key": key, "node_index": index}, at, uow)
    return event


def project_created(uow, project_id, vendor_id="org-sup", customer_id="org-cust"):
    handlers.project_known({"project_id": project_id, "vendor_id": vendor_id, "customer_id": customer_id}, uow)


def propose(uow, project_id, actor=SUPPLIER, **body):
    return handlers.create_staged_contract(actor, {
        "project_id": project_id, "currency": "CNY", "terms_days": 5,
        "overdue_period_days": 7, "stages": [
            {"key": "first", "name": "首期款", "amount": 30000, "milestone_node_key": "confirm-kickoff"},
            {"key": "final", "name": "尾款", "amount": 70000, "milestone_node_key": "confirm-acceptance"}],
        **body}, NOW, uow)


def new_contract(uow, project_id):
    """Proposed by the project's vendor and accepted by its customer."""
    if uow.contracts.project(project_id) is None:
        project_created(uow, project_id)
    contract = propose(uow, project_id)
    return handlers.decide_staged_contract(CUSTOMER, contract.id, True, NOW, uow)


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
    uow = billing_uow(onboarded())
    contract = new_contract(uow, "prj-3")
    node_reached(uow, "prj-3", "confirm-kickoff", 2)
    node_reached(uow, "prj-3", "build", 3)
    due_at = NOW + timedelta(days=5)
    handlers.stage_overdue(contract.id, "first", due_at + timedelta(hours=1), uow)
    handlers.stage_overdue(contract.id, "first", due_at + timedelta(days=2), uow)    # same period: no repeat
    handlers.stage_overdue(contract.id, "first", due_at + timedelta(days=8), uow)
    alerts = overdue_alerts(uow)
    assert [a["message_template"] for a in alerts] == ["billing payment overdue"] * 2
    assert len({a["dedupe_key"] for a in alerts}) == 2 and all(a["urgent"] for a in alerts)
    handlers.collect_stage(CUSTOMER, contract.id, "first", due_at + timedelta(days=9), uow)
    request, must_query = handlers.next_stage_payment(contract.id, uow)
    handlers.record_stage_payment(contract.id, request.key, True, "pay-1", due_at + timedelta(days=9), uow)
    assert ("billing_stage_overdue", f"{contract.id}:first") not in uow.deadlines
    handlers.stage_overdue(contract.id, "first", due_at + timedelta(days=30), uow)
    assert len(overdue_alerts(uow)) == 2


def test_BIL12_paying_a_stage_is_a_withholding_and_a_payout_on_the_ledger_with_one_effect_per_key():
    uow = billing_uow(onboarded())
    contract = new_contract(uow, "prj-5")
    handlers.node_completed({"event_id": str(uuid.uuid4())}, {"project_id": "prj-5", "node_key": "confirm-kickoff",
                                                               "node_kind": "confirm"}, NOW, uow)
    handlers.collect_stage(CUSTOMER, contract.id, "first", NOW, uow)
    handlers.collect_stage(CUSTOMER, contract.id, "first", NOW, uow)          # asked twice: one withholding
    assert ("billing_stage_pay", contract.id) in uow.deadlines
    request, must_query = handlers.next_stage_payment(contract.id, uow)
    assert not must_query and request.key == f"stage:{contract.id}:first:withhold:1"
    assert (request.payer, request.amount) == ("customer:org-cust", 30000)
    again, must_query = handlers.next_stage_payment(contract.id, uow)
    assert again.key == request.key and must_query, "a step that went out is queried, never resent blindly"
    for _ in range(2):                  # the reply and the provider's notice: one effect
        handlers.record_stage_payment(contract.id, request.key, True, "pay-1", NOW, uow)
    payout, _ = handlers.next_stage_payment(contract.id, uow)
    assert payout.key == f"stage:{contract.id}:first:payout:1" and payout.payee == "supplier:org-sup"
    handlers.record_stage_payment(contract.id, payout.key, True, "pay-2", NOW, uow)
    assert handlers.next_stage_payment(contract.id, uow) is None
    ledger = uow.ledger
    assert set(ledger.transfers) == {request.key, payout.key}
    assert all(sum(p.amount for p in t.postings) == 0 for t in ledger.transfers.values())
    balances = {a.id: a.balance for a in ledger.accounts.values()}
    assert balances == {"customer:org-cust:CNY": -30000, "clearing:CNY": 0, "supplier:org-sup:CNY": 30000}
    stage = uow.contracts.get(contract.id).stage("first")
    assert (stage.status, stage.payment, stage.paid, stage.paid_out) == ("paid", "paid_out", 30000, 30000)


def test_BIL12_a_failed_stage_withholding_keeps_the_stage_due_and_alerted_once_per_period():
    uow = billing_uow(onboarded())
    contract = new_contract(uow, "prj-6")
    node_reached(uow, "prj-6", "confirm-kickoff", 2)
    node_reached(uow, "prj-6", "build", 3)
    due_at = NOW + timedelta(days=5)
    handlers.collect_stage(CUSTOMER, contract.id, "first", due_at, uow)
    request, _ = handlers.next_stage_payment(contract.id, uow)
    handlers.record_stage_payment(contract.id, request.key, False, None, due_at, uow)
    failed = [e for e in uow.events_of("billing_notification_requested")
              if e["message_template"] == "billing stage withholding failed"]
    assert len(failed) == 1 and uow.ledger.transfers == {}
    handlers.stage_overdue(contract.id, "first", due_at + timedelta(hours=1), uow)
    handlers.stage_overdue(contract.id, "first", due_at + timedelta(days=3), uow)   # same period
    handlers.stage_overdue(contract.id, "first", due_at + timedelta(days=7, hours=1), uow)
    overdue = [e for e in uow.events_of("billing_notification_requested")
               if e["message_template"] == "billing payment overdue"]
    assert len(overdue) == 2
    handlers.collect_stage(CUSTOMER, contract.id, "first", due_at + timedelta(days=8), uow)
    retry, _ = handlers.next_stage_payment(contract.id, uow)
    assert retry.key == f"stage:{contract.id}:first:withhold:2"


def test_BIL12_a_stage_is_not_paid_without_a_confirmed_withholding_agreement_nor_by_another_party():
    uow = billing_uow(Customer("org-cust"))
    contract = new_contract(uow, "prj-7")
    handlers.node_completed({"event_id": str(uuid.uuid4())}, {"project_id": "prj-7", "node_key": "confirm-kickoff",
                                                               "node_kind": "confirm"}, NOW, uow)
    with pytest.raises(NotOnboarded):
        handlers.collect_stage(CUSTOMER, contract.id, "first", NOW, uow)
    with pytest.raises(BillingNotFound):
        handlers.collect_stage(Actor("u-x", "org-other", CUSTOMER_KIND, (CUSTOMER_ROLE,)), contract.id, "first",
                               NOW, uow)
    assert ("billing_stage_pay", contract.id) not in uow.deadlines


def test_BIL12_a_node_reached_is_claimed_only_for_a_project_with_staged_contracts():
    uow = FakeUnitOfWork("billing", contracts=FakeContracts())
    node_reached(uow, "prj-none", "confirm-kickoff", 2)
    assert uow.claimed == set() and uow.committed, "progress kept, no processed_events row"
    assert uow.contracts.progress("prj-none")[0] == {"confirm-kickoff": 2}
    new_contract(uow, "prj-9")
    event = node_reached(uow, "prj-9", "confirm-kickoff", 2)
    node_reached(uow, "prj-9", "build", 3)
    handlers.node_reached(event, {"project_id": "prj-9", "node_key": "confirm-kickoff", "node_index": 2}, NOW, uow)
    assert len(uow.claimed) == 2
    assert [d["stage_key"] for d in uow.events_of("payment_stage_due")] == ["first"], "once, redelivered or not"


def test_BIL12_a_confirm_node_reported_passed_accepts_its_milestone_at_once():
    uow = FakeUnitOfWork("billing", contracts=FakeContracts())
    new_contract(uow, "prj-4")
    data = {"project_id": "prj-4", "order_id": "o", "node_key": "confirm-acceptance", "node_kind": "confirm",
            "node_name": "验收", "round": 1, "by": "u-1"}
    event = {"event_id": str(uuid.uuid4())}
    handlers.node_completed(event, data, NOW, uow)
    handlers.node_completed(event, data, NOW, uow)              # redelivered: nothing more
    assert [d["stage_key"] for d in uow.events_of("payment_stage_due")] == ["final"]
    claimed = len(uow.claimed)
    handlers.node_completed({"event_id": str(uuid.uuid4())}, {**data, "node_key": "confirm-kickoff",
                                                               "node_kind": "generic"}, NOW, uow)
    assert len(uow.events_of("payment_stage_due")) == 1, "only confirm nodes are milestones"
    assert len(uow.claimed) == claimed, "another node's event costs no transaction"


def test_BIL6_BIL12_a_provider_notice_is_applied_once_per_notice_id_and_once_per_key():
    uow = billing_uow(onboarded())
    contract = new_contract(uow, "prj-8")
    handlers.node_completed({"event_id": str(uuid.uuid4())}, {"project_id": "prj-8", "node_key": "confirm-kickoff",
                                                               "node_kind": "confirm"}, NOW, uow)
    handlers.collect_stage(CUSTOMER, contract.id, "first", NOW, uow)
    request, _ = handlers.next_stage_payment(contract.id, uow)
    notice = {"notice_id": str(uuid.uuid4()), "key": request.key, "order_id": contract.id, "status": "succeeded",
              "reference": "pay-1"}
    assert handlers.apply_provider_notice(notice, NOW, uow)["applied"] is True
    assert handlers.apply_provider_notice(notice, NOW, uow)["applied"] is False       # delivered twice
    other = {**notice, "notice_id": str(uuid.uuid4())}                               # a second notice, same key
    assert handlers.apply_provider_notice(other, NOW, uow)["applied"] is True
    assert list(uow.ledger.transfers) == [request.key], "one transfer for the key"
    assert uow.ledger.accounts["customer:org-cust:CNY"].balance == -30000


def test_BIL12_a_stranger_cannot_propose_a_contract_for_another_vendors_project_nor_for_an_unknown_one():
    uow = FakeUnitOfWork("billing", contracts=FakeContracts())
    project_created(uow, "prj-theirs", vendor_id="org-vendor")
    for project_id in ("prj-theirs", "prj-does-not-exist"):
        with pytest.raises(BillingNotFound):
            propose(uow, project_id)
    provider_admin = Actor("u-p", "org-vendor", ISV, (PROVIDER_ADMIN,))
    with pytest.raises(NotAllowed):
        propose(uow, "prj-theirs", actor=provider_admin)
    vendor = Actor("u-v", "org-vendor", ISV, (VENDOR_ADMIN,))
    with pytest.raises(BadInput):
        propose(uow, "prj-theirs", actor=vendor, customer_id="org-someone-else")
    assert uow.contracts.contracts == {}
    contract = propose(uow, "prj-theirs", actor=vendor)
    assert (contract.customer_id, contract.supplier_id, contract.status) == ("org-cust", "org-vendor", "proposed")
    assert [[r["org_id"] for r in e["receivers"]] for e in uow.events_of("billing_notification_requested")] == [
        ["org-cust"]], "the customer is told of the proposal"


def test_BIL12_a_proposed_contract_binds_nothing_until_the_customer_accepts_it():
    uow = billing_uow(onboarded())
    project_created(uow, "prj-10")
    contract = propose(uow, "prj-10")
    node_reached(uow, "prj-10", "confirm-kickoff", 2)
    node_reached(uow, "prj-10", "build", 3)
    assert uow.events_of("payment_stage_due") == []
    assert uow.contracts.get(contract.id).stage("first").status == "waiting"
    with pytest.raises(WrongState):
        handlers.collect_stage(CUSTOMER, contract.id, "first", NOW, uow)
    handlers.stage_overdue(contract.id, "first", NOW + timedelta(days=30), uow)
    assert [e for e in uow.events_of("billing_notification_requested")
            if e["message_template"] == "billing payment overdue"] == []
    with pytest.raises(BillingNotFound):        # only the project's customer decides
        handlers.decide_staged_contract(Actor("u-x", "org-other", CUSTOMER_KIND, (CUSTOMER_ROLE,)), contract.id,
                                        True, NOW, uow)
    with pytest.raises(BillingNotFound):
        handlers.decide_staged_contract(SUPPLIER, contract.id, True, NOW, uow)
    accepted = handlers.decide_staged_contract(CUSTOMER, contract.id, True, NOW, uow)
    assert accepted.status == "accepted"
    assert [d["stage_key"] for d in uow.events_of("payment_stage_due")] == ["first"], "passed while proposed"
    with pytest.raises(WrongState):
        handlers.decide_staged_contract(CUSTOMER, contract.id, False, NOW, uow)


def test_BIL12_a_declined_contract_never_falls_due():
    uow = billing_uow(onboarded())
    project_created(uow, "prj-11")
    contract = propose(uow, "prj-11")
    assert handlers.decide_staged_contract(CUSTOMER, contract.id, False, NOW, uow).status == "declined"
    handlers.node_completed({"event_id": str(uuid.uuid4())}, {"project_id": "prj-11", "node_key": "confirm-kickoff",
                                                               "node_kind": "confirm"}, NOW, uow)
    assert uow.events_of("payment_stage_due") == []
    with pytest.raises(WrongState):
        handlers.collect_stage(CUSTOMER, contract.id, "first", NOW, uow)


def test_BIL14_every_money_movement_of_a_stage_is_an_event_once():
    uow = billing_uow(onboarded())
    contract = new_contract(uow, "prj-12")
    handlers.node_completed({"event_id": str(uuid.uuid4())}, {"project_id": "prj-12", "node_key": "confirm-kickoff",
                                                               "node_kind": "confirm"}, NOW, uow)
    handlers.collect_stage(CUSTOMER, contract.id, "first", NOW, uow)
    failed, _ = handlers.next_stage_payment(contract.id, uow)
    handlers.record_stage_payment(contract.id, failed.key, False, None, NOW, uow)
    handlers.collect_stage(CUSTOMER, contract.id, "first", NOW, uow)
    withhold, _ = handlers.next_stage_payment(contract.id, uow)
    for _ in range(2):                  # the reply and the provider's notice: one movement
        handlers.record_stage_payment(contract.id, withhold.key, True, "pay-1", NOW, uow)
    payout, _ = handlers.next_stage_payment(contract.id, uow)
    handlers.record_stage_payment(contract.id, payout.key, True, "pay-2", NOW, uow)
    moved = [(e["movement_id"], e["amount"], e["currency"]) for t in ("withholding_failed", "withholding_succeeded",
                                                                      "payout_paid") for e in uow.events_of(t)]
    assert moved == [(failed.key, 30000, "CNY"), (withhold.key, 30000, "CNY"), (payout.key, 30000, "CNY")]
    assert uow.events_of("payout_paid")[0]["contract_id"] == contract.id
    assert uow.events_of("withholding_succeeded")[0]["provider_reference"] == "pay-1"


# --- BIL-6 for stages: every step toward the provider has a budget, then waits for the operator ---

SMALL = RetryPolicy(max_attempts=3, base_seconds=5, max_backoff_seconds=60, answer_deadline_seconds=3600)
OPERATOR = Actor("u-op", "org-op", OPERATOR_KIND, ())


def due_stage(uow, project_id):
    contract = new_contract(uow, project_id)
    handlers.node_completed({"event_id": str(uuid.uuid4())}, {"project_id": project_id, "node_key": "confirm-kickoff",
                                                               "node_kind": "confirm"}, NOW, uow)
    handlers.collect_stage(CUSTOMER, contract.id, "first", NOW, uow)
    return contract


def stuck_alerts(uow):
    return [{**e, "receivers": [{k: v for k, v in r.items() if v} for r in e["receivers"]]}
            for e in uow.events_of("billing_notification_requested")
            if e["message_template"] == "billing payment step stuck"]


def test_BIL6_BIL12_a_stage_payout_refused_again_and_again_backs_off_then_stops_and_alerts():
    uow = billing_uow(onboarded())
    contract = due_stage(uow, "prj-r1")
    withhold, _ = handlers.next_stage_payment(contract.id, uow, NOW)
    handlers.record_stage_payment(contract.id, withhold.key, True, "p-1", NOW, uow, SMALL)
    waits = []
    for attempt in range(1, 4):
        payout, must_query = handlers.next_stage_payment(contract.id, uow, NOW)
        assert payout.key.endswith(f":payout:{attempt}") and not must_query
        uow.deadlines.pop(("billing_stage_pay", contract.id), None)
        handlers.record_stage_payment(contract.id, payout.key, False, None, NOW, uow, SMALL)
        waits.append((uow.deadlines.get(("billing_stage_pay", contract.id)) or (None,))[0])
    assert waits[:2] == [NOW + timedelta(seconds=5), NOW + timedelta(seconds=10)], "exponential back-off"
    assert waits[2] is None and handlers.next_stage_payment(contract.id, uow, NOW) is None, "no fourth attempt"
    stage = uow.contracts.get(contract.id).stage("first")
    assert [s.status for s in stage.steps if s.kind == "payout"] == ["failed"] * 3 + ["stuck"]
    [told] = stuck_alerts(uow)
    assert told["receivers"] == [{"user_id": "u-op"}, {"org_id": "org-sup"}] and told["urgent"] is True
    assert told["variables"]["step_key"] == f"stage:{contract.id}:first:payout:4"
    listed, total = handlers.stuck_staged_contracts(OPERATOR, {"limit": 50, "offset": 0}, uow)
    assert total == 1 and listed[0].id == contract.id
    with pytest.raises(NotAllowed):
        handlers.stuck_staged_contracts(SUPPLIER, {"limit": 50, "offset": 0}, uow)


def test_BIL6_BIL12_a_stage_withholding_the_provider_never_answers_stops_after_its_budget_or_deadline():
    uow = billing_uow(onboarded())
    contract = due_stage(uow, "prj-r2")
    withhold, _ = handlers.next_stage_payment(contract.id, uow, NOW)
    again = [handlers.stage_payment_unanswered(contract.id, withhold.key, NOW, uow, SMALL) for _ in range(3)]
    assert again == [NOW + timedelta(seconds=5), NOW + timedelta(seconds=10), None]
    stage = uow.contracts.get(contract.id).stage("first")
    assert (stage.steps[0].status, stage.payment) == ("stuck", "stuck")
    assert [e["receivers"] for e in stuck_alerts(uow)] == [[{"user_id": "u-op"}]], "a withholding: the operator"
    with pytest.raises(WrongState):        # it may have been executed: no second withholding under a new key
        handlers.collect_stage(CUSTOMER, contract.id, "first", NOW, uow)
    # the deadline: 'processing' for ever stops too, whatever the attempts
    other = due_stage(uow, "prj-r3")
    step, _ = handlers.next_stage_payment(other.id, uow, NOW)
    assert handlers.stage_payment_unanswered(other.id, step.key, NOW, uow, SMALL, processing=True) is not None
    assert handlers.stage_payment_unanswered(other.id, step.key, NOW + timedelta(hours=1), uow, SMALL,
                                             processing=True) is None
    assert uow.contracts.get(other.id).stage("first").steps[0].status == "stuck"


def test_BIL6_BIL12_the_operator_retries_fails_or_voids_a_stuck_stage_step_once_and_audited():
    uow = billing_uow(onboarded())
    contract = due_stage(uow, "prj-r4")
    withhold, _ = handlers.next_stage_payment(contract.id, uow, NOW)
    for _ in range(3):
        handlers.stage_payment_unanswered(contract.id, withhold.key, NOW, uow, SMALL)
    with pytest.raises(NotAllowed):
        handlers.resolve_stage_step(SUPPLIER, contract.id, withhold.key, "retry", NOW, uow, SMALL)
    assert handlers.stage_step_to_resolve(OPERATOR, contract.id, withhold.key, "fail", uow) == withhold.key, \
        "a step that went out is asked about before it is failed"
    with pytest.raises(WrongState):
        handlers.resolve_stage_step(OPERATOR, contract.id, withhold.key, "void", NOW, uow, SMALL)
    _, changed = handlers.resolve_stage_step(OPERATOR, contract.id, withhold.key, "retry", NOW, uow, SMALL)
    _, again = handlers.resolve_stage_step(OPERATOR, contract.id, withhold.key, "retry", NOW, uow, SMALL)
    assert (changed, again) == (True, False), "a second click changes nothing"
    query, must_query = handlers.next_stage_payment(contract.id, uow, NOW)
    assert query.key == withhold.key and must_query, "retried by asking the provider, never sent blindly"
    # the provider had executed it: its answer, found when the operator asked, settles it
    handlers.record_stage_payment(contract.id, withhold.key, True, "p-1", NOW, uow, SMALL)
    for _ in range(3):
        payout, _ = handlers.next_stage_payment(contract.id, uow, NOW)
        handlers.record_stage_payment(contract.id, payout.key, False, None, NOW, uow, SMALL)
    stuck_key = f"stage:{contract.id}:first:payout:4"
    assert handlers.stage_step_to_resolve(OPERATOR, contract.id, stuck_key, "void", uow) is None, "never sent"
    _, changed = handlers.resolve_stage_step(OPERATOR, contract.id, stuck_key, "void", NOW, uow, SMALL)
    _, again = handlers.resolve_stage_step(OPERATOR, contract.id, stuck_key, "void", NOW, uow, SMALL)
    assert (changed, again) == (True, False)
    with pytest.raises(WrongState):
        handlers.resolve_stage_step(OPERATOR, contract.id, stuck_key, "fail", NOW, uow, SMALL)
    assert handlers.next_stage_payment(contract.id, uow, NOW) is None
    stage = uow.contracts.get(contract.id).stage("first")
    assert [(a["key"], a["action"], a["by"]) for a in stage.operator_actions] == [
        (withhold.key, "retry", "u-op"), (stuck_key, "void", "u-op")]
    audited = uow.events_of("payment_step_resolved")
    assert [(e["order_id"], e["step_key"], e["action"]) for e in audited] == [
        (contract.id, withhold.key, "retry"), (contract.id, stuck_key, "void")], "audited once per change"
    balances = {a.id: a.balance for a in uow.ledger.accounts.values()}
    assert balances["clearing:CNY"] == 30000 and balances["supplier:org-sup:CNY"] == 0, "the money stays in clearing"
    seen = handlers.get_staged_contract(CUSTOMER, contract.id, uow).stage("first")
    assert all("by" not in a for a in seen.operator_actions), "the parties see what was done, not by whom"


def test_BIL6_BIL12_the_operator_fails_a_stuck_stage_withholding_and_the_stage_stays_due():
    uow = billing_uow(onboarded())
    contract = due_stage(uow, "prj-r5")
    withhold, _ = handlers.next_stage_payment(contract.id, uow, NOW)
    for _ in range(3):
        handlers.stage_payment_unanswered(contract.id, withhold.key, NOW, uow, SMALL)
    # the provider never received it (known None): failed as the operator asked
    _, changed = handlers.resolve_stage_step(OPERATOR, contract.id, withhold.key, "fail", NOW, uow, SMALL)
    assert changed and uow.ledger.transfers == {}
    stage = uow.contracts.get(contract.id).stage("first")
    assert (stage.status, stage.payment) == ("due", "failed")
    assert [e["movement_id"] for e in uow.events_of("withholding_failed")] == [withhold.key], "a money event once"
    handlers.collect_stage(CUSTOMER, contract.id, "first", NOW, uow)
    retry, _ = handlers.next_stage_payment(contract.id, uow, NOW)
    assert retry.key == f"stage:{contract.id}:first:withhold:2"
