"""The channels (NTF-2) behind one small interface: ``send(delivery, provider) -> SendResult``.

Settings come from configuration (config.yml, environment); nothing secret lives in code. Each
channel lists its providers in order, the second being the fallback; ``configured`` is False
when the deployment set none, and such messages are logged as skipped.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import smtplib
import socket
import time
import urllib.parse
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol

import requests

from notify_svc.domain.delivery import Delivery, SendResult

TIMEOUT = 10.0


class Channel(Protocol):
    name: str
    providers: list[str]

    @property
    def configured(self) -> bool: ...

    def send(self, delivery: Delivery, provider: str) -> SendResult: ...


def _http_answer(response: requests.Response) -> str:
    return f"HTTP {response.status_code} {response.text[:300]}"


def _retryable(status: int) -> bool:
    # a 4xx other than throttling will not get better by trying again
    return status >= 500 or status in (408, 429)


@dataclass
class HttpSmsProvider:
    name: str
    url: str
    api_key: str
    sign_name: str = ""


class SmsChannel:
    """An HTTP SMS provider: POST {to, text, sign_name} with a bearer API key; 2xx is accepted."""

    name = "sms"

    def __init__(self, providers: list[HttpSmsProvider], timeout: float = TIMEOUT):
        self._by_name = {p.name: p for p in providers}
        self.providers = [p.name for p in providers]
        self.timeout = timeout

    @property
    def configured(self) -> bool:
        return bool(self.providers)

    def send(self, delivery: Delivery, provider: str) -> SendResult:
        p = self._by_name[provider]
        try:
            response = requests.post(p.url, json={"to": delivery.address, "text": delivery.body,
                                                  "sign_name": p.sign_name, "reference": delivery.id},
                                     headers={"Authorization": f"Bearer {p.api_key}"}, timeout=self.timeout)
        except requests.RequestException as exc:
            return SendResult(False, provider, f"{type(exc).__name__}: {exc}")
        return SendResult(response.ok, provider, _http_answer(response), _retryable(response.status_code))


@dataclass
class SmtpProvider:
    name: str
    host: str
    port: int
    sender: str
    user: str = ""
    password: str = ""
    starttls: bool = False


class EmailChannel:
    name = "email"

    def __init__(self, providers: list[SmtpProvider], timeout: float = TIMEOUT):
        self._by_name = {p.name: p for p in providers}
        self.providers = [p.name for p in providers]
        self.timeout = timeout

    @property
    def configured(self) -> bool:
        return bool(self.providers)

    def send(self, delivery: Delivery, provider: str) -> SendResult:
        p = self._by_name[provider]
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = p.sender, delivery.address, delivery.subject
        message["Message-ID"] = f"<{delivery.id}@notify>"
        message.set_content(delivery.body)
        try:
            with smtplib.SMTP(p.host, p.port, timeout=self.timeout) as smtp:
                if p.starttls:
                    smtp.starttls()
                if p.user:
                    smtp.login(p.user, p.password)
                refused = smtp.send_message(message)
        except smtplib.SMTPResponseException as exc:
            # 4xx is transient (try again), 5xx permanent
            return SendResult(False, provider, f"SMTP {exc.smtp_code} {exc.smtp_error!r}", 400 <= exc.smtp_code < 500)
        except (smtplib.SMTPException, OSError) as exc:
            return SendResult(False, provider, f"{type(exc).__name__}: {exc}")
        if refused:
            return SendResult(False, provider, f"refused: {refused}", False)
        return SendResult(True, provider, "250 accepted")


class _RobotChannel:
    """A group robot of DingTalk or WeChat Work; it @-mentions the recipient by mobile number."""

    name = ""

    def __init__(self, url: str, secret: str = "", timeout: float = TIMEOUT):
        self.url, self.secret, self.timeout = url, secret, timeout
        self.providers = [self.name] if url else []

    @property
    def configured(self) -> bool:
        return bool(self.url)

    def target(self) -> str:
        return self.url

    def payload(self, delivery: Delivery) -> dict:
        raise NotImplementedError

    def send(self, delivery: Delivery, provider: str) -> SendResult:
        try:
            response = requests.post(self.target(), json=self.payload(delivery), timeout=self.timeout)
        except requests.RequestException as exc:
            return SendResult(False, provider, f"{type(exc).__name__}: {exc}")
        if not response.ok:
            return SendResult(False, provider, _http_answer(response), _retryable(response.status_code))
        try:
            errcode = response.json().get("errcode", 0)
        except ValueError:
            return SendResult(False, provider, _http_answer(response))
        return SendResult(errcode == 0, provider, _http_answer(response))


class DingTalkChannel(_RobotChannel):
    """DingTalk custom robot with 加签: sign = base64(HMAC-SHA256(secret, "<ms timestamp>\\n<secret>")),
    sent URL-encoded as ``&timestamp=..&sign=..`` (DingTalk's robot security settings)."""

    name = "dingtalk"

    def target(self) -> str:
        if not self.secret:
            return self.url
        timestamp = str(round(time.time() * 1000))
        digest = hmac.new(self.secret.encode(), f"{timestamp}\n{self.secret}".encode(), hashlib.sha256).digest()
        sign = urllib.parse.quote_plus(base64.b64encode(digest))
        joiner = "&" if "?" in self.url else "?"
        return f"{self.url}{joiner}timestamp={timestamp}&sign={sign}"

    def payload(self, delivery: Delivery) -> dict:
        mobiles = [delivery.address] if delivery.address else []
        return {"msgtype": "text", "text": {"content": f"{delivery.subject}\n{delivery.body}"},
                "at": {"atMobiles": mobiles, "isAtAll": False}}


class WeChatWorkChannel(_RobotChannel):
    """WeChat Work group robot: authenticated by the ``key`` in its webhook URL (the service has no
    request signature); keep the URL as secret as a password."""

    name = "wechat_work"

    def payload(self, delivery: Delivery) -> dict:
        mobiles = [delivery.address] if delivery.address else []
        return {"msgtype": "text", "text": {"content": f"{delivery.subject}\n{delivery.body}",
                                            "mentioned_mobile_list": mobiles}}


def channels_from_config(config) -> dict[str, Channel]:
    """Build every channel from nameko config keys (see config.yml)."""
    def get(key: str, default=""):
        value = config.get(key)
        return default if value in (None, "") else value

    sms = [HttpSmsProvider(name, get(f"{prefix}_URL"), get(f"{prefix}_API_KEY"), get("SMS_SIGN_NAME"))
           for name, prefix in (("sms-primary", "SMS"), ("sms-fallback", "SMS_FALLBACK")) if get(f"{prefix}_URL")]
    smtp = [SmtpProvider(name, get(f"{prefix}_HOST"), int(get(f"{prefix}_PORT", 25)),
                         get("SMTP_SENDER", "noreply@localhost"), get(f"{prefix}_USER"), get(f"{prefix}_PASSWORD"),
                         str(get(f"{prefix}_STARTTLS", "false")).lower() == "true")
            for name, prefix in (("smtp-primary", "SMTP"), ("smtp-fallback", "SMTP_FALLBACK")) if get(f"{prefix}_HOST")]
    return {"sms": SmsChannel(sms), "email": EmailChannel(smtp),
            "dingtalk": DingTalkChannel(get("DINGTALK_WEBHOOK_URL"), get("DINGTALK_SECRET")),
            "wechat_work": WeChatWorkChannel(get("WECHAT_WORK_WEBHOOK_URL"))}


class WebhookClient:
    """Posts signed webhook bodies and resolves hosts (for the SSRF check)."""

    def __init__(self, timeout: float = TIMEOUT):
        self.timeout = timeout

    def resolve(self, url: str) -> list[str]:
        host = urllib.parse.urlsplit(url).hostname
        if not host:
            return []
        try:
            return sorted({info[4][0] for info in socket.getaddrinfo(host, None)})
        except (socket.gaierror, UnicodeError):
            return []

    def post(self, url: str, body: bytes, headers: dict) -> tuple[bool, int | None, str]:
        try:
            response = requests.post(url, data=body, headers={"Content-Type": "application/json", **headers},
                                     timeout=self.timeout, allow_redirects=False)
        except requests.RequestException as exc:
            return False, None, f"{type(exc).__name__}: {exc}"
        return 200 <= response.status_code < 300, response.status_code, response.text[:500]
