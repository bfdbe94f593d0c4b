"""Fault tests: servers of their own, so breaking them never disturbs the machine's shared ones.

- ``second_broker``: a second RabbitMQ node (``faults@localhost`` on 127.0.0.1:5673) started for
  the session and stopped after it, for scenarios that restart, pause or alarm the broker.
- ``TcpProxy`` (proxy.py) in front of a broker or Redis, for dropped, hung and refused connections.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

NODE = "faults@localhost"
PORT = int(os.environ.get("PLATFORM_FAULTS_BROKER_PORT", "5673"))
DIST_PORT = PORT + 20000


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


class SecondBroker:
    def __init__(self, base: Path):
        self.base = base
        self.uri = f"amqp://guest:guest@127.0.0.1:{PORT}/"
        self.env = {**os.environ, "RABBITMQ_NODENAME": NODE, "RABBITMQ_NODE_PORT": str(PORT),
                    "RABBITMQ_DIST_PORT": str(DIST_PORT), "RABBITMQ_MNESIA_BASE": str(base / "mnesia"),
                    "RABBITMQ_LOG_BASE": str(base / "log"), "RABBITMQ_CONFIG_FILE": str(base / "rabbitmq"),
                    "RABBITMQ_PID_FILE": str(base / "pid"), "RABBITMQ_ENABLED_PLUGINS_FILE": str(base / "plugins")}

    def start(self, timeout: float = 120) -> None:
        for folder in ("mnesia", "log"):
            (self.base / folder).mkdir(parents=True, exist_ok=True)
        (self.base / "rabbitmq.conf").write_text(
            f"listeners.tcp.default = 127.0.0.1:{PORT}\nloopback_users = none\n")
        (self.base / "plugins").write_text("[].\n")
        shutil.chown(self.base, "rabbitmq", "rabbitmq")
        for path in self.base.rglob("*"):
            shutil.chown(path, "rabbitmq", "rabbitmq")
        subprocess.run(["rabbitmq-server", "-detached"], env=self.env, check=True, timeout=60)
        self.wait_up(timeout)

    def wait_up(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while not self.ctl("await_startup", check=False).returncode == 0:
            if time.monotonic() > deadline:
                raise TimeoutError(f"the second RabbitMQ node did not start; see {self.base / 'log'}")
            time.sleep(1)

    def ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(["rabbitmqctl", "-n", NODE, *args], capture_output=True, text=True, timeout=120,
                              check=check, env=self.env)

    def restart(self) -> None:
        self.ctl("stop_app")
        self.ctl("start_app")
        self.wait_up()

    def memory_alarm(self, on: bool) -> None:
        self.ctl("set_vm_memory_high_watermark", "0.000001" if on else "0.4")

    def stop(self) -> None:
        self.ctl("stop", check=False)


@pytest.fixture(scope="session")
def second_broker():
    if shutil.which("rabbitmq-server") is None:
        pytest.fail("rabbitmq-server is not installed: the fault suite starts a node of its own")
    if _port_open(PORT):
        pytest.fail(f"127.0.0.1:{PORT} is taken: set PLATFORM_FAULTS_BROKER_PORT to a free port")
    broker = SecondBroker(Path(tempfile.mkdtemp(prefix="platform-faults-broker-")))
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()
        shutil.rmtree(broker.base, ignore_errors=True)


def _load_proxy():
    import importlib.util

    spec = importlib.util.spec_from_file_location("faults_proxy", Path(__file__).with_name("proxy.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.TcpProxy


TcpProxy = _load_proxy()


@pytest.fixture
def broker_proxy(second_broker):
    """A proxy in front of the second broker; the code under test connects through it."""
    proxy = TcpProxy(("127.0.0.1", PORT)).start()
    yield proxy
    proxy.stop()


@pytest.fixture
def faults_config(second_broker, broker_proxy, test_database_urls):
    """nameko config of one fault test: the second broker (through the proxy), its own vhost-free
    namespace by test id, the test databases, Redis with a key prefix of its own."""
    import uuid

    from nameko import config as nameko_config

    from platform_kit.testing import config_keys

    values = {**config_keys(test_database_urls), "AMQP_URI": f"amqp://guest:guest@127.0.0.1:{broker_proxy.port}/",
              "REDIS_URL": "redis://127.0.0.1:6379/0", "REDIS_KEY_PREFIX": f"faults-{uuid.uuid4().hex[:12]}",
              "WEB_SERVER_ADDRESS": "127.0.0.1:0", "RPC_TIMEOUT_SECONDS": 3, "HEARTBEAT": 5}
    with nameko_config.patch(values):
        yield nameko_config


@pytest.fixture
def redis_proxy():
    """A proxy in front of the machine's Redis: the code under test connects through it."""
    proxy = TcpProxy(("127.0.0.1", 6379)).start()
    yield proxy
    proxy.stop()
