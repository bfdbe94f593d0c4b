"""An enterprise customer's order and the money steps it goes through (BIL-4..BIL-7). Pure Python.

An order is placed with a credit hold, fulfilled by the supplier's system, then paid in steps at
the payment provider: withhold from the customer, pay out to the supplier, and, for a refund,
collect from the supplier and return to the customer. Each step has one idempotency key, used
both at the provider and for the ledger transfer it causes.

A step is ``to_send`` → ``sent`` → ``succeeded`` | ``failed``. ``sent`` is written (committed)
*before* the request goes out, so whoever finds a step ``sent`` (a retry after a time-out, a
crash, another replica) asks the provider what became of it instead of sending it again.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from billing_svc.domain import money
from billing_svc.domain.ledger import Posting
from billing_svc.exceptions import RefundTooLarge, WrongState

FULFILLING, SUCCEEDED, FAILED = "fulfilling", "succeeded", "failed"
ORDER_STATUSES = (FULFILLING, SUCCEEDED, FAILED)
TO_SEND, SENT, STEP_SUCCEEDED, STEP_FAILED = "to_send", "sent", "succeeded", "failed"
WITHHOLD, PAYOUT, REFUND_COLLECT, REFUND_RETURN = "withhold", "payout", "refund_collect", "refund_return"
REFUND_PENDING, REFUND_COMPLETED, REFUND_FAILED = "pending", "completed", "failed"


@dataclass
class PaymentStep:
    key: str
    kind: str
    amount: int
    status: str = TO_SEND
    refund_id: str | None = None
    provider_ref: str | None = None


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

    # --- money ------------------------------------------------------------------------------

    @property
    def refunded(self) -> int:
        """Refunds started and not failed: what is no longer refundable."""
        return sum(r.amount for r in self.refunds if r.status != REFUND_FAILED)

    @property
    def withholding(self) -> str:
        """none | pending | paid | failed (the last attempt failed: counts as unpaid, BIL-7)."""
        steps = [s for s in self.steps if s.kind == WITHHOLD]
        if not steps:
            return "none"
        last = steps[-1].status
        return {STEP_SUCCEEDED: "paid", STEP_FAILED: "failed"}.get(last, "pending")

    def next_step(self) -> PaymentStep | None:
        return next((s for s in self.steps if s.status in (TO_SEND, SENT)), None)

    def step(self, key: str) -> PaymentStep | None:
        return next((s for s in self.steps if s.key == key), None)

    def request_for(self, step: PaymentStep) -> PaymentRequest:
        c, s = money.customer_party(self.customer_id), money.supplier_party(self.supplier_id)
        payer, payee = {WITHHOLD: (c, "platform"), PAYOUT: ("platform", s), REFUND_COLLECT: (s, "platform"),
                        REFUND_RETURN: ("platform", c)}[step.kind]
        return PaymentRequest(step.key, step.kind, payer, payee, step.amount, self.currency, self.id)

    def mark_sent(self, key: str) -> PaymentStep:
        step = self.step(key)
        if step is None or step.status not in (TO_SEND, SENT):
            raise WrongState(f"Payment step {key} is not open.")
        step.status = SENT
        return step

    def answer(self, key: str, succeeded: bool, provider_ref: str | None = None) -> StepOutcome:
        """The provider's final answer for a step (a reply, a query result or a notice).

        An answer for a step that is already settled changes nothing (duplicate notices)."""
        step = self.step(key)
        outcome = StepOutcome()
        if step is None or step.status in (STEP_SUCCEEDED, STEP_FAILED):
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
            else:
                # the money is in clearing; paying the supplier again under a new key is safe
                self.steps.append(PaymentStep(self._next_key(PAYOUT), PAYOUT, step.amount))
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
            else:
                n = sum(1 for s in self.steps if s.refund_id == refund.id and s.kind == REFUND_RETURN) + 1
                self.steps.append(PaymentStep(f"refund:{refund.id}:return:{n}", REFUND_RETURN, step.amount,
                                              refund_id=refund.id))
        return outcome

    def retry_withholding(self) -> PaymentStep:
        """The customer topped up its account: withhold again under a new key (the old one failed)."""
        if self.withholding != "failed":
            raise WrongState(f"Order {self.id} has no failed withholding to retry.")
        step = PaymentStep(self._next_key(WITHHOLD), WITHHOLD, self.amount)
        self.steps.append(step)
        return step

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

    def _refund(self, refund_id: str | None) -> Refund:
        return next(r for r in self.refunds if r.id == refund_id)

    def _next_key(self, kind: str) -> str:
        return f"{kind}:{self.id}:{sum(1 for s in self.steps if s.kind == kind) + 1}"
