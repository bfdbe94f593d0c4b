"""Pure rules of notify_svc: templates, receivers, quiet hours, back-off, webhooks (NTF-1..4, GW-5)."""
import time as clock
from datetime import UTC, datetime, time, timedelta

import pytest

from notify_svc.domain import delivery as dl
from notify_svc.domain import webhooks as wh
from notify_svc.domain.defaults import NODE_NAMES, RECIPIENT_NAMES, TRIGGER_NAMES, default_templates
from notify_svc.domain.recipients import Person, reminder_receivers, requested_receivers
from notify_svc.domain.templates import Content, MessageTemplate, Variable
from notify_svc.exceptions import NotResendable, TemplateInvalid, WebhookUrlRefused
from notify_svc.testing import FakePeople
from platform_contracts.nodes import NODE_KINDS, RECEIVERS, TRIGGERS


def template(body="Hello {{ receiver_name }}, order {{ order_id }}", variables=("receiver_name", "order_id")):
    return MessageTemplate(name="complete project – notify customer", variables=[Variable(v) for v in variables],
                           contents=[Content("zh-CN", "*", "Order {{ order_id }}", body),
                                     Content("en", "sms", "", "EN {{ order_id }}")], channels=["sms", "email"])


def test_NTF1_a_template_with_an_unknown_variable_is_refused_at_save():
    with pytest.raises(TemplateInvalid) as refused:
        template(body="Hi {{ nobody }}").validate()
    assert "nobody" in str(refused.value.fields)


def test_NTF1_a_template_that_does_not_parse_is_refused_at_save():
    with pytest.raises(TemplateInvalid):
        template(body="Hi {{ order_id ").validate()


def test_NTF1_rendering_without_a_variable_is_an_error_not_a_blank():
    with pytest.raises(TemplateInvalid):
        template().render("email", "zh-CN", {"receiver_name": "A"})


def test_NTF1_rendering_picks_the_receivers_language_and_channel_then_the_default():
    t = template()
    assert t.render("sms", "en", {"receiver_name": "A", "order_id": "7"}).body == "EN 7"
    assert t.render("email", "en", {"receiver_name": "A", "order_id": "7"}).body == "Hello A, order 7"


def test_NTF1_the_sandbox_refuses_reaching_into_python_internals():
    t = template(body="{{ order_id.__class__.__mro__ }}")
    with pytest.raises(TemplateInvalid):
        t.render("email", "zh-CN", {"receiver_name": "A", "order_id": "x"})


def test_NTF1_preview_fills_sample_values():
    assert "<order_id>" in template().preview("email", "zh-CN").body


def test_TPL10_defaults_cover_every_node_kind_trigger_and_recipient_and_all_validate():
    templates = default_templates()
    assert set(NODE_NAMES) == set(NODE_KINDS) and set(TRIGGER_NAMES) == set(TRIGGERS)
    assert set(RECIPIENT_NAMES) == set(RECEIVERS)
    keyed = {(t.node_kind, t.trigger, t.recipient) for t in templates}
    assert all((k, tr, r) in keyed for k in NODE_KINDS for tr in TRIGGERS for r in RECEIVERS)
    assert "complete project – notify customer" in {t.name for t in templates}
    assert {"project overdue – notify vendor", "payment overdue – notify customer"} <= {t.name for t in templates}
    for t in templates:
        t.validate()
        t.preview("sms", "zh-CN")
    assert len({t.name for t in templates}) == len(templates)


def people():
    return FakePeople([
        Person("u-cust", "org-cust", "Customer", phone="+8613800000001", roles=["customer"]),
        Person("u-prov", "org-prov", "Provider admin", email="p@x.test", roles=["provider_admin"]),
        Person("u-eng", "org-prov", "Engineer", roles=["engineer"]),
        Person("u-vend", "org-vend", "Vendor admin", roles=["vendor_admin"]),
        Person("u-gone", "org-cust", "Left", roles=["customer"], active=False),
    ])


def test_NTF3_reminder_receivers_resolve_roles_customer_operator_and_vendor_once_and_only_active():
    found = reminder_receivers(["customer", "provider_admin", "vendor", "node_operator", "role:engineer", "customer"],
                               customer_id="org-cust", vendor_id="org-vend", provider_id="org-prov",
                               operator_user_id="u-eng", directory=people())
    assert [r.key for r in found] == ["u-cust", "u-prov", "u-vend", "u-eng"]


def test_NTF3_requested_receivers_take_users_org_admins_and_bare_addresses():
    found = requested_receivers([{"user_id": "u-eng"}, {"org_id": "org-prov"}, {"email": "A@x.test"},
                                 {"org_id": "org-prov", "role": "engineer"}], people())
    assert [r.key for r in found] == ["u-eng", "u-prov", "email:a@x.test"]
    assert found[2].channels == ("email",)


NOW = datetime(2026, 11, 21, 15, 30, tzinfo=UTC)       # 23:30 in Shanghai


def test_NTF3_non_urgent_sms_waits_for_the_morning_in_the_receivers_time_zone():
    released = dl.due_time("sms", False, NOW, "Asia/Shanghai", dl.Policy())
    assert released == datetime(2026, 11, 22, 0, 0, tzinfo=UTC)          # 08:00 Shanghai
    assert dl.due_time("sms", True, NOW, "Asia/Shanghai", dl.Policy()) == NOW, "urgent goes at once"
    assert dl.due_time("sms", False, NOW, "Europe/Berlin", dl.Policy()) == NOW, "16:30 in Berlin is not quiet"
    assert dl.due_time("email", False, NOW, "Asia/Shanghai", dl.Policy()) == NOW


def test_NTF3_quiet_hours_after_midnight_release_the_same_morning():
    early = datetime(2026, 11, 21, 19, 0, tzinfo=UTC)      # 03:00 Shanghai
    policy = dl.Policy(quiet_start=time(22), quiet_end=time(8))
    assert dl.release_time(early, "Asia/Shanghai", policy) == datetime(2026, 11, 22, 0, 0, tzinfo=UTC)


def delivery(**kw):
    return dl.Delivery(id="d1", dedupe_key="k", recipient_key="u", channel="sms", template="t", subject="s",
                       body="b", address="+861", **kw)


def test_NTF4_failures_back_off_exponentially_then_give_up():
    policy = dl.Policy(max_attempts=3, backoff_seconds=10)
    d = delivery()
    assert d.record(dl.SendResult(False, "p", "503"), NOW, policy) == NOW + timedelta(seconds=10)
    assert d.record(dl.SendResult(False, "p", "503"), NOW, policy) == NOW + timedelta(seconds=20)
    assert d.record(dl.SendResult(False, "p", "503"), NOW, policy) is None
    assert d.status == dl.FAILED and d.attempt_count == 3


def test_NTF4_a_permanent_refusal_is_not_retried_and_resend_only_takes_failed_or_skipped():
    d = delivery()
    assert d.record(dl.SendResult(False, "p", "400 bad number", retryable=False), NOW, dl.Policy()) is None
    d.resend(NOW)
    assert d.status == dl.PENDING
    with pytest.raises(NotResendable):
        d.resend(NOW)


def test_NTF2_the_fallback_provider_takes_over_after_the_primary_failed():
    d = delivery()
    assert dl.provider_for(d, ["a", "b"], 1) == "a"
    d.record(dl.SendResult(False, "a", "down"), NOW, dl.Policy())
    assert dl.provider_for(d, ["a", "b"], 1) == "b"
    assert dl.provider_for(d, ["a"], 1) == "a"


def test_NTF3_a_digest_combines_waiting_emails_and_marks_each():
    items = [delivery(), delivery()]
    items[1].id = "d2"
    combined = dl.digest(items, "dg", NOW)
    assert combined.digest_of == ["d1", "d2"] and all(d.status == dl.DIGESTED for d in items)


@pytest.mark.parametrize("url, resolved", [
    ("ftp://example.com/x", ["93.184.216.34"]),
    ("file:///etc/passwd", []),
    ("http://localhost/x", ["127.0.0.1"]),
    ("http://intranet/x", ["10.1.2.3"]),
    ("http://meta/x", ["169.254.169.254"]),
    ("http://v6/x", ["::1"]),
    ("https://user:pw@example.com/x", ["93.184.216.34"]),
])
def test_GW5_webhook_urls_that_are_not_http_or_point_inside_are_refused(url, resolved):
    with pytest.raises(WebhookUrlRefused):
        wh.check_url(url, resolved, allow_private=False)


def test_GW5_private_addresses_are_allowed_when_the_deployment_says_so():
    assert wh.check_url("http://127.0.0.1:9/x", ["127.0.0.1"], allow_private=True)
    assert wh.check_url("https://example.com/x", ["93.184.216.34"], allow_private=False)
    with pytest.raises(WebhookUrlRefused):
        wh.check_url("gopher://127.0.0.1/", ["127.0.0.1"], allow_private=True)


def test_GW5_signatures_verify_with_the_secret_and_a_fresh_timestamp_only():
    body, now = b'{"id":"e1"}', int(clock.time())
    header = wh.signature_header(["new", "old"], now, body)
    assert wh.verify(header, body, "new", now) and wh.verify(header, body, "old", now)
    assert not wh.verify(header, body, "other", now)
    assert not wh.verify(header, body + b" ", "new", now)
    assert not wh.verify(header, body, "new", now + 3600), "an old signature is not replayable"


def test_GW5_rotation_keeps_the_old_secret_signing_until_the_overlap_ends():
    e = wh.Endpoint(id="e", org_id="o", url="http://x", event_types=["a"], secret="s1")
    e.rotate("s2", NOW, timedelta(hours=1))
    assert e.signing_secrets(NOW) == ["s2", "s1"]
    assert e.signing_secrets(NOW + timedelta(hours=2)) == ["s2"]


def test_ORG7_GW5_an_organisation_sees_only_events_it_is_party_to_without_internal_fields():
    data = {"project_id": "p", "customer_id": "c", "vendor_id": "v", "operator_user_id": "u", "settings": {}}
    assert wh.visible_payload("x", data) is None
    assert wh.visible_payload("c", data) == {"project_id": "p", "customer_id": "c", "vendor_id": "v"}


def test_GW5_an_endpoint_failing_for_a_day_is_disabled_and_a_delivery_stops_retrying():
    policy = wh.WebhookPolicy()
    e = wh.Endpoint(id="e", org_id="o", url="http://x", event_types=["a"], secret="s")
    assert not e.failed(NOW, policy)
    assert not e.failed(NOW + timedelta(hours=23), policy)
    assert e.failed(NOW + timedelta(hours=24), policy) and not e.enabled
    hook = wh.WebhookDelivery(id="h", endpoint_id="e", org_id="o", event_id="ev", event_type="a", payload={},
                              created_at=NOW)
    assert hook.record(False, 503, "down", NOW, policy, endpoint_enabled=False) is None
    assert hook.status == wh.FAILED
    hook.replay(NOW)
    assert hook.status == wh.PENDING


def test_BIL9_a_suppliers_webhook_never_carries_the_customers_callback_url_or_idempotency_key():
    result = {"order_id": "o", "customer_id": "c", "supplier_id": "s", "callback_url": "https://erp.example.com/cb",
              "idempotency_key": "erp-order-1", "amount": 2850, "status": "succeeded"}
    assert wh.visible_payload("s", result) == {"order_id": "o", "customer_id": "c", "supplier_id": "s",
                                               "amount": 2850, "status": "succeeded"}
    assert wh.visible_payload("c", result) == result
