"""Run the peers as one process beside the platform (``make run``, the end-to-end tests), and the
settings that point the platform's channels and clients at them.

The peers run in their own process, not in the caller's: aiosmtpd's asyncio loop must stay clear
of eventlet, which the tests' process (nameko's pytest plugin) patches in.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import requests

from peers.__main__ import DEFAULT_PORTS


@dataclass(frozen=True)
class Addresses:
    host: str
    mail_web: int
    mail_smtp: int
    messaging: int
    payment: int
    supplier: int

    @classmethod
    def defaults(cls, host: str = "127.0.0.1") -> Addresses:
        d = DEFAULT_PORTS
        return cls(host, d["MAIL_WEB_PORT"], d["MAIL_SMTP_PORT"], d["MESSAGING_PORT"], d["PAYMENT_PORT"],
                   d["SUPPLIER_PORT"])

    @classmethod
    def free(cls, host: str = "127.0.0.1") -> Addresses:
        return cls(host, *(free_port(host) for _ in range(5)))

    def url(self, port: int) -> str:
        return f"http://{self.host}:{port}"

    @property
    def mailbox(self) -> str:
        return self.url(self.mail_web)

    @property
    def messaging_url(self) -> str:
        return self.url(self.messaging)

    @property
    def payment_url(self) -> str:
        return self.url(self.payment)

    @property
    def supplier_url(self) -> str:
        return self.url(self.supplier)

    def environment(self) -> dict[str, str]:
        """The peers' own settings (``python -m peers``)."""
        return {"PEERS_HOST": self.host, "MAIL_WEB_PORT": str(self.mail_web), "MAIL_SMTP_PORT": str(self.mail_smtp),
                "MESSAGING_PORT": str(self.messaging), "PAYMENT_PORT": str(self.payment),
                "SUPPLIER_PORT": str(self.supplier)}


def platform_settings(peers: Addresses, *, sms_key: str = "local-sms-key", dingtalk_secret: str = "") -> dict[str, str]:
    """notify's channels and billing's provider pointed at the peers: the same variables a deployment
    sets to its real providers (URLs and credentials only)."""
    robot = peers.messaging_url
    return {
        "SMTP_HOST": peers.host, "SMTP_PORT": str(peers.mail_smtp), "SMTP_SENDER": "noreply@platform.local",
        "SMS_URL": f"{robot}/sms", "SMS_API_KEY": sms_key, "SMS_SIGN_NAME": "交付平台",
        "SMS_FALLBACK_URL": f"{robot}/sms-fallback", "SMS_FALLBACK_API_KEY": sms_key,
        "DINGTALK_WEBHOOK_URL": f"{robot}/dingtalk/robot/send?access_token=local", "DINGTALK_SECRET": dingtalk_secret,
        "WECHAT_WORK_WEBHOOK_URL": f"{robot}/wechat-work/webhook/send?key=local",
        "PAYMENT_PROVIDER_URL": peers.payment_url,
    }


class PeersProcess:
    """``python -m peers all`` on the given addresses, its output in ``log``."""

    def __init__(self, addresses: Addresses, log: Path, *, notice_url: str | None = None,
                 notice_secret: str | None = None, dingtalk_secret: str = "", late_seconds: float = 8.0):
        self.addresses, self.log = addresses, Path(log)
        self.env = {**addresses.environment(), "PAYMENT_NOTICE_URL": notice_url or "",
                    "PAYMENT_NOTICE_SECRET": notice_secret or "", "DINGTALK_SECRET": dingtalk_secret,
                    "PAYMENT_LATE_SECONDS": str(late_seconds)}
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 20) -> PeersProcess:
        a = self.addresses
        taken = [p for p in (a.mail_web, a.mail_smtp, a.messaging, a.payment, a.supplier) if port_open(a.host, p)]
        if taken:
            raise RuntimeError(f"ports {taken} on {a.host} are in use by another process; stop it first")
        self.log.parent.mkdir(parents=True, exist_ok=True)
        out = open(self.log, "ab")
        self.proc = subprocess.Popen([sys.executable, "-m", "peers", "all"], env={**os.environ, **self.env},
                                     stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while not all(port_open(a.host, p) for p in (a.mail_web, a.mail_smtp, a.messaging, a.payment, a.supplier)):
            if self.proc.poll() is not None:
                raise RuntimeError(f"the peers exited with {self.proc.returncode}; see {self.log}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the peers did not listen within {timeout:g}s; see {self.log}")
            time.sleep(0.1)
        return self

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, grace: float = 5) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(grace)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(grace)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # --- what the peers received (their /_peer APIs) ---------------------------------------------------

    def mails(self, to: str | None = None) -> list[dict]:
        return _get(self.addresses.mailbox + "/_peer/mails", {"to": to} if to else None)["mails"]

    def messages(self, channel: str | None = None) -> list[dict]:
        return _get(self.addresses.messaging_url + "/_peer/messages",
                    {"channel": channel} if channel else None)["messages"]

    def refused_messages(self, channel: str | None = None) -> list[dict]:
        return _get(self.addresses.messaging_url + "/_peer/messages",
                    {"channel": channel} if channel else None)["refused"]

    def payments(self) -> list[dict]:
        return _get(self.addresses.payment_url + "/_peer/payments")["payments"]

    def orders(self) -> list[dict]:
        return _get(self.addresses.supplier_url + "/_peer/orders")["orders"]

    def fail_messages(self, channel: str, times: int = 1, status: int = 503) -> None:
        _post(self.addresses.messaging_url + "/_peer/fail", {"channel": channel, "times": times, "status": status})

    def fail_mails(self, times: int = 1) -> None:
        _post(self.addresses.mailbox + "/_peer/fail", {"times": times})

    def payment_mode(self, mode: str, times: int | None = None) -> None:
        _post(self.addresses.payment_url + "/_peer/mode", {"mode": mode, "times": times})

    def supplier_answer(self, answer: str) -> None:
        _post(self.addresses.supplier_url + "/_peer/answer", {"answer": answer})


def _get(url: str, params: dict | None = None) -> dict:
    answer = requests.get(url, params=params, timeout=10)
    answer.raise_for_status()
    return answer.json()


def _post(url: str, body: dict) -> dict:
    answer = requests.post(url, json=body, timeout=10)
    answer.raise_for_status()
    return answer.json()


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]
