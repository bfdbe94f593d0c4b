"""Staged payments of professional-service contracts (BIL-12, seeds 003/004). Pure Python.

A contract for a delivery project is split into stages (首期款, per-module payments, 尾款), each
tied to a milestone: a confirm node of the project's flow, named by its key. The milestone is
accepted when the flow moves past that node, i.e. when project_svc reports a node reached whose
index is greater than the milestone's. Events may arrive in any order, so the contract remembers
every node reached (key → index) and decides whenever it learns something new.

A contract is *proposed* by the project's vendor and binds nothing until the project's customer
accepts it (BIL-12): a proposed or declined contract's stages never fall due, alert or get charged.
Progress seen while it was proposed counts when it is accepted.

A due stage not paid within ``terms_days`` is overdue; the alert repeats once per
``overdue_period_days`` until it is paid.

Paying a stage is a real movement, the same as an order's: the amount is withheld from the
customer's enterprise payment account through the payment provider, then paid out to the supplier,
each step with its own idempotency key (``stage:<contract>:<stage>:withhold:<n>``,
``…:payout:<n>``) used both at the provider and for its balanced ledger transfer. The stage is
paid (and its overdue alerts stop) when the withholding succeeded; a failed withholding leaves it
due, so the alerts go on once per period until a later attempt succeeds.

No step retries for ever (``domain.retries``, as for an order's steps): a step the provider does
not answer is asked again after an exponential back-off until its budget or its answer deadline
is spent, and a payout the provider refuses is tried again under a new key until its budget is
spent; then the step stops (``stuck``) for the operator, who retries, fails or voids it. Each
stage keeps the operator's actions on its steps (the audit trail).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from billing_svc.domain import money
from billing_svc.domain.orders import (
    OPERATOR_ACTIONS,
    PAYOUT,
    RETRY,
    SENT,
    STEP_FAILED,
    STEP_STUCK,
    STEP_SUCCEEDED,
    STEP_VOIDED,
    TO_SEND,
    WITHHOLD,
    MovedBySteps,
    PaymentRequest,
    PaymentStep,
    StepOutcome,
    step_unanswered,
)
from billing_svc.domain.retries import DEFAULT_POLICY, RetryPolicy
from billing_svc.exceptions import BadInput, WrongState

WAITING, DUE, PAID = "waiting", "due", "paid"
PROPOSED, ACCEPTED, DECLINED = "proposed", "accepted", "declined"
CONTRACT_STATUSES = (PROPOSED, ACCEPTED, DECLINED)
STATUS_ZH = {PROPOSED: "待客户确认", ACCEPTED: "已被客户接受", DECLINED: "已被客户拒绝"}
STAGE_KEY_PREFIX = "stage:"


def is_stage_key(key: str) -> bool:
    """A provider payment key of a stage (an order's keys start with withhold:, payout:, refund:)."""
    return key.startswith(STAGE_KEY_PREFIX)


@dataclass
class Stage(MovedBySteps):
    key: str
    name: str
    amount: int
    milestone_node_key: str
    status: str = WAITING
    due_at: datetime | None = None
    paid_at: datetime | None = None
    alerts_sent: int = 0
    steps: list[PaymentStep] = field(default_factory=list)
    operator_actions: list[dict] = field(default_factory=list)   # {key, action, by, at, note}: the audit trail

    @property
    def payment(self) -> str:
        """none | pending | failed (the last withholding failed) | stuck (a withholding waits for
        the operator) | paid | paid_out."""
        withholds = [s for s in self.steps if s.kind == WITHHOLD]
        if not withholds:
            return "none"
        if self.paid_out:
            return "paid_out"
        return {STEP_SUCCEEDED: "paid", STEP_FAILED: "failed", STEP_STUCK: "stuck"}.get(withholds[-1].status,
                                                                                         "pending")

    def open_step(self) -> PaymentStep | None:
        return next((s for s in self.steps if s.status in (TO_SEND, SENT)), None)

    def stuck_steps(self) -> list[PaymentStep]:
        return [s for s in self.steps if s.status == STEP_STUCK]

    def last_action(self, key: str) -> str | None:
        return next((a["action"] for a in reversed(self.operator_actions) if a["key"] == key), None)

    def record_action(self, key: str, action: str, by: str, at: datetime, note: str = "") -> None:
        self.operator_actions.append({"key": key, "action": action, "by": by, "at": at.isoformat(), "note": note})


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
    status: str = PROPOSED
    decided_at: datetime | None = None
    decided_by: str | None = None

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

    def decide(self, accept: bool, by: str, at: datetime) -> list[Stage]:
        """The customer accepts or declines the proposal, once; returns the stages that fell due
        at acceptance (their milestones were passed while it was proposed)."""
        if self.status != PROPOSED:
            raise WrongState(f"该分期合同{STATUS_ZH[self.status]}，不能再次处理 / The contract is already "
                             f"{self.status}.", {"status": [self.status]})
        self.status, self.decided_at, self.decided_by = (ACCEPTED if accept else DECLINED), at, by
        return self.evaluate(at)

    def evaluate(self, at: datetime) -> list[Stage]:
        """Stages whose milestone the flow has passed, by what is known now; returns those that fell due.
        Nothing falls due before the customer accepted the contract."""
        if self.status != ACCEPTED:
            return []
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

    # --- paying a stage through the provider and the ledger -------------------------------------

    def collect(self, key: str) -> PaymentStep:
        """Start withholding a due stage from the customer. A stage whose payment is already under
        way returns that step (asking twice withholds once)."""
        stage = self.stage(key)
        if self.status != ACCEPTED:
            raise WrongState(f"该分期合同{STATUS_ZH[self.status]}，客户接受前任何一期都不能扣款 / The contract is "
                             f"{self.status}: only an accepted contract's stages are paid.", {"status": [self.status]})
        if stage.status != DUE:
            raise WrongState(f"Stage {key} is {stage.status}; only a due stage is paid.")
        open_step = stage.open_step()
        if open_step is not None:
            return open_step
        if any(s.kind == WITHHOLD for s in stage.stuck_steps()):
            # it may have been executed: a new key could withhold twice; the operator decides first
            raise WrongState(f"阶段 {key} 的代扣已停止重试，等待平台运营人员处理 / The withholding of stage {key} is "
                             "stuck and waits for the platform operator.", {"stage": ["withholding stuck"]})
        attempt = sum(1 for s in stage.steps if s.kind == WITHHOLD) + 1
        step = PaymentStep(f"{STAGE_KEY_PREFIX}{self.id}:{stage.key}:withhold:{attempt}", WITHHOLD, stage.amount)
        stage.steps.append(step)
        return step

    def next_step(self) -> tuple[Stage, PaymentStep] | None:
        """The first payment step of any stage still to send or without a final answer."""
        for stage in self.stages:
            step = stage.open_step()
            if step is not None:
                return stage, step
        return None

    def step(self, key: str) -> tuple[Stage, PaymentStep] | None:
        for stage in self.stages:
            for step in stage.steps:
                if step.key == key:
                    return stage, step
        return None

    def request_for(self, step: PaymentStep) -> PaymentRequest:
        c, s = money.customer_party(self.customer_id), money.supplier_party(self.supplier_id)
        payer, payee = (c, "platform") if step.kind == WITHHOLD else ("platform", s)
        return PaymentRequest(step.key, step.kind, payer, payee, step.amount, self.currency, self.id)

    def mark_sent(self, key: str, at: datetime | None = None) -> PaymentStep:
        found = self.step(key)
        if found is None:
            raise WrongState(f"Payment step {key} is not open.")
        return found[1].send(at)

    def unanswered(self, key: str, at: datetime, policy: RetryPolicy = DEFAULT_POLICY,
                   processing: bool = False) -> datetime | None:
        """A sent step got no final answer (none, a 5xx, ``processing``): when to ask again, or
        None when it stopped (``stuck``) or is not open; as ``Order.unanswered``."""
        found = self.step(key)
        return step_unanswered(found[1] if found else None, at, policy, processing)

    def answer(self, key: str, succeeded: bool, at: datetime, provider_ref: str | None = None,
               policy: RetryPolicy = DEFAULT_POLICY, retry: bool = True) -> StepOutcome:
        """The provider's final answer for a stage's step (reply, query or notice); a step already
        settled changes nothing. A paid withholding pays the stage and starts the payout. A refused
        payout is tried again under a new key after a back-off until the budget is spent: then the
        next attempt waits ``stuck`` for the operator (``retry=False``: the operator failed it)."""
        outcome = StepOutcome()
        found = self.step(key)
        if found is None or found[1].status in (STEP_SUCCEEDED, STEP_FAILED, STEP_VOIDED):
            return outcome
        stage, step = found
        step.status, step.provider_ref = (STEP_SUCCEEDED if succeeded else STEP_FAILED), provider_ref
        attempt = sum(1 for s in stage.steps if s.kind == step.kind)
        if step.kind == WITHHOLD:
            if succeeded:
                outcome.transfers.append((key, money.withhold_postings(self.customer_id, step.amount, self.currency)))
                stage.status, stage.paid_at = PAID, at
                stage.steps.append(PaymentStep(f"{STAGE_KEY_PREFIX}{self.id}:{stage.key}:payout:1", PAYOUT,
                                               step.amount))
            else:
                outcome.events.append(("stage_withholding_failed", {"stage_key": stage.key, "attempt": attempt}))
        elif succeeded:
            outcome.transfers.append((key, money.payout_postings(self.supplier_id, step.amount, self.currency)))
        elif retry:
            # the money is in clearing: paying the supplier again under a new key is safe
            failures = sum(1 for s in stage.steps if s.kind == PAYOUT and s.status == STEP_FAILED)
            again = PaymentStep(f"{STAGE_KEY_PREFIX}{self.id}:{stage.key}:payout:{attempt + 1}", PAYOUT, step.amount)
            if policy.exhausted(failures):
                again.status = STEP_STUCK
                outcome.stuck.append(again)
            else:
                outcome.retry_after = failures
            stage.steps.append(again)
        return outcome

    def resolve_step(self, key: str, action: str, by: str, at: datetime) -> StepOutcome | None:
        """retry | fail | void of a stuck step of a stage, as ``Order.resolve_step``; None when it
        repeats the operator's last action on a step that is no longer stuck (nothing changes).

        retry: a fresh budget (a step that went out is asked about first, never resent blindly);
        fail: a withholding counts as failed (the stage stays due, the customer pays it again), a
        payout stays unpaid with its money in clearing, no further attempt; void: a payout is
        withdrawn, nothing moves (a withholding cannot be voided: fail it)."""
        if action not in OPERATOR_ACTIONS:
            raise WrongState(f"Unknown action {action}.")
        found = self.step(key)
        if found is None:
            raise WrongState(f"Contract {self.id} has no payment step {key}.")
        stage, step = found
        if step.status != STEP_STUCK:
            if stage.last_action(key) == action:
                return None
            raise WrongState(f"Payment step {key} is {step.status}, not stuck.")
        outcome = StepOutcome()
        if action == RETRY:
            step.reopen(at)
        elif action == "fail":
            outcome = self.answer(key, False, at, retry=False)
        else:
            if step.kind == WITHHOLD:
                raise WrongState(f"A {step.kind} step cannot be voided; fail it instead.",
                                 {"action": ["void is for payouts; use fail"]})
            step.status = STEP_VOIDED
        stage.record_action(key, action, by, at)
        return outcome

    def stuck_steps(self) -> list[tuple[Stage, PaymentStep]]:
        return [(stage, step) for stage in self.stages for step in stage.stuck_steps()]

    def overdue_alert(self, key: str, now: datetime) -> tuple[bool, datetime | None]:
        """Whether to alert now for this stage, and when to look again (None: never)."""
        stage = self.stage(key)
        if self.status != ACCEPTED or stage.status != DUE or stage.due_at is None:
            return False, None
        if now < stage.due_at:
            return False, stage.due_at
        period = timedelta(days=self.overdue_period_days)
        periods_passed = int((now - stage.due_at) / period) + 1
        alert = periods_passed > stage.alerts_sent
        if alert:
            stage.alerts_sent = periods_passed
        return alert, stage.due_at + period * periods_passed
