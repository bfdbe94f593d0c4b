"""Throughput of the thin flow, measured on this machine with every service as its own process.

    make bench          (or: python -m bench.thin_flow --purchases 400 --concurrency 16)

Prints, from one run on one stack:
- gateway → RPC round trips per second: GET /api/v1/projects/{id} (token check, rate limit, one
  RPC to project, one primary-key read), the floor cost of any signed-in API call;
- purchases per second through the whole flow: POST /api/v1/purchases until every project has
  its provider (gateway → project → outbox → RabbitMQ → dispatch → outbox → project), which is
  the figure that matters for a marketplace's peak.
"""
from __future__ import annotations

import argparse
import secrets
import statistics
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from nameko.standalone.rpc import ClusterRpcClient
from sqlalchemy import create_engine, func, select, text

from bench.scratch import delete_vhost, new_vhost, stop_on_sigterm
from deploy import demo
from platform_kit import migrate
from platform_kit.migrate import drop_database
from platform_kit.stack import Stack, default_specs
from platform_kit.testing import recreate_database

PORT_OFFSET = 10000  # gateway 18000, services 18101..: below the ephemeral port range (32768+)


def out(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def timed_calls(fn, count: int, concurrency: int) -> tuple[float, list[float]]:
    latencies: list[float] = []

    def one(i):
        started = time.perf_counter()
        fn(i)
        latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, range(count)))
    return time.perf_counter() - started, latencies


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(len(ordered) * p), len(ordered) - 1)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.thin_flow")
    parser.add_argument("--purchases", type=int, default=400)
    parser.add_argument("--round-trips", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args(argv)

    vhost, amqp_uri = new_vhost()
    env = {"AMQP_URI": amqp_uri, "LOG_LEVEL": "WARNING", "REDIS_KEY_PREFIX": vhost,
           "JWT_SECRET": secrets.token_urlsafe(32), "PAYMENT_NOTICE_SECRET": secrets.token_urlsafe(32),
           "RATE_LIMIT_PER_MINUTE": "1000000"}
    urls = [f"postgresql://postgres@127.0.0.1:5432/{vhost}_{service}_svc" for service in migrate.services()]
    for service, url in zip(migrate.services(), urls, strict=True):
        recreate_database(url)
        migrate.upgrade(service, url)
        env[f"{service.upper()}_DATABASE_URL"] = url
    stack = Stack(default_specs(PORT_OFFSET), env=env, log_dir=Path("var/bench-logs"))
    base = f"http://127.0.0.1:{8000 + PORT_OFFSET}"
    out("starting the stack ...")
    stop_on_sigterm()
    stack.start()
    try:
        stack.wait_healthy(timeout=120)
        with ClusterRpcClient(uri=amqp_uri, timeout=30) as rpc:
            demo.load(rpc, amqp_uri, env["JWT_SECRET"])
        session = requests.Session()
        session.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=args.concurrency))
        token = session.post(f"{base}/api/v1/auth/login", json={
            "login_name": "customer.admin", "password": demo.DEMO_PASSWORD}).json()["access_token"]
        session.headers["Authorization"] = f"Bearer {token}"
        first = session.post(f"{base}/api/v1/purchases", json={
            "order_id": "warm-up", "product_id": "prod-site-design", "customer_id": "c"}).json()
        project_id = first["project"]["id"]

        elapsed, latencies = timed_calls(
            lambda i: session.get(f"{base}/api/v1/projects/{project_id}").raise_for_status(),
            args.round_trips, args.concurrency)
        out(f"gateway -> RPC round trips: {args.round_trips / elapsed:8.1f} /s   "
            f"(p50 {statistics.median(latencies) * 1000:.1f} ms, p95 {percentile(latencies, 0.95) * 1000:.1f} ms, "
            f"{args.round_trips} calls, concurrency {args.concurrency})")

        engine = create_engine(env["PROJECT_DATABASE_URL"])
        run = uuid.uuid4().hex[:8]

        def purchase(i):
            session.post(f"{base}/api/v1/purchases", json={
                "order_id": f"bench-{run}-{i}", "product_id": "prod-site-design",
                "customer_id": "c"}).raise_for_status()

        started = time.perf_counter()
        posted, latencies = timed_calls(purchase, args.purchases, args.concurrency)
        with engine.connect() as conn:
            query = select(func.count()).select_from(text("projects")).where(
                text("order_id like :p and provider_id is not null")).params(p=f"bench-{run}-%")
            while conn.execute(query).scalar_one() < args.purchases:
                if time.perf_counter() - started > 300:
                    raise SystemExit("the flow did not finish within 300 s")
                time.sleep(0.05)
                conn.rollback()
        flowed = time.perf_counter() - started
        out(f"purchases accepted:         {args.purchases / posted:8.1f} /s   "
            f"(p50 {statistics.median(latencies) * 1000:.1f} ms, p95 {percentile(latencies, 0.95) * 1000:.1f} ms)")
        out(f"purchases through the flow: {args.purchases / flowed:8.1f} /s   "
            f"({args.purchases} purchases, provider assigned to all after {flowed:.2f} s)")
        engine.dispose()
    finally:
        stack.stop(grace=5)
        delete_vhost(vhost)
        for url in urls:
            drop_database(url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
