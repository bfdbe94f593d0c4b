"""A supplier's fulfilment system (BIL-4, BIL-11), as a local peer: the tests' own fake
(``billing_svc.testing.FakeSupplier``) served on a fixed address with a page and a switch.

billing_svc POSTs each order to the supplier's fulfilment URL (``/orders``; any path is taken)
and reads its daily report at ``/reports?day=``. ``POST /_peer/answer {"answer": ...}`` sets what
it answers: ``succeeded`` (delivered), ``failed`` (out of stock) or ``down`` (503).
"""
from __future__ import annotations

from billing_svc.testing import FakeSupplier
from peers.web import Peer, Reply, Request, button, esc, page, table

ANSWERS = {"succeeded": "交付成功 delivered", "failed": "交付失败 out of stock", "down": "不可用 down (503)"}


class SupplierPeer(Peer):
    title = "供应商系统 · Supplier's fulfilment system"

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        super().__init__(host, port)
        self.fake = FakeSupplier()
        self.fake.httpd.server_close()          # its own server is not used: this peer serves it
        self.down = False

    @property
    def fulfilment_url(self) -> str:
        return self.url + "/orders"

    @property
    def report_url(self) -> str:
        return self.url + "/reports"

    def set_answer(self, answer: str) -> None:
        if answer not in ANSWERS:
            raise ValueError(f"answer must be one of {', '.join(ANSWERS)}")
        with self.lock:
            self.down = answer == "down"
            if not self.down:
                self.fake.answer = answer

    def handle(self, request: Request) -> Reply:
        if request.path == "/_peer/answer" and request.method == "POST":
            self.set_answer(request.form()["answer"])
            if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
                return Reply.redirect("/")
            return Reply.json({"answer": "down" if self.down else self.fake.answer})
        if request.path == "/_peer/orders":
            with self.fake.lock:
                return Reply.json({"orders": list(self.fake.received)})
        if request.method == "GET" and request.path == "/":
            return Reply.html(self.render())
        if self.down and not request.path.startswith("/_peer"):
            return Reply.json({"error": "unavailable"}, 503)
        if request.method == "POST":
            status, answer = self.fake.post(request.path, request.json(), request.headers)
            return Reply.json(answer, status)
        if request.method == "GET" and request.path == "/reports":
            status, answer = self.fake.get(f"/reports?day={request.query.get('day', '')}")
            return Reply.json(answer, status)
        return Reply.json({"error": "not_found"}, 404)

    def render(self) -> str:
        with self.fake.lock:
            orders = list(reversed(self.fake.received))
        current = "down" if self.down else self.fake.answer
        controls = (f"<p>履约地址 fulfilment URL: <code>{esc(self.fulfilment_url)}</code> · "
                    f"对账报表 report URL: <code>{esc(self.report_url)}</code></p>"
                    f"<p>当前应答 answering: <b>{esc(ANSWERS[current])}</b></p>"
                    + "".join(button("/_peer/answer", label, answer=a) for a, label in ANSWERS.items()))
        rows = [[esc(o.get("order_id")), esc(o.get("product_code")), esc(o.get("amount")), esc(o.get("currency")),
                 esc(o.get("day"))] for o in orders]
        return page(self.title, controls, "<h2>收到的订单 Orders received</h2>",
                    table(["订单 order", "商品 product", "金额 amount", "币种 currency", "日期 day"], rows))
