"""Throughput of the supplier money chain (issue 14), in one run:

    python -m bench.billing --orders 100 --transfers 500

- ledger transfers per second: the pure domain ledger in memory, and the same transfers through
  the repository on PostgreSQL (accounts locked, transfer + postings inserted, one commit each);
- orders per second through hold → fulfil → withhold → pay out: billing's handlers on a fresh,
  migrated PostgreSQL database, each step its own transaction as in production. The supplier's
  and the provider's answers are given directly (their HTTP round trips are not measured).
"""
from __future__ import annotations

import argparse
import time
import uuid
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


def run(orders: int, transfers: int) -> None:
    url = f"postgresql://postgres@127.0.0.1:5432/bench_billing_{uuid.uuid4().hex[:8]}"
    migrate.upgrade("billing", url)
    engine = make_engine(url)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    repositories = BillingService.db.repositories

    def uow() -> UnitOfWork:
        return UnitOfWork(factory(), "billing", repositories)

    try:
        now = datetime.now(UTC)
        customer = Actor("u-c", str(uuid.uuid4()), CUSTOMER, (CUSTOMER_ROLE,))
        supplier = Actor("u-s", str(uuid.uuid4()), ISV, (VENDOR_ADMIN,))
        operator = Actor("u-o", str(uuid.uuid4()), OPERATOR, (PLATFORM_OPERATOR,))
        with factory() as session:
            setup = UnitOfWork(session, "billing", repositories)
            handlers.sign_agreements(customer, {"platform_agreement": True, "withholding_agreement": True,
                                                "payment_account": "bench"}, now, setup)
            handlers.confirm_customer(customer.org_id, operator, now, setup)
            product = handlers.publish_product(supplier, {"code": "BENCH", "name": "bench", "face_value": 100,
                                                          "price": 95, "currency": "CNY",
                                                          "visible_to": [customer.org_id]}, setup)
            subscription = handlers.request_subscriptions(customer, [product.id], now, setup)[0]
            handlers.decide_subscription(supplier, subscription.id, True, now, setup)
            handlers.set_credit_limit(supplier, customer.org_id, None, "CNY", setup)

        out(f"ledger, pure domain:         {domain_ledger(transfers * 10):10.0f} transfers/s")
        ids = [a.id for a in money.order_accounts(customer.org_id, supplier.org_id, "CNY", None)]
        started = time.perf_counter()
        for n in range(transfers):
            unit = uow()
            try:
                ledger = unit.ledger.load(ids, [f"bench:{n}"])
                ledger.transfer(f"bench:{n}", two_legs(ids[2], ids[3], 1), "CNY", now)
                unit.ledger.save(ledger)
                unit.commit()
            finally:
                unit.session.close()
        out(f"ledger, PostgreSQL:          {transfers / (time.perf_counter() - started):10.0f} transfers/s")

        started = time.perf_counter()
        for n in range(orders):
            steps = []
            for step in range(5):
                unit = uow()
                try:
                    if step == 0:
                        order, _ = handlers.place_order(customer, {"product_code": "BENCH",
                                                                   "idempotency_key": f"o{n}"}, now, unit)
                    elif step == 1:
                        handlers.record_fulfilment(order.id, True, "", None, now, unit)
                    elif step in (2, 3):
                        request, _ = handlers.next_payment(order.id, unit)
                        steps.append(request.key)
                        handlers.record_payment(order.id, request.key, True, None, now, unit)
                finally:
                    unit.session.close()
        elapsed = time.perf_counter() - started
        out(f"orders hold→fulfil→withhold→pay out: {orders / elapsed:6.0f} orders/s "
            f"({orders} orders, {elapsed:.1f} s)")
    finally:
        engine.dispose()
        drop_database(url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=100)
    parser.add_argument("--transfers", type=int, default=500)
    args = parser.parse_args()
    run(args.orders, args.transfers)


if __name__ == "__main__":
    main()
