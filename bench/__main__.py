"""The platform beside its floor, in one run on one machine:  ``make bench``.

    python -m bench [--reads 2000] [--purchases 300] [--concurrency 16] [--projects 100000]
                    [--employees 10000] [--profile] [--statements] [--skip-large]

1. The floor (bench/floor: the platform's shape, no logic) starts on its own database and vhost,
   and is measured: bare gateway -> RPC ping, purchases accepted, purchases through its 3 hops.
2. The floor stops; the platform starts (every service and the gateway as its own process, fresh
   databases, a RabbitMQ vhost of its own), the demo data is loaded, and a bench product is set
   up whose flow is assign_provider -> assign_order (engineer) -> deliver -> complete, sold by the
   demo vendor and delivered by Demo Provider A, whose engineers have capacity.
3. Measured: signed-in reads (GET /api/v1/projects/{id}) vs the floor's ping; purchases accepted
   (POST /api/v1/purchases) vs the floor's POST; purchases through the full flow until the
   engineer is assigned in project_svc AND the provider's in-site notice is stored in notify_svc
   (purchase -> project -> dispatch: provider -> project -> dispatch: assign order -> project;
   dispatch -> notify) vs the floor's 3-hop pipeline.
4. Bulk rows (``--projects`` projects, ``--employees`` employees of other providers) are added with
   INSERT ... SELECT and the full flow is measured again.

Each figure has p50/p99 (per request, or per purchase from its POST to its last row) and the
ratio to the floor. After each flow the CPU milliseconds per purchase of every platform process
and of the PostgreSQL backends of each database are printed (from /proc: what the work cost, not
how long it waited for a core). ``--profile`` samples every platform process with py-spy during the
full flow and prints where each spends its time (needs ptrace); ``--statements`` prints each
database's statements, execution time, buffers and WAL per purchase during each flow
(pg_stat_statements, which the server must preload).
"""
from __future__ import annotations

import argparse
import os
import secrets
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from nameko.standalone.rpc import ClusterRpcClient
from sqlalchemy import create_engine, text

from bench.scratch import MANAGEMENT, delete_vhost, new_vhost, stop_on_sigterm
from deploy import demo
from platform_contracts.actor import Actor
from platform_kit import migrate, preflight
from platform_kit.auth import decode_access_token
from platform_kit.migrate import drop_database
from platform_kit.stack import ProcessSpec, Stack, default_specs
from platform_kit.testing import recreate_database

PORT_OFFSET = 11000  # platform: gateway 19000, services 19101..; the floor: 19050..19053
FLOOR_PORT = 19050
BENCH_PRODUCT = "prod-bench-assign"
BENCH_FLOW = [
    {"key": "assign_provider", "kind": "assign_provider", "name": "Assign provider"},
    {"key": "assign_engineer", "kind": "assign_order", "name": "Assign engineer",
     "settings": {"role": "engineer", "rule": "provider_first"}},
    {"key": "deliver", "kind": "generic", "name": "Deliver", "role": "engineer"},
    {"key": "complete", "kind": "complete_project", "name": "Complete project"},
]
ENGINEERS = 16  # capacity 50 each (DSP-4's most): room for every purchase of a run


def out(line: str = "") -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(len(ordered) * p), len(ordered) - 1)] if ordered else float("nan")


class Figure:
    def __init__(self, rate: float, latencies: list[float]):
        self.rate, self.p50, self.p99 = rate, pct(latencies, 0.5) * 1000, pct(latencies, 0.99) * 1000

    def text(self) -> str:
        return f"{self.rate:7.1f}/s  p50 {self.p50:7.1f} ms  p99 {self.p99:7.1f} ms"


def report(label: str, platform: Figure, floor: Figure | None, goal: str = "") -> None:
    line = f"{label:34s} {platform.text()}"
    if floor is not None:
        line += (f"   | floor {floor.text()}   | rate x{platform.rate / floor.rate:.2f}, "
                 f"p99 x{platform.p99 / floor.p99:.2f}")
    out(line + (f"   [{goal}]" if goal else ""))


def timed(fn, count: int, concurrency: int) -> tuple[Figure, dict[int, float]]:
    """Calls fn(i) count times from ``concurrency`` threads; returns the figure and each call's start (epoch)."""
    latencies: list[float] = []
    starts: dict[int, float] = {}

    def one(i: int) -> None:
        starts[i] = time.time()
        begun = time.perf_counter()
        fn(i)
        latencies.append(time.perf_counter() - begun)

    begun = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, range(count)))
    return Figure(count / (time.perf_counter() - begun), latencies), starts


def wait_done(done, count: int, timeout: float = 300) -> dict[str, float]:
    """Polls ``done()`` (order id -> epoch when its flow ended) until ``count`` are done; bounded."""
    deadline = time.monotonic() + timeout
    while True:
        finished = done()
        if len(finished) >= count:
            return finished
        if time.monotonic() > deadline:
            raise SystemExit(f"only {len(finished)} of {count} flows finished within {timeout:.0f} s")
        time.sleep(0.1)


def flow_figure(starts: dict[int, float], ends: dict[str, float], key) -> Figure:
    latencies = [ends[key(i)] - started for i, started in starts.items()]
    elapsed = max(ends.values()) - min(starts.values())
    return Figure(len(starts) / elapsed, latencies)


def session_for(concurrency: int) -> requests.Session:
    session = requests.Session()
    session.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=concurrency))
    return session


# --- the floor -------------------------------------------------------------------------------

def measure_floor(args, amqp_uri: str, db_url: str) -> dict[str, Figure]:
    recreate_database(db_url)
    migrate.ensure_database(db_url)
    engine = create_engine(db_url)
    with engine.begin() as conn:
        for table in ("fa", "fb", "fc"):
            conn.execute(text(f"create table {table} (order_id text primary key, at double precision)"))
    specs = [ProcessSpec(f"floor_{part}", f"bench.floor.{part}", FLOOR_PORT + n)
             for n, part in enumerate(("gateway", "a", "b", "c"))]
    stack = Stack(specs, env={"AMQP_URI": amqp_uri, "FLOOR_DATABASE_URL": db_url, "LOG_LEVEL": "INFO"},
                  log_dir=Path("var/bench-logs/floor"))
    base = f"http://127.0.0.1:{FLOOR_PORT}"
    stack.start()
    try:
        stack.wait_healthy(timeout=60)
        http = session_for(args.concurrency)
        timed(lambda i: http.get(f"{base}/ping").raise_for_status(), 200, args.concurrency)  # warm-up
        figures = {"read": timed(lambda i: http.get(f"{base}/ping").raise_for_status(),
                                 args.reads, args.concurrency)[0]}
        run = uuid.uuid4().hex[:8]
        accepted, starts = timed(lambda i: http.post(f"{base}/purchase", json={"order_id": f"{run}-{i}"})
                                 .raise_for_status(), args.purchases, args.concurrency)

        def done() -> dict[str, float]:
            with engine.connect() as conn:
                return dict(conn.execute(text("select order_id, at from fc where order_id like :p"),
                                         {"p": f"{run}-%"}).all())

        ends = wait_done(done, args.purchases)
        figures["accepted"] = accepted
        figures["flow"] = flow_figure(starts, ends, lambda i: f"{run}-{i}")
        return figures
    finally:
        stack.stop(grace=5)
        engine.dispose()
        drop_database(db_url)


# --- the platform ----------------------------------------------------------------------------

def set_up_bench_product(rpc, amqp_uri: str, secret: str, org_ids: dict[str, str]) -> None:
    """The bench product's flow reaches assign_order right after assign_provider; Demo Provider A
    delivers it with ENGINEERS engineers of capacity 50."""
    template_id = rpc.template.create_template({"name": "Bench: provider then engineer", "nodes": BENCH_FLOW})[
        "template_id"]
    rpc.template.bind_product({"product_id": BENCH_PRODUCT, "vendor_id": org_ids["vendor"],
                               "product_code": "BENCH", "product_name": "Benchmark product",
                               "template_id": template_id})
    rpc.dispatch.set_product_providers({"product_id": BENCH_PRODUCT, "vendor_id": org_ids["vendor"],
                                        "providers": [{"provider_id": org_ids["provider_a"], "weight": 1,
                                                       "max_held": 2000}]})
    admin = Actor("bench-loader", org_ids["provider_a"], "isv", ("provider_admin",))
    with ClusterRpcClient(uri=amqp_uri, timeout=30, context_data={"actor": admin.to_header()}) as own:
        ids = [own.identity.create_user({"login_name": f"bench.engineer{n}", "display_name": f"Engineer {n}",
                                         "roles": ["engineer"]})["user"]["id"] for n in range(ENGINEERS)]
        deadline = time.monotonic() + 60
        for user_id in ids:
            while True:  # dispatch learns the employee from identity's user_created
                try:
                    own.dispatch.set_employee_settings(user_id, {"capacity": 50, "open": True})
                    break
                except Exception:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
    deadline = time.monotonic() + 30
    while not rpc.project.knows_product(BENCH_PRODUCT):
        if time.monotonic() > deadline:
            raise SystemExit("project_svc did not receive the bench product's flow")
        time.sleep(0.2)


def full_flow(args, base: str, http: requests.Session, env: dict[str, str]) -> tuple[Figure, Figure]:
    # named, so that the CPU figures of the databases leave the bench's own polling out
    project_db = create_engine(env["PROJECT_DATABASE_URL"], connect_args={"application_name": "bench"})
    notify_db = create_engine(env["NOTIFY_DATABASE_URL"], connect_args={"application_name": "bench"})
    run = uuid.uuid4().hex[:8]

    def purchase(i: int) -> None:
        http.post(f"{base}/api/v1/purchases", json={"order_id": f"bench-{run}-{i}", "product_id": BENCH_PRODUCT,
                                                    "customer_id": "c"}).raise_for_status()

    finished: dict[str, float] = {}

    def done() -> dict[str, float]:
        # only the orders not finished yet, each found through its unique index: a poll costs the
        # same on an empty database and with a million projects (a LIKE over order ids, which the
        # C.UTF-8 collation cannot answer from the index, cost 20 ms a poll at 1M)
        pending = [f"bench-{run}-{i}" for i in range(args.purchases) if f"bench-{run}-{i}" not in finished]
        with project_db.connect() as conn:
            assigned = {row.id: (row.order_id, row.at.timestamp()) for row in conn.execute(text(
                "select p.id, p.order_id, max(l.at) as at from projects p join flow_log l on l.project_id = p.id "
                "and l.action = 'operator_assigned' where p.order_id = any(:orders) group by p.id, p.order_id"),
                {"orders": pending})}
        if assigned:
            with notify_db.connect() as conn:
                noticed = {row.link.rsplit("/", 1)[-1]: row.at.timestamp() for row in conn.execute(text(
                    "select link, created_at as at from inbox_messages where link = any(:links)"),
                    {"links": [f"/projects/{p}" for p in assigned]})}
            finished.update({order: max(at, noticed[pid]) for pid, (order, at) in assigned.items()
                             if pid in noticed})
        return finished

    try:
        accepted, starts = timed(purchase, args.purchases, args.concurrency)
        ends = wait_done(done, args.purchases)
        return accepted, flow_figure(starts, ends, lambda i: f"bench-{run}-{i}")
    finally:
        project_db.dispose()
        notify_db.dispose()


def add_bulk_rows(env: dict[str, str], org_ids: dict[str, str], projects: int, employees: int) -> None:
    """Rows that a busy marketplace has: projects copied from the last bench project (other orders,
    other customers, spread over a year) and employees of 1,000 other providers."""
    begun = time.perf_counter()
    with create_engine(env["PROJECT_DATABASE_URL"]).begin() as conn:
        columns = [c for c in conn.execute(text(
            "select column_name from information_schema.columns where table_name = 'projects'")).scalars()
            if c not in ("id", "order_id", "customer_id", "created_at", "updated_at")]
        listed = ", ".join(columns)
        conn.execute(text(
            f"insert into projects (id, order_id, customer_id, created_at, updated_at, {listed}) "  # noqa: S608
            f"select gen_random_uuid()::text, 'bulk-' || g, 'bulk-customer-' || (g % 5000), "
            f"now() - (g % 365) * interval '1 day', now(), {listed} "
            f"from generate_series(1, :n) g, (select * from projects where product_id = :product limit 1) t"),
            {"n": projects, "product": BENCH_PRODUCT})
    with create_engine(env["DISPATCH_DATABASE_URL"]).begin() as conn:
        conn.execute(text(
            "insert into employees (user_id, org_id, display_name, roles, capacity) "
            "select gen_random_uuid()::text, 'bulk-provider-' || (g % 1000), 'Bulk ' || g, "
            "array['engineer']::varchar[], 50 from generate_series(1, :n) g"), {"n": employees})
    # a database that has held these rows for a while: vacuumed and analysed, and their pages
    # written out, not an autovacuum of a million fresh rows (and their indexes) or the checkpoint
    # flushing the bulk load competing with the measured flow for the 2 cores and the disk
    for url, table in ((env["PROJECT_DATABASE_URL"], "projects"), (env["DISPATCH_DATABASE_URL"], "employees")):
        with create_engine(url, isolation_level="AUTOCOMMIT").connect() as conn:
            conn.execute(text(f"vacuum analyze {table}"))
            conn.execute(text("checkpoint"))
    out(f"added {projects:,} projects and {employees:,} employees of 1,000 other providers "
        f"in {time.perf_counter() - begun:.1f} s")


# --- CPU time (load-independent: what each process spent, not how long it waited for a core) --

TICK = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime


def cpu_sample(stack: Stack, urls: list[str]) -> dict[str, dict[int, float]]:
    """CPU seconds so far of every platform process and of the PostgreSQL backends serving the
    bench's databases (by database)."""
    sample = {name: {proc.pid: _cpu_seconds(proc.pid)} for name, proc in stack.procs.items()}
    engine = create_engine(urls[0].rsplit("/", 1)[0] + "/postgres")
    try:
        with engine.connect() as conn:
            for datname, pid in conn.execute(text("select datname, pid from pg_stat_activity where datname = any(:n) "
                                                  "and application_name <> 'bench'"),
                                             {"n": [u.rsplit("/", 1)[-1] for u in urls]}):
                sample.setdefault(f"pg {datname.split('_', 2)[-1]}", {})[pid] = _cpu_seconds(pid)
            # the server's own processes, shared with whatever else uses the server (autovacuum
            # workers come and go: they are not counted)
            for pid in conn.execute(text("select pid from pg_stat_activity where backend_type = any(:kinds)"),
                                    {"kinds": ["checkpointer", "background writer", "walwriter"]}).scalars():
                sample.setdefault("pg server (checkpointer, writers)", {})[pid] = _cpu_seconds(pid)
    finally:
        engine.dispose()
    return sample


def cpu_report(before: dict, after: dict, purchases: int) -> None:
    """CPU ms per purchase; a backend that ended before the second sample is not counted."""
    parts, total = [], 0.0
    for name, pids in after.items():
        spent = sum(cpu - before.get(name, {}).get(pid, 0.0) for pid, cpu in pids.items())
        total += spent
        parts.append(f"{name} {1000 * spent / purchases:.1f}")
    out(f"  CPU ms per purchase: total {1000 * total / purchases:.1f}; " + ", ".join(parts))


# --- statements (pg_stat_statements) ----------------------------------------------------------

def _statements_db(urls: list[str]):
    """The server's pg_stat_statements, reached through its maintenance database; None when the
    server was not started with the library (shared_preload_libraries)."""
    engine = create_engine(urls[0].rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if "pg_stat_statements" not in conn.execute(text("show shared_preload_libraries")).scalar():
            out("  --statements: the server does not preload pg_stat_statements; no statement figures")
            engine.dispose()
            return None
        conn.execute(text("create extension if not exists pg_stat_statements"))
    return engine


def statements_reset(engine, urls: list[str]) -> None:
    with engine.connect() as conn:  # only the bench's databases: other sessions' figures stay
        for oid in conn.execute(text("select oid from pg_database where datname = any(:names)"),
                                {"names": [u.rsplit("/", 1)[-1] for u in urls]}).scalars():
            conn.execute(text("select pg_stat_statements_reset(0, :oid, 0)"), {"oid": oid})


def statements_report(engine, urls: list[str], purchases: int, top: int = 10) -> None:
    """Per database: statements, execution time and buffers per purchase, and the costliest statements."""
    names = [u.rsplit("/", 1)[-1] for u in urls]
    with engine.connect() as conn:
        rows = conn.execute(text(
            "select d.datname, s.calls, s.total_exec_time, s.rows, s.shared_blks_hit, s.shared_blks_read, "
            "s.shared_blks_dirtied, s.shared_blks_written, s.wal_bytes, s.wal_fpi, s.query from pg_stat_statements s "
            "join pg_database d on d.oid = s.dbid where d.datname = any(:names)"), {"names": names}).all()
    by_db: dict[str, list] = {}
    for row in rows:
        by_db.setdefault(row.datname, []).append(row)
    for name in names:
        stmts = by_db.get(name, [])
        if not stmts:
            continue
        calls = sum(r.calls for r in stmts)
        ms = sum(r.total_exec_time for r in stmts)
        blocks = sum(r.shared_blks_hit + r.shared_blks_read for r in stmts)
        read = sum(r.shared_blks_read for r in stmts)
        dirtied = sum(r.shared_blks_dirtied for r in stmts)
        wal = sum(int(r.wal_bytes) for r in stmts)
        fpi = sum(r.wal_fpi for r in stmts)
        out(f"  {name.split('_', 2)[-1]}: {calls / purchases:.1f} statements, {ms / purchases:.2f} ms, "
            f"{blocks / purchases:.0f} buffers ({read / purchases:.1f} read, {dirtied / purchases:.1f} dirtied), "
            f"WAL {wal / purchases / 1024:.1f} kB ({fpi / purchases:.1f} full pages) per purchase")
        for r in sorted(stmts, key=lambda r: -r.total_exec_time)[:top]:
            query = " ".join(r.query.split())
            out(f"      {r.total_exec_time / purchases:6.2f} ms/purchase {r.calls:6d} calls "
                f"{r.total_exec_time / max(r.calls, 1):7.3f} ms/call "
                f"{(r.shared_blks_hit + r.shared_blks_read) / max(r.calls, 1):7.1f} buf/call "
                f"{r.shared_blks_read / max(r.calls, 1):5.1f} read  {query[:150]}")


IDLE_FRAMES = ("do_poll (", "wait (eventlet/hubs/", "sleep (")


def profile_start(stack: Stack, folder: Path) -> list[tuple[str, Path, subprocess.Popen]]:
    """py-spy samples every process of the stack until ``profile_report`` stops it (SIGINT)."""
    folder.mkdir(parents=True, exist_ok=True)
    spy = str(Path(sys.executable).with_name("py-spy"))
    started = []
    for name, proc in stack.procs.items():
        target = folder / f"{name}.txt"
        command = [spy, "record", "--pid", str(proc.pid), "--rate", "100", "--format", "raw",
                   "--output", str(target)]
        with open(folder / f"{name}.err", "wb") as errors:
            started.append((name, target, subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=errors)))
    return started


def profile_report(started, top: int = 8) -> None:
    """Where each process spent its (non-idle) samples: by own frame, and by the platform's frames."""
    for _, _, proc in started:
        proc.send_signal(signal.SIGINT)
    for name, target, proc in started:
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
        if not target.exists():
            out(f"  {name}: no profile (py-spy needs ptrace)")
            continue
        own, inclusive, total = Counter(), Counter(), 0
        for line in target.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            if not count.isdigit() or ";" not in stack:
                continue  # a docstring py-spy printed as a frame name
            samples = int(count)
            frames = stack.split(";")
            if any(idle in frames[-1] for idle in IDLE_FRAMES):
                continue  # the eventlet hub waiting for I/O: idle, whatever py-spy thinks
            total += samples
            own[_short(frames[-1])] += samples
            for frame in set(_short(f) for f in frames):
                if any(k in frame for k in ("platform_kit", "_svc", "gateway", "marshmallow", "sqlalchemy",
                                            "psycopg", "kombu", "amqp", "redis", "jwt", "json", "logging",
                                            "bcrypt", "werkzeug")):
                    inclusive[frame] += samples
        if not total:
            continue
        out(f"  {name}: {total} busy samples; own time: " + ", ".join(
            f"{f} {100 * n / total:.0f}%" for f, n in own.most_common(top)))
        out("      inclusive: " + ", ".join(f"{f} {100 * n / total:.0f}%" for f, n in inclusive.most_common(top * 2)))


def _short(frame: str) -> str:
    # "function (path/to/module.py:123)" -> "function (module/path tail)"
    function, _, where = frame.partition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    parts = path.split("/")
    tail = "/".join(parts[-2:]) if parts else path
    return f"{function} ({tail})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--reads", type=int, default=2000)
    parser.add_argument("--purchases", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--projects", type=int, default=100_000)
    parser.add_argument("--employees", type=int, default=10_000)
    parser.add_argument("--skip-large", action="store_true")
    parser.add_argument("--profile", action="store_true", help="py-spy every platform process during the flow")
    parser.add_argument("--statements", action="store_true",
                        help="pg_stat_statements of each database during each full flow (needs the library preloaded)")
    parser.add_argument("--replicas", action="append", default=[], metavar="SERVICE=N",
                        help="run N processes of a service (e.g. project=2; gateway=2 shares one port)")
    args = parser.parse_args(argv)

    extra = sum(int(w.partition("=")[2] or 1) - 1 for w in args.replicas)
    try:   # what this needs from the machine's servers, said in one line (not a traceback later)
        preflight.check_rabbit_management(MANAGEMENT)
        preflight.check_postgres_connections("postgresql://postgres@127.0.0.1:5432/postgres",
                                             len(migrate.services()) + extra)
    except preflight.NotReady as exc:
        out(str(exc))
        return 2
    vhost, amqp_uri = new_vhost()
    stop_on_sigterm()
    urls: list[str] = []
    try:
        out("the floor (bench/floor: the same stack, no logic) ...")
        floor = measure_floor(args, amqp_uri, f"postgresql://postgres@127.0.0.1:5432/{vhost}_floor")
        for label, figure in floor.items():
            out(f"  floor {label:10s} {figure.text()}")

        # INFO as in production: the per-request log line with its correlation id is part of the cost
        env = {"AMQP_URI": amqp_uri, "LOG_LEVEL": "INFO", "REDIS_KEY_PREFIX": vhost,
               "JWT_SECRET": secrets.token_urlsafe(32),
               "PAYMENT_NOTICE_SECRET": secrets.token_urlsafe(32), "RATE_LIMIT_PER_MINUTE": "1000000"}
        for service in migrate.services():
            url = f"postgresql://postgres@127.0.0.1:5432/{vhost}_{service}_svc"
            urls.append(url)
            recreate_database(url)
            migrate.upgrade(service, url)
            env[f"{service.upper()}_DATABASE_URL"] = url
        specs = default_specs(PORT_OFFSET)
        for wanted in args.replicas:  # replicas share the service's queues: RabbitMQ spreads the work
            name, _, count = wanted.partition("=")
            spec = next(s for s in specs if s.name == name)
            # gateways share one port: eventlet listens with SO_REUSEPORT and the kernel spreads connections
            specs += [ProcessSpec(f"{name}-{k}", spec.module, spec.port if name == "gateway" else spec.port + 50 * k)
                      for k in range(1, int(count))]
        stack = Stack(specs, env=env, log_dir=Path("var/bench-logs"))
        base = f"http://127.0.0.1:{8000 + PORT_OFFSET}"
        out("the platform ...")
        stack.start()
        try:
            stack.wait_healthy(timeout=120)
            with ClusterRpcClient(uri=amqp_uri, timeout=60) as rpc:
                loaded = demo.load(rpc, amqp_uri, env["JWT_SECRET"])
                set_up_bench_product(rpc, amqp_uri, env["JWT_SECRET"], loaded.org_ids)
            http = session_for(args.concurrency)
            tokens = http.post(f"{base}/api/v1/auth/login", json={
                "login_name": "customer.admin", "password": demo.DEMO_PASSWORD}).json()
            decode_access_token(tokens["access_token"], env["JWT_SECRET"])
            http.headers["Authorization"] = f"Bearer {tokens['access_token']}"
            project_id = http.post(f"{base}/api/v1/purchases", json={
                "order_id": f"warm-up-{vhost}", "product_id": BENCH_PRODUCT, "customer_id": "c"}
            ).json()["project"]["id"]

            def read(i: int) -> None:
                http.get(f"{base}/api/v1/projects/{project_id}").raise_for_status()

            timed(read, 200, args.concurrency)  # warm-up
            read_profiles = profile_start(stack, Path("var/bench-profiles/reads")) if args.profile else None
            reads, _ = timed(read, args.reads, args.concurrency)
            if read_profiles:
                out("profiles (py-spy) during the reads:")
                profile_report(read_profiles)
            stats = _statements_db(urls) if args.statements else None
            if stats is not None:
                statements_reset(stats, urls)
            cpu_before = cpu_sample(stack, urls)
            profiles = profile_start(stack, Path("var/bench-profiles/flow")) if args.profile else None
            try:
                accepted, flow = full_flow(args, base, http, env)
            except BaseException:
                if profiles:  # py-spy holds the processes traced: let go before the stack stops
                    profile_report(profiles)
                raise
            cpu_empty = (cpu_before, cpu_sample(stack, urls))
            if profiles:
                out("profiles (py-spy) during the purchases and the flow:")
                profile_report(profiles)
            if stats is not None:
                out("statements (pg_stat_statements) during the purchases and the flow:")
                statements_report(stats, urls, args.purchases)
            out()
            out(f"figures (concurrency {args.concurrency}; {args.reads} reads, {args.purchases} purchases"
                f"{'; replicas ' + ', '.join(args.replicas) if args.replicas else ''}):")
            report("signed-in read vs bare ping", reads, floor["read"], "goal: rate >= 0.8x")
            report("purchases accepted", accepted, floor["accepted"])
            report("full flow (assigned + notice)", flow, floor["flow"], "goal: rate >= 0.5x, p99 <= 2x")
            cpu_report(*cpu_empty, args.purchases)
            if not args.skip_large:
                add_bulk_rows(env, loaded.org_ids, args.projects, args.employees)
                if stats is not None:
                    statements_reset(stats, urls)
                cpu_before = cpu_sample(stack, urls)
                _, large = full_flow(args, base, http, env)
                cpu_large = (cpu_before, cpu_sample(stack, urls))
                if stats is not None:
                    out(f"statements (pg_stat_statements) during the flow with {args.projects:,} projects:")
                    statements_report(stats, urls, args.purchases)
                report(f"full flow, {args.projects:,} projects", large, floor["flow"])
                out(f"  large / empty: rate x{large.rate / flow.rate:.2f}, p99 x{large.p99 / flow.p99:.2f} "
                    f"(goal: within 10%)")
                cpu_report(*cpu_large, args.purchases)
        finally:
            stack.stop(grace=5)
    finally:
        delete_vhost(vhost)
        for url in urls:
            drop_database(url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
