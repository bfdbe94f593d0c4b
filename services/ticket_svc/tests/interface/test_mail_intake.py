"""TKT-10: a customer opens and follows a ticket by e-mail. A real SMTP client (smtplib) writes to
the intake (``python -m ticket_svc.mail_intake``, its own process on the test database), the
agent's public reply goes out through notify_svc's e-mail channel to a local SMTP sink (aiosmtpd),
and the customer's answer to that mail threads back into the ticket by the number in its subject."""
from __future__ import annotations

import email
import os
import smtplib
import socket
import subprocess
import sys
import time
import uuid
from email.message import EmailMessage
from email.policy import default as default_policy

import pytest

from notify_svc.adapters.channels import EmailChannel, SmtpProvider
from notify_svc.domain.defaults import default_templates
from notify_svc.domain.delivery import Delivery
from notify_svc.testing import SmtpSink

SUPPORT = "support@tickets.test"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def intake(test_database_urls, tmp_path):
    port = _free_port()
    env = {**os.environ, "TICKET_DATABASE_URL": test_database_urls["ticket"], "TICKET_SMTP_PORT": str(port),
           "FILE_STORAGE_DIR": str(tmp_path / "files"), "TICKET_MAIL_ADDRESS": SUPPORT, "LOG_LEVEL": "WARNING"}
    process = subprocess.Popen([sys.executable, "-m", "ticket_svc.mail_intake"], env=env)
    deadline = time.monotonic() + 20
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise RuntimeError("the mail intake did not start") from None
            time.sleep(0.1)
    yield port
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def sink(tmp_path):
    server = SmtpSink(tmp_path)
    yield server
    server.stop()


def send(port: int, sender: str, subject: str, body: str, **headers) -> None:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, SUPPORT, subject
    message["Message-ID"] = f"<{uuid.uuid4().hex}@customer.test>"
    for name, value in headers.items():
        if name != "attachment":
            message[name.replace("_", "-")] = value
    message.set_content(body)
    if "attachment" in headers:
        message.add_attachment(PNG, maintype="image", subtype="png", filename=headers["attachment"])
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
        smtp.send_message(message)     # the intake answers 250 once the ticket is committed


def test_TKT10_a_customer_opens_and_follows_a_ticket_by_email_and_gets_the_reply_by_email(
        rpc, world, deliver, intake, sink, outbox, wait_until):
    w = world()
    address = f"{w['customer'].user_id}@customer.test"
    deliver("user_created", {"user_id": w["customer"].user_id, "org_id": w["customer"].org_id,
                             "org_kind": "customer", "login_name": w["customer"].user_id, "display_name": "王先生",
                             "email": address, "roles": ["customer"], "active": True})
    send(intake, f"王先生 <{address}>", "后台无法登录", "您好，今天上午开始后台登录报错 500。\n谢谢",
         attachment="报错截图.png")
    mine = rpc(w["customer"]).list_tickets({})["items"]
    assert len(mine) == 1 and mine[0]["title"] == "后台无法登录"
    number = mine[0]["number"]
    assert number.startswith("T-20") and len(number) == len("T-2026-000123")
    ticket = rpc(w["customer"]).get_ticket(number)             # people quote the number: it finds the ticket
    assert ticket["messages"][0]["body"].startswith("您好，今天上午开始后台登录报错 500")
    files = [a for m in ticket["messages"] for a in m["attachments"]]
    assert [f["name"] for f in files] == ["报错截图.png"]
    assert rpc(w["a1"]).download_attachment(ticket["id"], files[0]["id"])["size"] == len(PNG)

    # auto-replies, lists and our own mail are ignored, never threaded or answered
    send(intake, address, f"自动回复: [{number}] 后台无法登录", "我正在休假", Auto_Submitted="auto-replied")
    send(intake, address, f"Re: [{number}]", "loop", X_Loop="tickets@after-sales-platform")
    send(intake, SUPPORT, f"[{number}] 回复", "our own mail")
    assert len(rpc(w["customer"]).get_ticket(ticket["id"])["messages"]) == len(ticket["messages"])

    # the agent's public reply goes out by e-mail, its subject carrying the number
    rpc(w["a1"]).post_message(ticket["id"], {"body": "您好，请您清理浏览器缓存后重试，谢谢！"})
    request = wait_until(lambda: outbox("ticket_notification_requested", variables={"kind": "agent_reply",
                                                                                    "ticket_id": ticket["id"]}),
                         message="the reply's e-mail requested")[0]["data"]
    assert request["channels"] == ["email"] and request["receivers"][0]["user_id"] == w["customer"].user_id
    template = next(t for t in default_templates() if t.name == request["message_template"])
    rendered = template.render("email", "zh-CN", {**request["variables"], "receiver_name": "王先生"})
    sent = EmailChannel([SmtpProvider("sink", "127.0.0.1", sink.port, SUPPORT)]).send(
        Delivery(str(uuid.uuid4()), request["dedupe_key"], address, "email", template.name, rendered.subject,
                 rendered.body, address), "sink")
    assert sent.ok
    out = wait_until(lambda: sink.messages(), message="the reply reached the sink")[0]
    answer = email.message_from_bytes(bytes(out), policy=default_policy)
    assert number in answer["Subject"] and "请您清理浏览器缓存" in answer.get_content()

    # the customer answers that mail: threaded into the ticket, the quoted text left out
    send(intake, address, f"Re: {answer['Subject']}", "还是不行，清理后依旧报错。\n\n> 您好，请您清理浏览器缓存后重试",
         In_Reply_To=answer["Message-ID"])
    followed = rpc(w["customer"]).get_ticket(ticket["id"])
    assert followed["messages"][-1]["body"] == "还是不行，清理后依旧报错。"
    assert rpc(w["customer"]).list_tickets({})["total"] == 1


def test_TKT10_mail_from_an_unknown_address_opens_nothing(rpc, world, intake):
    w = world()
    send(intake, "stranger@elsewhere.test", "帮我看看", "随便问问")
    assert rpc(w["customer"]).list_tickets({})["total"] == 0
