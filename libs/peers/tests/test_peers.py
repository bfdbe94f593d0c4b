"""The local peers themselves (NTF-2, BIL-6, BIL-4), as their one process (``python -m peers all``)
on free ports: each records what it gets through its real protocol, shows it on its page, and fails
when told to."""
from __future__ import annotations

import http.client
import smtplib
import time
import uuid
from email.message import EmailMessage

import pytest
import requests

from peers.messaging import dingtalk_sign
from peers.process import Addresses, PeersProcess


@pytest.fixture(scope="module")
def peers(tmp_path_factory):
    log = tmp_path_factory.mktemp("peers") / "peers.log"
    with PeersProcess(Addresses.free(), log, dingtalk_secret="SEC-local", late_seconds=2) as running:
        yield running


def send_mail(peers: PeersProcess, to: str, subject: str, body: str) -> None:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "noreply@platform.local", to, subject
    message.set_content(body)
    with smtplib.SMTP(peers.addresses.host, peers.addresses.mail_smtp, timeout=10) as smtp:
        smtp.send_message(message)


def test_NTF2_the_mail_sink_keeps_every_mail_and_shows_it_on_its_page(peers):
    to = f"{uuid.uuid4().hex[:8]}@customer.example"
    send_mail(peers, to, "工单已转交 ticket handed over", "您好，工单 tk-1 已转交给您。")
    [mail] = peers.mails(to)
    assert mail["subject"] == "工单已转交 ticket handed over" and "tk-1" in mail["text"]
    listing = requests.get(peers.addresses.mailbox + "/", timeout=10).text
    assert "工单已转交" in listing and f"/mails/{mail['id']}" in listing
    shown = requests.get(f"{peers.addresses.mailbox}/mails/{mail['id']}", timeout=10).text
    assert "已转交给您" in shown and to in shown


def test_NTF2_the_mail_sink_refuses_with_a_transient_451_when_told_and_accepts_again(peers):
    to = f"{uuid.uuid4().hex[:8]}@customer.example"
    peers.fail_mails(times=1)
    with pytest.raises(smtplib.SMTPDataError) as refused:
        send_mail(peers, to, "first", "refused")
    assert refused.value.smtp_code == 451          # notify's e-mail channel retries a 4xx
    send_mail(peers, to, "second", "accepted")
    assert [m["subject"] for m in peers.mails(to)] == ["second"]


def test_NTF2_the_sms_peer_records_messages_fails_on_demand_and_lists_what_it_refused(peers):
    url = peers.addresses.messaging_url
    phone = f"139{uuid.uuid4().int % 10**8:08d}"
    sms = {"to": phone, "text": "您的工单已受理", "sign_name": "交付平台", "reference": "d-1"}
    accepted = requests.post(f"{url}/sms", json=sms, headers={"Authorization": "Bearer k1"}, timeout=10)
    assert accepted.status_code == 200 and accepted.json()["errcode"] == 0
    peers.fail_messages("sms", times=2, status=503)
    assert requests.post(f"{url}/sms", json={**sms, "reference": "d-2"}, timeout=10).status_code == 503
    assert requests.post(f"{url}/sms", json={**sms, "reference": "d-2"}, timeout=10).status_code == 503
    assert requests.post(f"{url}/sms-fallback", json={**sms, "reference": "d-2"}, timeout=10).status_code == 200
    mine = [m for m in peers.messages() if m["to"] == phone]
    assert [(m["channel"], m["reference"]) for m in mine] == [("sms", "d-1"), ("sms-fallback", "d-2")]
    assert mine[0]["api_key"] == "k1"
    assert len([r for r in peers.refused_messages("sms") if r["body"]["to"] == phone]) == 2
    page = requests.get(url + "/", timeout=10).text
    assert phone in page and "您的工单已受理" in page


def test_NTF2_the_sms_peer_is_down_until_told_up_again(peers):
    url = peers.addresses.messaging_url
    requests.post(f"{url}/_peer/fail", json={"channel": "wechat_work", "down": True}, timeout=10)
    body = {"msgtype": "text", "text": {"content": "告警", "mentioned_mobile_list": ["13800000000"]}}
    assert requests.post(f"{url}/wechat-work/webhook/send?key=k", json=body, timeout=10).status_code == 503
    requests.post(f"{url}/_peer/fail", json={"channel": "wechat_work", "down": False}, timeout=10)
    assert requests.post(f"{url}/wechat-work/webhook/send?key=k", json=body, timeout=10).json()["errcode"] == 0
    assert peers.messages("wechat_work")[-1]["to"] == "13800000000"


def test_NTF2_the_dingtalk_robot_checks_its_signature_as_dingtalk_does(peers):
    url = peers.addresses.messaging_url + "/dingtalk/robot/send"
    body = {"msgtype": "text", "text": {"content": "项目逾期"}, "at": {"atMobiles": ["13700000000"]}}
    timestamp = str(round(time.time() * 1000))
    forged = requests.post(url, params={"access_token": "t", "timestamp": timestamp, "sign": "bad"}, json=body,
                           timeout=10)
    assert forged.json()["errcode"] == 310000
    signed = requests.post(url, params={"access_token": "t", "timestamp": timestamp,
                                        "sign": dingtalk_sign("SEC-local", timestamp)}, json=body, timeout=10)
    assert signed.json()["errcode"] == 0
    assert peers.messages("dingtalk")[-1]["text"] == "项目逾期"


def pay(peers: PeersProcess, key: str, timeout: float = 10) -> requests.Response:
    body = {"key": key, "kind": "payout", "payer": "clearing", "payee": "supplier:s1", "amount": 2850,
            "currency": "CNY", "order_id": "o-" + key}
    return requests.post(peers.addresses.payment_url + "/payments", json=body, headers={"Idempotency-Key": key},
                         timeout=timeout)


def test_BIL6_the_payment_provider_executes_each_key_once(peers):
    key = f"payout:{uuid.uuid4()}"
    first, again = pay(peers, key), pay(peers, key)
    assert first.json()["status"] == again.json()["status"] == "succeeded"
    assert first.json()["reference"] == again.json()["reference"]
    [payment] = [p for p in peers.payments() if p["key"] == key]
    assert payment["executions"] == 1 and payment["amount"] == 2850
    assert requests.get(f"{peers.addresses.payment_url}/payments/{key}", timeout=10).json()["status"] == "succeeded"
    assert key in requests.get(peers.addresses.payment_url + "/", timeout=10).text


def test_BIL6_the_payment_provider_answers_late_or_loses_the_answer_but_executes(peers):
    late_key, lost_key = f"payout:{uuid.uuid4()}", f"payout:{uuid.uuid4()}"
    peers.payment_mode("late", times=1)
    with pytest.raises(requests.Timeout):
        pay(peers, late_key, timeout=0.5)          # the client gave up; the payment happened
    peers.payment_mode("lost", times=1)
    with pytest.raises(requests.ConnectionError):
        pay(peers, lost_key)
    for key in (late_key, lost_key):
        asked = requests.get(f"{peers.addresses.payment_url}/payments/{key}", timeout=10)
        assert asked.json()["status"] == "succeeded"
    assert pay(peers, f"payout:{uuid.uuid4()}").json()["status"] == "succeeded"   # back to normal


def test_BIL6_the_payment_provider_fails_payments_and_goes_down_when_told(peers):
    peers.payment_mode("fail", times=1)
    assert pay(peers, f"withhold:{uuid.uuid4()}").json()["status"] == "failed"
    peers.payment_mode("down")
    try:
        assert pay(peers, f"withhold:{uuid.uuid4()}").status_code == 503
    finally:
        peers.payment_mode("normal")


def test_BIL4_the_supplier_fulfils_orders_reports_them_and_fails_when_told(peers):
    url = peers.addresses.supplier_url
    order = {"order_id": str(uuid.uuid4()), "customer_id": "c1", "product_code": "CMCC-1G", "amount": 2850,
             "currency": "CNY"}
    answer = requests.post(url + "/orders", json=order, timeout=10)
    assert answer.status_code == 200 and answer.json()["status"] == "succeeded"
    day = time.strftime("%Y-%m-%d", time.gmtime())
    report = requests.get(url + "/reports", params={"day": day}, timeout=10).json()
    assert order["order_id"] in [o["order_id"] for o in report["orders"]]
    peers.supplier_answer("failed")
    assert requests.post(url + "/orders", json={**order, "order_id": "o2"}, timeout=10).json()["status"] == "failed"
    peers.supplier_answer("down")
    assert requests.post(url + "/orders", json={**order, "order_id": "o3"}, timeout=10).status_code == 503
    peers.supplier_answer("succeeded")
    assert order["order_id"] in requests.get(url + "/", timeout=10).text


def test_the_pages_buttons_switch_a_peer_as_a_person_would(peers):
    url = peers.addresses.payment_url
    clicked = requests.post(url + "/_peer/mode", data={"mode": "lost", "times": "1"}, allow_redirects=False,
                            timeout=10)
    assert clicked.status_code == 303
    assert requests.get(url + "/_peer/mode", timeout=10).json() == {"mode": "lost", "times": 1}
    peers.payment_mode("normal")


def test_a_peer_refuses_an_unknown_switch_with_a_400(peers):
    answer = requests.post(peers.addresses.payment_url + "/_peer/mode", json={"mode": "chaos"}, timeout=10)
    assert answer.status_code == 400 and "mode must be one of" in answer.json()["message"]


def test_a_second_peers_process_on_taken_ports_is_refused_clearly(peers, tmp_path):
    with pytest.raises(RuntimeError, match="in use"):
        PeersProcess(peers.addresses, tmp_path / "second.log").start()


def test_the_peers_stop_on_sigterm(tmp_path):
    running = PeersProcess(Addresses.free(), tmp_path / "peers.log").start()
    running.stop(grace=5)
    assert running.proc.returncode == 0
    with pytest.raises(ConnectionError):
        http.client.HTTPConnection("127.0.0.1", running.addresses.payment, timeout=2).request("GET", "/")
