"""The README's walk-through works literally after `make run`: its shell blocks, extracted from README.md
and run with bash, against the platform started by `python -m deploy.local` (what `make run` runs), on
this suite's own ports, databases and virtual host. What the README promises is then checked through
the API and the peers: a purchase's provider message, an order withheld, paid out and refunded, the
day's statement, an e-mail in the mailbox, an SMS at the SMS peer and notify's retry of a refused SMS
through the fallback provider (BIL-3, BIL-4, BIL-6, BIL-11, NTF-2, NTF-4)."""
from __future__ import annotations

import os
import re
import secrets
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests
from nameko.testing import rabbit

from deploy import demo
from peers.process import free_port
from platform_kit import migrate
from platform_kit.migrate import drop_database
from platform_kit.testing import TEST_PREFIX

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
SECTION = "## 上手走一遍 Walk-through"
PORT_OFFSET = int(os.environ.get("PLATFORM_E2E_PORT_OFFSET", "20000")) + 500   # beside the e2e stack


def walkthrough_blocks(readme: str) -> list[str]:
    """The fenced ``sh`` blocks of the README's walk-through section, in order."""
    start = readme.index(SECTION)
    end = readme.find("\n## ", start + len(SECTION))
    return re.findall(r"```sh\n(.*?)```", readme[start:end if end > 0 else None], re.S)


def test_the_walkthrough_is_shell_with_curl_and_python3_for_json():
    blocks = walkthrough_blocks((ROOT / "README.md").read_text(encoding="utf-8"))
    assert len(blocks) >= 5
    assert all("curl" in block for block in blocks)
    assert not [block for block in blocks if re.search(r"\bjq\b|\bhttpie\b|\bwget\b", block)]


@pytest.fixture(scope="module")
def make_run(request, tmp_path_factory):
    """`python -m deploy.local` with its ports, databases, vhost and log directory moved by the environment;
    yields the addresses the README's variables point at, and the log directory."""
    api = rabbit.Client(request.config.getoption("RABBIT_API_URI"))
    vhost = f"{TEST_PREFIX}readme_{uuid.uuid4().hex[:8]}"
    api.create_vhost(vhost)
    api.set_vhost_permissions(vhost, "guest", ".*", ".*", ".*")
    logs = tmp_path_factory.mktemp("make-run")
    peers = {key: free_port() for key in ("MAIL_WEB_PORT", "MAIL_SMTP_PORT", "MESSAGING_PORT", "PAYMENT_PORT",
                                          "SUPPLIER_PORT", "TICKET_SMTP_PORT")}
    env = {**os.environ, **{key: str(port) for key, port in peers.items()},
           "AMQP_URI": f"amqp://guest:guest@127.0.0.1:5672/{vhost}", "PLATFORM_PORT_OFFSET": str(PORT_OFFSET),
           "PLATFORM_LOG_DIR": str(logs), "REDIS_KEY_PREFIX": f"readme-{uuid.uuid4().hex[:8]}",
           "JWT_SECRET": secrets.token_urlsafe(32), "PAYMENT_NOTICE_SECRET": secrets.token_urlsafe(32)}
    urls = {}
    for service in migrate.services():
        url = f"postgresql://postgres@127.0.0.1:5432/{TEST_PREFIX}readme_{service}_svc"
        drop_database(url)          # deploy.local creates and migrates it, as make run does
        urls[f"{service.upper()}_DATABASE_URL"] = url
    env.update(urls)
    out = open(logs / "make-run.out", "w+b")
    proc = subprocess.Popen([sys.executable, "-m", "deploy.local"], cwd=ROOT, env=env, stdout=out,
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 150
        while b"The platform runs." not in (logs / "make-run.out").read_bytes():
            assert proc.poll() is None, (logs / "make-run.out").read_text(errors="replace")
            assert time.monotonic() < deadline, "deploy.local did not print its banner within 150s"
            time.sleep(0.5)
        yield {"API": f"http://127.0.0.1:{8000 + PORT_OFFSET}/api/v1",
               "MAILBOX": f"http://127.0.0.1:{peers['MAIL_WEB_PORT']}",
               "SMS_PEER": f"http://127.0.0.1:{peers['MESSAGING_PORT']}", "logs": logs}
    finally:
        proc.send_signal(signal.SIGINT)            # Ctrl-C: deploy.local stops everything within 10 s
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        out.close()
        api.delete_vhost(vhost)
        for url in urls.values():
            drop_database(url)


def test_BIL6_NTF4_the_readme_walkthrough_runs_literally_after_make_run(make_run):
    script = "\n".join(walkthrough_blocks((ROOT / "README.md").read_text(encoding="utf-8")))
    env = {**os.environ, **{k: v for k, v in make_run.items() if k != "logs"}}
    try:
        ran = subprocess.run(["bash", "-e", "-c", script], env=env, capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired as err:
        raise AssertionError(f"the walk-through did not finish within 120s:\n{err.stdout}\n{err.stderr}") from err
    shown = ran.stdout
    assert ran.returncode == 0, f"{shown}\n{ran.stderr}"
    assert "Traceback" not in ran.stderr, ran.stderr

    # what the README promises, checked without the README's help
    api = make_run["API"]

    def token(login: str) -> dict:
        answer = requests.post(f"{api}/auth/login", json={"login_name": login, "password": demo.DEMO_PASSWORD},
                               timeout=15)
        return {"Authorization": f"Bearer {answer.json()['access_token']}"}
    customer, operator = token("customer.admin"), token("operator")
    # the purchase became a project, assigned to a provider that got an in-site message
    assert "New delivery project assigned" in shown
    project = requests.get(f"{api}/projects", headers=customer, timeout=15).json()
    assert any(p["order_id"] == "ORD-1" and p["provider_id"] for p in project["items"])
    # the order: withheld, paid out to the vendor, refunded in full; the statement shows it
    orders = requests.get(f"{api}/billing/orders", headers=customer, timeout=15).json()["items"]
    order = next(o for o in orders if o["product_code"].startswith("WALK-"))
    assert (order["status"], order["withholding"], order["paid"], order["paid_out"], order["refunded"]) == (
        "succeeded", "paid", 4750, 4750, 4750)
    assert [r["status"] for r in order["refunds"]] == ["completed"]
    assert "succeeded paid paid 4750 paid_out 4750" in shown and "refunded 4750 ['completed']" in shown
    assert "'refunded': 4750" in shown                     # the day's statement
    # the e-mail in the mailbox, the SMS at the SMS peer (after a refusal, through the fallback)
    mails = requests.get(f"{make_run['MAILBOX']}/_peer/mails", params={"to": "vendor.admin@vendor.example"},
                         timeout=10).json()["mails"]
    assert any(m["subject"] == f"【订阅申请】{order['product_code']}" for m in mails), mails
    peer = requests.get(f"{make_run['SMS_PEER']}/_peer/messages", timeout=10).json()
    assert [r for r in peer["refused"] if r["channel"] == "sms"]
    assert any(m["channel"] == "sms-fallback" and m["to"] == "13800000001" for m in peer["messages"]), peer
    # notify recorded the retry: a failed attempt at the primary provider, then the fallback's success
    deliveries = requests.get(f"{api}/notification-deliveries", headers=operator, timeout=15,
                              params={"channel": "sms", "limit": 100}).json()["items"]
    retried = [d for d in deliveries if d["status"] == "sent" and len(d["attempts"]) > 1]
    assert retried and [a["ok"] for a in retried[0]["attempts"]] == [False, True], deliveries
    assert "('sms-primary', False), ('sms-fallback', True)" in shown
