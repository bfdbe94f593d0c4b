"""Use cases of ticket_svc: fn(command..., uow, now) -> result.

Handlers load aggregates through the repositories (``uow.tickets``, ``uow.people``,
``uow.subjects``, ``uow.settings``), let the domain decide, then turn what it returns into
events, notification requests and durable deadlines, and commit once.
"""
from __future__ import annotations

import functools
import re
import uuid
from collections.abc import Callable
from datetime import datetime, time
from zoneinfo import ZoneInfo

from platform_contracts.actor import Actor
from platform_contracts.roles import SUPPORT_AGENT
from platform_kit.clock import utcnow
from platform_kit.workcal import CalendarDay, ServiceHours, WorkCalendar, default_calendar
from ticket_svc.domain import attachments as attachment_rules
from ticket_svc.domain import canned, reports
from ticket_svc.domain.access import AGENT_ROLES, OBSERVER, Scope, scope_of, side_of
from ticket_svc.domain.assignment import choose_agent
from ticket_svc.domain.complaints import DEFAULT_ABUSIVE_WORDS
from ticket_svc.domain.entitlement import Entitlement, entitled_tier
from ticket_svc.domain.mail import InboundMail, MailAttachment
from ticket_svc.domain.model import (
    AGENT,
    CUSTOMER,
    PLATFORM,
    REPLY_KIND,
    VENDOR,
    Alert,
    Clock,
    Ticket,
)
from ticket_svc.domain.sla import TimerName
from ticket_svc.exceptions import (
    AttachmentRefused,
    AttachmentTooLarge,
    ConfirmationRequired,
    EntitlementUnnamed,
    HandoverRequired,
    NotAColleague,
    NotYourTicket,
    PartyNotNamed,
    ServiceHoursRefused,
    TicketNotFound,
    UnknownSubject,
    ValidationFailed,
)

WARNING, BREACH, AUTO_RULE = "ticket_sla_warning", "ticket_sla_breach", "ticket_auto_rule"
RESCHEDULE = "ticket_reschedule"   # one provider's share of a calendar change
MAX_ATTACHMENT_BYTES = attachment_rules.MAX_BYTES
REMINDER_CHANNELS = ["email", "sms"]   # TKT-6: the 2nd-working-day reminder goes by e-mail and SMS
# TKT-6 as above; TKT-10: an agent's public reply goes to the customer by e-mail (its subject carries
# the ticket number, which threads the customer's answer back into the ticket)
CHANNELS = {"feedback_reminder": REMINDER_CHANNELS, "agent_reply": ["email"]}
TICKET_NUMBER = re.compile(r"^T-\d{4}-\d{6,}$")
SHANGHAI = ZoneInfo("Asia/Shanghai")


def new_id() -> str:
    return str(uuid.uuid4())


# ---- clock, deadlines, notifications --------------------------------------------------------

@functools.lru_cache(maxsize=8)
def _calendar(overrides: tuple[CalendarDay, ...]) -> WorkCalendar:
    # built once per set of edits: a calendar fills its per-year caches of working days on first
    # use, which was 6 % of a replica's time firing deadlines when every call built a fresh one
    return default_calendar(overrides)


def calendar_of(uow) -> WorkCalendar:
    """The working calendar with the operator's edits (ORG-6), as stored now."""
    return _calendar(tuple(sorted(uow.settings.calendar_overrides(), key=lambda day: day.day)))


def clock_for(provider_id: str, uow) -> Clock:
    """The calendar with the operator's edits (ORG-6) and the provider's service hours (TKT-2)."""
    return Clock(calendar_of(uow), uow.settings.service_hours(provider_id) or ServiceHours())


def sync_deadlines(ticket: Ticket, clock: Clock, uow, *, changed_from: datetime | None = None) -> None:
    """Set or move every durable deadline of the ticket from its timers, cancel the rest.

    ``changed_from``: only the calendar changed, from this instant on. A deadline due before it
    was counted over days that did not change, so it is already right and is not rewritten, and
    nothing is cancelled (the ticket itself did not change). This keeps a holiday entered weeks
    ahead from rewriting every minute-scale SLA deadline of every open ticket.
    """
    for name, (warn_at, breach_at, cycle) in ticket.timer_deadlines(clock).items():
        key = f"{ticket.id}:{name}"
        payload = {"ticket_id": ticket.id, "timer": str(name), "cycle": cycle}
        for kind, due in ((WARNING, warn_at), (BREACH, breach_at)):
            if due is None:
                if changed_from is None:
                    uow.cancel_deadline(kind, key)
            elif changed_from is None or due >= changed_from:
                uow.schedule(kind, key, due, payload)
    rule = ticket.next_auto_rule(clock.calendar) if ticket.is_open else None
    if rule is None:
        if changed_from is None:
            uow.cancel_deadline(AUTO_RULE, ticket.id)
    elif changed_from is None or rule[1] >= changed_from:
        uow.schedule(AUTO_RULE, ticket.id, rule[1], {"rule": rule[0], "round": ticket.waiting_round})


def _receivers(ticket: Ticket, audience: tuple[str, ...], uow) -> list[dict]:
    out: list[dict] = []
    for who in audience:
        if who == "customer":
            out.append({"user_id": ticket.customer_user_id})
        elif who == "assignee" and ticket.assignee_id:
            out.append({"user_id": ticket.assignee_id})
        elif who == "provider_admins":
            out.append({"org_id": ticket.provider_id, "role": "provider_admin"})
        elif who == "operators":
            out.extend({"org_id": org} for org in uow.people.operator_org_ids())
        elif who.startswith("user:"):
            out.append({"user_id": who[5:]})
    unique = []
    for receiver in out:
        if receiver not in unique:
            unique.append(receiver)
    return unique


def notify(ticket: Ticket, alerts: list[Alert], uow) -> None:
    for alert in alerts:
        receivers = _receivers(ticket, alert.audience, uow)
        if not receivers:
            continue
        uow.emit("ticket_notification_requested", {
            "receivers": receivers, "message_template": alert.template,
            "variables": {**alert.variables, "kind": alert.kind, "ticket_number": ticket.number or ticket.id},
            "urgent": alert.urgent, "dedupe_key": alert.dedupe_key, "link": f"/tickets/{ticket.id}",
            "channels": CHANNELS.get(alert.kind),
        })


def _status_event(ticket: Ticket, before: str, side: str, uow) -> None:
    if ticket.status != before:
        uow.emit("ticket_status_changed", {"ticket_id": ticket.id, "provider_id": ticket.provider_id,
                                           "customer_org_id": ticket.customer_org_id, "from_status": before,
                                           "to_status": ticket.status, "side": side})


def _breach_events(ticket: Ticket, alerts: list[Alert], uow) -> None:
    """A breach, whether a deadline found it or a late reply did, is one ticket_sla_breached."""
    for alert in alerts:
        if alert.kind == "sla_breach":
            uow.emit("ticket_sla_breached", {"ticket_id": ticket.id, "provider_id": ticket.provider_id,
                                             "assignee_id": ticket.assignee_id, "timer": alert.variables["timer"]})


def _save(ticket: Ticket, clock: Clock, alerts: list[Alert], uow) -> None:
    uow.tickets.save(ticket)
    sync_deadlines(ticket, clock, uow)
    _breach_events(ticket, alerts, uow)
    notify(ticket, alerts, uow)


# ---- opening and routing ---------------------------------------------------------------------

def open_ticket(cmd: dict, actor: Actor, uow, now: datetime, ticket_id: str | None = None) -> Ticket:
    """TKT-1: a customer (or an enterprise system on its behalf: the operator naming the customer)
    opens a ticket about an order, a project or a product; routed to the provider delivering it,
    to the vendor when there is none; assigned to the least-loaded on-duty agent (TKT-2).

    ``ticket_id`` derives from the request's idempotency key (``platform_kit.idempotency``): a
    retry of a request that opened the ticket (its answer lost) returns that ticket."""
    if ticket_id is not None:
        opened = uow.tickets.get(ticket_id)
        if opened is not None and side_of(actor, opened) is not None:
            return opened
    if actor.is_operator:
        customer_org, customer_user = cmd.get("customer_org_id"), cmd.get("customer_user_id")
        if not customer_org or not customer_user:
            raise PartyNotNamed("A ticket opened on a customer's behalf names the customer.",
                                   {"customer_org_id": ["required"], "customer_user_id": ["required"]})
    else:
        customer_org, customer_user = actor.org_id, actor.user_id
    provider_id, vendor_id, subject = _route(cmd, customer_org, uow)
    clock = clock_for(provider_id, uow)
    # TKT-8: the tier is the contract's; what the customer chose is a request an agent decides on
    tier = entitled_tier(uow.settings.entitlements(provider_id), customer_org, subject.get("product_id"))
    ticket, alerts = Ticket.open(
        id=ticket_id or new_id(), message_id=new_id(), number=uow.tickets.next_number(now.astimezone(SHANGHAI).year),
        customer_org_id=customer_org, customer_user_id=customer_user,
        provider_id=provider_id, vendor_id=vendor_id, title=cmd["title"], description=cmd["description"],
        category=cmd["category"], tier=tier, requested_tier=cmd.get("tier"), now=now, clock=clock,
        complaint=cmd.get("complaint", False),
        product_id=subject.get("product_id"), order_id=subject.get("order_id"), project_id=subject.get("project_id"),
    )
    agent = choose_agent(uow.people.agent_loads(provider_id))
    if agent is not None:
        ticket.assign(agent, now)
    uow.tickets.add(ticket)
    sync_deadlines(ticket, clock, uow)
    uow.emit("ticket_opened", {"ticket_id": ticket.id, "customer_org_id": customer_org, "provider_id": provider_id,
                               "vendor_id": vendor_id, "category": ticket.category, "tier": ticket.tier,
                               "order_id": ticket.order_id, "project_id": ticket.project_id,
                               "product_id": ticket.product_id, "assignee_id": ticket.assignee_id})
    notify(ticket, alerts, uow)
    uow.commit()
    return ticket


def _route(cmd: dict, customer_org: str, uow) -> tuple[str, str | None, dict]:
    """Who answers: the order's (project's) provider, else its vendor; a product's vendor."""
    if cmd.get("order_id") or cmd.get("project_id"):
        subject = (uow.subjects.by_order(cmd["order_id"]) if cmd.get("order_id")
                   else uow.subjects.get(cmd["project_id"]))
        # another customer's order answers exactly like an unknown one (ORG-7)
        if subject is None or subject["customer_id"] != customer_org:
            field = "order_id" if cmd.get("order_id") else "project_id"
            raise UnknownSubject("No order or project of yours has this id.", {field: ["not found"]})
        return subject["provider_id"] or subject["vendor_id"], subject["vendor_id"], subject
    if cmd.get("product_id"):
        vendor = uow.subjects.vendor_of_product(cmd["product_id"])
        if vendor is None:
            raise UnknownSubject("This product is not known.", {"product_id": ["not found"]})
        return vendor, vendor, {"product_id": cmd["product_id"]}
    raise ValidationFailed("Say what the ticket is about.",
                           {"order_id": ["one of order_id, project_id or product_id is required"]})


# ---- reading ---------------------------------------------------------------------------------

def load_visible(ticket_id: str, actor: Actor, uow, *, for_update: bool = False) -> tuple[Ticket, str]:
    """By id, or by the readable number people quote (T-2026-000123)."""
    if TICKET_NUMBER.match(ticket_id or ""):
        ticket_id = uow.tickets.id_of_number(ticket_id) or ticket_id
    ticket = uow.tickets.get(ticket_id, for_update=for_update)
    side = side_of(actor, ticket) if ticket is not None else None
    if side is None:
        raise TicketNotFound(f"Ticket {ticket_id} was not found.")
    return ticket, side


def get_ticket(ticket_id: str, actor: Actor, uow) -> dict:
    ticket, side = load_visible(ticket_id, actor, uow)
    return view(ticket, side, uow)


SUMMARY_FIELDS = (
    "id", "number", "title", "category", "business_stopping", "tier", "requested_tier", "status", "customer_org_id",
    "customer_user_id",
    "provider_id", "vendor_id", "order_id", "project_id", "product_id", "assignee_id", "escalated", "complaint",
    "suspected", "breached", "priority_rank", "rating", "first_response_seconds", "resolution_seconds", "opened_at",
    "updated_at", "resolved_at", "closed_at")


def summary(ticket: Ticket, dues: dict[str, datetime], side: str | None) -> dict:
    """A list row: the ticket's fields and, for every side but the customer's (TKT-7), its timers as
    they stand (due instant, paused, met, breached) and the nearest due instant (the console counts down)."""
    data = {name: getattr(ticket, name) for name in SUMMARY_FIELDS}
    data["your_side"] = side
    states = ticket.timer_states(dues) if side in (AGENT, OBSERVER, PLATFORM, VENDOR) else []
    data["timers"] = states
    data["next_due_at"] = min((s.due_at for s in states if s.due_at is not None), default=None)
    return data


def view(ticket: Ticket, side: str, uow) -> dict:
    """The ticket as this side sees it: customers get replies only, no timers and no log (TKT-7)."""
    data = {name: getattr(ticket, name) for name in (
        *SUMMARY_FIELDS, "complaint_note", "rating_comment", "waiting_since")}
    data["your_side"] = side
    data["messages"] = ticket.visible_messages(side)
    data["log"], data["timers"] = [], []
    if side != CUSTOMER:
        data["log"] = ticket.log
        clock = clock_for(ticket.provider_id, uow)
        hours = ticket.hours(clock)
        for name, timer in ticket.timers.items():
            data["timers"].append({
                "name": name, "target_seconds": None if timer.target is None else int(timer.target.total_seconds()),
                "used_seconds": int(timer.used.total_seconds()), "due_at": timer.due_at(clock.calendar, hours),
                "met_at": timer.met_at, "breached_at": timer.breached_at})
    data["next_due_at"] = min((x["due_at"] for x in data["timers"] if x["due_at"] is not None), default=None)
    # seed 001 section 8: never more than 4 service hours without an answer; the customer sees when
    # the answer is due (the keep-in-loop target), not the provider's other timers
    reply = ticket.timers.get(TimerName.REPLY)
    data["reply_expected_by"] = None
    if reply is not None and ticket.is_open and reply.running:
        clock = clock_for(ticket.provider_id, uow)
        data["reply_expected_by"] = reply.due_at(clock.calendar, ticket.hours(clock))
    return data


def list_tickets(query: dict, actor: Actor, uow, *, timers: bool = True) -> tuple[list[dict], int]:
    """Summaries (``summary``) of the tickets the caller may see, and their total; ``timers=False``
    (an export, whose columns carry none) leaves the timers' deadlines unread."""
    rows, total = uow.tickets.list(scope=scope_of(actor), dues_kind=BREACH if timers else None, **query)
    return [summary(ticket, dues, side_of(actor, ticket)) for ticket, dues in rows], total


def escalations(query: dict, actor: Actor, uow) -> tuple[list[dict], int]:
    """The operator's queue: tickets escalated to the platform's support (TKT-3)."""
    if not actor.is_operator:
        raise NotYourTicket("Only the platform's support sees the escalation queue.")
    rows, total = uow.tickets.list(scope=Scope(everything=True), dues_kind=BREACH, **{**query, "escalated": True})
    return [summary(ticket, dues, side_of(actor, ticket)) for ticket, dues in rows], total


# ---- conversation ----------------------------------------------------------------------------

def check_upload(ticket_id: str, name: str, content_type: str, size: int, head: bytes, actor: Actor,
                 uow) -> Ticket:
    """The caller may write to the ticket and the file is of a type and size it takes (TKT-7)."""
    ticket, side = load_visible(ticket_id, actor, uow)   # another's ticket is missing before anything else
    if side not in (CUSTOMER, AGENT, PLATFORM) or not ticket.is_open:
        raise NotYourTicket("You cannot add files to this ticket.")
    refused = attachment_rules.refusal(name, content_type, size, head)
    if refused:
        # a well-formed upload of a kind the platform does not take is refused as such (422); an
        # empty or oversized body is a bad request
        error = (AttachmentTooLarge if "larger" in str(refused) else
                 ValidationFailed if "content_base64" in refused else AttachmentRefused)
        raise error(f"{name}: {next(iter(refused.values()))[0]}.", refused)
    return ticket


def record_upload(ticket: Ticket, key: str, name: str, size: int, content_type: str, actor: Actor, uow,
                  now: datetime) -> dict:
    upload = {"key": key, "ticket_id": ticket.id, "name": name, "size": size, "content_type": content_type,
              "uploaded_by": actor.user_id, "uploaded_at": now, "message_id": None}
    uow.tickets.add_upload(upload)
    uow.commit()
    return _attachment(upload)


def _attachment(upload: dict) -> dict:
    return {"id": attachment_rules.parse_key(upload["key"])[1], "key": upload["key"], "name": upload["name"],
            "size": upload["size"], "content_type": upload["content_type"]}


def _resolve_attachments(ticket_id: str, refs: list[dict], actor: Actor, uow) -> list[dict]:
    """The files a message attaches, as the platform recorded them when they were uploaded: a key
    the platform made for this ticket, uploaded by the writer, not attached to another message."""
    out = []
    for index, ref in enumerate(refs):
        key = ref.get("key") or ""
        upload = uow.tickets.upload(key) if attachment_rules.parse_key(key) else None
        if upload is None or upload["ticket_id"] != ticket_id or upload["uploaded_by"] != actor.user_id:
            raise UnknownSubject("An attachment was not uploaded to this ticket by you.",
                                 {"attachments": {str(index): {"key": ["not a file you uploaded to this ticket"]}}})
        if upload["message_id"] is not None:
            raise UnknownSubject("An attachment is attached to another message already.",
                                 {"attachments": {str(index): {"key": ["attached already"]}}})
        out.append(_attachment(upload))
    return out


def attachment_to_download(ticket_id: str, attachment_id: str, actor: Actor, uow) -> dict:
    """TKT-7: whoever may see the message may download its files; a customer never those of an
    internal note or a held reply. Anything else answers not found, alike."""
    ticket, side = load_visible(ticket_id, actor, uow)
    for message in ticket.visible_messages(side):
        for item in message.attachments:
            if item.get("id") == attachment_id:
                return item
    raise TicketNotFound(f"Attachment {attachment_id} was not found.")


def post_message(ticket_id: str, cmd: dict, actor: Actor, uow, now: datetime,
                 message_id: str | None = None) -> Ticket:
    """A reply or an internal note (TKT-7). Customers only reply; agents reply or note.
    ``message_id`` derives from the idempotency key: a retry of a posted message posts nothing."""
    ticket, side = load_visible(ticket_id, actor, uow, for_update=True)
    if message_id is not None and any(m.id == message_id for m in ticket.messages):
        return ticket
    attachments = _resolve_attachments(ticket.id, cmd.get("attachments") or [], actor, uow)
    message_id = message_id or new_id()
    clock = clock_for(ticket.provider_id, uow)
    before = ticket.status
    if side == CUSTOMER:
        if cmd.get("kind", REPLY_KIND) != REPLY_KIND:
            raise NotYourTicket("Customers post replies; internal notes are for the provider's agents.")
        alerts = ticket.customer_message(message_id, actor.user_id, cmd["body"], now, clock,
                                         uow.settings.abusive_words() or DEFAULT_ABUSIVE_WORDS, attachments)
    elif side == PLATFORM:
        alerts = ticket.platform_message(message_id, actor.user_id, cmd["body"], cmd.get("kind", REPLY_KIND), now,
                                         attachments)
    elif side == AGENT:
        alerts = ticket.agent_message(message_id, actor.user_id, cmd["body"], cmd.get("kind", REPLY_KIND), now, clock,
                                      plan=cmd.get("plan", False), attachments=attachments,
                                      abusive_words=uow.settings.abusive_words() or DEFAULT_ABUSIVE_WORDS)
    else:
        raise NotYourTicket("The platform's support answers a ticket once it is escalated to it.")
    for item in attachments:
        uow.tickets.attach_upload(item["key"], message_id)
    _status_event(ticket, before, side, uow)
    _save(ticket, clock, alerts, uow)
    uow.commit()
    return ticket


def review_reply(ticket_id: str, message_id: str, cmd: dict, actor: Actor, uow, now: datetime) -> Ticket:
    """Seed 001 section 4: the provider's admin (the lead) releases an agent's held reply, perhaps
    reworded, or rejects it."""
    if actor.is_operator or not actor.has_role("provider_admin"):
        raise NotYourTicket("Only the provider's admin reviews held replies.")
    ticket, side = load_visible(ticket_id, actor, uow, for_update=True)
    if side != AGENT:
        raise TicketNotFound(f"Ticket {ticket_id} was not found.")
    clock = clock_for(ticket.provider_id, uow)
    alerts = ticket.review_reply(message_id, cmd["release"], actor.user_id, now, clock, body=cmd.get("body"),
                                 plan=cmd.get("plan", False))
    _save(ticket, clock, alerts, uow)
    uow.commit()
    return ticket


def change_status(ticket_id: str, to: str, note: str, actor: Actor, uow, now: datetime,
                  reply: str | None = None, plan: bool = False) -> Ticket:
    """``reply``: an agent's public reply sent with the change, in the same transaction (awaiting
    feedback or confirmation needs one since the customer's last message)."""
    ticket, side = load_visible(ticket_id, actor, uow, for_update=True)
    if side in (OBSERVER, VENDOR):
        raise NotYourTicket("The platform's support changes a ticket once it is escalated to it; a vendor reads.")
    if side == PLATFORM:
        side = AGENT        # on an escalated ticket the platform moves it as the provider's agents do
    clock = clock_for(ticket.provider_id, uow)
    before = ticket.status
    alerts: list[Alert] = []
    if reply and reply.strip():
        if side != AGENT:
            raise ValidationFailed("Customers write a message instead.", {"reply": ["only for agents"]})
        alerts += ticket.agent_message(new_id(), actor.user_id, reply.strip(), REPLY_KIND, now, clock, plan=plan,
                                       abusive_words=uow.settings.abusive_words() or DEFAULT_ABUSIVE_WORDS)
    alerts += ticket.change_status(to, side, actor.user_id, now, clock, note)
    _status_event(ticket, before, side, uow)
    _save(ticket, clock, alerts, uow)
    uow.commit()
    return ticket


def complain(ticket_id: str, note: str, actor: Actor, uow, now: datetime) -> Ticket:
    ticket, side = load_visible(ticket_id, actor, uow, for_update=True)
    if side != CUSTOMER:
        raise NotYourTicket("Only the customer complains about a ticket.")
    ticket.complain(actor.user_id, note, now)
    alert = Alert("suspected_complaint", ("provider_admins", "assignee"), "ticket.complaint",
                  {"ticket_id": ticket.id, "title": ticket.title, "reason": "explicit"}, True,
                  f"ticket:{ticket.id}:complaint")
    _save(ticket, clock_for(ticket.provider_id, uow), [alert], uow)
    uow.commit()
    return ticket


def rate(ticket_id: str, score: int, comment: str, actor: Actor, uow, now: datetime) -> Ticket:
    ticket, side = load_visible(ticket_id, actor, uow, for_update=True)
    if side != CUSTOMER:
        raise NotYourTicket("Only the customer rates a ticket.")
    ticket.rate(actor.user_id, score, comment, now)
    uow.tickets.save(ticket)
    uow.commit()
    return ticket


# ---- agents: duty, transfer, escalation ------------------------------------------------------

def _require_agent(actor: Actor) -> None:
    if actor.is_operator or not actor.has_role(*AGENT_ROLES):
        raise NotYourTicket("Only a provider's support agents do this.")


def _fill_from_queue(provider_id: str, uow, now: datetime) -> list[Ticket]:
    """Hand the provider's unassigned tickets, most urgent first, to the least-loaded agents."""
    assigned = []
    for ticket in uow.tickets.unassigned(provider_id):
        agent = choose_agent(uow.people.agent_loads(provider_id))
        if agent is None:
            break
        ticket.assign(agent, now)
        uow.tickets.save(ticket)
        assigned.append(ticket)
    return assigned


def go_on_duty(actor: Actor, uow, now: datetime) -> dict:
    """TKT-2: on duty; the provider's unassigned queue is handed out at once."""
    _require_agent(actor)
    uow.people.set_duty(actor.user_id, actor.org_id, True, now)
    assigned = _fill_from_queue(actor.org_id, uow, now)
    uow.commit()
    return {"user_id": actor.user_id, "on_duty": True, "assigned": [t.id for t in assigned]}


def go_off_duty(cmd: dict, actor: Actor, uow, now: datetime) -> dict:
    """TKT-2: off duty. With open tickets the agent hands them over: to a colleague with a note,
    or back to the queue (the other on-duty agents, else unassigned)."""
    _require_agent(actor)
    open_tickets = uow.tickets.open_assigned_to(actor.user_id, for_update=True)
    handover_to, note = cmd.get("handover_to"), (cmd.get("note") or "").strip()
    if open_tickets and not handover_to and not cmd.get("return_to_queue"):
        raise HandoverRequired(f"You have {len(open_tickets)} open tickets: hand them over to a colleague "
                               "with a note, or return them to the queue.",
                               {"handover_to": ["required while you hold open tickets"]})
    on_duty = True
    if handover_to and open_tickets:
        if handover_to == actor.user_id:
            raise ValidationFailed("Hand your tickets over to a colleague, not to yourself.",
                                   {"handover_to": ["a colleague, not yourself"]})
        _require_colleague(handover_to, actor.org_id, uow)
        on_duty = uow.people.is_on_duty(handover_to)
        if not on_duty and not cmd.get("confirm_off_duty"):
            # TKT-3: like a transfer, handing over to someone off duty is deliberate, and they are told
            raise ConfirmationRequired("That colleague is off duty: confirm the handover and they will be told.",
                                       {"confirm_off_duty": ["required: the colleague is off duty"]})
    uow.people.set_duty(actor.user_id, actor.org_id, False, now)
    if handover_to:
        for ticket in open_tickets:
            ticket.transfer(handover_to, note, actor.user_id, new_id(), now)
            _save(ticket, clock_for(ticket.provider_id, uow), [_handed_over(ticket, handover_to, note, on_duty)],
                  uow)
    else:
        for ticket in open_tickets:
            ticket.unassign(now, actor.user_id)
            uow.tickets.save(ticket)
        _fill_from_queue(actor.org_id, uow, now)
    uow.commit()
    return {"user_id": actor.user_id, "on_duty": False, "handed_over": [t.id for t in open_tickets]}


def _require_colleague(user_id: str, provider_id: str, uow) -> dict:
    user = uow.people.user(user_id)
    if user is None or user["org_id"] != provider_id or SUPPORT_AGENT not in user["roles"] or not user["active"]:
        raise NotAColleague("The agent to hand over to is not a support agent of your organisation.",
                            {"to_agent_id": ["not a support agent of your organisation"]})
    return user


def transfer(ticket_id: str, cmd: dict, actor: Actor, uow, now: datetime) -> Ticket:
    """TKT-3: with a note; to an off-duty agent only when confirmed, and that agent is told."""
    _require_agent(actor)
    ticket, side = load_visible(ticket_id, actor, uow, for_update=True)
    if side != AGENT:
        raise TicketNotFound(f"Ticket {ticket_id} was not found.")
    target = cmd["to_agent_id"]
    _require_colleague(target, ticket.provider_id, uow)
    on_duty = uow.people.is_on_duty(target)
    if not on_duty and not cmd.get("confirm_off_duty"):
        raise ConfirmationRequired("That agent is off duty: confirm the transfer and they will be told.",
                                   {"confirm_off_duty": ["required: the agent is off duty"]})
    ticket.transfer(target, cmd.get("note", ""), actor.user_id, new_id(), now)
    _save(ticket, clock_for(ticket.provider_id, uow), [_handed_over(ticket, target, cmd.get("note", ""), on_duty)],
          uow)
    uow.commit()
    return ticket


def reprioritise(ticket_id: str, cmd: dict, actor: Actor, uow, now: datetime) -> Ticket:
    """TKT-4/8: an agent of the provider corrects the tier or the category; the targets and their
    deadlines move with them."""
    _require_agent(actor)
    ticket, side = load_visible(ticket_id, actor, uow, for_update=True)
    if side != AGENT:
        raise TicketNotFound(f"Ticket {ticket_id} was not found.")
    clock = clock_for(ticket.provider_id, uow)
    category = cmd.get("category") or ticket.category
    tier = cmd["tier"] if "tier" in cmd else ticket.tier
    if ticket.reprioritise(tier, category, actor.user_id, now, clock):
        _save(ticket, clock, [], uow)
        uow.commit()
    return ticket


def _handed_over(ticket: Ticket, target: str, note: str, on_duty: bool) -> Alert:
    """The agent who now holds the ticket is told, urgently when off duty (seed 001 section 6)."""
    return Alert("assigned" if on_duty else "transferred_to_off_duty", (f"user:{target}",), "ticket.transferred",
                 {"ticket_id": ticket.id, "title": ticket.title, "note": note.strip()}, not on_duty,
                 f"ticket:{ticket.id}:transfer:{len(ticket.log)}")


def hand_back(ticket_id: str, note: str, actor: Actor, uow, now: datetime) -> Ticket:
    """TKT-3: the platform's support returns an escalated ticket to the provider."""
    if not actor.is_operator:
        raise NotYourTicket("Only the platform's support hands an escalation back.")
    ticket, _ = load_visible(ticket_id, actor, uow, for_update=True)
    alerts = ticket.hand_back(note, actor.user_id, new_id(), now)
    _save(ticket, clock_for(ticket.provider_id, uow), alerts, uow)
    uow.commit()
    return ticket


def escalate(ticket_id: str, note: str, actor: Actor, uow, now: datetime) -> Ticket:
    _require_agent(actor)
    ticket, side = load_visible(ticket_id, actor, uow, for_update=True)
    if side != AGENT:
        raise TicketNotFound(f"Ticket {ticket_id} was not found.")
    alerts = ticket.escalate(note, actor.user_id, new_id(), now)
    _save(ticket, clock_for(ticket.provider_id, uow), alerts, uow)
    uow.commit()
    return ticket


# ---- timers and rules ------------------------------------------------------------------------

def timer_fired(stage: str, payload: dict, uow, now: datetime) -> None:
    """A warning or breach deadline: recorded and alerted once (the ticket row is locked, and the
    domain ignores a second firing of the same cycle)."""
    ticket = uow.tickets.get(payload["ticket_id"], for_update=True, conversation=False)
    if ticket is None:
        return
    clock = clock_for(ticket.provider_id, uow)
    alerts = ticket.timer_fired(payload["timer"], stage, payload["cycle"], now, clock)
    if not alerts:
        return
    uow.tickets.save(ticket)
    _breach_events(ticket, alerts, uow)
    notify(ticket, alerts, uow)
    uow.commit()


def auto_rule_fired(ticket_id: str, payload: dict, uow, now: datetime) -> None:
    """TKT-6: the 2nd-day reminder, the 7th-day move to awaiting confirmation, the 3-day confirmation."""
    ticket = uow.tickets.get(ticket_id, for_update=True, conversation=False)
    if ticket is None:
        return
    clock = clock_for(ticket.provider_id, uow)
    before = ticket.status
    alerts = ticket.apply_auto_rule(payload["rule"], payload["round"], now, clock)
    if not alerts and ticket.status == before and payload["rule"] != "confirm":
        return
    _status_event(ticket, before, "system", uow)
    _save(ticket, clock, alerts, uow)
    uow.commit()


def reschedule(provider_id: str | None, uow, changed_from: datetime | None = None) -> int:
    """Recompute the deadlines of every open ticket (the calendar or service hours changed);
    ``changed_from``: only the calendar changed, from this instant on (see ``sync_deadlines``).
    Returns how many tickets were recomputed. The deadlines are written at commit, batched."""
    count = 0
    calendar = calendar_of(uow)   # one calendar for every provider
    clocks: dict[str, Clock] = {}
    for ticket in uow.tickets.open_tickets(provider_id, due_from=changed_from, kinds=(WARNING, BREACH, AUTO_RULE)):
        clock = clocks.get(ticket.provider_id)
        if clock is None:
            clock = clocks[ticket.provider_id] = Clock(
                calendar, uow.settings.service_hours(ticket.provider_id) or ServiceHours())
        sync_deadlines(ticket, clock, uow, changed_from=changed_from)
        count += 1
    return count


def set_service_hours(cmd: dict, actor: Actor, uow, now: datetime) -> dict:
    """TKT-2: at least Monday-Friday 09:00-18:00 on working days; longer hours, more days or 7x24."""
    if actor.is_operator or not actor.has_role("provider_admin"):
        raise NotYourTicket("Only the provider's admin sets its service hours.")
    hours = service_hours_from(cmd)
    uow.settings.set_service_hours(actor.org_id, hours)
    # the provider's deadlines move in the background, as a calendar change's share does: a
    # provider with tens of thousands of open tickets would otherwise outlast the request
    uow.schedule(RESCHEDULE, f"{actor.org_id}:hours", now, {"provider_id": actor.org_id, "changed_from": None})
    count = uow.tickets.open_count_of(actor.org_id)
    uow.commit()
    return {**hours_dict(hours), "provider_id": actor.org_id, "rescheduled": count}


def service_hours_from(cmd: dict) -> ServiceHours:
    start, end = cmd["start"], cmd["end"]
    try:
        hours = ServiceHours(start=start, end=end, every_day=cmd.get("every_day", False), working_days_only=True)
    except ValueError as err:
        raise ServiceHoursRefused(str(err), {"end": [str(err)]}) from None
    if hours.opens > ServiceHours().opens or hours.closes < ServiceHours().closes:
        raise ServiceHoursRefused("Service hours must cover at least 09:00-18:00 (TKT-2).",
                               {"start": ["at most 09:00"], "end": ["at least 18:00 (00:00 is midnight)"]})
    return hours


def hours_dict(hours: ServiceHours) -> dict:
    return {"start": hours.start, "end": hours.end, "every_day": hours.every_day,
            "always": hours.every_day and hours.start == time(0) and hours.end == time(0)}


def get_service_hours(actor: Actor, uow) -> dict:
    hours = uow.settings.service_hours(actor.org_id) or ServiceHours()
    return {**hours_dict(hours), "provider_id": actor.org_id, "rescheduled": 0}


def calendar_changed(event: dict, data: dict, uow, now: datetime) -> int:
    """ORG-6: the operator edited a day; every open ticket's deadlines move with it.

    The edit is stored, and the recomputation is split by provider into durable deadlines due at
    once: every replica's poller takes a share (``SKIP LOCKED``), each provider's tickets are moved
    in a transaction of their own, and a crash part-way leaves the rest to be fired again. The key
    names the changed day, so two edits in quick succession each move what they reach. Returns
    how many providers' shares were scheduled.
    """
    if not uow.claim_event(event, "ticket.calendar_changed"):
        return 0
    day = data["day"]
    uow.settings.set_calendar_day(CalendarDay(day, data["kind"], data.get("name", "")) if data["kind"] else None,
                                  day)
    start_of_day = datetime.combine(day, time(0), tzinfo=default_calendar().tz)
    providers = uow.tickets.providers_with_open_tickets()
    for provider_id in providers:
        uow.schedule(RESCHEDULE, f"{provider_id}:{day.isoformat()}", now,
                     {"provider_id": provider_id, "changed_from": start_of_day.isoformat()})
    uow.commit()
    return len(providers)


def reschedule_provider(payload: dict, uow) -> int:
    """One provider's share of a calendar change (from ``changed_from`` on), or all of its open
    tickets' deadlines on its new service hours (``changed_from`` None)."""
    changed_from = payload.get("changed_from")
    count = reschedule(payload["provider_id"], uow,
                       changed_from=datetime.fromisoformat(changed_from) if changed_from else None)
    uow.commit()
    return count


# ---- copies of other services' facts ---------------------------------------------------------

def user_changed(event: dict, data: dict, uow) -> None:
    if not uow.claim_event(event, "ticket.user_changed"):
        return
    uow.people.upsert_user(data)
    uow.commit()


def organisation_created(event: dict, data: dict, uow) -> None:
    if not uow.claim_event(event, "ticket.organisation_created"):
        return
    uow.people.upsert_org(data["org_id"], data["name"], data["kind"])
    uow.commit()


def project_created(event: dict, data: dict, uow) -> None:
    if not uow.claim_event(event, "ticket.project_created"):
        return
    uow.subjects.upsert_project(data["project_id"], data["order_id"], data["product_id"], data["vendor_id"],
                                data["customer_id"])
    uow.commit()


def provider_assigned(event: dict, data: dict, uow) -> None:
    if not uow.claim_event(event, "ticket.provider_assigned"):
        return
    uow.subjects.set_provider(data["project_id"], data["provider_id"], data["product_id"])
    uow.commit()


# ---- e-mail intake (TKT-10) -------------------------------------------------------------------

def mail_received(mail: InboundMail, uow, now: datetime, store: Callable[[str, MailAttachment], str]) -> str:
    """A customer's e-mail to the intake: a reply threaded into its ticket by the number, or a new
    ticket about the order it names (or the customer's only order). Automatic mail and loops are
    ignored, and so is mail from an address no active customer has. ``store(ticket_id,
    attachment)`` puts a file in the platform's storage and answers its key. Returns what happened
    (for the intake's log)."""
    if mail.automatic:
        return f"ignored: {mail.automatic}"
    user = uow.people.user_by_email(mail.sender)
    if user is None or "customer" not in user["roles"]:
        return "ignored: unknown sender"
    actor = Actor(user["user_id"], user["org_id"], "customer", tuple(user["roles"]))
    ticket = None
    if mail.number:
        ticket_id = uow.tickets.id_of_number(mail.number)
        ticket = uow.tickets.get(ticket_id) if ticket_id else None
        if ticket is None or side_of(actor, ticket) != CUSTOMER:
            return f"ignored: {mail.number} is not a ticket of the sender"
        if ticket.status == "closed":
            ticket = None            # a closed ticket takes no more messages: the mail opens a new one
    body = mail.body or "（邮件正文为空，见附件）"
    if ticket is None:
        orders = uow.subjects.orders_of(user["org_id"])
        named = [o for o in orders if o in f"{mail.subject}\n{mail.body}"]
        order = named[0] if named else (orders[0] if len(orders) == 1 else None)
        if order is None:
            return "ignored: no order named and the customer has several or none"
        ticket = open_ticket({"title": mail.title, "description": body, "category": "question", "order_id": order},
                             actor, uow, now)
        if not mail.attachments:
            return f"opened {ticket.number}"
        body, outcome = "（邮件附件）", f"opened {ticket.number}"
    else:
        outcome = f"replied {ticket.number}"
    refs = []
    for item in mail.attachments:
        try:
            check_upload(ticket.id, item.name, item.content_type, len(item.content), item.content[:16], actor, uow)
        except (ValidationFailed, NotYourTicket):
            continue                 # a file the ticket does not take is left out, the mail is kept
        refs.append(record_upload(ticket, store(ticket.id, item), item.name, len(item.content),
                                  item.content_type, actor, uow, now))
    post_message(ticket.id, {"body": body, "attachments": refs}, actor, uow, now)
    return outcome


# ---- service contracts (TKT-8) ---------------------------------------------------------------

def _require_provider_admin(actor: Actor) -> None:
    if actor.is_operator or not actor.has_role("provider_admin"):
        raise NotYourTicket("Only the provider's admin sets its customers' service tiers.")


def entitlements(actor: Actor, uow) -> list[dict]:
    _require_provider_admin(actor)
    return [vars(c) for c in uow.settings.entitlements(actor.org_id)]


def set_entitlement(cmd: dict, actor: Actor, uow) -> dict:
    """The provider's contract tier for a product, a customer, or a customer on a product; tier
    null removes it. Applies to tickets opened from now on (open ones are re-prioritised by hand)."""
    _require_provider_admin(actor)
    customer, product = cmd.get("customer_org_id"), cmd.get("product_id")
    if not customer and not product:
        raise EntitlementUnnamed("Name the customer, the product or both.",
                                 {"customer_org_id": ["customer_org_id, product_id or both"]})
    if cmd.get("tier") is None:
        uow.settings.remove_entitlement(actor.org_id, customer, product)
        uow.commit()
        return {"provider_id": actor.org_id, "customer_org_id": customer, "product_id": product, "tier": None}
    contract = Entitlement(actor.org_id, customer or None, product or None, cmd["tier"])
    uow.settings.set_entitlement(contract)
    uow.commit()
    return vars(contract)


# ---- canned replies, word list, reports --------------------------------------------------------

def canned_replies(actor: Actor, uow, ticket_id: str | None = None) -> list[dict]:
    """TKT-7: the guide's samples (unless the provider has its own under the key), then the
    provider's own; with ``ticket_id`` the variables are filled in for that ticket."""
    _require_agent(actor)
    replies = uow.settings.canned_replies(actor.org_id)
    if not ticket_id:
        return replies
    ticket, _ = load_visible(ticket_id, actor, uow)
    customer = uow.people.user(ticket.customer_user_id) or {}
    agent = uow.people.user(actor.user_id) or {}
    values = {"ticket_number": ticket.number, "title": ticket.title, "customer_name": customer.get("display_name"),
              "agent_name": agent.get("display_name")}
    return [{**reply, "body": canned.render(reply["body"], values)} for reply in replies]


def update_canned_reply(reply_id: str, cmd: dict, actor: Actor, uow) -> dict:
    _require_agent(actor)
    reply = uow.settings.update_canned_reply(reply_id, actor.org_id, cmd["key"], cmd["body"])
    if reply is None:
        raise TicketNotFound(f"Canned reply {reply_id} was not found (the guide's samples are replaced by adding "
                             "one under the same key).")
    uow.commit()
    return reply


def delete_canned_reply(reply_id: str, actor: Actor, uow) -> None:
    _require_agent(actor)
    if not uow.settings.delete_canned_reply(reply_id, actor.org_id):
        raise TicketNotFound(f"Canned reply {reply_id} was not found.")
    uow.commit()


def add_canned_reply(cmd: dict, actor: Actor, uow) -> dict:
    _require_agent(actor)
    reply = {"id": new_id(), "provider_id": actor.org_id, "key": cmd["key"], "body": cmd["body"]}
    uow.settings.add_canned_reply(reply)
    uow.commit()
    return reply


def abusive_words(actor: Actor, uow) -> list[str]:
    if not actor.is_operator:
        raise NotYourTicket("Only the platform operator maintains the word list.")
    return list(uow.settings.abusive_words() or DEFAULT_ABUSIVE_WORDS)


def set_abusive_words(words: list[str], actor: Actor, uow) -> list[str]:
    """TKT-4: the maintained list of abusive words (Chinese and English)."""
    if not actor.is_operator:
        raise NotYourTicket("Only the platform operator maintains the word list.")
    cleaned = sorted({w.strip().lower() for w in words if w.strip()})
    uow.settings.set_abusive_words(cleaned)
    uow.commit()
    return cleaned


def report(query: dict, actor: Actor, uow) -> dict:
    """TKT-5: a provider's figures over a period, in total and per agent."""
    if actor.is_operator:
        provider_id = query.get("provider_id")
        if not provider_id:
            raise PartyNotNamed("Name the provider.", {"provider_id": ["required for the operator"]})
    elif actor.has_role("provider_admin"):
        provider_id = actor.org_id
    else:
        raise NotYourTicket("Reports are for the provider's admin and the platform operator.")
    rows = uow.tickets.figures(provider_id, query["opened_from"], query["opened_to"])
    return {"provider_id": provider_id, "opened_from": query["opened_from"], "opened_to": query["opened_to"],
            **reports.report(rows, now=utcnow())}



def view_for(ticket: Ticket, actor: Actor, uow) -> dict:
    return view(ticket, side_of(actor, ticket) or OBSERVER, uow)


def duty_roster(actor: Actor, uow) -> list[dict]:
    """TKT-2: every active support agent of the provider, on duty or not (not only those who once
    went on duty), so that a lead sees who could take the queue."""
    _require_agent(actor)
    duty = {d["user_id"]: d for d in uow.people.duty_of(actor.org_id)}
    return [duty.get(agent["user_id"], {"user_id": agent["user_id"], "on_duty": False, "since": None})
            for agent in uow.people.agents_of(actor.org_id)]


def set_agent_duty(user_id: str, cmd: dict, actor: Actor, uow, now: datetime) -> dict:
    """TKT-2, seed 001 section 3: the lead (the provider's admin) puts an agent on or off duty. On:
    the unassigned queue is handed out. Off: the agent's open tickets go back to the queue (to the
    other on-duty agents, else unassigned), as the agent's own return to the queue does."""
    if actor.is_operator or not actor.has_role("provider_admin"):
        raise NotYourTicket("Only the provider's admin sets other agents' duty.")
    _require_colleague(user_id, actor.org_id, uow)
    agent = Actor(user_id, actor.org_id, "isv", (SUPPORT_AGENT,))
    if cmd["on_duty"]:
        return go_on_duty(agent, uow, now)
    return go_off_duty({"return_to_queue": True}, agent, uow, now)
