"""notify_svc in a nameko container against the real broker and database, with real local peers:
an SMTP server (aiosmtpd) and HTTP servers standing in for the SMS providers, the DingTalk and
WeChat Work robots and a customer's webhook endpoint (NTF-1..5, GW-5)."""
import base64
import hashlib
import hmac
import time
import urllib.parse
import uuid
from email.header import decode_header, make_header

import pytest
from nameko import config
from nameko.amqp.publish import get_producer
from nameko.standalone.events import get_event_exchange
from nameko.standalone.rpc import ClusterRpcClient

from notify_svc.domain import webhooks as wh
from notify_svc.service import NotifyService
from notify_svc.testing import HttpPeer, SmtpSink
from platform_contracts.actor import Actor
from platform_contracts.roles import CUSTOMER, OPERATOR, PLATFORM_OPERATOR
from platform_kit import dlq
from platform_kit.clock import isoformat, utcnow
from platform_kit.errors import Unprocessable
from platform_kit.topology import declare

OPERATOR_ACTOR = Actor("op-user", "op-org", OPERATOR, (PLATFORM_OPERATOR,))


def as_(actor: Actor) -> ClusterRpcClient:
    return ClusterRpcClient(context_data={"actor": actor.to_header()})


def envelope(source: str, event_type: str, data: dict, event_id: str | None = None) -> dict:
    return {"event_id": event_id or str(uuid.uuid4()), "event_type": event_type, "version": 1, "source": source,
            "occurred_at": isoformat(utcnow()), "correlation_id": None, "data": data}


def publish(event: dict) -> None:
    exchange = get_event_exchange(event["source"])
    with get_producer(config["AMQP_URI"]) as producer:
        producer.publish(event, exchange=exchange, routing_key=event["event_type"], serializer="json",
                         declare=[exchange])


@pytest.fixture
def peers(tmp_path):
    smtp = SmtpSink(tmp_path)
    sms, sms_fallback, dingtalk, wechat, hook = HttpPeer(), HttpPeer(), HttpPeer(), HttpPeer(), HttpPeer()
    yield {"smtp": smtp, "sms": sms, "sms_fallback": sms_fallback, "dingtalk": dingtalk, "wechat": wechat,
           "hook": hook}
    for peer in (sms, sms_fallback, dingtalk, wechat, hook):
        peer.stop()
    smtp.stop()


@pytest.fixture
def notify(platform_config, runner_factory, peers, wait_until):
    settings = {
        "SMS_URL": peers["sms"].url + "/send", "SMS_API_KEY": "test-key",
        "SMS_FALLBACK_URL": peers["sms_fallback"].url + "/send", "SMS_FALLBACK_API_KEY": "test-key-2",
        "SMTP_HOST": "127.0.0.1", "SMTP_PORT": peers["smtp"].port, "SMTP_SENDER": "notify@platform.test",
        "DINGTALK_WEBHOOK_URL": peers["dingtalk"].url + "/robot/send?access_token=t", "DINGTALK_SECRET": "SECding",
        "WECHAT_WORK_WEBHOOK_URL": peers["wechat"].url + "/cgi-bin/webhook/send?key=k",
        "NOTIFY_BACKOFF_SECONDS": 0.2, "NOTIFY_FALLBACK_AFTER": 3, "NOTIFY_QUIET_HOURS": "00:00-00:00",
        "ALLOW_PRIVATE_WEBHOOK_ADDRESSES": "true", "WEBHOOK_BACKOFF_SECONDS": 0.2,
        "WEBHOOK_MAX_BACKOFF_SECONDS": 0.5,
    }
    with config.patch(settings):
        declare(config["AMQP_URI"], NotifyService)        # what the migrator does before a deployment
        runner = runner_factory(NotifyService)
        runner.start()
        with as_(OPERATOR_ACTOR) as rpc:
            wait_until(lambda: rpc.notify.list_templates({"limit": 1})["total"], message="the default templates")
        yield runner


def user(org_id: str, **kw) -> dict:
    return {"user_id": f"u-{uuid.uuid4().hex[:8]}", "org_id": org_id, "org_kind": "customer",
            "login_name": f"l-{uuid.uuid4().hex[:8]}", "display_name": "王五", "phone": "13800000001",
            "email": "wang@customer.test", "roles": ["customer"], "active": True, **kw}


def reminder(customer_id: str) -> dict:
    return {"project_id": "p-1", "order_id": "ord-1", "product_id": "prod", "vendor_id": "v-1",
            "customer_id": customer_id, "provider_id": "prov-1", "node_key": "complete",
            "node_name": "项目完成", "trigger": "node_reached", "receivers": ["customer"],
            "message_template": "complete project – notify customer", "variables": {}}


def deliveries(rpc, **filters) -> list[dict]:
    return rpc.notify.list_deliveries({"limit": 200, **filters})["items"]


def test_NTF3_NTF4_a_reminder_delivered_three_times_reaches_each_channel_once_through_real_peers(
        notify, peers, wait_until):
    org = f"c-{uuid.uuid4().hex[:8]}"
    person = user(org)
    publish(envelope("identity", "user_created", person))
    customer = Actor(person["user_id"], org, CUSTOMER, ("customer",))
    with as_(customer) as rpc:
        wait_until(lambda: rpc.notify.get_preferences()["channels"], message="the user copy")
        rpc.notify.set_preferences({"channels": ["inbox", "sms", "email", "dingtalk", "wechat_work"]})
    peers["sms"].fail(2)
    event = envelope("project", "reminder_due", reminder(org))
    for _ in range(3):
        publish(event)

    wait_until(lambda: len(peers["smtp"].messages()) >= 1, message="the e-mail")
    wait_until(lambda: peers["sms"].received, message="the SMS after two failures")
    wait_until(lambda: peers["dingtalk"].received and peers["wechat"].received, message="the robots")
    with as_(OPERATOR_ACTOR) as rpc:
        wait_until(lambda: all(d["status"] == "sent" for d in deliveries(rpc, recipient_user_id=person["user_id"])),
                   message="every delivery logged as sent")
        log = {d["channel"]: d for d in deliveries(rpc, recipient_user_id=person["user_id"])}
    assert sorted(log) == ["dingtalk", "email", "inbox", "sms", "wechat_work"]
    assert [a["ok"] for a in log["sms"]["attempts"]] == [False, False, True], "one delivery, three attempts"
    mail = peers["smtp"].messages()
    assert len(mail) == 1 and mail[0]["To"] == "wang@customer.test"
    assert "ord-1" in str(make_header(decode_header(mail[0]["Subject"])))
    assert len(peers["sms"].received) == 1 and peers["sms"].received[0].json()["to"] == "13800000001"
    assert peers["sms"].received[0].headers["Authorization"] == "Bearer test-key"
    # DingTalk 加签: HMAC-SHA256 over "<timestamp>\n<secret>", base64, in the query string
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(peers["dingtalk"].received[0].path).query)
    expected = base64.b64encode(hmac.new(b"SECding", f"{query['timestamp'][0]}\nSECding".encode(),
                                         hashlib.sha256).digest()).decode()
    assert query["sign"][0] == expected
    assert peers["dingtalk"].received[0].json()["at"]["atMobiles"] == ["13800000001"]
    assert len(peers["wechat"].received) == 1
    with as_(customer) as rpc:
        inbox = rpc.notify.inbox({})
        assert inbox["unread"] == 1 and "王五" in inbox["items"][0]["body"]


def test_NTF2_NTF4_fallback_sms_provider_and_a_receiver_without_phone_is_skipped(notify, peers, wait_until):
    org = f"c-{uuid.uuid4().hex[:8]}"
    with_phone, without_phone = user(org), user(org, phone=None, email="nophone@customer.test")
    for person in (with_phone, without_phone):
        publish(envelope("identity", "user_created", person))
    peers["sms"].down()
    with as_(Actor(without_phone["user_id"], org, CUSTOMER, ("customer",))) as rpc:
        wait_until(lambda: rpc.notify.get_preferences()["channels"], message="the user copy")
    with as_(Actor(with_phone["user_id"], org, CUSTOMER, ("customer",))) as rpc:
        wait_until(lambda: rpc.notify.get_preferences()["channels"], message="the user copy")
    publish(envelope("ticket", "ticket_notification_requested", {
        "receivers": [{"org_id": org}], "message_template": "ticket awaiting feedback – notify customer",
        "variables": {"ticket_id": "tk-1", "title": "服务器无法登录"}, "urgent": True,
        "dedupe_key": f"feedback:{uuid.uuid4()}"}))
    wait_until(lambda: peers["sms_fallback"].received, timeout=20, message="the fallback SMS provider")
    with as_(OPERATOR_ACTOR) as rpc:
        skipped = wait_until(lambda: deliveries(rpc, recipient_user_id=without_phone["user_id"], channel="sms"),
                             message="the skipped SMS")
        assert skipped[0]["status"] == "skipped" and skipped[0]["last_error"] == "no phone number"
        wait_until(lambda: len(peers["smtp"].messages()) == 2, message="both e-mails still go")
        sms = deliveries(rpc, recipient_user_id=with_phone["user_id"], channel="sms")[0]
        wait_until(lambda: deliveries(rpc, recipient_user_id=with_phone["user_id"], channel="sms")[0]["status"]
                   == "sent", message="the SMS logged as sent")
        sms = deliveries(rpc, recipient_user_id=with_phone["user_id"], channel="sms")[0]
        assert [a["provider"] for a in sms["attempts"]][-1] == "sms-fallback"
        assert {a["provider"] for a in sms["attempts"][:-1]} == {"sms-primary"}


def test_NTF1_templates_are_seeded_validated_and_previewed(notify, wait_until):
    with as_(OPERATOR_ACTOR) as rpc:
        page = wait_until(lambda: (p := rpc.notify.list_templates({"name": "complete project"}))["total"] and p,
                          message="the default templates")
        assert "complete project – notify customer" in [t["name"] for t in page["items"]]
        with pytest.raises(Unprocessable) as refused:  # each field is fine; together they do not render
            rpc.notify.create_template({
                "name": f"design {uuid.uuid4().hex[:6]} – notify customer", "variables": [{"name": "order_id"}],
                "contents": [{"body": "{{ order_id }} {{ unknown_thing }}"}], "channels": ["email"]})
        assert "unknown_thing" in str(refused.value.fields)
        preview = rpc.notify.preview_template("complete project – notify customer", {"variables": {"order_id": "X9"}})
        assert "X9" in preview["body"]


def test_GW5_a_webhook_endpoint_down_for_a_while_receives_every_event_once_signed_after_it_recovers(
        notify, peers, wait_until):
    org = f"c-{uuid.uuid4().hex[:8]}"
    admin = Actor(f"u-{uuid.uuid4().hex[:8]}", org, CUSTOMER, ("customer",))
    with as_(admin) as rpc:
        with pytest.raises(Unprocessable):
            rpc.notify.create_webhook_endpoint({"url": "ftp://example.com/x", "event_types": ["project_completed"]})
        endpoint = rpc.notify.create_webhook_endpoint({"url": peers["hook"].url + "/hooks",
                                                       "event_types": ["project_completed"]})
    peers["hook"].down()
    sent = []
    for i in range(3):
        event = envelope("project", "project_completed", {
            "project_id": f"p-{i}", "order_id": f"o-{i}", "product_id": "x", "vendor_id": "v",
            "customer_id": org, "round": 1})
        sent.append(event["event_id"])
        publish(event)
        publish(event)          # redelivered: still one delivery
    publish(envelope("project", "project_completed", {"project_id": "other", "order_id": "o", "product_id": "x",
                                                      "vendor_id": "v", "customer_id": "someone-else", "round": 1}))
    with as_(admin) as rpc:
        wait_until(lambda: rpc.notify.list_webhook_deliveries({})["total"] == 3
                   and all(d["attempts"] >= 2 for d in rpc.notify.list_webhook_deliveries({})["items"]),
                   timeout=20, message="three deliveries failing and retrying")
    peers["hook"].up()
    wait_until(lambda: len(peers["hook"].received) >= 3, timeout=30, message="every event after recovery")
    time.sleep(0.5)  # noqa: bounded settle so a duplicate would show; the assertion below is what counts
    received = peers["hook"].received
    assert sorted(r.json()["id"] for r in received) == sorted(sent), "each event exactly once, none of another tenant"
    for r in received:
        assert wh.verify(r.headers[wh.SIGNATURE_HEADER], r.body, endpoint["secret"], int(time.time()))
        assert "operator_user_id" not in r.json()["data"]



def test_GW5_a_contract_invalid_envelope_is_dead_lettered_and_never_sent_to_an_endpoint(notify, peers, wait_until):
    """notify validates envelopes like dispatch and billing: one they dead-letter, it dead-letters too."""
    org = f"c-{uuid.uuid4().hex[:8]}"
    admin = Actor(f"u-{uuid.uuid4().hex[:8]}", org, CUSTOMER, ("customer",))
    with as_(admin) as rpc:
        rpc.notify.create_webhook_endpoint({"url": peers["hook"].url + "/hooks", "event_types": ["project_completed"]})
    invalid = envelope("project", "project_completed", {"project_id": "p-x", "customer_id": org, "round": "one"})
    publish(invalid)
    letters = wait_until(lambda: [d for d in dlq.list_dead_letters(config["AMQP_URI"], "notify")
                                  if d.event_id == invalid["event_id"]], timeout=40,
                         message="the invalid envelope in dlq.notify")
    assert letters
    with as_(admin) as rpc:
        assert rpc.notify.list_webhook_deliveries({})["total"] == 0
    assert peers["hook"].received == []
