"""TKT-10: reading a customer's e-mail: the ticket number, the new text of a reply, attachments,
and automatic mail or loops to ignore; the intake's handler with a fake unit of work."""
from datetime import datetime
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import pytest

from platform_contracts.actor import Actor
from ticket_svc import handlers
from ticket_svc.domain.mail import LOOP_MARK, MailAttachment, parse, strip_quoted

from .fakes import fake_uow

MON_10 = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
CUSTOMER = Actor("u-cust", "cust", "customer", ("customer",))


def raw(subject="后台无法登录", body="登录报错 500", sender="王先生 <wang@customer.test>", **headers) -> bytes:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, "support@tickets.test", subject
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return bytes(message)


def test_TKT10_the_number_threads_by_subject_or_in_reply_to_and_the_title_drops_re_and_the_number():
    mail = parse(raw("回复：Re: 【工单】T-2026-000123 后台无法登录"))
    assert mail.number == "T-2026-000123" and mail.title == "后台无法登录" and mail.sender == "wang@customer.test"
    assert parse(raw("Re: 你好", In_Reply_To="<T-2026-000777.reply@platform>")).number == "T-2026-000777"
    assert parse(raw("新问题")).number is None


@pytest.mark.parametrize("headers,subject,sender", [
    ({"Auto_Submitted": "auto-replied"}, "Re: T-2026-000123", "wang@customer.test"),
    ({"Precedence": "bulk"}, "news", "wang@customer.test"),
    ({"X_Autoreply": "yes"}, "hi", "wang@customer.test"),
    ({}, "自动回复：我正在休假", "wang@customer.test"),
    ({}, "Out of Office: back Monday", "wang@customer.test"),
    ({}, "Undelivered Mail Returned to Sender", "MAILER-DAEMON@customer.test"),
    ({"X_Loop": LOOP_MARK}, "Re: T-2026-000123", "wang@customer.test"),
    ({}, "Re: T-2026-000123", "support@tickets.test"),
])
def test_TKT10_automatic_mail_and_loops_are_recognised(headers, subject, sender):
    assert parse(raw(subject, sender=sender, **headers), {"support@tickets.test"}).automatic


def test_TKT10_a_persons_mail_is_not_automatic_even_with_auto_submitted_no():
    assert parse(raw(Auto_Submitted="no")).automatic is None


def test_TKT10_a_reply_keeps_its_new_text_without_the_quoted_mail():
    text = "还是不行。\n\n在 2026年11月23日 10:00，support 写道：\n> 您好，请清理缓存\n"
    assert strip_quoted(text) == "还是不行。"
    assert strip_quoted("ok\n-----Original Message-----\nFrom: x") == "ok"
    assert strip_quoted("first\n> quoted\nsecond") == "first\nsecond"


def test_TKT10_attachments_are_read_with_their_names():
    message = EmailMessage()
    message["From"], message["Subject"] = "wang@customer.test", "截图"
    message.set_content("见附件")
    message.add_attachment(b"\x89PNG\r\n\x1a\nxx", maintype="image", subtype="png", filename="报错截图.png")
    mail = parse(bytes(message))
    assert [(a.name, a.content_type) for a in mail.attachments] == [("报错截图.png", "image/png")]


def world():
    uow = fake_uow()
    uow.subjects.upsert_project("p1", "ORD-1", "prod", "ven", "cust")
    uow.subjects.set_provider("p1", "prov", "prod")
    uow.people.upsert_user({"user_id": "u-cust", "org_id": "cust", "roles": ["customer"], "active": True,
                            "email": "wang@customer.test"})
    return uow


def store(ticket_id: str, item: MailAttachment) -> str:
    return f"tickets/{ticket_id}/{'e' * 32}"


def test_TKT10_a_mail_opens_a_ticket_on_the_customers_order_and_a_reply_threads_into_it():
    uow = world()
    outcome = handlers.mail_received(parse(raw()), uow, MON_10, store)
    (ticket,) = uow.tickets.rows.values()
    assert outcome == f"opened {ticket.number}" and ticket.order_id == "ORD-1" and ticket.title == "后台无法登录"
    answer = handlers.mail_received(parse(raw(f"Re: [{ticket.number}] 后台无法登录", "补充：Chrome 也不行")), uow,
                                    MON_10, store)
    assert answer == f"replied {ticket.number}"
    assert uow.tickets.rows[ticket.id].messages[-1].body == "补充：Chrome 也不行"


def test_TKT10_strangers_automatic_mail_and_other_customers_numbers_are_ignored():
    uow = world()
    handlers.mail_received(parse(raw()), uow, MON_10, store)
    (ticket,) = uow.tickets.rows.values()
    assert handlers.mail_received(parse(raw(sender="x@elsewhere.test")), uow, MON_10, store).startswith("ignored")
    assert handlers.mail_received(parse(raw(Auto_Submitted="auto-replied")), uow, MON_10, store).startswith("ignored")
    uow.people.upsert_user({"user_id": "u-2", "org_id": "other", "roles": ["customer"], "active": True,
                            "email": "li@other.test"})
    sneaky = parse(raw(f"Re: {ticket.number}", "我也要看", sender="li@other.test"))
    assert handlers.mail_received(sneaky, uow, MON_10, store).startswith("ignored")
    assert len(uow.tickets.rows) == 1 and len(uow.tickets.rows[ticket.id].messages) == 1
