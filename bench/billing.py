"""Throughput of the supplier money chain (BIL-6), in one run:

    python -m bench.billing --orders 200 --transfers 1000 --concurrency 8

- ledger transfers per second: the pure domain ledger in memory, and the same transfers through
  the repository on PostgreSQL (accounts locked, transfer + postings inserted, one commit each):
  on one connection, then on ``--concurrency`` connections each moving money between its own
  accounts, then on as many connections all into the platform's one ``clearing`` account (as
  withholdings: a relative update, no lock taken before it) and all out of it (as payouts: read
  under a lock, since its floor is checked);
- orders per second through hold → fulfil → withhold → pay out: billing's handlers on a fresh,
  migrated PostgreSQL database, each step its own transaction as in production, one customer
  after another and then ``--concurrency`` customers at once (each order is 5 transactions and
  4 ledger transfers). The supplier's and the provider's answers are given directly (their HTTP
  round trips are not measured).
"""
from __future__ import annotations

import argparse
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from sqlalchemy.orm import sessionmaker

from billing_svc import handlers
from billing_svc.domain import money
from billing_svc.domain.ledger import Ledger, two_legs
from billing_svc.service import BillingService
from platform_contracts.actor import Actor
from platform_contracts.roles import CUSTOMER, CUSTOMER_ROLE, ISV, OPERATOR, PLATFORM_OPERATOR, VENDOR_ADMIN
from platform_kit import migrate
from platform_kit.db import UnitOfWork, make_engine
from platform_kit.migrate import drop_database


def out(line: str) -> None:
    print(line, flush=True)  # noqa: T201 - a command-line report


def domain_ledger(count: int) -> float:
    ledger = Ledger()
    for account in money.order_accounts("c", "s", "CNY", None):
        ledger.accounts[account.id] = account
    now = datetime.now(UTC)
    started = time.perf_counter()
    for n in range(count):
        ledger.transfer(f"k{n}", two_legs("customer:c", "clearing", 100), "CNY", now)
    return count / (time.perf_counter() - started)


def parallel(work, items: list, concurrency: int) -> float:
    """Run ``work(item)`` for every item on ``concurrency`` threads; returns items per second."""
    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(work, items))
    return len(items) / (time.perf_counter() - started)


def run(orders: int, transfers: int, concurrency: int) -> None:
    url = f"postgresql://postgres@127.0.0.1:5432/bench_billing_{uuid.uuid4().hex[:8]}"
    migrate.upgrade("billing", url)
    engine = make_engine(url)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    repositories = BillingService.db.repositories

    def uow() -> UnitOfWork:
        return UnitOfWork(factory(), "billing", repositories)

    try:
        now = datetime.now(UTC)
        supplier = Actor("u-s", str(uuid.uuid4()), ISV, (VENDOR_ADMIN,))
        operator = Actor("u-o", str(uuid.uuid4()), OPERATOR, (PLATFORM_OPERATOR,))
        customers = [Actor(f"u-c{n}", str(uuid.uuid4()), CUSTOMER, (CUSTOMER_ROLE,)) for n in range(concurrency)]
        with factory() as session:
            setup = UnitOfWork(session, "billing", repositories)
            product = handlers.publish_product(supplier, {"code": "BENCH", "name": "bench", "face_value": 100,
                                                          "price": 95, "currency": "CNY",
                                                          "visible_to": [c.org_id for c in customers]}, setup)
            for customer in customers:
                handlers.sign_agreements(customer, {"platform_agreement": True, "withholding_agreement": True,
                                                    "payment_account": "bench"}, now, setup)
                handlers.confirm_customer(customer.org_id, operator, now, setup)
                subscription = handlers.request_subscriptions(customer, [product.id], now, setup)[0]
                handlers.decide_subscription(supplier, subscription.id, True, now, setup)
                handlers.set_credit_limit(supplier, customer.org_id, None, "CNY", setup)

        def transfer(item: tuple[str, str, str]) -> None:
            key, debit, credit = item
            unit = uow()
            try:
                # as production: only an account with a floor that is debited is locked (chain.floored_debits)
                lock = [debit] if debit == money.CLEARING or debit.startswith("credit:") else []
                ledger = unit.ledger.load([debit, credit], [key], lock=lock)
                ledger.transfer(key, two_legs(debit, credit, 1), "CNY", now)
                unit.ledger.save(ledger)
                unit.commit()
            finally:
                unit.session.close()

        def own_pair(n: int) -> tuple[str, str]:
            c = customers[n % concurrency].org_id
            return money.customer_account(c), money.credit_account(c, supplier.org_id)

        out(f"ledger, pure domain:                    {domain_ledger(transfers * 10):8.0f} transfers/s")
        rate = parallel(transfer, [(f"one:{n}", *own_pair(0)) for n in range(transfers)], 1)
        out(f"ledger, PostgreSQL, 1 connection:       {rate:8.0f} transfers/s")
        rate = parallel(transfer, [(f"own:{n}", *own_pair(n)) for n in range(transfers)], concurrency)
        out(f"ledger, PostgreSQL, {concurrency} connections:      {rate:8.0f} transfers/s (each its own accounts)")
        rate = parallel(transfer, [(f"in:{n}", own_pair(n)[0], money.CLEARING) for n in range(transfers)],
                        concurrency)
        out(f"ledger, PostgreSQL, {concurrency} connections:      {rate:8.0f} transfers/s (all into clearing, "
            "as withholdings)")
        rate = parallel(transfer, [(f"out:{n}", money.CLEARING, own_pair(n)[0]) for n in range(transfers)],
                        concurrency)
        out(f"ledger, PostgreSQL, {concurrency} connections:      {rate:8.0f} transfers/s (all out of clearing, "
            "as payouts: locked for its floor)")

        def order(item: tuple[Actor, str]) -> None:
            customer, key = item
            for step in range(4):
                unit = uow()
                try:
                    if step == 0:
                        placed, _ = handlers.place_order(customer, {"product_code": "BENCH", "idempotency_key": key},
                                                         now, unit)
                    elif step == 1:
                        handlers.record_fulfilment(placed.id, True, "", None, now, unit)
                    else:
                        request, _ = handlers.next_payment(placed.id, unit)
                        handlers.record_payment(placed.id, request.key, True, None, now, unit)
                finally:
                    unit.session.close()

        rate = parallel(order, [(customers[0], f"seq{n}") for n in range(orders)], 1)
        out(f"orders hold→fulfil→withhold→pay out, 1 at a time:  {rate:6.1f} orders/s ({orders} orders)")
        rate = parallel(order, [(customers[n % concurrency], f"par{n}") for n in range(orders)], concurrency)
        out(f"orders hold→fulfil→withhold→pay out, {concurrency} customers at once: {rate:6.1f} orders/s "
            f"({orders} orders)")
    finally:
        engine.dispose()
        drop_database(url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--transfers", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    run(args.orders, args.transfers, args.concurrency)


if __name__ == "__main__":
    main()
