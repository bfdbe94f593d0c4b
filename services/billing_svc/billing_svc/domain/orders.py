"""An enterprise customer's order and the money steps it goes through (BIL-4..BIL-7). Pure Python.

An order is placed with a credit hold, fulfilled by the supplier's system, then paid in steps at
the payment provider: withhold from the customer, pay out to the supplier, and, for a refund,
collect from the supplier and return to the customer. Each step has one idempotency key, used
both at the provider and for the ledger transfer it causes.

A step is ``to_send`` → ``sent`` → ``succeeded`` | ``failed``. ``sent`` is written (committed)
*before* the request goes out, so whoever finds a step ``sent`` (a retry after a time-out, a
crash, another replica) asks the provider what became of it instead of sending it again.

No step retries for ever (``domain.retries``): a step that exhausts its budget becomes ``stuck``
and waits for the operator, who retries it (a fresh budget), fails it (the consequences of a
failure, and no further attempt) or voids it (withdrawn: nothing moves). An answer that arrives
for a stuck step after all still settles it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from billing_svc.domain import money
from billing_svc.domain.ledger import Posting
from billing_svc.domain.retries import DEFAULT_POLICY, RetryPolicy
from billing_svc.exceptions import IdempotencyConflict, RefundTooLarge, WrongState

FULFILLING, SUCCEEDED, FAILED = "fulfilling", "succeeded", "failed"
ORDER_STATUSES = (FULFILLING, SUCCEEDED, FAILED)
TO_SEND, SENT, STEP_SUCCEEDED, STEP_FAILED = "to_send", "sent", "succeeded", "failed"
STEP_STUCK, STEP_VOIDED = "stuck", "voided"
WITHHOLD, PAYOUT, REFUND_COLLECT, REFUND_RETURN = "withhold", "payout", "refund_collect", "refund_return"
REFUND_PENDING, REFUND_COMPLETED, REFUND_FAILED = "pending", "completed", "failed"
# stopped: its return was failed by the operator after the supplier's money came in (it stays in
# clearing and still counts as refunded, so it is never collected twice); voided: withdrawn
# before anything moved (refundable again)
REFUND_STOPPED, REFUND_VOIDED = "stopped", "voided"
RETRY, FAIL, VOID = "retry", "fail", "void"
OPERATOR_ACTIONS = (RETRY, FAIL, VOID)


@dataclass
class PaymentStep:
    key: str
    kind: str
    amount: int
    status: str = TO_SEND
    refund_id: str | None = None
    provider_ref: str | None = None
    attempts: int = 0                 # tries without a final answer (no answer, 5xx, processing)
    first_sent_at: str | None = None  # ISO instant it first went out: its answer deadline counts from it
    was_sent: bool = False            # the provider may know it: settled by asking, never by guessing

    def send(self, at: datetime | None = None) -> PaymentStep:
        """The step goes (again) to the provider; its answer deadline counts from the first time."""
        if self.status not in (TO_SEND, SENT):
            raise WrongState(f"Payment step {self.key} is not open.")
        self.status, self.was_sent = SENT, True
        if self.first_sent_at is None and at is not None:
            self.first_sent_at = at.isoformat()
        return self

    def reopen(self, at: datetime) -> None:
        """The operator's retry of a stuck step: a fresh budget, and a fresh deadline if it went out."""
        self.status = SENT if self.was_sent else TO_SEND
        self.attempts, self.first_sent_at = 0, at.isoformat() if self.was_sent else None


def step_unanswered(step: PaymentStep | None, at: datetime, policy: RetryPolicy = DEFAULT_POLICY,
                    processing: bool = False) -> datetime | None:
    """A sent step (an order's or a stage's) got no final answer: when to ask again, or None when
    it stopped (``stuck``: its budget or its answer deadline spent) or is not open."""
    if step is None or step.status != SENT:
        return None
    step.attempts += 1
    first = datetime.fromisoformat(step.first_sent_at) if step.first_sent_at else at
    if at >= policy.answer_deadline(first) or (not processing and policy.exhausted(step.attempts)):
        step.status = STEP_STUCK
        return None
    return at + policy.backoff(step.attempts)


class MovedBySteps:
    """What an order's or a stage's payment steps moved: only the steps the provider confirmed count."""

    steps: list[PaymentStep]

    def _moved(self, kind: str) -> int:
        return sum(s.amount for s in self.steps if s.kind == kind and s.status == STEP_SUCCEEDED)

    @property
    def paid(self) -> int:
        """What was withheld from the customer."""
        return self._moved(WITHHOLD)

    @property
    def paid_out(self) -> int:
        """What was paid out to the supplier."""
        return self._moved(PAYOUT)


@dataclass
class PaymentRequest:
    """What the provider client sends: who pays whom, how much, under which key."""
    key: str
    kind: str
    payer: str
    payee: str
    amount: int
    currency: str
    order_id: str


@dataclass
class Refund:
    id: str
    amount: int
    reason: str
    requested_at: datetime
    status: str = REFUND_PENDING


@dataclass
class StepOutcome:
    """What answering a step causes outside the order: ledger transfers and the unpaid count."""
    transfers: list[tuple[str, tuple[Posting, ...]]] = field(default_factory=list)
    unpaid_delta: int = 0
    events: list[tuple[str, dict]] = field(default_factory=list)
    stuck: list[PaymentStep] = field(default_factory=list)    # steps that stopped for the operator
    retry_after: int = 0              # the failed attempts before the next step (its back-off)


@dataclass
class Order(MovedBySteps):
    id: str
    customer_id: str
    supplier_id: str
    product_id: str
    product_code: str
    amount: int
    currency: str
    idempotency_key: str
    created_at: datetime
    status: str = FULFILLING
    reason: str = ""
    hold_id: str | None = None
    supplier_ref: str | None = None
    finished_at: datetime | None = None
    steps: list[PaymentStep] = field(default_factory=list)
    refunds: list[Refund] = field(default_factory=list)
    fulfil_attempts: int = 0          # calls to the supplier's system that got no usable answer
    operator_actions: list[dict] = field(default_factory=list)   # {key, action, by, at, note}: the audit trail

    # --- fulfilment -------------------------------------------------------------------------

    def fulfilled(self, at: datetime, supplier_ref: str | None = None) -> bool:
        """The supplier delivered: the first withholding is due. False when already settled."""
        if self.status != FULFILLING:
            return False
        self.status, self.finished_at, self.supplier_ref = SUCCEEDED, at, supplier_ref
        self.steps.append(PaymentStep(f"withhold:{self.id}:1", WITHHOLD, self.amount))
        return True

    def failed(self, at: datetime, reason: str) -> bool:
        if self.status != FULFILLING:
            return False
        self.status, self.finished_at, self.reason = FAILED, at, reason
        return True

    def result(self) -> dict:
        """The result pushed to the customer's callback URL (BIL-9)."""
        return {"order_id": self.id, "customer_id": self.customer_id, "product_code": self.product_code,
                "supplier_id": self.supplier_id, "amount": self.amount, "currency": self.currency,
                "status": self.status, "reason": self.reason, "idempotency_key": self.idempotency_key}

    @property
    def reached_supplier(self) -> bool:
        """False for an order refused for credit (BIL-5): it failed without a hold, so was never sent."""
        return self.status != FAILED or self.hold_id is not None

    # --- money ------------------------------------------------------------------------------

    @property
    def refunded(self) -> int:
        """Refunds started and not failed or voided: what is no longer refundable."""
        return sum(r.amount for r in self.refunds if r.status not in (REFUND_FAILED, REFUND_VOIDED))

    @property
    def withholding(self) -> str:
        """none | pending | paid | failed (the last attempt failed: counts as unpaid, BIL-7)."""
        steps = [s for s in self.steps if s.kind == WITHHOLD]
        if not steps:
            return "none"
        last = steps[-1].status
        return {STEP_SUCCEEDED: "paid", STEP_FAILED: "failed", STEP_STUCK: "stuck"}.get(last, "pending")

    def next_step(self) -> PaymentStep | None:
        return next((s for s in self.steps if s.status in (TO_SEND, SENT)), None)

    def step(self, key: str) -> PaymentStep | None:
        return next((s for s in self.steps if s.key == key), None)

    def request_for(self, step: PaymentStep) -> PaymentRequest:
        c, s = money.customer_party(self.customer_id), money.supplier_party(self.supplier_id)
        payer, payee = {WITHHOLD: (c, "platform"), PAYOUT: ("platform", s), REFUND_COLLECT: (s, "platform"),
                        REFUND_RETURN: ("platform", c)}[step.kind]
        return PaymentRequest(step.key, step.kind, payer, payee, step.amount, self.currency, self.id)

    def stuck_steps(self) -> list[PaymentStep]:
        return [s for s in self.steps if s.status == STEP_STUCK]

    def mark_sent(self, key: str, at: datetime | None = None) -> PaymentStep:
        step = self.step(key)
        if step is None:
            raise WrongState(f"Payment step {key} is not open.")
        return step.send(at)

    def unanswered(self, key: str, at: datetime, policy: RetryPolicy = DEFAULT_POLICY,
                   processing: bool = False) -> datetime | None:
        """A sent step got no final answer (none at all, a 5xx, or ``processing``): when to ask
        again, or None when it stopped (``stuck``: budget or deadline spent) or is not open.
        ``processing`` counts against the deadline only: the provider has the payment."""
        return step_unanswered(self.step(key), at, policy, processing)

    def answer(self, key: str, succeeded: bool, provider_ref: str | None = None,
               policy: RetryPolicy = DEFAULT_POLICY, retry: bool = True) -> StepOutcome:
        """The provider's final answer for a step (a reply, a query result or a notice).

        An answer for a step that is already settled changes nothing (duplicate notices). A
        payout or a refund's return that failed is tried again under a new key after a back-off,
        until the budget is spent: then the next attempt waits ``stuck`` for the operator
        (``retry=False``: the operator failed it; no further attempt)."""
        step = self.step(key)
        outcome = StepOutcome()
        if step is None or step.status in (STEP_SUCCEEDED, STEP_FAILED, STEP_VOIDED):
            return outcome
        step.status, step.provider_ref = (STEP_SUCCEEDED if succeeded else STEP_FAILED), provider_ref
        if step.kind == WITHHOLD:
            attempts = sum(1 for s in self.steps if s.kind == WITHHOLD)
            if succeeded:
                outcome.transfers += [(key, money.withhold_postings(self.customer_id, step.amount, self.currency)),
                                      (f"repay:{self.id}", money.repay_postings(self.customer_id, self.supplier_id,
                                                                                step.amount, self.currency))]
                outcome.unpaid_delta = -1 if attempts > 1 else 0
                self.steps.append(PaymentStep(f"payout:{self.id}:1", PAYOUT, step.amount))
            else:
                outcome.unpaid_delta = 1 if attempts == 1 else 0
                outcome.events.append(("withholding_failed", {"order_id": self.id, "attempt": attempts}))
        elif step.kind == PAYOUT:
            if succeeded:
                outcome.transfers.append((key, money.payout_postings(self.supplier_id, step.amount, self.currency)))
            elif retry:
                # the money is in clearing; paying the supplier again under a new key is safe
                failures = sum(1 for s in self.steps if s.kind == PAYOUT and s.status == STEP_FAILED)
                self._again(PaymentStep(self._next_key(PAYOUT), PAYOUT, step.amount), failures, policy, outcome)
        elif step.kind == REFUND_COLLECT:
            refund = self._refund(step.refund_id)
            if succeeded:
                outcome.transfers.append((key, money.refund_collect_postings(self.supplier_id, step.amount,
                                                                             self.currency)))
                self.steps.append(PaymentStep(f"refund:{refund.id}:return:1", REFUND_RETURN, step.amount,
                                              refund_id=refund.id))
            else:
                refund.status = REFUND_FAILED
        elif step.kind == REFUND_RETURN:
            refund = self._refund(step.refund_id)
            if succeeded:
                outcome.transfers.append((key, money.refund_return_postings(self.customer_id, step.amount,
                                                                            self.currency)))
                refund.status = REFUND_COMPLETED
            elif retry:
                returns = [s for s in self.steps if s.refund_id == refund.id and s.kind == REFUND_RETURN]
                failures = sum(1 for s in returns if s.status == STEP_FAILED)
                self._again(PaymentStep(f"refund:{refund.id}:return:{len(returns) + 1}", REFUND_RETURN, step.amount,
                                        refund_id=refund.id), failures, policy, outcome)
            else:
                refund.status = REFUND_STOPPED
        return outcome

    def _again(self, step: PaymentStep, failures: int, policy: RetryPolicy, outcome: StepOutcome) -> None:
        """The next attempt after ``failures`` refusals: after a back-off, or stuck when the budget is spent."""
        if policy.exhausted(failures):
            step.status = STEP_STUCK
            outcome.stuck.append(step)
        else:
            outcome.retry_after = failures
        self.steps.append(step)

    # --- the operator's hand on a stuck step ----------------------------------------------------

    def last_action(self, key: str) -> str | None:
        return next((a["action"] for a in reversed(self.operator_actions) if a["key"] == key), None)

    def record_action(self, key: str, action: str, by: str, at: datetime, note: str = "") -> None:
        self.operator_actions.append({"key": key, "action": action, "by": by, "at": at.isoformat(), "note": note})

    def resolve_step(self, key: str, action: str, by: str, at: datetime) -> StepOutcome | None:
        """retry | fail | void of a stuck payment step; None when it repeats the operator's last
        action on a step that is no longer stuck (a second click changes nothing).

        retry: a fresh budget (a step that went out before is asked about first, never resent
        blindly); fail: what a refusal causes (a withholding counts as unpaid, BIL-7; a refund
        whose return fails stops with its money in clearing) and no further attempt; void: the
        step is withdrawn and nothing moves (not for a withholding or a refund's return: the
        customer's credit, or the supplier's money, would be left with nobody owing it)."""
        if action not in OPERATOR_ACTIONS:
            raise WrongState(f"Unknown action {action}.")
        step = self.step(key)
        if step is None:
            raise WrongState(f"Order {self.id} has no payment step {key}.")
        if step.status != STEP_STUCK:
            if self.last_action(key) == action:
                return None
            raise WrongState(f"Payment step {key} is {step.status}, not stuck.")
        outcome = StepOutcome()
        if action == RETRY:
            step.reopen(at)
        elif action == FAIL:
            outcome = self.answer(key, False, retry=False)
        else:
            if step.kind in (WITHHOLD, REFUND_RETURN):
                raise WrongState(f"A {step.kind} step cannot be voided; fail it instead.",
                                 {"action": ["void is for payouts and refund collections; use fail"]})
            step.status = STEP_VOIDED
            if step.kind == REFUND_COLLECT:
                self._refund(step.refund_id).status = REFUND_VOIDED
        self.record_action(key, action, by, at)
        return outcome

    def retry_withholding(self) -> PaymentStep:
        """The customer topped up its account: withhold again under a new key (the old one failed)."""
        if self.withholding != "failed":
            raise WrongState(f"Order {self.id} has no failed withholding to retry.")
        step = PaymentStep(self._next_key(WITHHOLD), WITHHOLD, self.amount)
        self.steps.append(step)
        return step

    def has_refund(self, refund_id: str | None, amount: int) -> bool:
        """The refund of this id was started already (a retry of the same request): True, nothing
        to do; the same id for another amount is the key reused for another refund (409)."""
        refund = next((r for r in self.refunds if refund_id and r.id == refund_id), None)
        if refund is not None and refund.amount != amount:
            raise IdempotencyConflict(f"This Idempotency-Key already started a refund of {refund.amount}; "
                                      "use a new key for another refund.",
                                      {"Idempotency-Key": ["already used for another refund"]})
        return refund is not None

    def start_refund(self, refund_id: str, amount: int, reason: str, at: datetime) -> Refund:
        """BIL-6: the supplier refunds, at most what the customer paid and was not refunded yet."""
        if self.paid_out <= 0:
            raise WrongState(f"Order {self.id} was not paid out to the supplier; nothing to refund yet.")
        if amount > self.paid - self.refunded:
            raise RefundTooLarge(f"At most {self.paid - self.refunded} can still be refunded.",
                                 {"amount": [f"at most {self.paid - self.refunded}"]})
        refund = Refund(refund_id, amount, reason, at)
        self.refunds.append(refund)
        self.steps.append(PaymentStep(f"refund:{refund_id}:collect", REFUND_COLLECT, amount, refund_id=refund_id))
        return refund

    def fulfil_key(self) -> str:
        return f"fulfil:{self.id}"

    def _refund(self, refund_id: str | None) -> Refund:
        return next(r for r in self.refunds if r.id == refund_id)

    def _next_key(self, kind: str) -> str:
        return f"{kind}:{self.id}:{sum(1 for s in self.steps if s.kind == kind) + 1}"
