"""An SMS provider and the DingTalk / WeChat Work group robots, as one local HTTP peer.

It speaks what notify_svc's channels send (``notify_svc/adapters/channels.py``):

* ``POST /sms`` and ``POST /sms-fallback`` (two providers, the second notify's fallback):
  ``{to, text, sign_name, reference}`` with ``Authorization: Bearer <api key>``;
* ``POST /dingtalk/robot/send?access_token=..[&timestamp=..&sign=..]``: DingTalk's custom robot;
  with a secret set (``secret``), the 加签 signature is checked as DingTalk does, and a wrong one
  answers ``errcode 310000``;
* ``POST /wechat-work/webhook/send?key=..``: WeChat Work's group robot.

Everything accepted is recorded and shown at ``/``; ``/_peer/messages`` lists it as JSON
(``?channel=``). Each channel can be told to fail: ``POST /_peer/fail {"channel", "times", "status"}``
fails its next requests, ``{"channel", "down": true}`` all of them until ``{"down": false}``.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections import deque
from datetime import UTC, datetime

from peers.web import Peer, Reply, Request, button, esc, page, table

CHANNELS = {"/sms": "sms", "/sms-fallback": "sms-fallback", "/dingtalk/robot/send": "dingtalk",
            "/wechat-work/webhook/send": "wechat_work"}
NAMES = {"sms": "短信 SMS", "sms-fallback": "短信（备用）SMS fallback", "dingtalk": "钉钉机器人 DingTalk",
         "wechat_work": "企业微信机器人 WeChat Work"}


def dingtalk_sign(secret: str, timestamp: str) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


class MessagingPeer(Peer):
    title = "短信与群机器人 · SMS and group robots"

    def __init__(self, host: str = "127.0.0.1", port: int = 0, dingtalk_secret: str = ""):
        super().__init__(host, port)
        self.dingtalk_secret = dingtalk_secret
        self.messages: list[dict] = []
        self.failures: dict[str, deque[int]] = {c: deque() for c in NAMES}
        self.down: dict[str, int | None] = dict.fromkeys(NAMES)
        self.refused: list[dict] = []   # requests answered with a failure (what notify retried)

    # --- what the channels call --------------------------------------------------------------------

    def receive(self, channel: str, request: Request) -> Reply:
        body = request.json()
        with self.lock:
            status = self.down[channel] or (self.failures[channel].popleft() if self.failures[channel] else None)
            if status:
                self.refused.append({"channel": channel, "status": status, "at": _now(), "body": body})
                return Reply.json({"errcode": status, "errmsg": "told to fail (peer)"}, status)
        if channel == "dingtalk" and self.dingtalk_secret:
            timestamp = request.query.get("timestamp", "")
            expected = dingtalk_sign(self.dingtalk_secret, timestamp)
            fresh = timestamp.isdigit() and abs(time.time() * 1000 - int(timestamp)) < 3_600_000
            if not (fresh and hmac.compare_digest(expected, request.query.get("sign", ""))):
                return Reply.json({"errcode": 310000, "errmsg": "sign not match"})
        message = {"id": 0, "channel": channel, "at": _now(), **self._fields(channel, body, request)}
        with self.lock:
            message["id"] = len(self.messages) + 1
            self.messages.append(message)
        return Reply.json({"errcode": 0, "errmsg": "ok", "id": message["id"]})

    @staticmethod
    def _fields(channel: str, body: dict, request: Request) -> dict:
        if channel.startswith("sms"):
            return {"to": body.get("to"), "text": body.get("text"), "sign_name": body.get("sign_name"),
                    "reference": body.get("reference"),
                    "api_key": request.headers.get("authorization", "").removeprefix("Bearer ")}
        text = body.get("text", {})
        if channel == "dingtalk":
            return {"to": ",".join(body.get("at", {}).get("atMobiles", [])), "text": text.get("content"),
                    "token": request.query.get("access_token")}
        return {"to": ",".join(text.get("mentioned_mobile_list", [])), "text": text.get("content"),
                "token": request.query.get("key")}

    # --- control and page ------------------------------------------------------------------------------

    def handle(self, request: Request) -> Reply:
        if request.method == "POST" and request.path in CHANNELS:
            return self.receive(CHANNELS[request.path], request)
        if request.path == "/_peer/messages":
            if request.method == "DELETE":
                with self.lock:
                    self.messages.clear()
                    self.refused.clear()
                return Reply.json({"cleared": True})
            channel = request.query.get("channel")
            with self.lock:
                found = [m for m in self.messages if channel in (None, m["channel"])]
                refused = [r for r in self.refused if channel in (None, r["channel"])]
            return Reply.json({"messages": found, "refused": refused})
        if request.method == "POST" and request.path == "/_peer/fail":
            self.configure(request.form())
            return Reply.redirect("/") if request.headers.get("content-type", "").startswith(
                "application/x-www-form-urlencoded") else Reply.json(self.settings())
        if request.path == "/_peer/settings":
            return Reply.json(self.settings())
        if request.method == "GET" and request.path == "/":
            return Reply.html(self.render())
        return Reply.json({"errcode": 404, "errmsg": "not found"}, 404)

    def configure(self, form: dict) -> None:
        channel = form["channel"]
        if channel not in NAMES:
            raise ValueError(f"channel must be one of {sorted(NAMES)}")
        status = int(form.get("status") or 503)
        with self.lock:
            if "down" in form:
                self.down[channel] = status if str(form["down"]).lower() in ("1", "true", "yes") else None
            if form.get("times"):
                self.failures[channel].extend([status] * int(form["times"]))

    def settings(self) -> dict:
        with self.lock:
            return {c: {"down": self.down[c], "failing_next": len(self.failures[c])} for c in NAMES}

    def render(self) -> str:
        with self.lock:
            messages = list(reversed(self.messages))
            refused = list(reversed(self.refused))[:20]
            settings = {c: (self.down[c], len(self.failures[c])) for c in NAMES}
        controls = []
        for channel, (down, pending) in settings.items():
            state = ("故障中 down" if down else
                     f"接下来 {pending} 次失败 next {pending} fail" if pending else "正常 ok")
            controls.append([esc(NAMES[channel]), esc(state),
                             button("/_peer/fail", "失败一次 fail once", channel=channel, times=1)
                             + button("/_peer/fail", "停用 down", channel=channel, down="true")
                             + button("/_peer/fail", "恢复 up", channel=channel, down="false")])
        rows = [[esc(m["id"]), esc(NAMES[m["channel"]]), esc(m["at"]), esc(m["to"]),
                 f"<pre>{esc(m['text'])}</pre>"] for m in messages]
        failed = [[esc(NAMES[r["channel"]]), esc(r["at"]), esc(r["status"])] for r in refused]
        return page(self.title,
                    "<h2>通道 Channels</h2>", table(["通道 channel", "状态 state", ""], controls),
                    "<h2>收到的消息 Messages received</h2>",
                    table(["#", "通道 channel", "时间 received (UTC)", "收件人 to", "内容 text"], rows),
                    "<h2>按要求失败的请求 Requests answered with a failure</h2>",
                    table(["通道 channel", "时间 (UTC)", "HTTP"], failed))


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
