"""Test support (not used in production): local fakes of the outside systems, speaking real
HTTP: the payment provider and a supplier's fulfilment system. Each runs a small threaded HTTP server on a free port.

The provider executes each idempotency key once (as a real one does) and can be told to fail,
answer late (after the client's time-out: the payment happened but the answer was lost), answer
``processing`` and deliver the outcome later as a signed notice to the platform's public notice
URL (``complete``), and send a notice of every payment besides its answer (``notify_all``, as
real providers do, racing the reply). The supplier serves its daily order report.
"""
from __future__ import annotations

import json
import threading
import time
import uuid
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import requests

from billing_svc.domain.notices import SIGNATURE_HEADER, signature_header


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
    def __init__(self, notice_url: str | None = None, secret: str | None = None):
        super().__init__()
        self.notice_url, self.secret = notice_url, secret
        self.payments: dict[str, dict] = {}
        self.executions: dict[str, int] = defaultdict(int)
        self.requests: list[tuple[str, str]] = []
        self.fail_payers: set[str] = set()       # payer accounts whose payments fail (no balance)
        self.processing_payers: set[str] = set()  # payments of these answer 'processing' until ``complete``
        self.late_keys: set[str] = set()          # answer after the client's time-out, once
        self.late_seconds = 0.0
        self.unavailable = False
        self.notify_all = False                   # also notify every final payment (races the answer)
        self.planted: list[dict] = []             # extra rows in the settlement file (mismatches)
        self.notices: list[tuple[dict, int]] = []  # (notice, the platform's HTTP status)

    def post(self, path: str, body: dict, headers: dict):
        if self.unavailable:
            return 503, {"error": "unavailable"}
        key = headers.get("Idempotency-Key") or headers.get("idempotency-key")
        assert key == body["key"], "every request carries its idempotency key"
        with self.lock:
            self.requests.append(("POST", key))
            if key not in self.payments:
                outcome = "failed" if body["payer"] in self.fail_payers else "succeeded"
                held = body["payer"] in self.processing_payers
                self.payments[key] = {**body, "status": "processing" if held else outcome, "outcome": outcome,
                                      "reference": f"pay-{len(self.payments) + 1}",
                                      "day": time.strftime("%Y-%m-%d", time.gmtime())}
                self.executions[key] += 1
            payment = dict(self.payments[key])
            late = key in self.late_keys
            self.late_keys.discard(key)
        if late:
            time.sleep(self.late_seconds)     # executed, but the answer comes after the time-out
        if self.notify_all and payment["status"] != "processing":
            threading.Thread(target=self.send_notice, args=(key,), daemon=True).start()
        return 200, {"status": payment["status"], "reference": payment["reference"]}

    def get(self, path: str):
        if self.unavailable:
            return 503, {"error": "unavailable"}
        parts = urlsplit(path).path.strip("/").split("/")
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

    # --- notices to the platform -------------------------------------------------------------

    def complete(self, key: str) -> requests.Response:
        """A payment answered ``processing`` reaches its outcome; the platform learns it by notice."""
        with self.lock:
            payment = self.payments[key]
            payment["status"] = payment["outcome"]
        return self.send_notice(key)

    def notice_for(self, key: str, notice_id: str | None = None) -> dict:
        with self.lock:
            payment = self.payments[key]
            return {"notice_id": notice_id or str(uuid.uuid4()), "key": key, "order_id": payment["order_id"],
                    "status": payment["status"], "reference": payment["reference"]}

    def send_notice(self, key: str | None = None, *, notice: dict | None = None, timestamp: int | None = None,
                    secret: str | None = None, body: bytes | None = None) -> requests.Response:
        """POST a signed notice to the platform (a test may change the notice, the time, the secret
        or the body after signing, to play a forger or a replay)."""
        assert self.notice_url and self.secret, "the fake provider needs the notice URL and secret"
        notice = notice or self.notice_for(key)
        signed = json.dumps(notice).encode()
        header = signature_header(secret or self.secret, int(time.time()) if timestamp is None else timestamp,
                                  signed)
        response = requests.post(self.notice_url, data=body if body is not None else signed, timeout=20,
                                 headers={"Content-Type": "application/json", SIGNATURE_HEADER: header})
        with self.lock:
            self.notices.append((notice, response.status_code))
        return response


class FakeSupplier(_Server):
    """A supplier's fulfilment system: succeeds, fails or answers ``processing`` per product code.
    It serves its daily order report at ``/reports?day=`` (``report_changes`` plants mismatches:
    order id → fields to report differently, or None to leave the order out)."""

    def __init__(self, answer: str = "succeeded", status: int = 200):
        super().__init__()
        self.answer = answer
        self.status = status                      # 500: the system is broken (its order is not taken)
        self.received: list[dict] = []
        self.report_changes: dict[str, dict | None] = {}
        self.report_extra: list[dict] = []
        self.report_requests: list[str] = []

    @property
    def report_url(self) -> str:
        return self.url + "/reports"

    def post(self, path: str, body: dict, headers: dict):
        with self.lock:
            if self.status >= 500:
                self.received.append({"refused": body})
                return self.status, {"error": "internal"}
            self.received.append({**body, "day": time.strftime("%Y-%m-%d", time.gmtime())})
        return 200, {"status": self.answer, "reference": f"sup-{body['order_id'][:8]}",
                     "reason": "out of stock" if self.answer == "failed" else ""}

    def get(self, path: str):
        parts = urlsplit(path)
        if parts.path != "/reports":
            return 404, {}
        day = parse_qs(parts.query).get("day", [""])[0]
        with self.lock:
            self.report_requests.append(day)
            lines = []
            for order in self.received:
                change = self.report_changes.get(order["order_id"], {})
                if order["day"] == day and change is not None:
                    lines.append({"order_id": order["order_id"], "status": self.answer, "amount": order["amount"],
                                  **change})
        return 200, {"day": day, "orders": lines + self.report_extra}
