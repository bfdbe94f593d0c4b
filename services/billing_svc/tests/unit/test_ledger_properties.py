"""BIL-5, BIL-6: a stateful property test of the money chain over the pure domain model.

Hypothesis drives orders, holds, posts, voids, withholdings, payouts, refunds, duplicate
deliveries and provider time-outs in any order against a fake payment provider that executes a
payment at most once per idempotency key (as a real one does) and may lose the request or the
answer. After every step the invariants are checked; the steps run are counted (at least 10,000).
"""
from __future__ import annotations

import itertools
from collections import defaultdict
from datetime import UTC, datetime

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, consumes, invariant, rule, run_state_machine_as_test

from billing_svc.domain import chain, money
from billing_svc.domain.ledger import POST_PENDING, POSTED, Ledger
from billing_svc.domain.orders import REFUND_COLLECT, REFUND_RETURN, SENT, STEP_SUCCEEDED, TO_SEND, WITHHOLD, Order
from billing_svc.exceptions import HoldNotPending, InsufficientCredit, RefundTooLarge, WrongState

NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
CUSTOMERS = ("c1", "c2")
SUPPLIERS = ("s1", "s2")
LIMITS = {("c1", "s1"): 1_000, ("c1", "s2"): None, ("c2", "s1"): 300, ("c2", "s2"): 50}


class FakeProvider:
    """Executes each key at most once; remembers the outcome so it can be queried."""

    def __init__(self):
        self.outcomes: dict[str, bool] = {}
        self.executions: dict[str, int] = defaultdict(int)

    def send(self, key: str, succeed: bool) -> bool:
        if key not in self.outcomes:
            self.outcomes[key] = succeed
            self.executions[key] += 1
        return self.outcomes[key]

    def query(self, key: str) -> bool | None:
        return self.outcomes.get(key)


class MoneyChain(RuleBasedStateMachine):
    orders = Bundle("orders")

    def __init__(self):
        super().__init__()
        counter = itertools.count()
        self.ledger = Ledger(new_id=lambda: f"t{next(counter)}")
        for (customer, supplier), limit in LIMITS.items():
            for account in money.order_accounts(customer, supplier, "CNY", limit):
                self.ledger.accounts.setdefault(account.id, account)
        self.provider = FakeProvider()
        self.all_orders: list[Order] = []
        self.ids = itertools.count()
        self.steps = -1

    # --- rules ---------------------------------------------------------------------------------

    @rule(target=orders, customer=st.sampled_from(CUSTOMERS), supplier=st.sampled_from(SUPPLIERS),
          amount=st.integers(min_value=1, max_value=400))
    def place_order(self, customer, supplier, amount):
        order = Order(f"o{next(self.ids)}", customer, supplier, "p", "CODE", amount, "CNY", "k", NOW)
        before = self._snapshot()
        try:
            chain.place_hold(self.ledger, order, NOW)
        except InsufficientCredit:
            assert self._snapshot() == before, "a refused hold moved nothing"
            order.failed(NOW, "insufficient credit")
        self.all_orders.append(order)
        return order

    @rule(order=orders, succeeded=st.booleans(), times=st.integers(min_value=1, max_value=3))
    def supplier_answers(self, order, succeeded, times):
        """Fulfilment result, possibly delivered more than once (duplicates change nothing)."""
        first = order.status
        for _ in range(times):
            chain.settle_fulfilment(self.ledger, order, succeeded, NOW, reason="supplier failed")
        if first != "fulfilling":
            assert order.status == first

    @rule(order=orders, succeed=st.booleans(),
          fate=st.sampled_from(["answered", "request_lost", "answer_lost"]))
    def send_next_step(self, order, succeed, fate):
        step = order.next_step()
        if step is None:
            return
        if step.status == SENT:
            # an answer that never came is settled by querying, never by sending blindly
            known = self.provider.query(step.key)
            if known is not None:
                chain.settle_step(self.ledger, order, step.key, known, NOW)
                return
        order.mark_sent(step.key)
        if fate == "request_lost":
            return
        outcome = self.provider.send(step.key, succeed)
        if fate == "answered":
            chain.settle_step(self.ledger, order, step.key, outcome, NOW)

    @rule(order=orders)
    def duplicate_notice(self, order):
        """The provider's asynchronous notice arrives again for every settled step."""
        for step in list(order.steps):
            known = self.provider.query(step.key)
            if known is not None and step.status != TO_SEND:
                chain.settle_step(self.ledger, order, step.key, known, NOW)

    @rule(order=orders, amount=st.integers(min_value=-5, max_value=500))
    def refund(self, order, amount):
        before = (self._snapshot(), len(order.refunds))
        try:
            if amount <= 0:
                return
            order.start_refund(f"r{next(self.ids)}", amount, "not delivered", NOW)
        except (RefundTooLarge, WrongState):
            assert (self._snapshot(), len(order.refunds)) == before

    @rule(order=orders)
    def retry_withholding(self, order):
        try:
            order.retry_withholding()
        except WrongState:
            pass

    @rule(order=consumes(orders))
    def post_twice_is_refused(self, order):
        if order.hold_id and self.ledger.holds[order.hold_id].status != "pending":
            before = self._snapshot()
            try:
                self.ledger.post(f"again:{order.id}", order.hold_id, NOW)
            except HoldNotPending:
                pass
            assert self._snapshot() == before

    # --- invariants ----------------------------------------------------------------------------

    def _snapshot(self):
        accounts = tuple((a.id, a.balance, a.pending) for a in self.ledger.accounts.values())
        return accounts, len(self.ledger.new_transfers)

    @invariant()
    def each_transfer_sums_to_zero(self):
        for transfer in self.ledger.new_transfers:
            assert sum(p.amount for p in transfer.postings) == 0

    @invariant()
    def every_balance_is_the_sum_of_its_postings(self):
        sums = defaultdict(int)
        for transfer in self.ledger.new_transfers:
            if transfer.kind in (POSTED, POST_PENDING):
                for p in transfer.postings:
                    sums[p.account_id] += p.amount
        for account in self.ledger.accounts.values():
            assert account.balance == sums[account.id], account.id
        pending = defaultdict(int)
        for hold in self.ledger.holds.values():
            if hold.status == "pending":
                for p in hold.postings:
                    if p.amount < 0:
                        pending[p.account_id] -= p.amount
        for account in self.ledger.accounts.values():
            assert account.pending == pending[account.id]

    @invariant()
    def no_available_credit_below_zero(self):
        for account in self.ledger.accounts.values():
            assert account.available is None or account.available >= 0, account

    @invariant()
    def refunds_never_exceed_what_was_paid(self):
        for order in self.all_orders:
            assert 0 <= order.refunded <= order.paid
            returned = sum(s.amount for s in order.steps if s.kind == REFUND_RETURN and s.status == STEP_SUCCEEDED)
            collected = sum(s.amount for s in order.steps if s.kind == REFUND_COLLECT and s.status == STEP_SUCCEEDED)
            assert returned <= collected <= order.paid

    @invariant()
    def one_effect_per_idempotency_key(self):
        assert all(n == 1 for n in self.provider.executions.values())
        keys = [t.key for t in self.ledger.new_transfers]
        assert len(keys) == len(set(keys))
        # every settled success at the provider is in the ledger exactly once, every failure not at all
        by_key = self.ledger.by_key
        for order in self.all_orders:
            for step in order.steps:
                if step.status == STEP_SUCCEEDED:
                    assert by_key[step.key].amount == step.amount and self.provider.query(step.key) is True
                elif step.status == "failed":
                    assert step.key not in by_key and self.provider.query(step.key) is False

    @invariant()
    def the_ledger_agrees_with_the_provider_per_customer(self):
        for customer in CUSTOMERS:
            withheld = returned = 0
            for order in self.all_orders:
                if order.customer_id != customer:
                    continue
                for step in order.steps:
                    if step.status == STEP_SUCCEEDED and step.kind == WITHHOLD:
                        withheld += step.amount
                    if step.status == STEP_SUCCEEDED and step.kind == REFUND_RETURN:
                        returned += step.amount
            assert self.ledger.accounts[money.customer_account(customer, "CNY")].balance == returned - withheld


    # --- counting the steps actually run (hypothesis draws each run's length up to the maximum) ---

    @invariant()
    def count_steps(self):
        self.steps += 1        # invariants run once after __init__ and once after every step

    def teardown(self):
        STEPS_RUN.append(self.steps)


STEPS_RUN: list[int] = []
SETTINGS = settings(max_examples=260, stateful_step_count=50, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def test_BIL5_BIL6_the_money_chain_keeps_every_ledger_invariant_over_10000_steps():
    """The issue asks for at least 10,000 steps: they are counted, not assumed from the settings."""
    STEPS_RUN.clear()
    run_state_machine_as_test(MoneyChain, settings=SETTINGS)
    assert sum(STEPS_RUN) >= 10_000, f"only {sum(STEPS_RUN)} steps in {len(STEPS_RUN)} runs"
