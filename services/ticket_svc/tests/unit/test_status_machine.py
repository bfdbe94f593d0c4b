"""TKT-1, TKT-3, TKT-6, TKT-7: the ticket's statuses, sides, notes, auto rules and timers."""
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from platform_kit.workcal import ServiceHours, default_calendar
from ticket_svc.domain.model import (
    AGENT,
    AWAITING_CONFIRMATION,
    AWAITING_FEEDBACK,
    CLOSED,
    CUSTOMER,
    HELD_KIND,
    NOTE_KIND,
    PROCESSING,
    REPLY_KIND,
    RESOLVED,
    SYSTEM,
    Clock,
    Ticket,
)
from ticket_svc.domain.sla import TimerName
from ticket_svc.exceptions import NoteRequired, ReplyRequired, TransitionNotAllowed

SH = ZoneInfo("Asia/Shanghai")
CLOCK = Clock(default_calendar(), ServiceHours())
from datetime import datetime  # noqa: E402

MON_10 = datetime(2026, 11, 23, 10, 0, tzinfo=SH)


def open_ticket(category="question", tier=None, now=MON_10, description="网站后台登录后报错 500，请帮忙看看"):
    ticket, alerts = Ticket.open(id="t1", message_id="m1", customer_org_id="cust", customer_user_id="u-c",
                                 provider_id="prov", vendor_id="ven", title="后台报错", description=description,
                                 category=category, tier=tier, now=now, clock=CLOCK)
    return ticket, alerts


def breaches(alerts):
    return [a for a in alerts if a.kind == "sla_breach"]


def ask(ticket, at):
    """The public reply an agent owes before moving the ticket to wait for the customer."""
    ticket.agent_message(f"ask-{at.isoformat()}", "a1", "您好，请您提供截图，谢谢！", REPLY_KIND, at, CLOCK)


def test_TKT1_agent_moves_processing_to_awaiting_feedback_and_the_customer_back():
    ticket, _ = open_ticket()
    ask(ticket, MON_10 + timedelta(minutes=4))
    ticket.change_status(AWAITING_FEEDBACK, AGENT, "a1", MON_10 + timedelta(minutes=5), CLOCK)
    assert ticket.status == AWAITING_FEEDBACK and ticket.waiting_round == 1
    ticket.customer_message("m2", "u-c", "截图已补充", MON_10 + timedelta(hours=1), CLOCK)
    assert ticket.status == PROCESSING
    assert [e.action for e in ticket.log][-2:] == ["processing->awaiting_feedback", "awaiting_feedback->processing"]


@pytest.mark.parametrize("start,to,side", [
    (PROCESSING, RESOLVED, CUSTOMER),                 # the customer confirms only what the agent solved
    (PROCESSING, AWAITING_FEEDBACK, CUSTOMER),
    (PROCESSING, AWAITING_CONFIRMATION, SYSTEM),
    (PROCESSING, CLOSED, AGENT),                      # only the customer withdraws a ticket
    (AWAITING_CONFIRMATION, RESOLVED, AGENT),         # the agent cannot confirm its own solution
    (CLOSED, PROCESSING, CUSTOMER),
    (RESOLVED, AWAITING_FEEDBACK, AGENT),
    (RESOLVED, PROCESSING, AGENT),                    # only the customer reopens what it confirmed
])
def test_TKT1_transitions_not_allowed_from_the_status_or_to_the_side_are_refused(start, to, side):
    ticket, _ = open_ticket()
    ticket.status = start
    with pytest.raises(TransitionNotAllowed):
        ticket.change_status(to, side, "x", MON_10, CLOCK)
    assert ticket.status == start


def test_TKT1_solved_confirmed_closed_and_rated():
    ticket, _ = open_ticket()
    later = MON_10 + timedelta(minutes=40)
    ticket.agent_message("m2", "a1", "您好，由于配置原因引起，现已解决", REPLY_KIND, later, CLOCK)
    ticket.change_status(AWAITING_CONFIRMATION, AGENT, "a1", later, CLOCK)
    assert ticket.resolution_seconds == 40 * 60
    ticket.change_status(RESOLVED, CUSTOMER, "u-c", later, CLOCK)
    ticket.change_status(CLOSED, CUSTOMER, "u-c", later, CLOCK)
    ticket.rate("u-c", 5, "很好", later)
    assert ticket.rating == 5
    with pytest.raises(TransitionNotAllowed):
        ticket.rate("u-c", 4, "", later)


def test_TKT5_the_first_reply_stops_first_response_and_a_plan_reply_stops_the_plan_timer():
    ticket, _ = open_ticket()
    ticket.agent_message("m2", "a1", "您好！您的问题已收到", REPLY_KIND, MON_10 + timedelta(minutes=3), CLOCK)
    assert ticket.first_response_seconds == 180
    assert ticket.timers[TimerName.PLAN].active
    ticket.agent_message("m3", "a1", "预计 17:00 完成", REPLY_KIND, MON_10 + timedelta(minutes=20), CLOCK, plan=True)
    assert not ticket.timers[TimerName.PLAN].active


def test_TKT7_internal_notes_are_never_shown_to_the_customer_and_stop_no_timer():
    ticket, _ = open_ticket()
    ticket.agent_message("m2", "a1", "怀疑是数据库连接池", NOTE_KIND, MON_10, CLOCK)
    assert ticket.first_response_seconds is None
    assert all(m.kind == REPLY_KIND for m in ticket.visible_messages(CUSTOMER))
    assert len(ticket.visible_messages(AGENT)) == 2


def test_TKT5_a_new_customer_message_after_an_answer_restarts_the_4_hour_reply_timer():
    ticket, _ = open_ticket()
    ticket.agent_message("m2", "a1", "您好", REPLY_KIND, MON_10 + timedelta(minutes=1), CLOCK)
    reply = ticket.timers[TimerName.REPLY]
    assert not reply.active
    ticket.customer_message("m3", "u-c", "还是不行", MON_10 + timedelta(hours=1), CLOCK)
    assert reply.active and reply.cycle == 2
    warn, breach, cycle = ticket.timer_deadlines(CLOCK)[TimerName.REPLY]
    assert breach.astimezone(SH) == MON_10 + timedelta(hours=5) and cycle == 2


def test_TKT5_warning_and_breach_are_recorded_once_each_and_stale_cycles_ignored():
    ticket, _ = open_ticket()
    now = MON_10 + timedelta(minutes=16)
    assert [a.kind for a in ticket.timer_fired(TimerName.FIRST_RESPONSE, "warning", 1, now, CLOCK)] == ["sla_warning"]
    assert ticket.timer_fired(TimerName.FIRST_RESPONSE, "warning", 1, now, CLOCK) == []
    assert [a.urgent for a in ticket.timer_fired(TimerName.FIRST_RESPONSE, "breach", 1, now, CLOCK)] == [True]
    assert ticket.timer_fired(TimerName.FIRST_RESPONSE, "breach", 1, now, CLOCK) == []
    assert ticket.timer_fired(TimerName.REPLY, "breach", 7, now, CLOCK) == []
    assert ticket.breached == [TimerName.FIRST_RESPONSE]


def test_TKT5_awaiting_feedback_pauses_the_customer_facing_clocks_but_not_the_plan():
    ticket, _ = open_ticket()
    ticket.agent_message("m2", "a1", "您好，请您提供截图，谢谢！", REPLY_KIND, MON_10 + timedelta(minutes=4), CLOCK)
    ticket.change_status(AWAITING_FEEDBACK, AGENT, "a1", MON_10 + timedelta(minutes=5), CLOCK)
    deadlines = ticket.timer_deadlines(CLOCK)
    assert deadlines[TimerName.REPLY][1] is None and deadlines[TimerName.FIRST_RESPONSE][1] is None
    assert deadlines[TimerName.PLAN][1].astimezone(SH) == MON_10 + timedelta(minutes=30)


@pytest.mark.parametrize("to", [AWAITING_FEEDBACK, AWAITING_CONFIRMATION, RESOLVED])
def test_TKT5_an_agent_cannot_stop_the_timers_by_a_status_change_without_a_public_reply(to):
    ticket, _ = open_ticket()
    with pytest.raises(ReplyRequired):
        ticket.change_status(to, AGENT, "a1", MON_10 + timedelta(minutes=1), CLOCK)
    ticket.agent_message("m2", "a1", "怀疑是配置问题", NOTE_KIND, MON_10 + timedelta(minutes=2), CLOCK)
    with pytest.raises(ReplyRequired):     # an internal note is not a reply: the customer heard nothing
        ticket.change_status(to, AGENT, "a1", MON_10 + timedelta(minutes=3), CLOCK)
    assert ticket.status == PROCESSING and ticket.first_response_seconds is None
    deadlines = ticket.timer_deadlines(CLOCK)
    assert deadlines[TimerName.FIRST_RESPONSE][1].astimezone(SH) == MON_10 + timedelta(minutes=15)


def test_TKT5_a_customer_message_after_the_reply_needs_a_new_reply_before_awaiting_feedback():
    ticket, _ = open_ticket()
    ticket.agent_message("m2", "a1", "您好，请提供截图", REPLY_KIND, MON_10 + timedelta(minutes=2), CLOCK)
    ticket.customer_message("m3", "u-c", "截图在附件里", MON_10 + timedelta(minutes=8), CLOCK)
    with pytest.raises(ReplyRequired):
        ticket.change_status(AWAITING_FEEDBACK, AGENT, "a1", MON_10 + timedelta(minutes=9), CLOCK)


def test_TKT5_a_status_change_does_not_meet_the_plan_target_and_its_breach_still_fires():
    ticket, _ = open_ticket()
    ticket.agent_message("m2", "a1", "您好！您的问题已收到", REPLY_KIND, MON_10 + timedelta(minutes=3), CLOCK)
    ticket.change_status(AWAITING_FEEDBACK, AGENT, "a1", MON_10 + timedelta(minutes=4), CLOCK)
    assert ticket.timers[TimerName.PLAN].active
    alerts = ticket.timer_fired(TimerName.PLAN, "breach", 1, MON_10 + timedelta(minutes=30), CLOCK)
    assert [a.kind for a in alerts] == ["sla_breach"] and ticket.breached == [TimerName.PLAN]


def test_TKT5_a_late_first_reply_is_a_breach_at_the_moment_of_the_reply_though_no_deadline_fired():
    ticket, _ = open_ticket()
    late = MON_10 + timedelta(minutes=20)
    alerts = breaches(ticket.agent_message("m2", "a1", "您好", REPLY_KIND, late, CLOCK))
    timer = ticket.timers[TimerName.FIRST_RESPONSE]
    assert timer.breached_at == late and ticket.breached == [TimerName.FIRST_RESPONSE]
    assert [(a.kind, a.variables["timer"]) for a in alerts] == [("sla_breach", "first_response")]
    # the deadline worker, catching up afterwards, records and alerts nothing more
    assert ticket.timer_fired(TimerName.FIRST_RESPONSE, "breach", 1, late + timedelta(seconds=5), CLOCK) == []
    assert ticket.breached == [TimerName.FIRST_RESPONSE]


def test_TKT5_a_reply_within_the_target_is_no_breach_and_a_late_plan_is():
    ticket, _ = open_ticket()
    assert breaches(ticket.agent_message("m2", "a1", "您好", REPLY_KIND, MON_10 + timedelta(minutes=14), CLOCK)) == []
    alerts = breaches(ticket.agent_message("m3", "a1", "预计 17:00 完成", REPLY_KIND, MON_10 + timedelta(minutes=31),
                                           CLOCK, plan=True))
    assert [a.variables["timer"] for a in alerts] == ["plan"] and ticket.breached == [TimerName.PLAN]


def test_TKT5_reopening_a_resolved_ticket_restarts_the_resolution_target():
    ticket, _ = open_ticket(tier="P2")
    ticket.agent_message("m2", "a1", "您好，已解决", REPLY_KIND, MON_10 + timedelta(minutes=5), CLOCK, plan=True)
    ticket.change_status(AWAITING_CONFIRMATION, AGENT, "a1", MON_10 + timedelta(hours=3), CLOCK)
    ticket.change_status(RESOLVED, CUSTOMER, "u-c", MON_10 + timedelta(hours=4), CLOCK)
    resolution = ticket.timers[TimerName.RESOLUTION]
    cycle = resolution.cycle
    ticket.change_status(PROCESSING, CUSTOMER, "u-c", MON_10 + timedelta(hours=5), CLOCK)
    assert resolution.used == timedelta(0) and resolution.cycle == cycle + 1
    _, breach, _ = ticket.timer_deadlines(CLOCK)[TimerName.RESOLUTION]
    # 24 service hours from Monday 15:00 on 09:00-18:00: Thursday 12:00
    assert breach.astimezone(SH) == MON_10 + timedelta(days=3, hours=2)


def test_TKT5_a_solution_the_customer_rejects_resumes_the_resolution_clock_from_what_it_used():
    ticket, _ = open_ticket(tier="P2")            # resolution 24 service hours, Mon-Fri 09:00-18:00
    ticket.agent_message("m2", "a1", "您好", REPLY_KIND, MON_10 + timedelta(minutes=5), CLOCK, plan=True)
    ticket.change_status(AWAITING_CONFIRMATION, AGENT, "a1", MON_10 + timedelta(hours=1), CLOCK)
    assert ticket.resolution_seconds == 3600
    tue_10 = MON_10 + timedelta(days=1)
    ticket.customer_message("m3", "u-c", "还是不行，问题依旧", tue_10, CLOCK)
    assert ticket.status == PROCESSING and ticket.resolution_seconds is None
    assert [e.action for e in ticket.log][-2:] == ["awaiting_confirmation->processing", "reopened"]
    deadlines = ticket.timer_deadlines(CLOCK)
    # 23 service hours left from Tue 10:00: Tue 8 h, Wed 9 h, Thu 6 h -> Thu 15:00 (the night and
    # the day awaiting confirmation do not count)
    assert deadlines[TimerName.RESOLUTION][1].astimezone(SH) == datetime(2026, 11, 26, 15, 0, tzinfo=SH)
    # the customer's "not solved" is a message to answer within 4 service hours, a new cycle
    assert deadlines[TimerName.REPLY][1:] == (tue_10 + timedelta(hours=4), 2)
    assert deadlines[TimerName.FIRST_RESPONSE][1] is None            # met once, stays met
    ask(ticket, tue_10 + timedelta(hours=2))
    ticket.change_status(AWAITING_CONFIRMATION, AGENT, "a1", tue_10 + timedelta(hours=2), CLOCK)
    assert ticket.resolution_seconds == 3 * 3600                      # 1 h before + 2 h after reopening


def test_TKT5_a_breach_recorded_before_the_reopening_stays_recorded_and_is_not_alerted_again():
    ticket, _ = open_ticket(tier="P0")            # resolution 4 h, 7x24
    at_14 = MON_10 + timedelta(hours=4)
    ask(ticket, MON_10 + timedelta(minutes=5))
    assert [a.kind for a in ticket.timer_fired(TimerName.RESOLUTION, "breach", 1, at_14, CLOCK)] == ["sla_breach"]
    ticket.change_status(AWAITING_CONFIRMATION, AGENT, "a1", at_14 + timedelta(hours=1), CLOCK)
    ticket.change_status(PROCESSING, CUSTOMER, "u-c", at_14 + timedelta(hours=2), CLOCK)
    assert ticket.timers[TimerName.RESOLUTION].running
    assert ticket.timer_deadlines(CLOCK)[TimerName.RESOLUTION][1] is None
    assert ticket.timer_fired(TimerName.RESOLUTION, "breach", 1, at_14 + timedelta(hours=3), CLOCK) == []
    assert ticket.breached == [TimerName.RESOLUTION]


def test_TKT1_a_customer_reopens_a_resolved_ticket_and_an_agent_withdraws_its_solved():
    ticket, _ = open_ticket(tier="P1")            # resolution 8 h, 7x24
    ticket.agent_message("m2", "a1", "您好", REPLY_KIND, MON_10 + timedelta(minutes=5), CLOCK)
    ticket.change_status(AWAITING_CONFIRMATION, AGENT, "a1", MON_10 + timedelta(hours=1), CLOCK)
    ticket.change_status(PROCESSING, AGENT, "a1", MON_10 + timedelta(hours=2), CLOCK)
    assert ticket.timer_deadlines(CLOCK)[TimerName.RESOLUTION][1] == MON_10 + timedelta(hours=9)
    assert not ticket.timers[TimerName.REPLY].active                  # nothing new to answer
    ticket.change_status(AWAITING_CONFIRMATION, AGENT, "a1", MON_10 + timedelta(hours=3), CLOCK)
    ticket.apply_auto_rule("confirm", ticket.waiting_round, MON_10 + timedelta(days=4), CLOCK)
    assert ticket.status == RESOLVED and ticket.resolution_seconds == 2 * 3600
    ticket.customer_message("m3", "u-c", "又出现了", MON_10 + timedelta(days=5), CLOCK)
    assert ticket.status == PROCESSING and ticket.resolved_at is None
    # confirmed solved, then back: a new problem, a new resolution target (8 h, not the 6 h left)
    assert ticket.timer_deadlines(CLOCK)[TimerName.RESOLUTION][1] == MON_10 + timedelta(days=5, hours=8)


def test_TKT6_reminder_on_the_2nd_working_day_confirmation_after_7_and_resolved_after_3():
    fri = datetime(2026, 11, 20, 15, 0, tzinfo=SH)
    ticket, _ = open_ticket(now=fri)
    ask(ticket, fri)
    ticket.change_status(AWAITING_FEEDBACK, AGENT, "a1", fri, CLOCK)
    rule, due = ticket.next_auto_rule(CLOCK.calendar)
    assert rule == "remind" and due.astimezone(SH) == datetime(2026, 11, 24, 15, 0, tzinfo=SH)
    alerts = ticket.apply_auto_rule("remind", 1, due, CLOCK)
    assert [a.kind for a in alerts] == ["feedback_reminder"] and ticket.status == AWAITING_FEEDBACK
    assert ticket.apply_auto_rule("remind", 1, due, CLOCK) == []     # fired twice: no second reminder
    rule, due = ticket.next_auto_rule(CLOCK.calendar)
    assert rule == "to_confirmation" and due.astimezone(SH) == datetime(2026, 12, 1, 15, 0, tzinfo=SH)
    alerts = ticket.apply_auto_rule("to_confirmation", 1, due, CLOCK)
    assert ticket.status == AWAITING_CONFIRMATION and [a.kind for a in alerts] == ["moved_to_confirmation"]
    rule, due2 = ticket.next_auto_rule(CLOCK.calendar)
    assert rule == "confirm" and due2.astimezone(SH) == datetime(2026, 12, 4, 15, 0, tzinfo=SH)
    ticket.apply_auto_rule("confirm", 2, due2, CLOCK)
    assert ticket.status == RESOLVED


def test_TKT6_a_rule_from_an_earlier_waiting_period_does_nothing():
    ticket, _ = open_ticket()
    ask(ticket, MON_10)
    ticket.change_status(AWAITING_FEEDBACK, AGENT, "a1", MON_10, CLOCK)
    ticket.customer_message("m2", "u-c", "补充信息如下", MON_10 + timedelta(hours=1), CLOCK)
    ask(ticket, MON_10 + timedelta(hours=2))
    ticket.change_status(AWAITING_FEEDBACK, AGENT, "a1", MON_10 + timedelta(hours=2), CLOCK)
    assert ticket.apply_auto_rule("remind", 1, MON_10 + timedelta(days=3), CLOCK) == []
    assert not ticket.reminded


def test_TKT3_transfer_and_escalation_need_a_note():
    ticket, _ = open_ticket()
    with pytest.raises(NoteRequired):
        ticket.transfer("a2", "  ", "a1", "m2", MON_10)
    with pytest.raises(NoteRequired):
        ticket.escalate("", "a1", "m2", MON_10)
    ticket.transfer("a2", "查到是 DNS 解析问题，请继续跟进", "a1", "m2", MON_10)
    assert ticket.assignee_id == "a2" and ticket.messages[-1].kind == NOTE_KIND
    alerts = ticket.escalate("需要平台协助开通权限", "a2", "m3", MON_10)
    assert ticket.escalated and alerts[0].audience == ("operators",)


def test_TKT4_business_stopping_then_complaints_sort_first():
    down, _ = open_ticket(category="server_down")
    plain, _ = open_ticket()
    complained, _ = open_ticket()
    complained.complain("u-c", "太慢了", MON_10)
    p3, _ = open_ticket(tier="P3")
    assert down.priority_rank < complained.priority_rank < p3.priority_rank < plain.priority_rank
    assert TimerName.SAME_DAY in down.timers


def test_TKT9_a_pasted_password_is_masked_and_the_customer_told_to_change_it():
    ticket, alerts = open_ticket(description="服务器登录不了，root 密码是 Abc#12345 请帮忙")
    assert "Abc#12345" not in ticket.messages[0].body and "******" in ticket.messages[0].body
    assert [a.kind for a in alerts] == ["secret_masked"]
    assert "修改" in ticket.messages[1].body and ticket.messages[1].kind == REPLY_KIND


def test_TKT9_the_change_your_password_reminder_comes_once_per_ticket_not_per_message():
    ticket, alerts = open_ticket(description="服务器登录不了，root 密码是 Abc#12345 请帮忙")
    assert [a.kind for a in alerts] == ["secret_masked"]
    later = ticket.customer_message("m2", "u-c", "数据库连接串 mysql://app:Db_2026pw@10.0.0.5/shop",
                                    MON_10 + timedelta(minutes=5), CLOCK)
    assert "Db_2026pw" not in ticket.messages[-1].body
    assert later == [] and sum(1 for m in ticket.messages if m.side == SYSTEM) == 1


@pytest.mark.parametrize("body", ["你们客户真是白痴，自己看文档", "Read the manual, idiot", "垃圾问题别来烦我"])
def test_TKT4_an_agents_abusive_reply_is_held_for_the_leads_review_and_not_shown(body):
    ticket, _ = open_ticket()
    alerts = ticket.agent_message("m2", "a1", body, REPLY_KIND, MON_10 + timedelta(minutes=3), CLOCK)
    assert [(a.kind, a.audience) for a in alerts] == [("reply_held", ("provider_admins",))]
    assert [m.body for m in ticket.visible_messages(CUSTOMER)] == [ticket.messages[0].body]
    assert ticket.first_response_seconds is None and ticket.timers[TimerName.FIRST_RESPONSE].active
    assert ticket.messages[-1].kind == HELD_KIND


def test_TKT4_the_lead_releases_a_held_reply_edited_and_it_meets_the_timers_then_or_rejects_it():
    ticket, _ = open_ticket()
    ticket.agent_message("m2", "a1", "白痴问题，自己看文档", REPLY_KIND, MON_10 + timedelta(minutes=3), CLOCK)
    ticket.review_reply("m2", True, "lead", MON_10 + timedelta(minutes=10), CLOCK, body="您好，请参考文档第 3 节。")
    assert [m.body for m in ticket.visible_messages(CUSTOMER)][-1] == "您好，请参考文档第 3 节。"
    assert ticket.first_response_seconds == 600
    ticket.agent_message("m3", "a1", "你是傻逼吗", REPLY_KIND, MON_10 + timedelta(minutes=12), CLOCK)
    alerts = ticket.review_reply("m3", False, "lead", MON_10 + timedelta(minutes=13), CLOCK)
    assert ticket.messages[-1].kind == NOTE_KIND and [a.audience for a in alerts] == [("user:a1",)]
    with pytest.raises(TransitionNotAllowed):
        ticket.review_reply("m3", True, "lead", MON_10 + timedelta(minutes=14), CLOCK)


def test_TKT4_an_agent_may_write_near_misses_like_garbage_collection():
    ticket, _ = open_ticket()
    alerts = ticket.agent_message("m2", "a1", "您好，是 JVM 垃圾回收太频繁导致的，已调整参数。", REPLY_KIND,
                                  MON_10 + timedelta(minutes=3), CLOCK)
    assert [a.kind for a in alerts] == ["agent_reply"]
    assert ticket.messages[-1].kind == REPLY_KIND


def test_TKT4_TKT8_a_P0_fault_ranks_with_business_stopping_tickets_above_complaint_questions():
    p0_fault, _ = open_ticket(category="fault", tier="P0")
    complaint_question, _ = open_ticket(category="question")
    complaint_question.complain("u-c", "太慢了", MON_10)
    p1_fault, _ = open_ticket(category="fault", tier="P1")
    site_down, _ = open_ticket(category="site_down")
    stopping = max(site_down.priority_rank, p0_fault.priority_rank)
    assert stopping < complaint_question.priority_rank < p1_fault.priority_rank


def test_TKT8_a_requested_tier_is_kept_until_an_agent_decides_and_declining_keeps_the_contracts():
    ticket, alerts = Ticket.open(id="t1", message_id="m1", customer_org_id="cust", customer_user_id="u-c",
                                 provider_id="prov", vendor_id="ven", title="后台报错", description="报错",
                                 category="fault", tier="P2", requested_tier="P0", now=MON_10, clock=CLOCK)
    assert ticket.tier == "P2" and ticket.requested_tier == "P0" and "tier_requested" in [a.kind for a in alerts]
    assert ticket.reprioritise("P2", "fault", "a1", MON_10 + timedelta(minutes=1), CLOCK)
    assert ticket.tier == "P2" and ticket.requested_tier is None
    assert ticket.log[-1].action == "tier_request_declined"


def test_TKT8_raising_a_P3_to_P0_moves_its_targets_onto_the_7x24_clock_counting_the_time_used():
    ticket, _ = open_ticket(tier="P3")            # response 4 service hours, resolution measured only
    at_1030 = MON_10 + timedelta(minutes=30)
    assert ticket.reprioritise("P0", "fault", "a1", at_1030, CLOCK)
    deadlines = ticket.timer_deadlines(CLOCK)
    assert deadlines[TimerName.FIRST_RESPONSE][1] == at_1030           # 30 min used of 15: due at once
    assert deadlines[TimerName.RESOLUTION][1] == MON_10 + timedelta(hours=4)
    assert ticket.priority_rank < open_ticket(tier="P3")[0].priority_rank
    assert ticket.log[-1].action == "reprioritised"
    assert not ticket.reprioritise("P0", "fault", "a1", at_1030, CLOCK)   # nothing changed


def test_TKT8_a_ticket_raised_to_P1_after_hours_is_due_the_same_evening_not_on_monday():
    fri_1730 = datetime(2026, 11, 20, 17, 30, tzinfo=SH)
    ticket, _ = open_ticket(now=fri_1730)         # 15 minutes in Mon-Fri 09:00-18:00
    ticket.reprioritise("P1", "fault", "a1", fri_1730 + timedelta(minutes=10), CLOCK)
    # 10 min used of P1's hour, the other 50 from 17:40 around the clock
    assert ticket.timer_deadlines(CLOCK)[TimerName.FIRST_RESPONSE][1] == fri_1730 + timedelta(hours=1)


def test_TKT4_becoming_business_stopping_starts_a_same_day_target_and_ceasing_drops_its_deadline():
    ticket, _ = open_ticket()
    ticket.reprioritise(None, "server_down", "a1", MON_10 + timedelta(hours=1), CLOCK)
    warn, breach, cycle = ticket.timer_deadlines(CLOCK)[TimerName.SAME_DAY]
    assert breach.astimezone(SH) == MON_10.replace(hour=18) and ticket.business_stopping
    ticket.reprioritise(None, "fault", "a1", MON_10 + timedelta(hours=2), CLOCK)
    assert ticket.timer_deadlines(CLOCK)[TimerName.SAME_DAY][:2] == (None, None)
    ticket.reprioritise(None, "site_down", "a1", MON_10 + timedelta(hours=3), CLOCK)
    assert ticket.timer_deadlines(CLOCK)[TimerName.SAME_DAY][2] == cycle + 1


def test_TKT8_a_closed_ticket_or_an_unknown_tier_is_not_reprioritised():
    ticket, _ = open_ticket()
    with pytest.raises(TransitionNotAllowed):
        ticket.reprioritise("P9", "fault", "a1", MON_10, CLOCK)
    ticket.change_status(CLOSED, CUSTOMER, "u-c", MON_10, CLOCK)
    with pytest.raises(TransitionNotAllowed):
        ticket.reprioritise("P0", "fault", "a1", MON_10, CLOCK)
    assert ticket.tier is None
