"""Latency of project lists, filters, deep pages, exports and dashboards (PRJ-3/10/11):

    python -m bench.projects --rows 100000 1000000 --runs 30

For each size: a fresh, migrated project database filled in bulk (one INSERT ... SELECT from
generate_series: 100 vendors, 300 providers, 10,000 customers, five statuses, 400 days of
creation dates; one vendor sells 10 % of everything), the tab counts rebuilt as after a
migration and the table vacuumed as autovacuum would, then p50/p95 in milliseconds of the
repository calls the routes make:

- as a vendor (about 1 % of the rows), the big vendor (10 %), a provider admin, an ISV user who
  sells, buys and operates (the union of its capacities), and the platform operator (all rows):
  the first page of a tab with its counts, filtered pages (customer, order id, product code, late,
  the last 30 days), a deep page by cursor (the keyset walk from the middle of the tab) and the
  same depth by offset for comparison;
- an export of a vendor's in-progress tab (rows per second, streamed in keyset batches);
- search (``q``): a prefix or part of the order id, part of a customer's or product's name, rare
  and common, for the operator (every row) and a vendor's tab (goal: p95 at most 100 ms at 1M);
- the vendor, big vendor and provider dashboards (PRJ-11): the day's first view in a process
  (everything read) and the next ones (the figures settled at 00:00 kept for the day).
"""
from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.orm import Session

from platform_contracts.actor import Actor
from platform_contracts.roles import ISV, PROVIDER_ADMIN, VENDOR_ADMIN
from platform_kit import migrate, paging
from platform_kit.db import make_engine
from platform_kit.migrate import drop_database
from platform_kit.testing import FakeUnitOfWork
from project_svc import handlers
from project_svc.adapters.repository import ProjectRepository
from project_svc.domain.access import Scope

FILL = """
INSERT INTO projects (id, order_id, product_id, vendor_id, customer_id, provider_id, template_id, template_version,
                      nodes, current_index, status, round, created_at, updated_at, product_code, current_node_key,
                      current_node_name, current_node_kind, current_side, late_side, completed_at,
                      product_name, customer_name)
SELECT md5(g::text)::uuid::text, 'ORD-' || g, 'prod-' || (g % 50),
       CASE WHEN g % 10 = 5 THEN 'vendor-big' ELSE 'vendor-' || (g % 100) END, 'cust-' || (g % 10000),
       'prov-' || (g % 300), 'tpl', 1, '[]'::jsonb, 1,
       (ARRAY['in_progress', 'in_progress', 'in_progress', 'completed', 'completed', 'paused', 'cancelled',
              'queued'])[1 + g % 8],
       1, now() - (g % 400) * interval '1 day' - (g % 86400) * interval '1 second', now(), 'P' || (g % 50),
       'work', 'Work', 'generic', 'provider', CASE WHEN g % 13 = 0 THEN 'provider' END,
       CASE WHEN g % 8 IN (3, 4) THEN now() - (g % 400) * interval '1 day' + interval '3 days' END,
       (ARRAY['ERP 安装交付', 'CRM 部署', '数据迁移服务', 'OA 实施', '安全巡检'])[1 + g % 5] || ' ' || (g % 50),
       (ARRAY['杭州', '上海', '北京', '深圳', '成都', '武汉', '南京', '西安'])[1 + (g % 10000) % 8]
         || (ARRAY['云帆', '海纳', '星河', '启明', '远景', '聚力'])[1 + (g % 10000) / 8 % 6] || '科技有限公司 '
         || (g % 10000)
FROM generate_series(1, :rows) AS g
"""


def out(line: str) -> None:
    print(line, flush=True)  # noqa: T201 - a command-line report


def timed(fn, runs: int) -> tuple[float, float]:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[max(0, int(len(samples) * 0.95) - 1)]


def bench(url: str, rows: int, runs: int, keep: bool = False) -> None:
    drop_database(url)
    migrate.upgrade("project", url)
    engine = make_engine(url)
    started = time.perf_counter()
    with Session(engine) as session:
        session.execute(text("SET LOCAL statement_timeout = 0"))  # a bulk load, not a request
        session.execute(text(FILL), {"rows": rows})
        ProjectRepository(session).recount_tabs()
        session.commit()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("SET statement_timeout = 0"))
        conn.execute(text("VACUUM ANALYZE projects"))
    out(f"\n{rows:,} projects loaded, counted and vacuumed in {time.perf_counter() - started:.1f}s")
    everything = Scope(everything=True)
    vendor, big = Scope(vendor_of="vendor-1"), Scope(vendor_of="vendor-big")
    provider = Scope(provider_of="prov-7", customer_of="prov-7", operator_user="someone")
    isv = Scope(vendor_of="vendor-big", provider_of="prov-7", customer_of="cust-7", operator_user="someone")
    today = datetime.now(UTC)
    with Session(engine) as session:
        repo = ProjectRepository(session)
        tab = {"status": "in_progress", "limit": 50}
        middle = session.execute(text(
            "SELECT created_at, id FROM projects WHERE status = 'in_progress' ORDER BY created_at DESC, id DESC "
            "OFFSET :n LIMIT 1"), {"n": rows * 3 // 16}).one()
        deep = paging.encode_cursor([middle.created_at.isoformat(), middle.id])
        cases = {
            "vendor: first page + counts": lambda: repo.page(vendor, tab),
            "vendor: filter by customer": lambda: repo.page(vendor, {**tab, "customer_id": "cust-7"}),
            "big vendor: first page + counts": lambda: repo.page(big, tab),
            "big vendor: late filter": lambda: repo.page(big, {**tab, "late": True}),
            "provider admin: first page + counts": lambda: repo.page(provider, tab),
            "isv user (sells, buys, operates)": lambda: repo.page(isv, tab),
            "operator: first page + counts": lambda: repo.page(everything, tab),
            "operator: filter by order id": lambda: repo.page(everything, {"order_id": f"ORD-{rows // 2}",
                                                                           "limit": 50}),
            "operator: filter by product code": lambda: repo.page(everything, {**tab, "product_code": "P7"}),
            "operator: late filter": lambda: repo.page(everything, {**tab, "late": True}),
            "operator: created in last 30 days": lambda: repo.page(everything, {
                **tab, "created_from": today - timedelta(days=30)}),
            "operator: deep page by cursor": lambda: repo.page(everything, {**tab, "cursor": deep}),
            "operator: page 200 by offset": lambda: repo.page(everything, {**tab, "offset": 10_000}),
            # search (q): trigram GIN index on the generated search text
            "search: order id prefix": lambda: repo.page(everything, {"q": f"ORD-{rows // 2}", "limit": 50}),
            "search: part of the order id": lambda: repo.page(everything, {"q": f"{rows // 3}", "limit": 50}),
            "search: customer name (rare)": lambda: repo.page(everything, {"q": "西安云帆科技有限公司 7", "limit": 50}),
            "search: customer name part": lambda: repo.page(everything, {"q": "云帆科技", "limit": 50}),
            "search: product name (common)": lambda: repo.page(everything, {"q": "数据迁移", "limit": 50}),
            "search: vendor, product and tab": lambda: repo.page(vendor, {**tab, "q": "crm 部署 1"}),
        }
        for name, fn in cases.items():
            p50, p95 = timed(fn, runs)
            out(f"  {name:40s} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms")
        for name, scope in (("vendor", vendor), ("big vendor", big)):
            started = time.perf_counter()
            exported = sum(1 for _ in repo.stream(scope, {"status": "in_progress"}, batch=2000))
            took = time.perf_counter() - started
            out(f"  {name + ': export in-progress tab':40s} {exported:,} rows in {took * 1000:.0f} ms "
                f"({exported / took:,.0f} rows/s)")
        uow = FakeUnitOfWork("project", projects=repo)
        for name, actor, kind in (("vendor", Actor("u", "vendor-1", ISV, (VENDOR_ADMIN,)), "vendor"),
                                  ("big vendor", Actor("u", "vendor-big", ISV, (VENDOR_ADMIN,)), "vendor"),
                                  ("provider", Actor("u", "prov-7", ISV, (PROVIDER_ADMIN,)), "provider")):
            def cold(actor=actor, kind=kind):  # the day's first view in this process
                handlers._SETTLED.clear()
                handlers.dashboard(actor, kind, uow, now=today)

            p50, p95 = timed(cold, runs)
            out(f"  {name + ': dashboard, first of the day':40s} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms")
            p50, p95 = timed(lambda actor=actor, kind=kind: handlers.dashboard(actor, kind, uow, now=today), runs)
            out(f"  {name + ': dashboard, again':40s} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms")
    engine.dispose()
    if not keep:
        drop_database(url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--database", default="postgresql://postgres@127.0.0.1:5432/bench_project_svc")
    parser.add_argument("--keep", action="store_true", help="leave the last size's database for EXPLAIN")
    args = parser.parse_args()
    for rows in args.rows:
        bench(args.database, rows, args.runs, keep=args.keep and rows == args.rows[-1])


if __name__ == "__main__":
    main()
