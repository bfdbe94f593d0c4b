"""The web console's budget (docs/console.md): first-load weight and the project list's time to interactive.

    python -m bench.console [--base http://127.0.0.1:8000] [--login vendor.admin] [--password ...] [--runs 5]
    python -m bench.console --projects 1000000 [--port-offset 12000] [--runs 5]

1. First-load weight, from the build (console/dist): index.html and every script, style and
   preloaded module it names, each gzipped as the gateway sends it; the budget is 1 MB.
2. With a running platform (`make run`; skipped when --base does not answer): Debian's Chromium
   opens /console/#/projects.manage signed in, and the time from navigation start until the
   project table has rendered its first page (rows or the empty state) is measured, cold (empty
   cache) and warm, with the bytes actually transferred as the browser reports them.
3. ``--projects N``: instead of --base, the bench starts a platform of its own (fresh databases
   and vhost, every service and the gateway on the manifest's ports + ``--port-offset``), loads
   the demo data, buys one demo order and copies it N times in one INSERT ... SELECT: all N belong
   to the demo vendor (its list and counts span all of them), spread over 400 days, five
   statuses, both demo providers, 10,000 customers and a late mark on one in 13. Then (2) runs
   against it as vendor.admin, and everything it made is dropped.
"""
from __future__ import annotations

import argparse
import contextlib
import gzip
import os
import re
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests


def out(line: str) -> None:
    sys.stdout.write(line + "\n")


# the build to weigh and serve: CONSOLE_DIST as the gateway reads it (a build of one's own), else console/dist
DIST = Path(os.environ.get("CONSOLE_DIST") or Path(__file__).resolve().parents[1] / "console" / "dist")
BUDGET = 1_000_000


def first_load() -> tuple[int, int, list[tuple[str, int, int]]]:
    index = (DIST / "index.html").read_text()
    names = ["index.html"] + [n.lstrip("/").removeprefix("console/")
                              for n in re.findall(r'(?:src|href)="([^"]+\.(?:js|css))"', index)]
    rows = []
    for name in names:
        body = (DIST / name).read_bytes()
        rows.append((name, len(body), len(gzip.compress(body, 6))))
    return sum(r[1] for r in rows), sum(r[2] for r in rows), rows


def main_thread_seconds(cdp) -> float:
    """CPU time the page's main thread has spent (Chromium's TaskDuration in thread ticks): what the page
    itself costs, apart from waiting for the network or for a busy machine's CPU."""
    metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    return metrics.get("TaskDuration", 0.0)


def time_to_interactive(base: str, login: str, password: str, runs: int) -> None:
    from playwright.sync_api import sync_playwright

    tokens = requests.post(f"{base}/api/v1/auth/login", json={"login_name": login, "password": password},
                           timeout=15)
    tokens.raise_for_status()
    script = f"localStorage.setItem('console.tokens', JSON.stringify({tokens.text}))"
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, headless=True, args=["--no-sandbox"])
        for label, fresh in (("cold", True), ("warm", False)):
            context = browser.new_context()
            context.add_init_script(script)
            page = context.new_page()
            page.goto(f"{base}/console/")  # warm the origin and the cache for the warm runs
            page.wait_for_selector("[data-testid=menu]")
            times, transferred, answers, busy, waterfall = [], [], [], [], []
            cdp = context.new_cdp_session(page)
            cdp.send("Performance.enable", {"timeDomain": "threadTicks"})
            for _ in range(runs):
                if fresh:
                    page.close()
                    context.clear_cookies()
                    context.close()
                    context = browser.new_context()
                    context.add_init_script(script)
                    page = context.new_page()
                    cdp = context.new_cdp_session(page)
                    cdp.send("Performance.enable", {"timeDomain": "threadTicks"})
                else:
                    page.goto("about:blank")  # a real navigation again: the hash alone would not reload
                before = main_thread_seconds(cdp)
                started = time.perf_counter()
                page.goto(f"{base}/console/#/projects.manage")
                page.wait_for_selector("[data-testid=project-table] .ant-table-tbody tr.ant-table-row")
                page.wait_for_selector("[data-testid=project-table] .ant-spin-spinning", state="detached")
                times.append(time.perf_counter() - started)
                after = main_thread_seconds(cdp)
                busy.append(after - before if after >= before else after)  # a new renderer starts at 0
                answers.append(page.evaluate(  # the list's own request, as the browser timed it
                    "Math.max(0, ...performance.getEntriesByType('resource')"
                    ".filter(e => e.name.includes('/api/v1/projects?')).map(e => e.duration))"))
                waterfall.append(page.evaluate(WATERFALL))
                transferred.append(page.evaluate(
                    "performance.getEntriesByType('resource').concat(performance.getEntriesByType('navigation'))"
                    ".reduce((s, e) => s + (e.transferSize || 0), 0)"))
            switches = []
            for tab in ("completed", "in_progress", "paused"):  # a tab with its counts, on the page already open
                started = time.perf_counter()
                with page.expect_response(lambda r: "/api/v1/projects?" in r.url):
                    page.click(f"[data-tab={tab}]")
                page.wait_for_selector("[data-testid=project-table] .ant-spin-spinning", state="detached")
                switches.append(time.perf_counter() - started)
            total = page.evaluate("fetch('/api/v1/projects?limit=1', {headers: {Authorization: 'Bearer ' + "
                                  "JSON.parse(localStorage.getItem('console.tokens')).access_token}})"
                                  ".then(r => r.json()).then(d => d.total)")
            out(f"project list interactive ({label}, {total} projects visible): "
                  f"p50 {statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms, "
                  f"transferred {statistics.median(transferred) / 1024:.0f} KiB, the list request "
                  f"p50 {statistics.median(answers):.0f} ms, the page's main-thread CPU p50 "
                  f"{statistics.median(busy) * 1000:.0f} ms; "
                  f"a status tab: p50 {statistics.median(switches) * 1000:.0f} ms")
            code, asked, answered = (statistics.median(w[i] for w in waterfall) for i in range(3))
            out(f"  where the time goes ({label}, p50, ms after navigation start): scripts and styles in by "
                f"{code:.0f}, the list request asked at {asked:.0f} and answered at {answered:.0f}, rows shown at "
                f"{statistics.median(times) * 1000:.0f}; the rest is the page's own work (main-thread CPU above)")
            context.close()
        browser.close()


# when the page's scripts and styles had arrived, and when the list's first request was asked and answered
WATERFALL = """(() => {
  const entries = performance.getEntriesByType('resource')
  const code = entries.filter((e) => /[.](js|css)$/.test(new URL(e.name).pathname))
  const list = entries.filter((e) => e.name.includes('/api/v1/projects?'))
  return [Math.max(0, ...code.map((e) => e.responseEnd)), Math.min(...list.map((e) => e.startTime)),
          Math.min(...list.map((e) => e.responseEnd))]
})()"""


# copies of one real project (so every column the list shows is as the platform writes it)
BULK = """
INSERT INTO projects (id, order_id, customer_id, provider_id, status, late_side, late_since, created_at,
                      updated_at, completed_at, {rest})
SELECT gen_random_uuid()::text, 'BULK-' || lpad(g::text, 7, '0'),
       CASE WHEN g % 10 = 0 THEN t.customer_id ELSE 'bulk-customer-' || (g % 10000) END,
       CASE WHEN g % 2 = 0 THEN :provider_a ELSE :provider_b END,
       (ARRAY['in_progress', 'in_progress', 'in_progress', 'completed', 'completed', 'paused', 'cancelled',
              'queued'])[1 + g % 8],
       CASE WHEN g % 13 = 0 THEN 'provider' END, CASE WHEN g % 13 = 0 THEN now() - interval '1 day' END,
       now() - (g % 400) * interval '1 day' - (g % 86400) * interval '1 second', now(),
       CASE WHEN g % 8 IN (3, 4) THEN now() - (g % 400) * interval '1 day' + interval '3 days' END, {rest}
FROM generate_series(1, :n) AS g, (SELECT * FROM projects WHERE id = :template) AS t
"""
OWN = ("id", "order_id", "customer_id", "provider_id", "status", "late_side", "late_since", "created_at",
       "updated_at", "completed_at")


def bulk_projects(url: str, template_id: str, org_ids: dict[str, str], count: int) -> float:
    from sqlalchemy import create_engine, text
    from sqlalchemy.orm import Session

    from project_svc.adapters.repository import ProjectRepository

    engine = create_engine(url)
    started = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL statement_timeout = 0"))  # a bulk load, not a request
        columns = [c for c in conn.execute(text(
            "select column_name from information_schema.columns where table_name = 'projects' "
            "order by ordinal_position")).scalars() if c not in OWN]
        conn.execute(text(BULK.format(rest=", ".join(columns))),
                     {"n": count, "template": template_id, "provider_a": org_ids["provider_a"],
                      "provider_b": org_ids["provider_b"]})
        conn.execute(text("ANALYZE projects"))
    with Session(engine) as session:  # the kept tab counts, as if every copy had been written one by one
        ProjectRepository(session).recount_tabs()
        session.commit()
    engine.dispose()
    # a database that has held these rows a while, as `python -m bench` measures it: vacuumed, and
    # the bulk load's pages written out, not an autovacuum or a checkpoint of a million fresh rows
    # competing with the browser for the 2 cores
    with create_engine(url, isolation_level="AUTOCOMMIT").connect() as conn:
        conn.execute(text("VACUUM ANALYZE projects"))
        conn.execute(text("VACUUM ANALYZE project_tab_counts"))
        conn.execute(text("CHECKPOINT"))
    return time.perf_counter() - started


@contextlib.contextmanager
def own_platform(projects: int, port_offset: int):
    """A platform of the bench's own with ``projects`` bulk projects of the demo vendor; yields its base URL."""
    from nameko.standalone.rpc import ClusterRpcClient

    from bench.scratch import delete_vhost, new_vhost, stop_on_sigterm
    from deploy import demo
    from platform_kit import migrate
    from platform_kit.migrate import drop_database
    from platform_kit.stack import Stack, default_specs
    from platform_kit.testing import _wait_until, recreate_database

    vhost, amqp_uri = new_vhost("bench_console")
    stop_on_sigterm()
    env = {"AMQP_URI": amqp_uri, "LOG_LEVEL": "INFO", "REDIS_KEY_PREFIX": vhost,
           "JWT_SECRET": secrets.token_urlsafe(32), "PAYMENT_NOTICE_SECRET": secrets.token_urlsafe(32),
           "RATE_LIMIT_PER_MINUTE": "1000000"}
    # the gateway serves a copy of the build: a `make console` elsewhere must not swap the files mid-run
    dist = Path(tempfile.mkdtemp(prefix="bench-console-dist-"))
    shutil.copytree(DIST, dist, dirs_exist_ok=True)
    env["CONSOLE_DIST"] = str(dist)
    urls = []
    try:
        for service in migrate.services():
            url = f"postgresql://postgres@127.0.0.1:5432/{vhost}_{service}_svc"
            urls.append(url)
            recreate_database(url)
            migrate.upgrade(service, url)
            migrate.declare_topology(service, amqp_uri)
            env[f"{service.upper()}_DATABASE_URL"] = url
        specs = default_specs(port_offset)
        stack = Stack(specs, env=env, log_dir=Path("var/bench-console-logs"))
        base = f"http://127.0.0.1:{next(s.port for s in specs if s.name == 'gateway')}"
        stack.start()
        try:
            stack.wait_healthy(timeout=180)
            with ClusterRpcClient(uri=amqp_uri, timeout=60) as rpc:
                loaded = demo.load(rpc, amqp_uri, env["JWT_SECRET"])
            login = requests.post(f"{base}/api/v1/auth/login", timeout=15,
                                  json={"login_name": "customer.admin", "password": demo.DEMO_PASSWORD}).json()
            headers = {"Authorization": f"Bearer {login['access_token']}"}
            bought = requests.post(f"{base}/api/v1/purchases", headers=headers, timeout=15,
                                   json={"order_id": f"BENCH-{vhost}", "product_id": "prod-erp-install"})
            bought.raise_for_status()
            template_id = bought.json()["project"]["id"]
            _wait_until(lambda: requests.get(f"{base}/api/v1/projects/{template_id}", headers=headers,
                                             timeout=15).json().get("provider_id"),
                        timeout=30, interval=0.5, message="the demo order to get its provider")
            took = bulk_projects(env["PROJECT_DATABASE_URL"], template_id, loaded.org_ids, projects)
            out(f"added {projects:,} projects of the demo vendor in {took:.1f} s")
            yield base
        finally:
            stack.stop(grace=5)
    finally:
        delete_vhost(vhost)
        for url in urls:
            drop_database(url)
        shutil.rmtree(dist, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--login", default="vendor.admin")
    parser.add_argument("--password", default="Demo2026pass")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--projects", type=int, default=0,
                        help="start a platform of the bench's own with this many projects (e.g. 1000000)")
    parser.add_argument("--port-offset", type=int, default=12000, help="its ports: the manifest's + this")
    args = parser.parse_args()
    raw, zipped, rows = first_load()
    for name, size, small in rows:
        out(f"  {name:45} {size / 1024:8.1f} KiB  gzip {small / 1024:7.1f} KiB")
    verdict = "within" if zipped <= BUDGET else "OVER"
    out(f"first load: {raw / 1024:.0f} KiB, {zipped / 1024:.0f} KiB compressed ({verdict} the 1 MB budget)")
    if args.projects:
        with own_platform(args.projects, args.port_offset) as base:
            time_to_interactive(base, args.login, args.password, args.runs)
        return
    try:
        requests.get(f"{args.base}/health", timeout=3).raise_for_status()
    except requests.RequestException:
        out(f"no platform at {args.base}: start it with `make run` to time the project list")
        return
    time_to_interactive(args.base, args.login, args.password, args.runs)


if __name__ == "__main__":
    main()
