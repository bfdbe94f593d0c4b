"""Use cases of notify_svc against the fake unit of work (NTF-1..5, GW-5)."""
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from notify_svc import handlers
from notify_svc.domain import delivery as dl
from notify_svc.domain import webhooks as wh
from notify_svc.domain.defaults import default_templates
from notify_svc.domain.recipients import Person
from notify_svc.exceptions import EndpointNotFound, MessageNotFound, TemplateExists, TemplateInvalid, WebhookUrlRefused
from notify_svc.testing import ScriptedChannel, fake_uow
from platform_contracts.actor import Actor

NOW = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)       # 10:00 in Shanghai: not quiet
ALL = {"sms", "email", "dingtalk", "wechat_work"}
CUSTOMER = Person("u-cust", "org-cust", "王五", phone="+8613800000001", email="c@x.test", roles=["customer"],
                  channels=["inbox", "sms", "email"])
NO_PHONE = Person("u-cust2", "org-cust", "赵六", email="d@x.test", roles=["customer"],
                  channels=["inbox", "sms", "email"])


def event(event_type, data, source="project"):
    return {"event_id": str(uuid.uuid4()), "event_type": event_type, "source": source,
            "occurred_at": NOW.isoformat(), "data": data}


def reminder(receivers=("customer",), template="complete project – notify customer"):
    return {"project_id": "p1", "order_id": "o1", "product_id": "pr", "vendor_id": "org-vend",
            "customer_id": "org-cust", "provider_id": "org-prov", "operator_user_id": None, "node_key": "done",
            "node_name": "项目完成", "trigger": "node_reached", "receivers": list(receivers),
            "message_template": template, "variables": {}}


def uow_with(*people):
    return fake_uow(default_templates(), people)


def test_NTF3_NTF4_a_reminder_delivered_three_times_creates_one_delivery_per_receiver_and_channel():
    uow = uow_with(CUSTOMER)
    e = event("reminder_due", reminder())
    for _ in range(3):
        handlers.reminder_due(e, e["data"], uow, dl.Policy(), NOW, ALL)
    assert sorted(d.channel for d in uow.deliveries.of()) == ["email", "inbox", "sms"]
    assert len(uow.inbox.rows) == 1 and "王五" in uow.inbox.rows[0].body
    assert {k for k, _ in uow.deadlines} == {handlers.DELIVER}


def test_NTF4_a_receiver_without_a_phone_is_skipped_with_the_reason_while_the_others_go():
    uow = uow_with(NO_PHONE)
    e = event("reminder_due", reminder())
    handlers.reminder_due(e, e["data"], uow, dl.Policy(), NOW, ALL)
    sms = uow.deliveries.of("sms")[0]
    assert sms.status == dl.SKIPPED and sms.last_error == "no phone number"
    assert uow.deliveries.of("email")[0].status == dl.PENDING
    assert uow.deliveries.of("inbox")[0].status == dl.SENT


def test_NTF2_a_channel_the_deployment_did_not_configure_is_skipped():
    uow = uow_with(CUSTOMER)
    e = event("reminder_due", reminder())
    handlers.reminder_due(e, e["data"], uow, dl.Policy(), NOW, {"email"})
    assert uow.deliveries.of("sms")[0].last_error == "channel sms is not configured"


def test_NTF3_an_unknown_template_is_logged_as_skipped_per_receiver():
    uow = uow_with(CUSTOMER)
    e = event("reminder_due", reminder(template="nope"))
    handlers.reminder_due(e, e["data"], uow, dl.Policy(), NOW, ALL)
    assert {d.status for d in uow.deliveries.of()} == {dl.SKIPPED}


def _deliver_all(uow, channels, policy, now):
    for (_, key) in list(uow.deadlines):
        handlers.deliver(key, uow, channels, policy, now)


def test_NTF4_a_provider_failing_twice_then_succeeding_gives_one_delivery_with_three_attempts():
    uow = uow_with(CUSTOMER)
    e = event("reminder_due", reminder())
    handlers.reminder_due(e, e["data"], uow, dl.Policy(), NOW, ALL)
    sms_channel = ScriptedChannel("sms", ["sms-primary"], {"sms-primary": [False, False, True]})
    channels = {"sms": sms_channel, "email": ScriptedChannel("email", ["smtp"])}
    policy = dl.Policy(backoff_seconds=1)
    sms = uow.deliveries.of("sms")[0]
    for _ in range(4):
        handlers.deliver(sms.id, uow, channels, policy, NOW)
    done = uow.deliveries.get(sms.id)
    assert done.status == dl.SENT and [a.ok for a in done.attempts] == [False, False, True]
    assert len(sms_channel.sent) == 3


def test_NTF2_the_fallback_sms_provider_is_used_when_the_first_is_down():
    uow = uow_with(CUSTOMER)
    e = event("reminder_due", reminder())
    handlers.reminder_due(e, e["data"], uow, dl.Policy(), NOW, ALL)
    sms_channel = ScriptedChannel("sms", ["sms-primary", "sms-fallback"], {"sms-primary": [False] * 10})
    sms = uow.deliveries.of("sms")[0]
    handlers.deliver(sms.id, uow, {"sms": sms_channel}, dl.Policy(), NOW)
    handlers.deliver(sms.id, uow, {"sms": sms_channel}, dl.Policy(), NOW)
    assert [p for p, _ in sms_channel.sent] == ["sms-primary", "sms-fallback"]
    assert uow.deliveries.get(sms.id).status == dl.SENT


def test_NTF4_giving_up_emits_a_failure_and_an_operator_can_resend():
    uow = uow_with(CUSTOMER)
    e = event("reminder_due", reminder())
    handlers.reminder_due(e, e["data"], uow, dl.Policy(), NOW, ALL)
    sms = uow.deliveries.of("sms")[0]
    channel = ScriptedChannel("sms", ["p"], {"p": [False, False]})
    for _ in range(2):
        handlers.deliver(sms.id, uow, {"sms": channel}, dl.Policy(max_attempts=2), NOW)
    assert uow.deliveries.get(sms.id).status == dl.FAILED
    assert uow.events_of("notification_delivery_failed")[0]["attempts"] == 2
    handlers.resend(sms.id, uow, NOW)
    handlers.deliver(sms.id, uow, {"sms": channel}, dl.Policy(max_attempts=2), NOW)
    assert uow.deliveries.get(sms.id).status == dl.SENT


def test_NTF3_non_urgent_emails_within_the_window_go_as_one_digest_and_urgent_ones_at_once():
    uow = uow_with(Person("u", "org", "A", email="a@x.test", roles=["customer"], channels=["email"]))
    policy = dl.Policy(digest_seconds=600)
    for i in range(3):
        e = event("ticket_notification_requested", {
            "receivers": [{"user_id": "u"}], "message_template": "ticket awaiting feedback – notify customer",
            "variables": {"ticket_id": f"t{i}", "title": "x"}, "urgent": False, "dedupe_key": f"k{i}"}, "ticket")
        handlers.notification_requested(e, e["data"], uow, policy, NOW, ALL)
    assert list(uow.deadlines) == [(handlers.DIGEST, "u")]
    urgent = event("ticket_notification_requested", {
        "receivers": [{"user_id": "u"}], "message_template": "ticket awaiting feedback – notify customer",
        "variables": {"ticket_id": "t9", "title": "x"}, "urgent": True, "dedupe_key": "k9"}, "ticket")
    handlers.notification_requested(urgent, urgent["data"], uow, policy, NOW, ALL)
    combined = handlers.send_digest("u", uow, NOW + timedelta(minutes=10))
    assert len(combined.digest_of) == 3 and "t0" in combined.body and "t2" in combined.body
    assert (handlers.DELIVER, combined.id) in uow.deadlines


def test_NTF3_the_same_dedupe_key_never_sends_twice_even_from_a_new_event():
    uow = uow_with(CUSTOMER)
    data = {"receivers": [{"user_id": "u-cust"}], "message_template": "payment overdue – notify customer",
            "variables": {"invoice_id": "i", "amount": "¥1", "due_date": "2026-11-01", "days_overdue": 3},
            "urgent": True, "dedupe_key": "payment-overdue:i:2026-11"}
    for _ in range(2):
        e = event("billing_notification_requested", data, "billing")
        handlers.notification_requested(e, e["data"], uow, dl.Policy(), NOW, ALL)
    assert len(uow.deliveries.of("sms")) == 1


def test_NTF1_templates_are_created_validated_and_announced():
    uow = fake_uow()
    cmd = {"name": "design – notify customer", "variables": [{"name": "order_id"}],
           "contents": [{"language": "zh-CN", "channel": "*", "subject": "s", "body": "{{ order_id }}"}],
           "channels": ["sms"]}
    handlers.create_template(cmd, uow)
    assert uow.events_of("message_template_changed") == [
        {"name": "design – notify customer", "variables": ["order_id"], "channels": ["sms"], "deleted": False}]
    with pytest.raises(TemplateExists):
        handlers.create_template(cmd, uow)
    bad = {**cmd, "contents": [{**cmd["contents"][0], "body": "{{ secret }}"}]}
    with pytest.raises(TemplateInvalid):
        handlers.update_template(cmd["name"], bad, uow)
    handlers.delete_template(cmd["name"], uow)
    assert uow.events_of("message_template_changed")[-1]["deleted"] is True


def test_NTF1_seeding_adds_missing_defaults_once():
    uow = fake_uow()
    first = handlers.seed_templates(uow)
    assert first == len(default_templates()) and handlers.seed_templates(uow) == 0


def test_NTF5_inbox_pages_marks_read_and_hides_other_peoples_messages():
    uow = uow_with(CUSTOMER)
    e = event("reminder_due", reminder())
    handlers.reminder_due(e, e["data"], uow, dl.Policy(), NOW, ALL)
    me = Actor("u-cust", "org-cust", "customer", ("customer",))
    page = handlers.inbox(me, {"unread_only": False, "limit": 10, "offset": 0}, uow)
    assert page["unread"] == 1
    with pytest.raises(MessageNotFound):
        handlers.mark_read(Actor("other", "org-x", "customer", ("customer",)), str(page["items"][0].id), uow, NOW)
    handlers.mark_read(me, str(page["items"][0].id), uow, NOW)
    assert handlers.inbox(me, {"unread_only": True, "limit": 10, "offset": 0}, uow)["total"] == 0


class FakeClient:
    def __init__(self, answers):
        self.answers, self.posts = list(answers), []

    def resolve(self, url):
        return ["93.184.216.34"]

    def post(self, url, body, headers):
        self.posts.append((body, headers))
        ok = self.answers.pop(0) if self.answers else True
        return ok, 200 if ok else 503, "ok" if ok else "down"


ADMIN = Actor("u-cust", "org-cust", "customer", ("customer",))


def _endpoint(uow, client=None):
    return handlers.create_endpoint(ADMIN, {"url": "https://hooks.example.com/in",
                                            "event_types": ["project_completed"]}, uow,
                                    resolve=(client or FakeClient([])).resolve, policy=wh.WebhookPolicy(),
                                    known_events={"project_completed"}, now=NOW)


def test_GW5_a_webhook_event_is_delivered_once_signed_and_only_to_parties():
    uow = fake_uow()
    endpoint = _endpoint(uow)
    e = event("project_completed", {"project_id": "p", "order_id": "o", "product_id": "x", "vendor_id": "v",
                                    "customer_id": "org-cust", "round": 1})
    other = event("project_completed", {"project_id": "q", "order_id": "o", "product_id": "x", "vendor_id": "v",
                                        "customer_id": "org-other", "round": 1})
    assert handlers.event_for_webhooks(e, uow, NOW) == 1 and handlers.event_for_webhooks(e, uow, NOW) == 0
    assert handlers.event_for_webhooks(other, uow, NOW) == 0
    client = FakeClient([False, True])
    hook_id = next(iter(uow.webhooks.delivery_rows))
    handlers.deliver_webhook(hook_id, uow, client=client, policy=wh.WebhookPolicy(), now=NOW)
    handlers.deliver_webhook(hook_id, uow, client=client, policy=wh.WebhookPolicy(), now=NOW)
    body, headers = client.posts[-1]
    assert wh.verify(headers[wh.SIGNATURE_HEADER], body, endpoint.secret, int(NOW.timestamp()))
    assert uow.webhooks.delivery(hook_id).status == wh.DELIVERED and uow.webhooks.delivery(hook_id).attempts == 2


def test_GW5_an_endpoint_failing_for_a_day_is_disabled_and_its_owner_told():
    uow = fake_uow()
    endpoint = _endpoint(uow)
    client = FakeClient([False] * 100)
    for i in range(3):
        e = event("project_completed", {"project_id": f"p{i}", "order_id": "o", "product_id": "x", "vendor_id": "v",
                                        "customer_id": "org-cust", "round": 1})
        handlers.event_for_webhooks(e, uow, NOW)
    ids = list(uow.webhooks.delivery_rows)
    handlers.deliver_webhook(ids[0], uow, client=client, policy=wh.WebhookPolicy(), now=NOW)
    handlers.deliver_webhook(ids[1], uow, client=client, policy=wh.WebhookPolicy(), now=NOW + timedelta(days=1))
    assert not uow.webhooks.endpoint(endpoint.id).enabled
    assert uow.events_of("webhook_endpoint_disabled")[0]["endpoint_id"] == endpoint.id
    assert uow.inbox.rows[0].recipient_id == "org-cust"
    handlers.deliver_webhook(ids[2], uow, client=client, policy=wh.WebhookPolicy(), now=NOW + timedelta(days=1))
    assert len(client.posts) == 2, "a disabled endpoint is not called"
    handlers.update_endpoint(ADMIN, endpoint.id, {"enabled": True}, uow, resolve=client.resolve,
                             policy=wh.WebhookPolicy(), known_events=set())
    handlers.replay_webhook(ADMIN, ids[2], uow, NOW)
    handlers.deliver_webhook(ids[2], uow, client=FakeClient([True]), policy=wh.WebhookPolicy(), now=NOW)
    assert uow.webhooks.delivery(ids[2]).status == wh.DELIVERED


def test_GW5_ORG7_another_tenants_endpoint_answers_like_a_missing_one_and_private_urls_are_refused():
    uow = fake_uow()
    endpoint = _endpoint(uow)
    with pytest.raises(EndpointNotFound):
        handlers.get_endpoint(Actor("x", "org-x", "customer", ("customer",)), endpoint.id, uow)
    with pytest.raises(WebhookUrlRefused):
        handlers.create_endpoint(ADMIN, {"url": "http://10.0.0.1/x", "event_types": ["project_completed"]}, uow,
                                 resolve=lambda url: ["10.0.0.1"], policy=wh.WebhookPolicy(),
                                 known_events={"project_completed"}, now=NOW)


def test_GW5_rotating_a_secret_signs_with_both_during_the_overlap():
    uow = fake_uow()
    endpoint = _endpoint(uow)
    rotated = handlers.rotate_secret(ADMIN, endpoint.id, uow, wh.WebhookPolicy(), NOW)
    assert rotated.signing_secrets(NOW) == [rotated.secret, endpoint.secret]


def test_GW5_an_event_no_endpoint_wants_is_skipped_from_a_snapshot_taken_after_it_occurred():
    uow = fake_uow()
    wanted = wh.SubscribedTypes()
    mine = {"project_id": "p", "order_id": "o", "product_id": "x", "vendor_id": "v", "customer_id": "org-cust",
            "round": 1}
    early = {**event("project_completed", mine), "occurred_at": (NOW - timedelta(seconds=30)).isoformat()}
    assert handlers.event_for_webhooks(early, uow, NOW, wanted) == 0 and uow.webhooks.type_reads == 1
    just_now = {**event("project_completed", mine), "occurred_at": NOW.isoformat()}
    assert handlers.event_for_webhooks(just_now, uow, NOW, wanted) == 0 and uow.webhooks.type_reads == 2, \
        "an event inside the clocks' margin reads the types again, and trusts what it read"
    assert uow.commits == 0, "nothing to write, nothing committed"
    # an older event than the snapshot: answered from it, no read of the endpoints
    assert handlers.event_for_webhooks({**early, "event_id": "e2"}, uow, NOW, wanted) == 0
    assert uow.webhooks.type_reads == 2
    _endpoint(uow)  # a subscription committed now, on this replica or another
    later = {**event("project_completed", mine), "occurred_at": (NOW + timedelta(seconds=1)).isoformat()}
    assert wanted.unwanted("project_completed", datetime.fromisoformat(later["occurred_at"])) is False
    assert handlers.event_for_webhooks(later, uow, NOW + timedelta(seconds=5), wanted) == 1, \
        "an event after the subscription refreshes the snapshot and is delivered"
    assert uow.webhooks.type_reads == 3 and "project_completed" in wanted.types


def test_GW5_a_snapshot_answers_only_for_events_older_than_itself_less_a_clock_margin():
    wanted = wh.SubscribedTypes(margin=timedelta(seconds=2))
    assert not wanted.unwanted("x", NOW), "no snapshot yet: the types are read"
    wanted.refresh({"a"}, NOW)
    assert wanted.unwanted("x", NOW - timedelta(seconds=3))
    assert not wanted.unwanted("x", NOW - timedelta(seconds=1)), "inside the clocks' margin"
    assert not wanted.unwanted("a", NOW - timedelta(seconds=3)), "a subscribed type is never skipped"
    wanted.refresh(set(), NOW - timedelta(seconds=10))
    assert wanted.types == {"a"}, "an older snapshot never replaces a newer one"


def _decided(event_type, reason=None, by_operator=True):
    return event(event_type, {"template_id": "tpl-1", "template_version": 2, "owner_id": "org-vend",
                              "template_name": "ERP 安装", "status": event_type.split("_")[-1], "reason": reason,
                              "by_operator": by_operator}, source="template")


def test_TPL1_the_vendor_reads_the_operators_decision_on_its_version_with_the_note():
    uow = uow_with()
    for e in (_decided("template_version_rejected", "请写明验收步骤"),
              _decided("template_version_approved", "保留验收步骤"),
              _decided("template_version_approved", by_operator=False)):
        handlers.template_version_decided(e, e["data"], uow)
        handlers.template_version_decided(e, e["data"], uow)  # a redelivery adds nothing
    vendor_admin = Actor("u-vend", "org-vend", "isv", ("vendor_admin",))
    items = handlers.inbox(vendor_admin, {"unread_only": False, "limit": 10, "offset": 0}, uow)["items"]
    texts = sorted(m.title + " " + m.body for m in items)
    assert len(texts) == 2, "an approval at the first publish is nobody's news"
    assert any("「ERP 安装」第 2 版被驳回" in t and "驳回原因：请写明验收步骤" in t for t in texts)
    assert any("「ERP 安装」第 2 版已审核通过" in t and "保留验收步骤" in t for t in texts)
