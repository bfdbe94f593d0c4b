"""Test support (not used in production): local fakes of the outside systems, speaking real
HTTP: the payment provider and a supplier's fulfilment system. Each runs a small threaded HTTP server on a free port.

The provider executes each idempotency key once (as a real one does) and can be told to fail,
answer late (after the client's time-out: the payment happened but the answer was lost), answer
``processing`` and send its asynchronous notice later through ``notices``.
"""
from __future__ import annotations

import json
import threading
import time
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Server:
    def __init__(self):
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, status: int, body: dict):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                status, answer = fake.post(self.path, body, dict(self.headers))
                self._send(status, answer)

            def do_GET(self):
                status, answer = fake.get(self.path)
                self._send(status, answer)

        return Handler


class FakeProvider(_Server):
    def __init__(self):
        super().__init__()
        self.payments: dict[str, dict] = {}
        self.executions: dict[str, int] = defaultdict(int)
        self.requests: list[tuple[str, str]] = []
        self.fail_payers: set[str] = set()       # payer accounts whose payments fail (no balance)
        self.late_keys: set[str] = set()          # answer after the client's time-out, once
        self.late_seconds = 0.0
        self.unavailable = False
        self.planted: list[dict] = []             # extra rows in the settlement file (mismatches)

    def post(self, path: str, body: dict, headers: dict):
        if self.unavailable:
            return 503, {"error": "unavailable"}
        key = headers.get("Idempotency-Key") or headers.get("idempotency-key")
        assert key == body["key"], "every request carries its idempotency key"
        with self.lock:
            self.requests.append(("POST", key))
            if key not in self.payments:
                status = "failed" if body["payer"] in self.fail_payers else "succeeded"
                self.payments[key] = {**body, "status": status, "reference": f"pay-{len(self.payments) + 1}",
                                      "day": time.strftime("%Y-%m-%d", time.gmtime())}
                self.executions[key] += 1
            payment = self.payments[key]
            late = key in self.late_keys
            self.late_keys.discard(key)
        if late:
            time.sleep(self.late_seconds)     # executed, but the answer comes after the time-out
        return 200, {"status": payment["status"], "reference": payment["reference"]}

    def get(self, path: str):
        if self.unavailable:
            return 503, {"error": "unavailable"}
        parts = path.strip("/").split("/")
        if parts[0] == "payments":
            with self.lock:
                self.requests.append(("GET", parts[1]))
                payment = self.payments.get(parts[1])
            if payment is None:
                return 404, {"error": "not_found"}
            return 200, {"status": payment["status"], "reference": payment["reference"]}
        if parts[0] == "settlements":
            with self.lock:
                rows = [{"key": k, "amount": p["amount"], "status": p["status"]} for k, p in self.payments.items()
                        if p["day"] == parts[1]]
            return 200, {"payments": rows + self.planted}
        return 404, {"error": "not_found"}


class FakeSupplier(_Server):
    """A supplier's fulfilment system: succeeds, fails or answers ``processing`` per product code."""

    def __init__(self, answer: str = "succeeded"):
        super().__init__()
        self.answer = answer
        self.received: list[dict] = []

    def post(self, path: str, body: dict, headers: dict):
        with self.lock:
            self.received.append(body)
        return 200, {"status": self.answer, "reference": f"sup-{body['order_id'][:8]}",
                     "reason": "out of stock" if self.answer == "failed" else ""}

    def get(self, path: str):
        return 404, {}
