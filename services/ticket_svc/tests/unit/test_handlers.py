"""Handlers against a fake unit of work: routing, assignment, duty, transfer, timers, auto rules."""
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from platform_contracts.actor import Actor
from ticket_svc import handlers
from ticket_svc.domain.model import AWAITING_CONFIRMATION, AWAITING_FEEDBACK, RESOLVED
from ticket_svc.exceptions import (
    AttachmentRefused,
    AttachmentTooLarge,
    ConfirmationRequired,
    EntitlementUnnamed,
    HandoverRequired,
    NotAColleague,
    NoteRequired,
    NotYourTicket,
    PartyNotNamed,
    ReplyRequired,
    ServiceHoursRefused,
    TicketNotFound,
    TransitionNotAllowed,
    UnknownSubject,
    ValidationFailed,
)

from .fakes import fake_uow

SH = ZoneInfo("Asia/Shanghai")
MON_10 = datetime(2026, 11, 23, 10, 0, tzinfo=SH)
CUSTOMER = Actor("u-cust", "cust", "customer", ("customer",))
OTHER_CUSTOMER = Actor("u-other", "other", "customer", ("customer",))
A1 = Actor("a1", "prov", "isv", ("support_agent",))
A2 = Actor("a2", "prov", "isv", ("support_agent",))
ADMIN = Actor("adm", "prov", "isv", ("provider_admin",))
RIVAL = Actor("r1", "rival", "isv", ("support_agent",))
OPERATOR = Actor("op", "platform", "operator", ("platform_operator",))


def who(notification):
    return [{k: v for k, v in r.items() if v} for r in notification["receivers"]]


def world():
    uow = fake_uow()
    uow.subjects.upsert_project("p1", "ORD-1", "prod", "ven", "cust")
    uow.subjects.set_provider("p1", "prov", "prod")
    uow.subjects.upsert_project("p2", "ORD-2", "prod2", "ven", "cust")    # vendor delivers itself
    for agent in (A1, A2, RIVAL):
        uow.people.upsert_user({"user_id": agent.user_id, "org_id": agent.org_id, "roles": ["support_agent"],
                                "active": True})
    uow.people.upsert_org("platform", "平台", "operator")
    return uow


def open_(uow, **extra):
    cmd = {"title": "后台报错", "description": "登录后台时报错 500", "category": "fault", "order_id": "ORD-1", **extra}
    return handlers.open_ticket(cmd, CUSTOMER, uow, MON_10)


def test_TKT1_a_ticket_about_an_order_routes_to_its_provider_or_to_the_vendor_without_one():
    uow = world()
    assert open_(uow).provider_id == "prov"
    assert open_(uow, order_id="ORD-2").provider_id == "ven"
    assert uow.event_types().count("ticket_opened") == 2


def test_ORG7_a_ticket_about_another_customers_order_is_refused_and_nothing_is_written():
    uow = world()
    with pytest.raises(UnknownSubject):
        handlers.open_ticket({"title": "x", "description": "y", "category": "fault", "order_id": "ORD-1"},
                             OTHER_CUSTOMER, uow, MON_10)
    assert uow.tickets.rows == {} and uow.events == []


def test_TKT2_nobody_on_duty_queues_the_ticket_and_the_first_agent_on_duty_takes_it():
    uow = world()
    ticket = open_(uow)
    assert ticket.assignee_id is None
    result = handlers.go_on_duty(A1, uow, MON_10)
    assert result["assigned"] == [ticket.id] and uow.tickets.rows[ticket.id].assignee_id == "a1"


def test_TKT2_new_tickets_go_to_the_least_loaded_on_duty_agent():
    uow = world()
    handlers.go_on_duty(A1, uow, MON_10)
    first = open_(uow)
    handlers.go_on_duty(A2, uow, MON_10 + timedelta(minutes=1))
    second = open_(uow)
    third = open_(uow)
    assert (first.assignee_id, second.assignee_id, third.assignee_id) == ("a1", "a2", "a1")


def test_TKT2_going_off_duty_with_open_tickets_asks_for_a_handover():
    uow = world()
    handlers.go_on_duty(A1, uow, MON_10)
    handlers.go_on_duty(A2, uow, MON_10)
    ticket = open_(uow)
    holder = A1 if ticket.assignee_id == "a1" else A2
    other = "a2" if holder is A1 else "a1"
    with pytest.raises(HandoverRequired):
        handlers.go_off_duty({}, holder, uow, MON_10)
    assert uow.people.is_on_duty(holder.user_id)
    handlers.go_off_duty({"handover_to": other, "note": "已排查网络，下一步看日志"}, holder, uow, MON_10)
    assert uow.tickets.rows[ticket.id].assignee_id == other and not uow.people.is_on_duty(holder.user_id)


def test_TKT3_transfer_needs_a_note_and_an_off_duty_target_needs_confirmation_and_is_told():
    uow = world()
    handlers.go_on_duty(A1, uow, MON_10)
    ticket = open_(uow)
    with pytest.raises(NoteRequired):
        handlers.transfer(ticket.id, {"to_agent_id": "a2", "note": "", "confirm_off_duty": True}, A1, uow, MON_10)
    with pytest.raises(ConfirmationRequired):
        handlers.transfer(ticket.id, {"to_agent_id": "a2", "note": "请跟进"}, A1, uow, MON_10)
    assert uow.tickets.rows[ticket.id].assignee_id == "a1"
    handlers.transfer(ticket.id, {"to_agent_id": "a2", "note": "请跟进日志", "confirm_off_duty": True}, A1, uow, MON_10)
    told = uow.events_of("ticket_notification_requested")[-1]
    assert who(told) == [{"user_id": "a2"}] and told["variables"]["kind"] == "transferred_to_off_duty"


def test_TKT3_escalation_reaches_the_operators_queue():
    uow = world()
    ticket = open_(uow)
    handlers.escalate(ticket.id, "需要平台开通接口权限", A1, uow, MON_10)
    items, total = handlers.escalations({}, OPERATOR, uow)
    assert total == 1 and items[0]["id"] == ticket.id
    assert who(uow.events_of("ticket_notification_requested")[-1]) == [{"org_id": "platform"}]


def test_TKT2_the_roster_lists_every_agent_and_the_lead_sets_their_duty():
    uow = world()
    roster = handlers.duty_roster(ADMIN, uow)
    assert [(r["user_id"], r["on_duty"]) for r in roster] == [("a1", False), ("a2", False)]
    ticket = open_(uow)
    with pytest.raises(NotYourTicket):
        handlers.set_agent_duty("a2", {"on_duty": True}, A1, uow, MON_10)
    with pytest.raises(NotAColleague):
        handlers.set_agent_duty("r1", {"on_duty": True}, ADMIN, uow, MON_10)     # another provider's agent
    on = handlers.set_agent_duty("a1", {"on_duty": True}, ADMIN, uow, MON_10)
    assert on["on_duty"] and on["assigned"] == [ticket.id]
    handlers.set_agent_duty("a2", {"on_duty": True}, ADMIN, uow, MON_10)
    off = handlers.set_agent_duty("a1", {"on_duty": False}, ADMIN, uow, MON_10 + timedelta(hours=1))
    assert off["handed_over"] == [ticket.id] and uow.tickets.rows[ticket.id].assignee_id == "a2"
    assert [(r["user_id"], r["on_duty"]) for r in handlers.duty_roster(A1, uow)] == [("a1", False), ("a2", True)]


def test_TKT7_canned_replies_are_edited_per_provider_override_the_guides_and_fill_in_variables():
    uow = world()
    ticket = open_(uow)
    body = "您好 {{customer_name}}，工单 {{ticket_number}} 已收到。"
    own = handlers.add_canned_reply({"key": "received", "body": body}, A1, uow)
    keys = [r["key"] for r in handlers.canned_replies(A1, uow)]
    assert keys.count("received") == 1                       # the provider's own replaces the guide's sample
    edited = handlers.update_canned_reply(own["id"], {"key": "received", "body": "您好，{{ticket_number}} 正在处理"},
                                          A2, uow)
    assert edited["body"] == "您好，{{ticket_number}} 正在处理"
    with pytest.raises(TicketNotFound):
        handlers.update_canned_reply(own["id"], {"key": "x", "body": "y"}, RIVAL, uow)
    rendered = handlers.canned_replies(A1, uow, ticket_id=ticket.id)
    assert next(r for r in rendered if r["key"] == "received")["body"] == f"您好，{ticket.number} 正在处理"
    handlers.delete_canned_reply(own["id"], A1, uow)
    assert "{{" not in next(r for r in handlers.canned_replies(A1, uow) if r["key"] == "received")["body"]


def test_TKT5_the_customer_sees_when_a_reply_is_due_within_the_4_service_hours():
    uow = world()
    ticket = open_(uow)
    seen = handlers.get_ticket(ticket.id, CUSTOMER, uow)
    assert seen["reply_expected_by"].astimezone(SH) == MON_10 + timedelta(hours=4) and seen["timers"] == []
    handlers.post_message(ticket.id, {"body": "您好，已收到"}, A1, uow, MON_10 + timedelta(minutes=5))
    assert handlers.get_ticket(ticket.id, CUSTOMER, uow)["reply_expected_by"] is None


def test_TKT3_the_operators_reply_reaches_the_customer_but_does_not_count_as_the_providers():
    uow = world()
    ticket = open_(uow)
    handlers.escalate(ticket.id, "需要平台开通接口权限", A1, uow, MON_10)
    handlers.post_message(ticket.id, {"body": "您好，平台已开通接口权限。"}, OPERATOR, uow,
                          MON_10 + timedelta(minutes=5))
    stored = uow.tickets.rows[ticket.id]
    assert stored.messages[-1].side == "platform"
    assert handlers.get_ticket(ticket.id, CUSTOMER, uow)["messages"][-1].body == "您好，平台已开通接口权限。"
    assert stored.first_response_seconds is None and stored.timers["first_response"].active


def test_TKT3_the_operator_hands_an_escalation_back_to_the_provider_with_a_note():
    uow = world()
    handlers.go_on_duty(A1, uow, MON_10)
    ticket = open_(uow)
    with pytest.raises(TransitionNotAllowed):
        handlers.hand_back(ticket.id, "不需要平台处理", OPERATOR, uow, MON_10)
    handlers.escalate(ticket.id, "需要平台开通接口权限", A1, uow, MON_10)
    with pytest.raises(NotYourTicket):
        handlers.hand_back(ticket.id, "x", A1, uow, MON_10)
    with pytest.raises(NoteRequired):
        handlers.hand_back(ticket.id, " ", OPERATOR, uow, MON_10)
    handlers.hand_back(ticket.id, "权限已开通，请继续跟进", OPERATOR, uow, MON_10 + timedelta(minutes=9))
    stored = uow.tickets.rows[ticket.id]
    assert not stored.escalated and stored.messages[-1].kind == "note" and stored.log[-1].action == "handed_back"
    assert who(uow.events_of("ticket_notification_requested")[-1]) == [{"user_id": "a1"}]
    assert handlers.escalations({}, OPERATOR, uow)[1] == 0


def test_ORG7_a_vendor_sees_its_products_tickets_handled_by_providers_read_only_without_notes():
    uow = world()
    vendor = Actor("v1", "ven", "isv", ("vendor_admin",))
    ticket = open_(uow)
    handlers.post_message(ticket.id, {"body": "内部：查负载均衡", "kind": "note"}, A1, uow, MON_10)
    items, total = handlers.list_tickets({}, vendor, uow)
    assert total == 1 and items[0]["id"] == ticket.id and items[0]["timers"]
    seen = handlers.get_ticket(ticket.id, vendor, uow)
    assert seen["your_side"] == "vendor" and all(m.kind == "reply" for m in seen["messages"])
    with pytest.raises(NotYourTicket):
        handlers.post_message(ticket.id, {"body": "我是厂商"}, vendor, uow, MON_10)
    with pytest.raises(NotYourTicket):
        handlers.change_status(ticket.id, "closed", "", vendor, uow, MON_10)
    other_vendor = Actor("v2", "other-ven", "isv", ("vendor_admin",))
    assert handlers.list_tickets({}, other_vendor, uow)[1] == 0


def test_ORG7_another_providers_agent_cannot_reply_and_nothing_changes():
    uow = world()
    ticket = open_(uow)
    with pytest.raises(TicketNotFound):
        handlers.post_message(ticket.id, {"body": "hi"}, RIVAL, uow, MON_10)
    assert len(uow.tickets.rows[ticket.id].messages) == 1


def test_TKT1_a_transition_not_allowed_is_refused_and_nothing_changes():
    uow = world()
    ticket = open_(uow)
    with pytest.raises(TransitionNotAllowed):
        handlers.change_status(ticket.id, RESOLVED, "", CUSTOMER, uow, MON_10)
    assert uow.tickets.rows[ticket.id].status == "processing"


def test_TKT7_an_oversized_attachment_is_refused():
    uow = world()
    ticket = open_(uow)
    with pytest.raises(AttachmentTooLarge):
        handlers.check_upload(ticket.id, "a.log", "text/plain", 30 << 20, b"log", CUSTOMER, uow)


@pytest.mark.parametrize("name,content_type,head,refusal", [
    ("page.html", "text/html", b"<html>", AttachmentRefused),
    ("logo.svg", "image/svg+xml", b"<svg", AttachmentRefused),
    ("run.exe", "application/octet-stream", b"MZ", AttachmentRefused),
    ("photo.png", "image/png", b"<script>alert(1)", AttachmentRefused),
    ("empty.txt", "text/plain", b"", ValidationFailed),
])
def test_TKT7_pages_scripts_programs_false_images_and_empty_files_are_refused(name, content_type, head, refusal):
    """A well-formed upload of a kind the platform does not take is a 422; an empty body a 400."""
    uow = world()
    ticket = open_(uow)
    with pytest.raises(refusal):
        handlers.check_upload(ticket.id, name, content_type, len(head), head, CUSTOMER, uow)


def test_TKT7_another_tenants_ticket_is_missing_before_its_file_is_looked_at():
    uow = world()
    with pytest.raises(TicketNotFound):
        handlers.check_upload("no-such-ticket", "run.exe", "application/x-msdownload", 2, b"MZ", CUSTOMER, uow)


def _upload(uow, ticket, actor, name="报错截图.png", attachment_id="a" * 32):
    key = f"tickets/{ticket.id}/{attachment_id}"
    return handlers.record_upload(ticket, key, name, 10, "image/png", actor, uow, MON_10)


@pytest.mark.parametrize("ref", [
    {"name": "a.log", "size": 10},                                    # no key at all
    {"key": "tickets/{id}/../../etc/passwd"},                        # a key the platform never made
    {"key": "tickets/{id}/" + "b" * 32},                             # well-formed, never uploaded
])
def test_TKT7_a_message_attaches_only_files_the_platform_stored_for_it(ref):
    uow = world()
    ticket = open_(uow)
    ref = {k: v.replace("{id}", ticket.id) if isinstance(v, str) else v for k, v in ref.items()}
    with pytest.raises((UnknownSubject, ValidationFailed)):
        handlers.post_message(ticket.id, {"body": "见附件", "attachments": [ref]}, CUSTOMER, uow, MON_10)
    assert len(uow.tickets.rows[ticket.id].messages) == 1


def test_TKT7_another_writer_or_ticket_cannot_attach_an_upload_and_it_attaches_once():
    uow = world()
    ticket, other = open_(uow), open_(uow)
    file = _upload(uow, ticket, CUSTOMER)
    with pytest.raises(UnknownSubject):
        handlers.post_message(other.id, {"body": "见附件", "attachments": [file]}, CUSTOMER, uow, MON_10)
    with pytest.raises(UnknownSubject):
        handlers.post_message(ticket.id, {"body": "见附件", "attachments": [file]}, A1, uow, MON_10)
    sent = handlers.post_message(ticket.id, {"body": "见附件", "attachments": [{"key": file["key"], "size": 1}]},
                                 CUSTOMER, uow, MON_10)
    assert sent.messages[-1].attachments == [file]          # what was recorded, not what was sent
    with pytest.raises(UnknownSubject):
        handlers.post_message(ticket.id, {"body": "再发一次", "attachments": [file]}, CUSTOMER, uow, MON_10)


def test_TKT7_a_customer_downloads_replies_files_but_never_an_internal_notes():
    uow = world()
    ticket = open_(uow)
    handlers.go_on_duty(A1, uow, MON_10)
    mine = _upload(uow, ticket, CUSTOMER)
    handlers.post_message(ticket.id, {"body": "截图", "attachments": [mine]}, CUSTOMER, uow, MON_10)
    inner = _upload(uow, ticket, A1, "内部排查.txt", "c" * 32)
    handlers.post_message(ticket.id, {"body": "内部", "kind": "note", "attachments": [inner]}, A1, uow, MON_10)
    assert handlers.attachment_to_download(ticket.id, mine["id"], A1, uow)["name"] == "报错截图.png"
    assert handlers.attachment_to_download(ticket.id, inner["id"], A1, uow)["key"] == inner["key"]
    assert handlers.attachment_to_download(ticket.id, mine["id"], CUSTOMER, uow)["name"] == "报错截图.png"
    with pytest.raises(TicketNotFound):
        handlers.attachment_to_download(ticket.id, inner["id"], CUSTOMER, uow)
    with pytest.raises(TicketNotFound):
        handlers.attachment_to_download(ticket.id, mine["id"], OTHER_CUSTOMER, uow)


def test_TKT5_opening_schedules_warning_and_breach_deadlines_and_a_reply_cancels_them():
    uow = world()
    ticket = open_(uow)
    due, payload = uow.deadlines[("ticket_sla_breach", f"{ticket.id}:first_response")]
    assert due.astimezone(SH) == MON_10 + timedelta(minutes=15) and payload["cycle"] == 1
    handlers.post_message(ticket.id, {"body": "您好！您的问题已收到"}, A1, uow, MON_10 + timedelta(minutes=2))
    assert ("ticket_sla_breach", f"{ticket.id}:first_response") not in uow.deadlines


def test_TKT1_TKT7_a_ticket_and_a_message_retried_under_their_operation_ids_are_made_once():
    """The ids derive from the request's Idempotency-Key: a retry after a lost answer makes nothing new."""
    uow = world()
    cmd = {"title": "后台报错", "description": "登录后台时报错 500", "category": "fault", "order_id": "ORD-1"}
    first = handlers.open_ticket(cmd, CUSTOMER, uow, MON_10, ticket_id="t-key-1")
    again = handlers.open_ticket(cmd, CUSTOMER, uow, MON_10, ticket_id="t-key-1")
    assert again.id == first.id == "t-key-1"
    assert sum(e["event_type"] == "ticket_opened" for e in uow.events) == 1
    before = len(uow.tickets.get(first.id).messages)
    for _ in range(2):
        handlers.post_message(first.id, {"body": "还是不行"}, CUSTOMER, uow, MON_10, message_id="m-key-1")
    assert len(uow.tickets.get(first.id).messages) == before + 1


def test_ORG7_each_list_row_names_the_side_its_reader_sees_it_from():
    """The gateway shapes a customer's rows by this, so the access rule is applied once, here."""
    uow = world()
    ticket = open_(uow)

    def side(actor):
        items, _ = handlers.list_tickets({}, actor, uow)
        return next(item["your_side"] for item in items if item["id"] == ticket.id)

    assert (side(CUSTOMER), side(A1)) == ("customer", "agent")


def test_TKT5_list_rows_carry_each_timers_due_instant_paused_and_breached_for_agents_only():
    """The console's queue counts down from its rows, without reading each ticket."""
    uow = world()
    ticket = open_(uow)

    def row(actor):
        items, _ = handlers.list_tickets({}, actor, uow)
        return next(item for item in items if item["id"] == ticket.id)

    def timers(actor):
        return {state.name: state for state in row(actor)["timers"]}

    first = timers(A1)
    assert first["first_response"].due_at.astimezone(SH) == MON_10 + timedelta(minutes=15)
    assert first["plan"].due_at.astimezone(SH) == MON_10 + timedelta(minutes=30)
    assert first["resolution"].due_at is None and not first["resolution"].paused   # untiered: no target
    assert row(A1)["next_due_at"].astimezone(SH) == MON_10 + timedelta(minutes=15)
    assert row(CUSTOMER)["timers"] == [] and row(CUSTOMER)["next_due_at"] is None      # TKT-7

    handlers.timer_fired("breach", {"ticket_id": ticket.id, "timer": "first_response", "cycle": 1}, uow,
                         MON_10 + timedelta(minutes=15))
    breached = timers(ADMIN)["first_response"]
    assert breached.breached_at is not None and breached.due_at is None
    assert row(ADMIN)["next_due_at"].astimezone(SH) == MON_10 + timedelta(minutes=30)     # the plan's

    handlers.change_status(ticket.id, AWAITING_FEEDBACK, "", A1, uow, MON_10 + timedelta(minutes=20),
                           reply="您好，请您提供报错截图，谢谢！")
    waiting = timers(A1)
    assert waiting["reply"].met_at is not None and waiting["reply"].due_at is None
    # awaiting feedback stops the customer-facing clocks, never the plan owed to the customer
    assert not waiting["plan"].paused
    assert row(A1)["next_due_at"].astimezone(SH) == MON_10 + timedelta(minutes=30)
    # the operator observes the same row as the provider's agents do
    assert {s.name for s in timers(OPERATOR).values() if s.paused} == {s.name for s in waiting.values() if s.paused}


def test_TKT5_a_late_reply_is_a_breach_event_and_alert_though_the_deadline_worker_is_behind():
    uow = world()
    ticket = open_(uow)
    # no deadline fired: the worker is held back; the agent answers at minute 20 of 15
    handlers.post_message(ticket.id, {"body": "您好！您的问题已收到"}, A1, uow, MON_10 + timedelta(minutes=20))
    assert [e["timer"] for e in uow.events_of("ticket_sla_breached")] == ["first_response"]
    assert uow.tickets.rows[ticket.id].breached == ["first_response"]
    alerts = [n for n in uow.events_of("ticket_notification_requested") if n["variables"]["kind"] == "sla_breach"]
    assert len(alerts) == 1 and alerts[0]["urgent"]
    # the worker catching up later adds nothing
    handlers.timer_fired("breach", {"ticket_id": ticket.id, "timer": "first_response", "cycle": 1}, uow,
                         MON_10 + timedelta(minutes=21))
    assert len(uow.events_of("ticket_sla_breached")) == 1


def test_TKT5_awaiting_feedback_without_a_reply_is_refused_and_a_reply_sent_with_it_is_accepted():
    uow = world()
    ticket = open_(uow)
    with pytest.raises(ReplyRequired):
        handlers.change_status(ticket.id, AWAITING_FEEDBACK, "", A1, uow, MON_10 + timedelta(minutes=1))
    assert ("ticket_sla_breach", f"{ticket.id}:first_response") in uow.deadlines
    handlers.change_status(ticket.id, AWAITING_FEEDBACK, "", A1, uow, MON_10 + timedelta(minutes=2),
                           reply="您好，请您提供 XX 以便我们进一步核实问题，谢谢！")
    stored = uow.tickets.rows[ticket.id]
    assert stored.status == AWAITING_FEEDBACK and stored.first_response_seconds == 120
    assert [m.body for m in stored.visible_messages("customer")][-1].startswith("您好，请您提供")


def test_TKT4_an_abusive_agent_reply_is_held_the_lead_is_alerted_and_only_the_lead_releases_it():
    uow = world()
    ticket = open_(uow)
    held = handlers.post_message(ticket.id, {"body": "自己看文档，白痴"}, A1, uow, MON_10 + timedelta(minutes=2))
    message_id = held.messages[-1].id
    alert = [n for n in uow.events_of("ticket_notification_requested") if n["variables"]["kind"] == "reply_held"]
    assert who(alert[0]) == [{"org_id": "prov", "role": "provider_admin"}]
    assert handlers.get_ticket(ticket.id, CUSTOMER, uow)["messages"][-1].body == "登录后台时报错 500"
    with pytest.raises(NotYourTicket):
        handlers.review_reply(ticket.id, message_id, {"release": True}, A1, uow, MON_10 + timedelta(minutes=3))
    handlers.review_reply(ticket.id, message_id, {"release": True, "body": "您好，请参考文档第 3 节。"}, ADMIN, uow,
                          MON_10 + timedelta(minutes=5))
    seen = handlers.get_ticket(ticket.id, CUSTOMER, uow)
    assert seen["messages"][-1].body == "您好，请参考文档第 3 节。" and seen["first_response_seconds"] == 300


def test_TKT8_a_customer_choosing_P0_gets_its_contracts_tier_and_a_request_an_agent_grants():
    uow = world()
    handlers.go_on_duty(A1, uow, MON_10)
    ticket = open_(uow, tier="P0")
    assert ticket.tier is None and ticket.requested_tier == "P0"
    # no 7x24 resolution target by the customer's own choice
    assert ("ticket_sla_breach", f"{ticket.id}:resolution") not in uow.deadlines
    asked = [n for n in uow.events_of("ticket_notification_requested") if n["variables"]["kind"] == "tier_requested"]
    assert who(asked[0]) == [{"user_id": "a1"}, {"org_id": "prov", "role": "provider_admin"}]
    handlers.reprioritise(ticket.id, {"tier": "P0"}, A1, uow, MON_10 + timedelta(minutes=2))
    granted = uow.tickets.rows[ticket.id]
    assert granted.tier == "P0" and granted.requested_tier is None
    assert [e.action for e in granted.log][-2:] == ["tier_granted", "reprioritised"]


def test_TKT8_the_most_specific_contract_gives_the_tier_and_only_the_providers_admin_sets_it():
    uow = world()
    with pytest.raises(NotYourTicket):
        handlers.set_entitlement({"product_id": "prod", "tier": "P1"}, A1, uow)
    with pytest.raises(EntitlementUnnamed):
        handlers.set_entitlement({"tier": "P1"}, ADMIN, uow)
    handlers.set_entitlement({"product_id": "prod", "tier": "P2"}, ADMIN, uow)
    assert open_(uow).tier == "P2"
    handlers.set_entitlement({"customer_org_id": "cust", "tier": "P1"}, ADMIN, uow)
    assert open_(uow).tier == "P1"
    handlers.set_entitlement({"customer_org_id": "cust", "product_id": "prod", "tier": "P3"}, ADMIN, uow)
    assert open_(uow, tier="P3").tier == "P3" and open_(uow).requested_tier is None
    handlers.set_entitlement({"customer_org_id": "cust", "product_id": "prod", "tier": None}, ADMIN, uow)
    assert open_(uow).tier == "P1"
    assert {(c["customer_org_id"], c["product_id"], c["tier"]) for c in handlers.entitlements(ADMIN, uow)} == {
        (None, "prod", "P2"), ("cust", None, "P1")}


def test_TKT5_a_breach_is_recorded_and_alerted_once_even_if_the_deadline_fires_twice():
    uow = world()
    ticket = open_(uow)
    payload = {"ticket_id": ticket.id, "timer": "first_response", "cycle": 1}
    handlers.timer_fired("breach", payload, uow, MON_10 + timedelta(minutes=15))
    handlers.timer_fired("breach", payload, uow, MON_10 + timedelta(minutes=15))
    assert len(uow.events_of("ticket_sla_breached")) == 1
    assert uow.tickets.rows[ticket.id].breached == ["first_response"]


def test_TKT6_the_auto_rules_remind_move_and_confirm():
    uow = world()
    ticket = open_(uow)
    handlers.change_status(ticket.id, AWAITING_FEEDBACK, "", A1, uow, MON_10, reply="您好，请您提供截图")
    for expected in ("remind", "to_confirmation", "confirm"):
        due, payload = uow.deadlines[("ticket_auto_rule", ticket.id)]
        assert payload["rule"] == expected
        handlers.auto_rule_fired(ticket.id, payload, uow, due)
        if expected == "to_confirmation":
            assert uow.tickets.rows[ticket.id].status == AWAITING_CONFIRMATION
    assert uow.tickets.rows[ticket.id].status == RESOLVED
    reminder = [n for n in uow.events_of("ticket_notification_requested")
                if n["variables"]["kind"] == "feedback_reminder"]
    assert reminder[0]["channels"] == ["email", "sms"]
    assert ("ticket_auto_rule", ticket.id) not in uow.deadlines


def test_ORG6_a_calendar_change_moves_the_deadlines_of_open_tickets():
    uow = world()
    fri = datetime(2026, 11, 20, 17, 50, tzinfo=SH)
    ticket = handlers.open_ticket({"title": "t", "description": "d", "category": "fault", "order_id": "ORD-1"},
                                  CUSTOMER, uow, fri)
    key = ("ticket_sla_breach", f"{ticket.id}:first_response")
    assert uow.deadlines[key][0].astimezone(SH) == datetime(2026, 11, 23, 9, 5, tzinfo=SH)
    changed = handlers.calendar_changed({"event_id": "e1"}, {"day": date(2026, 11, 23), "kind": "holiday",
                                                             "name": "x"}, uow, fri)
    # one share per provider with open tickets, due at once, taken by whichever replica polls first
    assert changed == 1 and uow.deadlines[key][0].astimezone(SH) == datetime(2026, 11, 23, 9, 5, tzinfo=SH)
    due, payload = uow.deadlines[("ticket_reschedule", "prov:2026-11-23")]
    assert due == fri and handlers.reschedule_provider(payload, uow) == 1
    assert uow.deadlines[key][0].astimezone(SH) == datetime(2026, 11, 24, 9, 5, tzinfo=SH)


def test_TKT2_service_hours_cover_at_least_9_to_18_and_moving_them_reschedules():
    from datetime import time

    uow = world()
    with pytest.raises(ServiceHoursRefused):  # 422: the two times together
        handlers.set_service_hours({"start": time(10), "end": time(18)}, ADMIN, uow, MON_10)
    fri = datetime(2026, 11, 20, 17, 50, tzinfo=SH)
    ticket = handlers.open_ticket({"title": "t", "description": "d", "category": "fault", "order_id": "ORD-1"},
                                  CUSTOMER, uow, fri)
    result = handlers.set_service_hours({"start": time(8), "end": time(22), "every_day": True}, ADMIN, uow, fri)
    assert result["rescheduled"] == 1
    # moved by the provider's share, which a replica's poller fires at once
    due_at, payload = uow.deadlines[("ticket_reschedule", "prov:hours")]
    assert due_at == fri and handlers.reschedule_provider(payload, uow) == 1
    due = uow.deadlines[("ticket_sla_breach", f"{ticket.id}:first_response")][0]
    assert due.astimezone(SH) == datetime(2026, 11, 20, 18, 5, tzinfo=SH)


def test_TKT4_a_suspected_complaint_alerts_the_provider_admins_at_once():
    uow = world()
    ticket = open_(uow)
    handlers.post_message(ticket.id, {"body": "请马上给我打电话"}, CUSTOMER, uow, MON_10 + timedelta(minutes=1))
    alert = uow.events_of("ticket_notification_requested")[-1]
    assert alert["urgent"] and {"org_id": "prov", "role": "provider_admin"} in who(alert)
    assert uow.tickets.rows[ticket.id].suspected == ["phone_call"]


def test_TKT5_report_gives_medians_and_percentiles_per_agent():
    uow = world()
    handlers.go_on_duty(A1, uow, MON_10)
    ticket = open_(uow)
    handlers.post_message(ticket.id, {"body": "您好"}, A1, uow, MON_10 + timedelta(minutes=4))
    result = handlers.report({"opened_from": MON_10 - timedelta(days=1), "opened_to": MON_10 + timedelta(days=1)},
                             ADMIN, uow)
    assert result["total"]["first_response_median"] == 240 and result["agents"][0]["agent_id"] == "a1"


def test_TKT5_report_gives_p95_sla_achievement_and_the_backlogs_age():
    from ticket_svc.domain import reports
    rows = [reports.TicketFigures("a1", False, 60 * i, 3600, 0, 5, MON_10) for i in range(1, 20)]
    rows.append(reports.TicketFigures("a1", True, 1200, None, 2, None, MON_10 - timedelta(days=2)))
    rows.append(reports.TicketFigures("a2", True, None, None, 0, None, MON_10 - timedelta(hours=5)))
    result = reports.report(rows, now=MON_10)
    total = result["total"]
    assert total["first_response_p95"] == 19 * 60 and total["sla_achievement"] == round(100 * 20 / 21, 1)
    assert total["backlog"] == 2 and total["backlog_oldest_seconds"] == 2 * 86400
    assert total["backlog_age_median_seconds"] == (2 * 86400 + 5 * 3600) / 2
    assert [a["agent_id"] for a in result["agents"]] == ["a1", "a2"]


def test_ORG6_a_calendar_change_far_ahead_leaves_minute_scale_deadlines_alone_but_moves_the_auto_rules():
    uow = world()
    ticket = open_(uow)
    waiting = open_(uow)
    handlers.change_status(waiting.id, AWAITING_FEEDBACK, "", A1, uow, MON_10, reply="您好，请您提供截图")
    breach_key = ("ticket_sla_breach", f"{ticket.id}:first_response")
    before = uow.deadlines[breach_key]
    remind_before = uow.deadlines[("ticket_auto_rule", waiting.id)][0]
    assert remind_before.astimezone(SH) == datetime(2026, 11, 25, 10, 0, tzinfo=SH)
    handlers.calendar_changed({"event_id": "e2"}, {"day": date(2026, 11, 24), "kind": "holiday", "name": "x"}, uow,
                              MON_10)
    handlers.reschedule_provider(uow.deadlines[("ticket_reschedule", "prov:2026-11-24")][1], uow)
    assert uow.deadlines[breach_key] == before
    assert uow.deadlines[("ticket_auto_rule", waiting.id)][0].astimezone(SH) == datetime(2026, 11, 26, 10, 0,
                                                                                          tzinfo=SH)


def test_TKT1_TKT5_the_operator_names_whom_it_acts_for_or_is_refused_with_422():
    uow = world()
    with pytest.raises(PartyNotNamed) as refused:
        handlers.report({}, OPERATOR, uow)
    assert refused.value.status == 422 and "provider_id" in refused.value.fields
    with pytest.raises(PartyNotNamed) as refused:
        handlers.open_ticket({"title": "t", "description": "d", "category": "other", "order_id": "o"}, OPERATOR,
                             uow, MON_10)
    assert refused.value.status == 422 and "customer_org_id" in refused.value.fields


def test_TKT3_handing_over_to_an_off_duty_colleague_needs_confirmation_and_tells_them():
    uow = world()
    handlers.go_on_duty(A1, uow, MON_10)
    ticket = open_(uow)
    with pytest.raises(ConfirmationRequired):
        handlers.go_off_duty({"handover_to": "a2", "note": "已查网络，请看日志"}, A1, uow, MON_10)
    assert uow.people.is_on_duty("a1") and uow.tickets.rows[ticket.id].assignee_id == "a1"
    with pytest.raises(ValidationFailed):
        handlers.go_off_duty({"handover_to": "a1", "note": "给自己"}, A1, uow, MON_10)
    handlers.go_off_duty({"handover_to": "a2", "note": "已查网络，请看日志", "confirm_off_duty": True}, A1, uow, MON_10)
    assert uow.tickets.rows[ticket.id].assignee_id == "a2" and not uow.people.is_on_duty("a1")
    told = uow.events_of("ticket_notification_requested")[-1]
    assert who(told) == [{"user_id": "a2"}] and told["variables"]["kind"] == "transferred_to_off_duty"
    assert told["urgent"] is True and told["variables"]["note"] == "已查网络，请看日志"


def test_TKT8_an_agent_reprioritises_and_the_deadlines_move_but_a_customer_may_not():
    uow = world()
    handlers.go_on_duty(A1, uow, MON_10)
    handlers.set_entitlement({"customer_org_id": "cust", "tier": "P3"}, ADMIN, uow)
    ticket = open_(uow)
    key = ("ticket_sla_breach", f"{ticket.id}:first_response")
    assert uow.deadlines[key][0] == MON_10 + timedelta(hours=4)
    with pytest.raises(NotYourTicket):
        handlers.reprioritise(ticket.id, {"tier": "P0"}, CUSTOMER, uow, MON_10)
    with pytest.raises(TicketNotFound):
        handlers.reprioritise(ticket.id, {"tier": "P0"}, RIVAL, uow, MON_10)
    handlers.reprioritise(ticket.id, {"tier": "P0"}, A1, uow, MON_10 + timedelta(minutes=5))
    assert uow.deadlines[key][0] == MON_10 + timedelta(minutes=15)
    assert ("ticket_sla_breach", f"{ticket.id}:resolution") in uow.deadlines
    assert uow.tickets.rows[ticket.id].tier == "P0" and uow.tickets.rows[ticket.id].category == "fault"
