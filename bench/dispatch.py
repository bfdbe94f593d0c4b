"""Dispatch decisions per second and p99, small and large, in the same run (DSP-2, DSP-5).

    python -m bench.dispatch [--decisions 400] [--workers 8]

Each decision is one assign-order use case as dispatch_svc runs it (handlers.node_reached over the
real unit of work and repository on PostgreSQL: lock the project and the provider's employees,
choose, hold, write the outbox), without the broker. Two worlds on one fresh database:
10 employees of 1 provider, and 10,000 employees of 1,000 providers; decisions go to random
providers from several threads at once. The goal: the large case within 2x of the small one.
"""
from __future__ import annotations

import argparse
import random
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import insert
from sqlalchemy.orm import sessionmaker

from dispatch_svc import handlers
from dispatch_svc.adapters.orm import EmployeeRow
from dispatch_svc.adapters.repository import DispatchRepository
from platform_contracts.roles import DESIGNER
from platform_kit import migrate
from platform_kit.db import UnitOfWork, make_engine

URL = "postgresql://postgres@127.0.0.1:5432/bench_dispatch_{}"


def seed(session_factory, providers: int, per_provider: int) -> list[str]:
    ids = [f"prov-{uuid.uuid4().hex[:10]}" for _ in range(providers)]
    rows = [{"user_id": f"{p}-{n}", "org_id": p, "roles": [DESIGNER], "capacity": 50}
            for p in ids for n in range(per_provider)]
    with session_factory() as session:
        for start in range(0, len(rows), 5000):
            session.execute(insert(EmployeeRow), rows[start:start + 5000])
        session.commit()
    return ids


def decide(session_factory, provider_id: str) -> float:
    project_id = str(uuid.uuid4())
    data = {"project_id": project_id, "order_id": f"o-{project_id}", "product_id": "bench", "vendor_id": "v",
            "customer_id": "c", "provider_id": provider_id, "node_key": "assign_order", "node_kind": "assign_order",
            "node_name": "Assign order", "node_index": 2, "role": None, "round": 1,
            "settings": {"role": DESIGNER, "rule": "provider_first"}}
    started = time.perf_counter()
    with session_factory() as session:
        uow = UnitOfWork(session, "dispatch", {"dispatch": DispatchRepository})
        handlers.node_reached({"event_id": str(uuid.uuid4()), "event_type": "node_reached"}, data, uow)
    return time.perf_counter() - started


def run(session_factory, providers: list[str], decisions: int, workers: int) -> tuple[float, float]:
    targets = [random.choice(providers) for _ in range(decisions)]
    started = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        latencies = sorted(pool.map(lambda p: decide(session_factory, p), targets))
    elapsed = time.perf_counter() - started
    return decisions / elapsed, latencies[int(len(latencies) * 0.99) - 1] * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--decisions", type=int, default=400)
    parser.add_argument("--workers", type=int, default=8)
    args = parser.parse_args()
    url = URL.format(uuid.uuid4().hex[:8])
    migrate.drop_database(url)
    migrate.upgrade("dispatch", url)
    engine = make_engine(url, pool_size=args.workers)
    session_factory = sessionmaker(bind=engine, expire_on_commit=False)
    try:
        results = {}
        for label, providers, per in (("10 employees / 1 provider", 1, 10),
                                      ("10,000 employees / 1,000 providers", 1000, 10)):
            ids = seed(session_factory, providers, per)
            run(session_factory, ids, 50, args.workers)  # warm-up
            results[label] = run(session_factory, ids, args.decisions, args.workers)
        for label, (rate, p99) in results.items():
            sys.stdout.write(f"{label:38s} {rate:8.1f} decisions/s   p99 {p99:7.1f} ms\n")
        small, large = results.values()
        sys.stdout.write(f"large ÷ small p99: {large[1] / small[1]:.2f}x (goal: within 2x)\n")
    finally:
        engine.dispose()
        migrate.drop_database(url)


if __name__ == "__main__":
    main()
