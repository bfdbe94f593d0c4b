"""``make run``: the whole platform on this machine, migrated, with demo data, until Ctrl-C.

1. checks PostgreSQL, Redis and RabbitMQ on localhost, starting them when installed but stopped;
2. creates each service's database and migrates it (once, here, not by every process);
3. starts the local peers (``python -m peers``: a mailbox, an SMS and robot peer, the payment
   provider, a supplier system) and points every channel and outside client at them;
4. starts every service and the gateway as its own process (logs in var/log/);
5. loads the demo data and prints how to use it, with the peers' pages;
6. on Ctrl-C (or SIGTERM) stops everything within 10 seconds.

A second copy (the README walk-through's test) moves it with the environment: ``PLATFORM_PORT_OFFSET``
(added to every service's and the gateway's port, default 0), the peers' ``MAIL_WEB_PORT``,
``MAIL_SMTP_PORT``, ``MESSAGING_PORT``, ``PAYMENT_PORT``, ``SUPPLIER_PORT``, ``TICKET_SMTP_PORT``
(the ticket intake), ``PLATFORM_LOG_DIR`` (default var/log), and the usual ``AMQP_URI``,
``<SERVICE>_DATABASE_URL``, ``REDIS_KEY_PREFIX``, ``JWT_SECRET``, ``PAYMENT_NOTICE_SECRET``.
"""
from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from nameko.standalone.rpc import ClusterRpcClient

from deploy import demo
from peers.__main__ import DEFAULT_PORTS
from peers.process import Addresses, PeersProcess, platform_settings
from platform_kit.stack import Stack, default_specs, port_open

ROOT = Path(__file__).resolve().parent.parent
SERVERS = [
    ("PostgreSQL", 5432, "pg_ctlcluster", "pg_ctlcluster --skip-systemctl-redirect {version} main start",
     "apt-get install postgresql"),
    ("Redis", 6379, "redis-server",
     "redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no",
     "apt-get install redis-server"),
    ("RabbitMQ", 5672, "rabbitmq-server", "rabbitmq-server -detached", "apt-get install rabbitmq-server"),
]


def log_dir() -> Path:
    return Path(os.environ.get("PLATFORM_LOG_DIR") or ROOT / "var" / "log")


def peer_addresses() -> Addresses:
    """The peers' default ports, each overridable as ``python -m peers`` reads them."""
    ports = {key: int(os.environ.get(key) or port) for key, port in DEFAULT_PORTS.items()}
    return Addresses("127.0.0.1", ports["MAIL_WEB_PORT"], ports["MAIL_SMTP_PORT"], ports["MESSAGING_PORT"],
                     ports["PAYMENT_PORT"], ports["SUPPLIER_PORT"])


def say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def ensure_servers() -> None:
    for name, port, binary, start, install in SERVERS:
        if port_open("127.0.0.1", port):
            continue
        if not shutil.which(binary):
            raise SystemExit(f"{name} is not running on 127.0.0.1:{port} and is not installed. "
                             f"Install it ({install}) or start it, then run `make run` again.")
        if binary == "pg_ctlcluster":
            versions = sorted(os.listdir("/etc/postgresql")) if os.path.isdir("/etc/postgresql") else []
            start = start.format(version=versions[-1] if versions else "15")
        say(f"starting {name}: {start}")
        subprocess.run(start, shell=True, check=False)
        deadline = time.monotonic() + 60
        while not port_open("127.0.0.1", port):
            if time.monotonic() > deadline:
                raise SystemExit(f"{name} did not come up on 127.0.0.1:{port}; start it by hand: {start}")
            time.sleep(0.5)


def local_secret(variable: str) -> str:
    """A secret from the environment, or one generated for this machine and kept in var/ (owner-only),
    so tokens survive a restart of `make run`. There is no default secret anywhere."""
    if os.environ.get(variable):
        return os.environ[variable]
    path = ROOT / "var" / variable.lower()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def jwt_secret() -> str:
    return local_secret("JWT_SECRET")


def start_mail_intake() -> subprocess.Popen:
    """ticket_svc's e-mail intake (TKT-10): an SMTP server on 127.0.0.1:2525, its own process."""
    log = open(log_dir() / "ticket_mail_intake.log", "ab")
    env = {**os.environ, "TICKET_SMTP_PORT": os.environ.get("TICKET_SMTP_PORT", "2525")}
    return subprocess.Popen([sys.executable, "-m", "ticket_svc.mail_intake"], env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)


def banner(loaded: demo.Demo, peers: Addresses, port: int = 8000) -> str:
    width = max(len(login) for login, _, _ in loaded.logins)
    return "\n".join([
        "",
        f"The platform runs.  API: http://127.0.0.1:{port}   API docs: /docs   manual: /manual/   console: /console/",
        "",
        "Local peers (what the platform sent; each page can make its peer fail):",
        f"  mailbox                     {peers.mailbox}   (SMTP {peers.host}:{peers.mail_smtp})",
        f"  SMS, DingTalk, WeChat Work  {peers.messaging_url}",
        f"  payment provider            {peers.payment_url}",
        f"  supplier system             {peers.supplier_url}",
        "",
        "Demo log-ins (login / password):",
        *[f"  {login.ljust(width)}  {password}   {who}" for login, password, who in loaded.logins],
        f"Demo products: {', '.join(loaded.products)}",
        f"Demo projects (the customer's purchases): {', '.join(loaded.orders)}",
        f"Ticket e-mail intake (SMTP): 127.0.0.1:{os.environ.get('TICKET_SMTP_PORT', '2525')} "
        "(customers write to it; replies thread by T-number)",
        "",
        "Try it:",
        f"  TOKEN=$(curl -s -X POST http://127.0.0.1:{port}/api/v1/auth/login -H 'Content-Type: application/json' \\",
        f"          -d '{{\"login_name\": \"customer.admin\", \"password\": \"{demo.DEMO_PASSWORD}\"}}' \\",
        "          | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"access_token\"])')",
        f"  curl -s -X POST http://127.0.0.1:{port}/api/v1/purchases -H \"Authorization: Bearer $TOKEN\" \\",
        "       -H 'Content-Type: application/json' \\",
        "       -d '{\"order_id\": \"ORD-1\", \"product_id\": \"prod-erp-install\", \"customer_id\": \"me\"}'",
        f"  curl -s http://127.0.0.1:{port}/api/v1/projects -H \"Authorization: Bearer $TOKEN\"",
        "The whole walk (subscription, order, payout, refund, statement, mailbox, SMS, a retry): the README's",
        "section 上手走一遍 Walk-through, explained in docs/walkthrough.md.",
        "",
        "Press Ctrl-C to stop everything.",
    ])


def main() -> int:
    ensure_servers()
    say("migrating every service's database ...")
    migrated = subprocess.run([sys.executable, "-m", "platform_kit.migrate", "--all"], capture_output=True,
                              text=True)
    if migrated.returncode:
        raise SystemExit(f"migrations failed:\n{migrated.stdout}{migrated.stderr}")
    secret = jwt_secret()
    notice_secret = local_secret("PAYMENT_NOTICE_SECRET")
    specs = default_specs(int(os.environ.get("PLATFORM_PORT_OFFSET") or 0))
    gateway = next(spec for spec in specs if spec.name == "gateway")
    addresses = peer_addresses()
    peers = PeersProcess(addresses, log_dir() / "peers.log", notice_secret=notice_secret,
                         notice_url=f"http://127.0.0.1:{gateway.port}/api/v1/billing/provider-notices")
    # every channel and outside client at the local peers: a deployment sets the same variables to its
    # real providers' URLs and credentials. The environment wins, so one real provider can be tried here.
    env = {**platform_settings(addresses), "NOTIFY_BACKOFF_SECONDS": "10", "NOTIFY_MAX_BACKOFF_SECONDS": "60",
           # a trial at any hour shows its SMS at once (a deployment keeps the 22:00-08:00 default)
           "NOTIFY_QUIET_HOURS": "00:00-00:00"}
    env = {key: os.environ.get(key, value) for key, value in env.items()}
    # a local run may send webhooks to receivers on this machine (refused in deployments by default)
    stack = Stack(specs, env={**env, "JWT_SECRET": secret, "ALLOW_PRIVATE_WEBHOOK_ADDRESSES": "true",
                              "PAYMENT_NOTICE_SECRET": notice_secret},
                  log_dir=log_dir())
    stopping = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    say("starting the local peers (mailbox, SMS, payment provider, supplier; log var/log/peers.log) ...")
    intake = None
    try:
        peers.start()
    except RuntimeError as err:
        raise SystemExit(f"{err}. Is another `make run` running?") from err
    say("starting the services and the gateway (logs in var/log/) ...")
    try:
        stack.start()
        intake = start_mail_intake()
        stack.wait_healthy(timeout=90)
        amqp_uri = os.environ.get("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/")
        with ClusterRpcClient(uri=amqp_uri, timeout=30) as rpc:
            loaded = demo.load(rpc, amqp_uri, secret, supplier_url=addresses.supplier_url)
            loaded.orders = demo.load_projects(amqp_uri, loaded)
        say(banner(loaded, addresses, gateway.port))
        while not stopping.is_set() and len(stack.running()) == len(stack.specs) and peers.running():
            stopping.wait(1)
        if not stopping.is_set():
            gone = set(stack.specs) - set(stack.running()) | (set() if peers.running() else {"peers"})
            say(f"stopping: {', '.join(sorted(gone))} exited (see var/log/)")
    finally:
        say("stopping ...")
        if intake is not None:
            intake.terminate()
        stack.stop(grace=8)
        peers.stop(grace=2)
        say("stopped.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
