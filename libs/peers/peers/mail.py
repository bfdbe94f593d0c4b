"""An SMTP sink (aiosmtpd) with a web mailbox: every e-mail notify_svc sends is kept and readable.

SMTP on ``smtp_port`` accepts any sender and recipient (no TLS, no log-in: a local sink only);
the page at ``/`` lists the mails and ``/mails/<n>`` shows one (headers and the decoded text);
``/_peer/mails`` lists them as JSON (``?to=``). ``POST /_peer/fail {"times": n}`` answers the next n
mails with ``451`` (a transient refusal notify retries), ``{"down": true}`` refuses every mail
until ``{"down": false}``.
"""
from __future__ import annotations

import email
import email.policy
from collections import deque
from datetime import UTC, datetime

from aiosmtpd.controller import Controller

from peers.web import Peer, Reply, Request, button, esc, page, table


class _Handler:
    def __init__(self, sink: MailSink):
        self.sink = sink

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        return self.sink.accept(envelope.mail_from, list(envelope.rcpt_tos), envelope.content)


class MailSink(Peer):
    title = "邮件收件箱 · Mailbox (SMTP sink)"

    def __init__(self, host: str = "127.0.0.1", port: int = 0, smtp_port: int = 0):
        super().__init__(host, port)
        self.smtp_host = host
        self.smtp = Controller(_Handler(self), hostname=host, port=smtp_port or _free_port(host))
        self.mails: list[dict] = []
        self.failures: deque[int] = deque()
        self.down = False
        self.refused = 0

    @property
    def smtp_port(self) -> int:
        return self.smtp.port

    def start(self) -> MailSink:
        self.smtp.start()
        return super().start()

    def stop(self) -> None:
        self.smtp.stop()
        super().stop()

    def accept(self, sender: str, recipients: list[str], content: bytes) -> str:
        with self.lock:
            if self.down or self.failures:
                if self.failures:
                    self.failures.popleft()
                self.refused += 1
                return "451 4.3.0 told to fail (peer); try again later"
            message = email.message_from_bytes(content, policy=email.policy.default)
            body = message.get_body(preferencelist=("plain", "html"))
            self.mails.append({"id": len(self.mails) + 1, "at": datetime.now(UTC).isoformat(timespec="seconds"),
                               "from": sender, "to": recipients, "subject": str(message.get("Subject", "")),
                               "message_id": str(message.get("Message-ID", "")),
                               "text": body.get_content() if body is not None else "",
                               "raw": content.decode("utf-8", errors="replace")})
        return "250 OK"

    def handle(self, request: Request) -> Reply:
        if request.path == "/_peer/mails":
            if request.method == "DELETE":
                with self.lock:
                    self.mails.clear()
                return Reply.json({"cleared": True})
            to = request.query.get("to")
            with self.lock:
                found = [{k: v for k, v in m.items() if k != "raw"} for m in self.mails if to in (None, *m["to"])]
                return Reply.json({"mails": found, "refused": self.refused})
        if request.method == "POST" and request.path == "/_peer/fail":
            form = request.form()
            with self.lock:
                if "down" in form:
                    self.down = str(form["down"]).lower() in ("1", "true", "yes")
                if form.get("times"):
                    self.failures.extend([451] * int(form["times"]))
            if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
                return Reply.redirect("/")
            return Reply.json(self.settings())
        if request.path == "/_peer/settings":
            return Reply.json(self.settings())
        if request.method == "GET" and request.path.startswith("/mails/"):
            return self.render_mail(int(request.path.rsplit("/", 1)[1]))
        if request.method == "GET" and request.path == "/":
            return Reply.html(self.render())
        return Reply.json({"error": "not_found"}, 404)

    def settings(self) -> dict:
        with self.lock:
            return {"down": self.down, "failing_next": len(self.failures), "smtp": f"{self.smtp_host}:{self.smtp_port}"}

    def render(self) -> str:
        with self.lock:
            mails = list(reversed(self.mails))
            pending = len(self.failures)
            state = ("拒收中 refusing (451)" if self.down else
                     f"接下来 {pending} 封拒收 next {pending} refused" if pending else "正常 ok")
            refused = self.refused
        rows = [[esc(m["id"]), esc(m["at"]), esc(", ".join(m["to"])),
                 f"<a href='/mails/{m['id']}'>{esc(m['subject'] or '(无主题 no subject)')}</a>"] for m in mails]
        controls = (f"<p>SMTP {esc(self.smtp_host)}:{self.smtp_port} · 状态 state: {esc(state)} · "
                    f"已拒收 refused so far: {refused}</p>"
                    + button("/_peer/fail", "拒收一封 refuse one (451)", times=1)
                    + button("/_peer/fail", "全部拒收 refuse all", down="true")
                    + button("/_peer/fail", "恢复 accept again", down="false"))
        return page(self.title, controls, table(["#", "时间 received (UTC)", "收件人 to", "主题 subject"], rows))

    def render_mail(self, number: int) -> Reply:
        with self.lock:
            mail = next((m for m in self.mails if m["id"] == number), None)
        if mail is None:
            return Reply.html(page("未找到 not found", "<p><a href='/'>返回 back</a></p>"), 404)
        headers = table(["", ""], [["发件人 from", esc(mail["from"])], ["收件人 to", esc(", ".join(mail["to"]))],
                                   ["主题 subject", esc(mail["subject"])], ["Message-ID", esc(mail["message_id"])],
                                   ["时间 received (UTC)", esc(mail["at"])]])
        return Reply.html(page(mail["subject"] or "(无主题 no subject)", "<p><a href='/'>← 收件箱 mailbox</a></p>",
                               headers, f"<pre>{esc(mail['text'])}</pre>",
                               f"<details><summary>原文 raw</summary><pre>{esc(mail['raw'])}</pre></details>",
                               refresh=3600))


def _free_port(host: str) -> int:
    import socket

    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]
