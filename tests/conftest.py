"""Every service and the gateway as its own process, on their own databases and virtual host: the
`e2e` stack shared by tests/e2e (through the gateway's API) and tests/browser (through the web console)."""
import os
import secrets
import signal
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from nameko.standalone.rpc import ClusterRpcClient
from nameko.testing import rabbit

from deploy import demo
from platform_kit import migrate
from platform_kit.stack import Stack, default_specs
from platform_kit.testing import TEST_PREFIX, recreate_database

# gateway on 28000, services on 28101..28107: never a running `make run`; two suites side by side
# set PLATFORM_E2E_PORT_OFFSET (and PLATFORM_TEST_DB_PREFIX) apart
PORT_OFFSET = int(os.environ.get("PLATFORM_E2E_PORT_OFFSET", "20000"))
# generated per run: no secret has a default anywhere. Kept in the environment so that tests
# forging tokens read the same value (``E2E_SECRET_VARIABLE``), however often this module is imported.
E2E_SECRET_VARIABLE = "PLATFORM_E2E_JWT_SECRET"
JWT_SECRET = os.environ.setdefault(E2E_SECRET_VARIABLE, secrets.token_urlsafe(32))
# billing checks the payment provider's signed notices with it; the fake provider signs with it
PAYMENT_NOTICE_SECRET = os.environ.setdefault("PLATFORM_E2E_PAYMENT_NOTICE_SECRET", secrets.token_urlsafe(32))


class E2E:
    """The running stack, with the demo data loaded (``self.demo``) and ways to sign in."""

    def __init__(self, stack: Stack, amqp_uri: str, log_dir: Path):
        self.stack, self.amqp_uri, self.log_dir = stack, amqp_uri, log_dir
        self.base = f"http://127.0.0.1:{stack.specs['gateway'].port}"
        self.demo: demo.Demo | None = None
        self._tokens: dict[str, str] = {}

    def login(self, login_name: str, password: str = demo.DEMO_PASSWORD) -> dict:
        answer = requests.post(self.url("/api/v1/auth/login"),
                               json={"login_name": login_name, "password": password}, timeout=15)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def token(self, login_name: str) -> str:
        """A cached access token of a demo account (``operator``, ``vendor.admin``, ...)."""
        if login_name not in self._tokens:
            self._tokens[login_name] = self.login(login_name)["access_token"]
        return self._tokens[login_name]

    def auth(self, login_name: str) -> dict:
        return {"Authorization": f"Bearer {self.token(login_name)}"}

    def new_organisation(self, kind: str = "isv") -> dict:
        """A fresh organisation whose admin has changed the initial password to the demo one.

        Returns {"org": ..., "login": ..., "headers": {...}}."""
        suffix = uuid.uuid4().hex[:8]
        login_name = f"admin-{suffix}"
        created = requests.post(self.url("/api/v1/organisations"), headers=self.auth("operator"), json={
            "name": f"Org {suffix}", "kind": kind,
            "admin": {"login_name": login_name, "display_name": f"Admin {suffix}"}}, timeout=15)
        assert created.status_code == 201, created.text
        first = self.login(login_name, created.json()["password"])
        changed = requests.post(self.url("/api/v1/auth/password"),
                                headers={"Authorization": f"Bearer {first['access_token']}"},
                                json={"current_password": created.json()["password"],
                                      "new_password": demo.DEMO_PASSWORD}, timeout=15)
        assert changed.status_code == 200, changed.text
        token = self.login(login_name)["access_token"]
        return {"org": created.json()["organisation"], "login": login_name,
                "headers": {"Authorization": f"Bearer {token}"}}

    def url(self, path: str) -> str:
        return self.base + path

    @contextmanager
    def rpc(self):
        """An RPC client on the stack's virtual host (bounded: never waits forever)."""
        with ClusterRpcClient(uri=self.amqp_uri, timeout=30) as client:
            yield client

    def restart(self, *names: str) -> None:
        self.stack.start(*names)
        self.stack.wait_healthy(*names, timeout=60)

    def logs(self, name: str) -> str:
        return (self.log_dir / f"{name}.log").read_text(errors="replace")


@pytest.fixture(scope="session")
def e2e(request, tmp_path_factory):
    api = rabbit.Client(request.config.getoption("RABBIT_API_URI"))
    vhost = f"e2e_{uuid.uuid4().hex[:10]}"
    api.create_vhost(vhost)
    api.set_vhost_permissions(vhost, "guest", ".*", ".*", ".*")
    amqp_uri = f"amqp://guest:guest@127.0.0.1:5672/{vhost}"
    env = {"AMQP_URI": amqp_uri, "REDIS_URL": "redis://127.0.0.1:6379/0",
           "REDIS_KEY_PREFIX": f"e2e-{uuid.uuid4().hex[:8]}", "LOG_LEVEL": "INFO",
           "JWT_SECRET": JWT_SECRET, "PAYMENT_NOTICE_SECRET": PAYMENT_NOTICE_SECRET, "STOP_GRACE_SECONDS": "3",
           # the fuzzer and the scenario tests share the demo accounts and one address: limits are
           # tested on a gateway of their own (test_auth_e2e.limited_gateway), not on this stack
           "RATE_LIMIT_PER_MINUTE": "1000000"}
    for service in migrate.services():
        url = f"postgresql://postgres@127.0.0.1:5432/{TEST_PREFIX}e2e_{service}_svc"
        recreate_database(url)
        migrate.upgrade(service, url)
        migrate.declare_topology(service, amqp_uri)
        env[f"{service.upper()}_DATABASE_URL"] = url
    log_dir = tmp_path_factory.mktemp("e2e-logs")
    stack = Stack(default_specs(PORT_OFFSET), env=env, log_dir=log_dir)
    # a run stopped from outside (CI time limit, Ctrl-C) still takes its processes down
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    stack.start()
    try:
        stack.wait_healthy(timeout=120)
        e2e = E2E(stack, amqp_uri, log_dir)
        with e2e.rpc() as rpc:
            e2e.demo = demo.load(rpc, amqp_uri, env["JWT_SECRET"])
        yield e2e
    finally:
        stack.stop(grace=5)
        api.delete_vhost(vhost)


@pytest.fixture
def http():
    with requests.Session() as session:
        yield session


