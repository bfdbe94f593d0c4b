"""OPS-1: a service process stops promptly on SIGTERM and SIGINT (Ctrl-C), and exits cleanly."""
import os
import signal
import subprocess
import sys
import time

import pytest
import requests

from platform_kit.stack import port_open

pytestmark = pytest.mark.e2e
PORT = 28950


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_OPS1_a_service_stops_within_ten_seconds_of_a_signal(sig, test_database_urls, wait_until):
    assert not port_open("127.0.0.1", PORT), f"port {PORT} is taken"
    env = {**os.environ, "WEB_SERVER_ADDRESS": f"127.0.0.1:{PORT}",
           "BILLING_DATABASE_URL": test_database_urls["billing"],
           "PAYMENT_NOTICE_SECRET": "process-signals-test-secret"}  # billing has no default for it
    proc = subprocess.Popen([sys.executable, "-m", "platform_kit.run", "billing_svc.service"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        def up() -> bool:
            if proc.poll() is not None:  # it will never answer: say why instead of waiting out the minute
                pytest.fail(f"the service exited with {proc.returncode}: {proc.stderr.read().decode()[-2000:]}")
            return _healthy()

        wait_until(up, timeout=60, interval=0.2, message="the service to answer /health")
        started = time.monotonic()
        proc.send_signal(sig)
        code = proc.wait(timeout=10)
        assert time.monotonic() - started < 10
        assert code == 0, proc.stderr.read().decode()[-2000:]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _healthy() -> bool:
    try:
        return requests.get(f"http://127.0.0.1:{PORT}/health", timeout=1).status_code == 200
    except requests.RequestException:
        return False
