"""ticket_svc in a nameko container with the real database and broker: assignment with agents
coming on and off duty, transfer, the 2/7/3 auto rules on a controllable clock, a breach alerted
once with two replicas, and bad input that changes nothing."""
import json
from datetime import datetime, timedelta

import pytest
from sqlalchemy import text

from platform_kit.errors import Conflict, Forbidden, NotFound, Unprocessable, ValidationFailed
from ticket_svc.service import TicketService


def open_ticket(rpc, w, **extra):
    return rpc(w["customer"]).open_ticket({"title": "网站后台无法登录", "description": "登录后台提示 500 错误",
                                           "category": "fault", "order_id": w["order_id"], **extra})


def test_TKT2_tickets_wait_in_the_queue_until_an_agent_comes_on_duty_then_go_to_the_least_loaded(rpc, world):
    w = world()
    first = open_ticket(rpc, w)
    assert first["assignee_id"] is None and first["provider_id"] == w["provider"]
    assert rpc(w["a1"]).go_on_duty()["assigned"] == [first["id"]]
    rpc(w["a2"]).go_on_duty()
    second = open_ticket(rpc, w)
    assert second["assignee_id"] == w["a2"].user_id
    with pytest.raises(Conflict):
        rpc(w["a1"]).go_off_duty({})
    handed = rpc(w["a1"]).go_off_duty({"handover_to": w["a2"].user_id, "note": "已确认账号正常，请查应用日志"})
    assert handed["handed_over"] == [first["id"]]
    assert rpc(w["a2"]).get_ticket(first["id"])["assignee_id"] == w["a2"].user_id
    queue = rpc(w["admin"]).list_tickets({"assignee_id": w["a2"].user_id})
    assert queue["total"] == 2


def test_TKT3_a_transfer_without_a_note_changes_nothing_and_with_one_moves_the_ticket(rpc, world, outbox):
    w = world()
    rpc(w["a1"]).go_on_duty()
    ticket = open_ticket(rpc, w)
    with pytest.raises(ValidationFailed):
        rpc(w["a1"]).transfer(ticket["id"], {"to_agent_id": w["a2"].user_id, "note": " ", "confirm_off_duty": True})
    with pytest.raises(Conflict):
        rpc(w["a1"]).transfer(ticket["id"], {"to_agent_id": w["a2"].user_id, "note": "请继续"})
    assert rpc(w["a1"]).get_ticket(ticket["id"])["assignee_id"] == w["a1"].user_id
    moved = rpc(w["a1"]).transfer(ticket["id"], {"to_agent_id": w["a2"].user_id, "note": "已排查网络，请看数据库",
                                                 "confirm_off_duty": True})
    assert moved["assignee_id"] == w["a2"].user_id
    assert outbox("ticket_notification_requested", receivers=[{"user_id": w["a2"].user_id}])


def test_TKT6_reminder_confirmation_and_automatic_resolution_on_a_controllable_clock(
        rpc, world, outbox, fast_forward, deadline_exists, wait_until):
    w = world()
    rpc(w["a1"]).go_on_duty()
    ticket = open_ticket(rpc, w)
    rpc(w["a1"]).change_status(ticket["id"], {"status": "awaiting_feedback", "note": "请提供截图",
                                              "reply": "您好，请您提供报错截图以便我们进一步核实问题，谢谢！"})
    reminded = {"variables": {"kind": "feedback_reminder", "ticket_id": ticket["id"]}}
    assert fast_forward("ticket_auto_rule", ticket["id"])
    wait_until(lambda: outbox("ticket_notification_requested", **reminded), message="the 2nd-day reminder")
    assert outbox("ticket_notification_requested", **reminded)[0]["data"]["channels"] == ["email", "sms"]
    wait_until(lambda: deadline_exists("ticket_auto_rule", ticket["id"]), message="the 7-day rule scheduled")
    assert fast_forward("ticket_auto_rule", ticket["id"])
    wait_until(lambda: rpc(w["customer"]).get_ticket(ticket["id"])["status"] == "awaiting_confirmation",
               message="moved to awaiting confirmation")
    assert outbox("ticket_notification_requested", variables={"kind": "moved_to_confirmation"},
                  receivers=[{"user_id": w["customer"].user_id}])
    wait_until(lambda: deadline_exists("ticket_auto_rule", ticket["id"]), message="the 3-day rule scheduled")
    assert fast_forward("ticket_auto_rule", ticket["id"])
    wait_until(lambda: rpc(w["customer"]).get_ticket(ticket["id"])["status"] == "resolved", message="resolved")
    assert len(outbox("ticket_status_changed", ticket_id=ticket["id"], side="system")) == 2


def test_TKT5_a_breach_is_alerted_once_with_two_replicas_running(
        rpc, world, container_factory, outbox, fast_forward, deadline_exists, wait_until):
    second = container_factory(TicketService)
    second.start()
    w = world()
    tickets = [open_ticket(rpc, w) for _ in range(12)]
    for t in tickets:
        assert fast_forward("ticket_sla_breach", f"{t['id']}:first_response")
    wait_until(lambda: not any(deadline_exists("ticket_sla_breach", f"{t['id']}:first_response") for t in tickets),
               timeout=20, message="every breach deadline fired")
    for t in tickets:
        assert len(outbox("ticket_sla_breached", ticket_id=t["id"], timer="first_response")) == 1
        alerts = outbox("ticket_notification_requested", variables={"kind": "sla_breach", "ticket_id": t["id"]})
        assert len(alerts) == 1 and alerts[0]["data"]["urgent"] is True
    assert rpc(w["admin"]).list_tickets({"breached": True})["total"] == 12
    # fired on the ticket without its conversation: the log gained the breach, nothing else changed
    seen = rpc(w["admin"]).get_ticket(tickets[0]["id"])
    assert [e["action"] for e in seen["log"]].count("sla_breached") == 1 and len(seen["messages"]) == 1
    assert tickets[0]["id"] in [t["id"] for t in rpc(w["admin"]).list_tickets({"q": "提示 500"})["items"]]


def test_TKT5_a_late_reply_is_a_breach_while_the_deadline_worker_is_held_back(rpc, world, db, outbox, deadline_exists):
    w = world()
    rpc(w["admin"]).set_entitlement({"customer_org_id": w["customer"].org_id, "tier": "P0"})
    ticket = open_ticket(rpc, w)                     # P0 by contract: 15 minutes, 7x24, whatever the wall clock
    with pytest.raises(Unprocessable):               # no reply: the timers cannot be stopped
        rpc(w["a1"]).change_status(ticket["id"], {"status": "awaiting_feedback"})
    # the ticket has been waiting 20 minutes; its breach deadline (still 15 minutes ahead in the
    # table) stands for a worker that has not got to it
    with db.begin() as conn:
        timers = conn.execute(text("select timers from tickets where id = :id"), {"id": ticket["id"]}).scalar_one()
        for timer in timers.values():
            if timer["running_since"]:
                since = datetime.fromisoformat(timer["running_since"]) - timedelta(minutes=20)
                timer["running_since"] = since.isoformat()
        conn.execute(text("update tickets set timers = cast(:t as jsonb) where id = :id"),
                     {"t": json.dumps(timers), "id": ticket["id"]})
    assert deadline_exists("ticket_sla_breach", f"{ticket['id']}:first_response")
    rpc(w["a1"]).post_message(ticket["id"], {"body": "您好！您的问题已收到，我们尽快安排看下，请耐心等待！"})
    assert len(outbox("ticket_sla_breached", ticket_id=ticket["id"], timer="first_response")) == 1
    seen = rpc(w["admin"]).get_ticket(ticket["id"])
    assert "first_response" in seen["breached"]
    assert next(t for t in seen["timers"] if t["name"] == "first_response")["breached_at"] is not None
    assert not deadline_exists("ticket_sla_breach", f"{ticket['id']}:first_response")


def test_TKT4_a_held_abusive_reply_is_stored_unseen_and_released_by_the_lead(rpc, world, outbox):
    w = world()
    ticket = open_ticket(rpc, w)
    held = rpc(w["a1"]).post_message(ticket["id"], {"body": "白痴问题，自己看文档"})
    message_id = held["messages"][-1]["id"]
    assert held["messages"][-1]["kind"] == "held"
    assert [m["kind"] for m in rpc(w["customer"]).get_ticket(ticket["id"])["messages"]] == ["reply"]
    assert outbox("ticket_notification_requested", variables={"kind": "reply_held", "ticket_id": ticket["id"]})
    released = rpc(w["admin"]).review_reply(ticket["id"], message_id, {"release": True, "body": "您好，请参考文档。"})
    assert released["first_response_seconds"] is not None
    seen = rpc(w["customer"]).get_ticket(ticket["id"])["messages"]
    assert [m["body"] for m in seen][-1] == "您好，请参考文档。"


def test_TKT8_the_contract_sets_the_tier_a_customers_p0_is_a_request_an_agent_grants(rpc, world):
    w = world()
    asked = open_ticket(rpc, w, tier="P0")
    assert asked["tier"] is None and asked["requested_tier"] == "P0"
    with pytest.raises(Forbidden):
        rpc(w["a1"]).set_entitlement({"customer_org_id": w["customer"].org_id, "tier": "P1"})
    rpc(w["admin"]).set_entitlement({"customer_org_id": w["customer"].org_id, "tier": "P1"})
    assert rpc(w["admin"]).entitlements() == [{"provider_id": w["provider"], "customer_org_id": w["customer"].org_id,
                                               "product_id": None, "tier": "P1"}]
    assert open_ticket(rpc, w)["tier"] == "P1"
    granted = rpc(w["a1"]).reprioritise(asked["id"], {"tier": "P0"})
    assert granted["tier"] == "P0" and granted["requested_tier"] is None
    assert rpc(w["admin"]).list_tickets({})["items"][0]["id"] == asked["id"]     # P0 sorts first


def test_TKT1_tickets_are_listed_by_order_and_by_number(rpc, world):
    w = world()
    ticket = open_ticket(rpc, w)
    assert [t["id"] for t in rpc(w["customer"]).list_tickets({"order_id": w["order_id"]})["items"]] == [ticket["id"]]
    assert rpc(w["customer"]).list_tickets({"order_id": "ORD-none"})["total"] == 0
    assert [t["id"] for t in rpc(w["admin"]).list_tickets({"number": ticket["number"]})["items"]] == [ticket["id"]]


def test_ORG7_TKT3_the_vendor_reads_its_products_tickets_and_the_platform_hands_an_escalation_back(rpc, world):
    from platform_contracts.actor import Actor
    w = world()
    vendor = Actor("v-" + w["provider"], w["provider"].replace("prov-", "ven-"), "isv", ("vendor_admin",))
    operator = Actor("op-" + w["provider"], "platform-" + w["provider"], "operator", ("platform_operator",))
    ticket = open_ticket(rpc, w)
    rpc(w["a1"]).post_message(ticket["id"], {"body": "内部：查负载均衡", "kind": "note"})
    seen = rpc(vendor).list_tickets({})
    assert [t["id"] for t in seen["items"]] == [ticket["id"]]
    assert [m["kind"] for m in rpc(vendor).get_ticket(ticket["id"])["messages"]] == ["reply"]
    with pytest.raises(Forbidden):
        rpc(vendor).post_message(ticket["id"], {"body": "厂商"})
    rpc(w["a1"]).escalate(ticket["id"], {"note": "需要平台开通权限"})
    answered = rpc(operator).post_message(ticket["id"], {"body": "您好，平台已开通权限。"})
    assert answered["messages"][-1]["side"] == "platform" and answered["first_response_seconds"] is None
    back = rpc(operator).hand_back(ticket["id"], {"note": "已开通，请继续跟进"})
    assert back["escalated"] is False


def test_TKT2_the_lead_sees_every_agent_and_puts_one_on_duty(rpc, world):
    w = world()
    ticket = open_ticket(rpc, w)
    roster = rpc(w["admin"]).duty_roster()
    assert {(r["user_id"], r["on_duty"]) for r in roster} == {(w["a1"].user_id, False), (w["a2"].user_id, False)}
    assert rpc(w["admin"]).set_agent_duty(w["a2"].user_id, {"on_duty": True})["assigned"] == [ticket["id"]]
    with pytest.raises(Forbidden):
        rpc(w["a1"]).set_agent_duty(w["a2"].user_id, {"on_duty": False})


def test_TKT7_canned_replies_are_edited_deleted_and_filled_in_per_ticket(rpc, world):
    w = world()
    ticket = open_ticket(rpc, w)
    own = rpc(w["a1"]).add_canned_reply({"key": "received", "body": "您好，{{ticket_number}} 已收到"})
    rpc(w["a2"]).update_canned_reply(own["id"], {"key": "received", "body": "您好，{{ticket_number}} 处理中"})
    filled = rpc(w["a1"]).canned_replies(ticket["id"])
    assert [r["body"] for r in filled if r["key"] == "received"] == [f"您好，{ticket['number']} 处理中"]
    with pytest.raises(NotFound):
        rpc(w["rival"]).delete_canned_reply(own["id"])
    rpc(w["a1"]).delete_canned_reply(own["id"])
    assert all(r["id"] != own["id"] for r in rpc(w["a1"]).canned_replies())


def test_ORG7_bad_input_answers_4xx_and_changes_nothing(rpc, world):
    w = world()
    other = world()
    ticket = open_ticket(rpc, w)
    with pytest.raises(Unprocessable):
        rpc(w["customer"]).change_status(ticket["id"], {"status": "resolved"})
    with pytest.raises(NotFound):
        rpc(w["rival"]).post_message(ticket["id"], {"body": "我来回复"})
    with pytest.raises(ValidationFailed):
        rpc(w["customer"]).post_message(ticket["id"], {"body": "日志", "attachments": [
            {"name": "huge.log", "size": 50 * 1024 * 1024}]})
    with pytest.raises(Unprocessable):
        rpc(other["customer"]).open_ticket({"title": "x", "description": "y", "category": "fault",
                                            "order_id": w["order_id"]})
    after = rpc(w["customer"]).get_ticket(ticket["id"])
    assert after["status"] == "processing" and len(after["messages"]) == 1


def test_TKT4_chinese_text_search_and_suspected_complaints(rpc, world):
    w = world()
    ticket = open_ticket(rpc, w, title="商城首页打不开")
    rpc(w["customer"]).post_message(ticket["id"], {"body": "请尽快给我打电话"})
    found = rpc(w["admin"]).list_tickets({"q": "首页打不"})
    assert [t["id"] for t in found["items"]] == [ticket["id"]]
    assert rpc(w["admin"]).list_tickets({"suspected": True})["items"][0]["suspected"] == ["phone_call"]
    assert rpc(w["admin"]).list_tickets({"q": "不存在的内容"})["total"] == 0
    down = open_ticket(rpc, w, title="服务器宕机", category="server_down")
    assert [t["id"] for t in rpc(w["admin"]).list_tickets({"business_stopping": True})["items"]] == [down["id"]]
    assert rpc(w["admin"]).list_tickets({"category": "fault"})["items"][0]["id"] == ticket["id"]
    assert rpc(w["admin"]).list_tickets({"business_stopping": False})["total"] == 1


def test_TKT7_an_uploaded_file_is_attached_to_a_reply_and_a_file_of_another_ticket_is_refused(rpc, world):
    import base64
    w = world()
    ticket = open_ticket(rpc, w)
    other = open_ticket(rpc, w)
    content = base64.b64encode("错误日志 line 1\n".encode()).decode()
    file = rpc(w["customer"]).upload_attachment(ticket["id"], {"name": "error.log", "content_type": "text/plain",
                                                               "content_base64": content})
    assert file["key"].startswith(f"tickets/{ticket['id']}/") and file["size"] == len("错误日志 line 1\n".encode())
    with pytest.raises(Unprocessable):  # a file of another ticket: a reference to nothing here
        rpc(w["customer"]).post_message(other["id"], {"body": "见附件", "attachments": [file]})
    with pytest.raises(NotFound):
        rpc(w["rival"]).upload_attachment(ticket["id"], {"name": "x", "content_base64": content})
    after = rpc(w["customer"]).post_message(ticket["id"], {"body": "见附件", "attachments": [file]})
    assert after["messages"][-1]["attachments"][0]["name"] == "error.log"
    got = rpc(w["a1"]).download_attachment(ticket["id"], file["id"])
    assert base64.b64decode(got["content_base64"]).decode() == "错误日志 line 1\n"
    assert got["content_type"] == "text/plain"
    # an agent's note's file: the agent downloads it, the customer is told it does not exist
    note_file = rpc(w["a1"]).upload_attachment(ticket["id"], {"name": "内部排查.txt", "content_type": "text/plain",
                                                              "content_base64": content})
    rpc(w["a1"]).post_message(ticket["id"], {"body": "内部", "kind": "note", "attachments": [note_file]})
    assert rpc(w["a1"]).download_attachment(ticket["id"], note_file["id"])["name"] == "内部排查.txt"
    with pytest.raises(NotFound):
        rpc(w["customer"]).download_attachment(ticket["id"], note_file["id"])
    with pytest.raises(ValidationFailed):
        rpc(w["customer"]).post_message(ticket["id"], {"body": "x", "attachments": [{"name": "a", "size": 1}]})
    with pytest.raises(Unprocessable):
        rpc(w["customer"]).post_message(ticket["id"], {"body": "x", "attachments": [
            {"key": f"tickets/{ticket['id']}/../../etc/passwd"}]})


def test_ORG6_TKT5_a_holiday_entered_moves_the_deadlines_it_reaches_and_leaves_the_rest(rpc, world, deliver, db,
                                                                                      wait_until):
    from datetime import timedelta

    from sqlalchemy import text

    from platform_kit.workcal import default_calendar

    w = world()
    office = open_ticket(rpc, w)                          # 15 minutes in Mon-Fri 09:00-18:00
    rpc(w["admin"]).set_entitlement({"customer_org_id": w["customer"].org_id, "tier": "P0"})
    round_the_clock = open_ticket(rpc, w)                 # 15 minutes 7x24 by contract

    def due(ticket_id: str):
        with db.connect() as conn:
            return conn.execute(text("select due_at from deadlines where kind = 'ticket_sla_breach' and key = :k"),
                                {"k": f"{ticket_id}:first_response"}).scalar_one()
    calendar = default_calendar()
    before, p0_before = due(office["id"]), due(round_the_clock["id"])
    day = calendar.local_date(before)                    # the service day the office ticket's deadline falls on
    deliver("calendar_changed", {"day": day.isoformat(), "kind": "holiday", "name": "test"})
    try:
        # moved by the provider's share of the change (a ticket_reschedule deadline the poller fires)
        wait_until(lambda: due(office["id"]) != before, timeout=20, message="the provider's deadlines moved")
        after = due(office["id"])
        # the same service time, counted from the next working day on
        assert calendar.local_date(after) > day and after - before >= timedelta(hours=15)
        assert due(round_the_clock["id"]) == p0_before  # 7x24: a holiday does not move it
    finally:
        deliver("calendar_changed", {"day": day.isoformat(), "kind": None, "name": ""})
    wait_until(lambda: due(office["id"]) == before, timeout=20, message="moved back with the holiday removed")


def test_TKT2_new_service_hours_move_the_providers_deadlines_in_the_background(rpc, world, db, wait_until):
    from datetime import datetime, time, timedelta

    from sqlalchemy import text

    from platform_kit.workcal import ServiceHours, default_calendar

    w = world()
    ticket = open_ticket(rpc, w)
    hours = rpc(w["admin"]).set_service_hours({"start": "08:00:00", "end": "22:00:00", "every_day": True})
    assert hours["rescheduled"] == 1 and hours["every_day"] is True
    opened = datetime.fromisoformat(rpc(w["admin"]).get_ticket(ticket["id"])["opened_at"])
    expected = default_calendar().add_service_time(opened, timedelta(minutes=15),
                                                   ServiceHours(start=time(8), end=time(22), every_day=True))

    def due():
        with db.connect() as conn:
            return conn.execute(text("select due_at from deadlines where kind = 'ticket_sla_breach' and key = :k"),
                                {"k": f"{ticket['id']}:first_response"}).scalar_one()
    wait_until(lambda: due() == expected, timeout=20, message="the deadline moved to the new hours")


def test_TKT5_list_rows_carry_the_timers_the_ticket_shows_read_in_the_lists_statement(rpc, world):
    """The console's queue: its countdowns come from the rows (the breach deadlines joined in the page's
    own statement), equal to what the ticket itself shows; customers get none (TKT-7)."""
    w = world()
    ticket = open_ticket(rpc, w)
    detail = rpc(w["admin"]).get_ticket(ticket["id"])
    row = next(r for r in rpc(w["admin"]).list_tickets({})["items"] if r["id"] == ticket["id"])
    assert {t["name"]: t["due_at"] for t in row["timers"]} == {t["name"]: t["due_at"] for t in detail["timers"]}
    assert row["next_due_at"] == detail["next_due_at"] == min(t["due_at"] for t in detail["timers"] if t["due_at"])
    assert not any(t["paused"] for t in row["timers"])
    rpc(w["admin"]).change_status(ticket["id"], {"status": "awaiting_feedback", "note": "请提供截图",
                                                 "reply": "您好，请您提供截图，谢谢！"})
    waiting = next(r for r in rpc(w["admin"]).list_tickets({})["items"] if r["id"] == ticket["id"])
    # the plan is still owed: only it counts down while the customer is asked
    assert [t["name"] for t in waiting["timers"] if t["due_at"]] == ["plan"]
    assert waiting["next_due_at"] == next(t["due_at"] for t in waiting["timers"] if t["name"] == "plan")
    mine = rpc(w["customer"]).list_tickets({})["items"]
    assert [(r["timers"], r["next_due_at"]) for r in mine if r["id"] == ticket["id"]] == [([], None)]
