"""The container stack, built and run (OPS-2): the images from package registries alone
(deploy/containers/build-images.sh: debootstrap, Debian's packages, PyPI), docker-compose.yml
started with podman-compose (deploy/containers/compose.py), the README's walk-through against it,
then the stack removed with its volumes.

Not in `make test` (its testpaths leave tests/containers out: a cold build takes minutes); `.ci/run`
runs it after `make test`: ``pytest -rs tests/containers``. Skipped, with the reason printed, where
podman is not installed.
"""
from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests

from deploy.containers import compose
from peers.process import free_port

pytestmark = pytest.mark.containers
ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "deploy" / "containers" / "build-images.sh"
PASSWORD = "Demo2026pass"


def say(text: str) -> None:
    """CI's log shows the build and start times (pytest -s)."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _missing() -> str | None:
    for tool in ("podman", "runc"):
        if not shutil.which(tool):
            return f"{tool} is not installed (apt-get install podman runc debootstrap): the container tier needs it"
    try:
        compose.podman_compose()
    except RuntimeError as err:
        return str(err)
    if not shutil.which("debootstrap") and subprocess.run(
            ["podman", "image", "exists", "localhost/debian:bookworm"], capture_output=True,
            env=compose.environment()).returncode:
        return "debootstrap is not installed and there is no base image to build on"
    return None


@pytest.fixture(scope="module")
def stack():
    reason = _missing()
    if reason:
        pytest.skip(reason)
    started = time.monotonic()
    built = subprocess.run([str(BUILD)], capture_output=True, text=True, timeout=1200, env=compose.environment())
    assert built.returncode == 0, built.stdout + built.stderr
    say(f"\nimages built in {time.monotonic() - started:.0f}s:\n{built.stdout}")
    ports = {name: str(free_port()) for name in ("GATEWAY_PORT", "RABBITMQ_MANAGEMENT_PORT", "MAILBOX_PORT",
                                                 "MESSAGING_PORT", "PAYMENT_PROVIDER_PORT", "SUPPLIER_PORT")}
    env = compose.environment({"JWT_SECRET": secrets.token_urlsafe(32),
                               "PAYMENT_NOTICE_SECRET": secrets.token_urlsafe(32), **ports})
    project = os.environ.get("PLATFORM_TEST_DB_PREFIX", "test_") + "stack"
    compose.down(project, env)                    # what an interrupted earlier run left
    started = time.monotonic()
    try:
        compose.up(project, env, say=say)
        say(f"stack up in {time.monotonic() - started:.0f}s")
        yield {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    finally:
        compose.down(project, env)


def wait_until(check, timeout: float, message: str):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {message}")
        time.sleep(1)


# a cold build takes minutes; each stage of the start is bounded by compose.up itself
@pytest.mark.timeout(1800)
def test_OPS2_the_readme_walk_through_runs_against_the_compose_stack(stack):
    api = stack["GATEWAY_PORT"] + "/api/v1"
    http = requests.Session()

    def login(name: str) -> dict:
        answer = http.post(api + "/auth/login", json={"login_name": name, "password": PASSWORD}, timeout=15)
        assert answer.status_code == 200, answer.text
        return {"Authorization": f"Bearer {answer.json()['access_token']}"}
    customer, provider = login("customer.admin"), login("provider-a.admin")

    # the purchase, as the README shows it
    order_id = f"ORD-{uuid.uuid4().hex[:8]}"
    bought = http.post(api + "/purchases", headers={**customer, "Idempotency-Key": f"order-{order_id}"},
                       json={"order_id": order_id, "product_id": "prod-erp-install"}, timeout=15)
    assert bought.status_code == 201, bought.text

    def assigned():
        items = http.get(api + "/projects", headers=customer, params={"limit": 100}, timeout=15).json()["items"]
        return next((p for p in items if p["order_id"] == order_id and p.get("provider_id")), None)
    project = wait_until(assigned, 60, "the provider assigned by dispatch")
    assert http.get(api + "/inbox", headers=provider, timeout=15).status_code == 200
    assert http.get(api + "/me", headers=provider, timeout=15).json()["user"]["login_name"] == "provider-a.admin"

    # money: the demo customer orders the demo vendor's top-up; the supplier peer fulfils it and the
    # payment provider peer withholds and pays out
    placed = http.post(api + "/billing/orders", headers={**customer, "Idempotency-Key": f"b-{order_id}"},
                       json={"product_code": "CMCC-1G-NATION"}, timeout=15)
    assert placed.status_code == 201, placed.text
    billing_order = placed.json()["order"]["id"]
    paid = wait_until(lambda: (o := http.get(f"{api}/billing/orders/{billing_order}", headers=customer,
                                             timeout=15).json())["paid_out"] and o, 60, "the payout")
    assert paid["paid_out"] == paid["amount"]
    payments = http.get(stack["PAYMENT_PROVIDER_PORT"] + "/_peer/payments", timeout=10).json()["payments"]
    assert {p["kind"] for p in payments if p["order_id"] == billing_order} == {"withhold", "payout"}
    orders = http.get(stack["SUPPLIER_PORT"] + "/_peer/orders", timeout=10).json()["orders"]
    assert billing_order in [o["order_id"] for o in orders]

    # a ticket with a password in it: the customer is told by e-mail, which lands in the mailbox peer
    ticket = http.post(api + "/tickets", headers=customer, timeout=15, json={
        "title": "报表导出失败", "description": "管理员密码是 Secret#123", "category": "other",
        "order_id": project["order_id"]})
    assert ticket.status_code == 201, ticket.text
    mails = wait_until(lambda: http.get(stack["MAILBOX_PORT"] + "/_peer/mails", timeout=10,
                                        params={"to": "customer.admin@customer.example"}).json()["mails"],
                       60, "the e-mail in the mailbox")
    assert any("报表导出失败" in m["text"] for m in mails)
