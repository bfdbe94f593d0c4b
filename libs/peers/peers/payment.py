"""The payment provider billing_svc withholds, pays out and refunds through, as a local peer.

The provider's behaviour is the tests' own fake (``billing_svc.testing.FakeProvider``: each
idempotency key executed once, ``GET /payments/<key>``, the settlement file, signed notices to the
platform); this module serves it on a fixed address with a page and switches:

``POST /_peer/mode {"mode": ..., "times": n}`` (``times`` empty: until changed), ``mode`` one of

* ``normal``: answers at once;
* ``late``: executes, then answers after ``late_seconds`` (beyond billing's time-out): billing
  never sees the answer and settles the step by asking ``GET /payments/<key>``;
* ``lost``: executes, then closes the connection without an answer (the same, sooner);
* ``fail``: the payment fails (no balance): billing records the failure;
* ``processing``: answers ``processing`` and sends the outcome ``complete_after`` seconds later
  as a signed notice to the platform (``notice_url``, ``PAYMENT_NOTICE_SECRET``);
* ``down``: ``503`` to everything.
"""
from __future__ import annotations

import threading

from billing_svc.testing import FakeProvider
from peers.web import DropAnswer, Peer, Reply, Request, button, esc, page, table

MODES = ("normal", "late", "lost", "fail", "processing", "down")
LABELS = {"normal": "正常 normal", "late": "迟到的应答 late answer", "lost": "丢失的应答 lost answer",
          "fail": "支付失败 payment fails", "processing": "处理中，稍后通知 processing, then a notice",
          "down": "不可用 down (503)"}


class PaymentPeer(Peer):
    title = "支付服务商 · Payment provider"

    def __init__(self, host: str = "127.0.0.1", port: int = 0, notice_url: str | None = None,
                 secret: str | None = None, late_seconds: float = 8.0, complete_after: float = 3.0):
        super().__init__(host, port)
        self.fake = FakeProvider(notice_url=notice_url, secret=secret)
        self.fake.httpd.server_close()          # its own server is not used: this peer serves it
        self.fake.late_seconds = late_seconds
        self.complete_after = complete_after
        self.mode, self.times = "normal", None

    def set_mode(self, mode: str, times: int | None = None) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}")
        with self.lock:
            self.mode, self.times = mode, times

    def _take_mode(self) -> str:
        with self.lock:
            mode = self.mode
            if self.times is not None:
                self.times -= 1
                if self.times <= 0:
                    self.mode, self.times = "normal", None
            return mode

    def pay(self, request: Request) -> Reply:
        body, headers = request.json(), {"Idempotency-Key": request.headers.get("idempotency-key")}
        mode = self._take_mode()
        if mode == "down":
            return Reply.json({"error": "unavailable"}, 503)
        key, payer = body["key"], body["payer"]
        fake = self.fake
        with fake.lock:
            new = key not in fake.payments
            if new and mode == "late":
                fake.late_keys.add(key)
            if new and mode == "fail":
                fake.fail_payers.add(payer)
            if new and mode == "processing":
                fake.processing_payers.add(payer)
        try:
            status, answer = fake.post(request.path, body, headers)
        finally:
            with fake.lock:
                if new and mode == "fail":
                    fake.fail_payers.discard(payer)
                if new and mode == "processing":
                    fake.processing_payers.discard(payer)
        if new and mode == "processing" and fake.notice_url:
            threading.Timer(self.complete_after, self._complete, args=(key,)).start()
        if mode == "lost":
            raise DropAnswer()
        return Reply.json(answer, status)

    def _complete(self, key: str) -> None:
        try:
            self.fake.complete(key)
        except Exception:  # noqa: BLE001 - the platform may be stopping; the page shows the notices sent
            with self.fake.lock:
                self.fake.notices.append(({"key": key, "status": "not delivered"}, 0))

    def handle(self, request: Request) -> Reply:
        if request.method == "POST" and request.path == "/payments":
            return self.pay(request)
        if request.method == "GET" and request.path.startswith(("/payments/", "/settlements/")):
            if self.mode == "down":
                return Reply.json({"error": "unavailable"}, 503)
            status, answer = self.fake.get(request.path)
            return Reply.json(answer, status)
        if request.path == "/_peer/payments":
            return Reply.json({"payments": self.payments(), "notices": self.notices()})
        if request.method == "POST" and request.path == "/_peer/mode":
            form = request.form()
            self.set_mode(form["mode"], int(form["times"]) if form.get("times") else None)
            if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
                return Reply.redirect("/")
            return Reply.json({"mode": self.mode, "times": self.times})
        if request.path == "/_peer/mode":
            return Reply.json({"mode": self.mode, "times": self.times})
        if request.method == "GET" and request.path == "/":
            return Reply.html(self.render())
        return Reply.json({"error": "not_found"}, 404)

    def payments(self) -> list[dict]:
        with self.fake.lock:
            return [{**p, "key": k, "executions": self.fake.executions[k]} for k, p in self.fake.payments.items()]

    def notices(self) -> list[dict]:
        with self.fake.lock:
            return [{**n, "platform_answer": s} for n, s in self.fake.notices]

    def render(self) -> str:
        payments = list(reversed(self.payments()))
        times = f"（接下来 {self.times} 次 next {self.times}）" if self.times else ""
        controls = (f"<p>当前模式 mode: <b>{esc(LABELS[self.mode])}</b>{esc(times)}</p>"
                    + "".join(button("/_peer/mode", LABELS[m], mode=m) for m in MODES)
                    + "<p>" + "".join(button("/_peer/mode", f"仅下一次 next one only: {LABELS[m]}", mode=m, times=1)
                                      for m in ("late", "lost", "fail")) + "</p>")
        rows = [[esc(p["key"]), esc(p.get("kind")), esc(p.get("payer")), esc(p.get("payee")),
                 esc(f"{p.get('amount')} {p.get('currency')}"), esc(p.get("order_id")), esc(p["status"]),
                 esc(p["executions"])] for p in payments]
        notices = [[esc(n.get("key")), esc(n.get("status")), esc(n["platform_answer"])]
                   for n in reversed(self.notices())]
        return page(self.title, controls, "<h2>支付 Payments</h2>",
                    table(["幂等键 key", "类型 kind", "付款方 payer", "收款方 payee", "金额 amount (minor units)",
                           "订单 order", "状态 status", "执行次数 executions"], rows),
                    "<h2>发给平台的通知 Notices sent to the platform</h2>",
                    table(["key", "状态 status", "平台应答 platform's HTTP status"], notices))
