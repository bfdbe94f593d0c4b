"""The ticket aggregate: statuses, conversation, assignment and its service-level timers.

Statuses (TKT-1, seed 001 section 5): processing (处理中), awaiting customer feedback (待反馈),
awaiting confirmation (待确认: the provider says it is solved), resolved (已解决), closed (已关闭).
Each transition is allowed to one side (customer, agent, system) and logged. Methods change the
ticket and return the alerts they cause; the handler turns those into events and deadlines.
Pure Python.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from platform_kit.workcal import ServiceHours, WorkCalendar
from ticket_svc.domain import complaints
from ticket_svc.domain.entitlement import is_higher, rank
from ticket_svc.domain.secrets import mask_secrets
from ticket_svc.domain.sla import (
    FIRST_RESPONSE,
    PLAN,
    REPLY,
    TIERS,
    Timer,
    TimerName,
    hours_for,
    same_day_target,
)
from ticket_svc.exceptions import NoteRequired, ReplyRequired, TransitionNotAllowed

PROCESSING = "processing"
AWAITING_FEEDBACK = "awaiting_feedback"
AWAITING_CONFIRMATION = "awaiting_confirmation"
RESOLVED = "resolved"
CLOSED = "closed"
STATUSES = (PROCESSING, AWAITING_FEEDBACK, AWAITING_CONFIRMATION, RESOLVED, CLOSED)
OPEN_STATUSES = (PROCESSING, AWAITING_FEEDBACK, AWAITING_CONFIRMATION)

CUSTOMER, AGENT, SYSTEM = "customer", "agent", "system"
# the platform's support on an escalated ticket: it answers the customer, but its replies are not
# the provider's and meet none of the provider's targets; the vendor reads, never writes
PLATFORM, VENDOR = "platform", "vendor"
SIDES = (CUSTOMER, AGENT, SYSTEM)

# TKT-1: who may move a ticket from where to where
TRANSITIONS: dict[tuple[str, str], frozenset[str]] = {
    (PROCESSING, AWAITING_FEEDBACK): frozenset({AGENT}),
    (PROCESSING, AWAITING_CONFIRMATION): frozenset({AGENT}),
    (PROCESSING, RESOLVED): frozenset({AGENT}),           # the customer said it is solved (seed 5)
    (PROCESSING, CLOSED): frozenset({CUSTOMER}),           # the customer withdraws it
    (AWAITING_FEEDBACK, PROCESSING): frozenset({CUSTOMER, AGENT}),
    (AWAITING_FEEDBACK, AWAITING_CONFIRMATION): frozenset({AGENT, SYSTEM}),  # TKT-6: after 7 days
    (AWAITING_FEEDBACK, RESOLVED): frozenset({AGENT}),
    (AWAITING_FEEDBACK, CLOSED): frozenset({CUSTOMER}),
    (AWAITING_CONFIRMATION, PROCESSING): frozenset({CUSTOMER, AGENT}),       # not solved after all
    (AWAITING_CONFIRMATION, RESOLVED): frozenset({CUSTOMER, SYSTEM}),        # TKT-6: after 3 days
    (AWAITING_CONFIRMATION, CLOSED): frozenset({CUSTOMER}),
    (RESOLVED, PROCESSING): frozenset({CUSTOMER}),        # confirmed (perhaps automatically) too early
    (RESOLVED, CLOSED): frozenset({CUSTOMER, AGENT, SYSTEM}),
}

REPLY_KIND, NOTE_KIND = "reply", "note"
# an agent's reply with abusive words (seed 001 section 4 forbids them), held for the lead's review:
# the customer does not see it and it meets no timer until the lead releases it
HELD_KIND = "held"

# seed 001 section 7: site down, server down, software unusable, resources about to expire
BUSINESS_STOPPING = ("site_down", "server_down", "software_unusable", "resources_expiring")
CATEGORIES = (*BUSINESS_STOPPING, "question", "fault", "billing", "other")

AUTO_REMIND_DAYS, AUTO_CONFIRMATION_DAYS, AUTO_RESOLVE_DAYS = 2, 7, 3

# only a public agent reply meets these (seed 001 section 8); waiting for the customer does not
# stop them, so that a status change cannot stand in for the answer the customer is owed
REPLY_TARGETS = (TimerName.FIRST_RESPONSE, TimerName.PLAN)
# an agent hands the ticket to the customer only after telling them so (seed 001 section 5: each
# of these statuses comes with its reply sample)
NEEDS_REPLY = (AWAITING_FEEDBACK, AWAITING_CONFIRMATION, RESOLVED)

SECRET_WARNING = ("为了您的账户安全，您在工单中提供的密码或密钥已被隐藏，请在问题处理完成后及时修改。"
                  " / For your security the password or key you posted was hidden; please change it "
                  "once the issue is solved.")


@dataclass(frozen=True)
class Alert:
    """A notification the ticket asks for; ``audience`` names roles resolved by the handler:
    customer, assignee, provider_admins, operators, or ``user:<id>``."""

    kind: str
    audience: tuple[str, ...]
    template: str
    variables: dict
    urgent: bool
    dedupe_key: str


@dataclass
class Message:
    id: str
    author_id: str
    side: str                    # customer, agent, system
    kind: str                    # reply (the customer sees it) or note (internal, never shown)
    body: str
    at: datetime
    attachments: list[dict] = field(default_factory=list)


@dataclass
class LogEntry:
    at: datetime
    action: str
    actor: str
    detail: str = ""


@dataclass
class Clock:
    """What a ticket's timers are counted on: the calendar and the provider's service hours."""

    calendar: WorkCalendar
    provider_hours: ServiceHours


@dataclass(frozen=True)
class TimerState:
    """A timer as a list row carries it: when it breaches if nothing happens, paused, met, breached."""

    name: str
    due_at: datetime | None
    paused: bool
    met_at: datetime | None
    breached_at: datetime | None


@dataclass
class Ticket:
    id: str
    customer_org_id: str
    customer_user_id: str
    provider_id: str
    vendor_id: str | None
    title: str
    category: str
    opened_at: datetime
    number: str | None = None
    """Readable, for people: T-2026-000123 (the id stays the key)."""
    product_id: str | None = None
    order_id: str | None = None
    project_id: str | None = None
    tier: str | None = None
    requested_tier: str | None = None
    """A higher tier than the contract's, asked for by the customer until an agent decides."""
    status: str = PROCESSING
    assignee_id: str | None = None
    escalated: bool = False
    complaint: bool = False
    complaint_note: str = ""
    suspected: list[str] = field(default_factory=list)
    waiting_since: datetime | None = None
    waiting_round: int = 0
    reminded: bool = False
    rating: int | None = None
    rating_comment: str = ""
    first_response_seconds: int | None = None
    resolution_seconds: int | None = None
    breached: list[str] = field(default_factory=list)
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    updated_at: datetime | None = None
    timers: dict[str, Timer] = field(default_factory=dict)
    messages: list[Message] = field(default_factory=list)
    log: list[LogEntry] = field(default_factory=list)
    edited: set[str] = field(default_factory=set)
    """Ids of messages changed after they were stored (a held reply released or rejected)."""

    # ---- opening ------------------------------------------------------------------------

    @classmethod
    def open(cls, *, id: str, message_id: str, number: str | None = None, customer_org_id: str,
             customer_user_id: str, provider_id: str,
             vendor_id: str | None, title: str, description: str, category: str, tier: str | None,
             now: datetime, clock: Clock, product_id: str | None = None, order_id: str | None = None,
             project_id: str | None = None, complaint: bool = False,
             requested_tier: str | None = None) -> tuple[Ticket, list[Alert]]:
        """``tier``: what the customer's contract entitles it to; ``requested_tier``: what it asked for."""
        ticket = cls(id=id, number=number, customer_org_id=customer_org_id, customer_user_id=customer_user_id,
                     provider_id=provider_id, vendor_id=vendor_id, title=mask_secrets(title)[0], category=category,
                     opened_at=now, product_id=product_id, order_id=order_id, project_id=project_id,
                     tier=tier, complaint=complaint, updated_at=now)
        hours = hours_for(tier, clock.provider_hours)
        response = TIERS[tier].response if tier else FIRST_RESPONSE
        resolution = TIERS[tier].resolution if tier else None
        ticket.timers = {
            TimerName.FIRST_RESPONSE: Timer(TimerName.FIRST_RESPONSE, response),
            TimerName.PLAN: Timer(TimerName.PLAN, max(PLAN, response)),
            TimerName.REPLY: Timer(TimerName.REPLY, REPLY),
            TimerName.RESOLUTION: Timer(TimerName.RESOLUTION, resolution),
        }
        if ticket.business_stopping:
            ticket.timers[TimerName.SAME_DAY] = Timer(TimerName.SAME_DAY,
                                                      same_day_target(clock.calendar, hours, now, response))
        for timer in ticket.timers.values():
            timer.start(now)
        ticket.log.append(LogEntry(now, "opened", customer_user_id, category))
        alerts = ticket._customer_message(message_id, customer_user_id, description, now, [])
        if is_higher(requested_tier, tier):
            ticket.requested_tier = requested_tier
            ticket.log.append(LogEntry(now, "tier_requested", customer_user_id, f"{tier or '-'} -> {requested_tier}"))
            alerts.append(Alert("tier_requested", ("assignee", "provider_admins"), "ticket.tier_requested",
                                {"ticket_id": ticket.id, "title": ticket.title, "tier": requested_tier}, False,
                                f"ticket:{ticket.id}:tier_requested"))
        if complaint:
            ticket.log.append(LogEntry(now, "complained", customer_user_id))
        return ticket, alerts

    # ---- reading ------------------------------------------------------------------------

    @property
    def business_stopping(self) -> bool:
        return self.category in BUSINESS_STOPPING

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def priority_rank(self) -> int:
        """Lower sorts first (TKT-4, seed 001 section 7): what stops the customer's business (a
        business-stopping category, or a P0 fault under the contract), then complaints, then tier
        P0..P3 and untiered."""
        stopping = self.business_stopping or self.tier == "P0"
        return (0 if stopping else 100) + (0 if self.complaint or self.suspected else 10) + rank(self.tier)

    def hours(self, clock: Clock) -> ServiceHours:
        return hours_for(self.tier, clock.provider_hours)

    def timer_states(self, dues: dict[str, datetime]) -> list[TimerState]:
        """Each timer as a list row shows it (the console's queue counts down without reading every
        ticket): ``dues`` are the breach instants its durable deadlines hold, read with the row.
        A due instant counts only while the timer runs unbreached on an open ticket; a timer that
        is neither met nor running waits for the customer (paused)."""
        states = []
        for name, timer in self.timers.items():
            live = self.is_open and timer.running and timer.breached_at is None
            states.append(TimerState(str(name), dues.get(str(name)) if live else None,
                                     self.is_open and timer.active and not timer.running,
                                     timer.met_at, timer.breached_at))
        return states

    def visible_messages(self, side: str) -> list[Message]:
        """Internal notes are never shown to the customer (TKT-7), nor to the vendor."""
        return [m for m in self.messages if side not in (CUSTOMER, VENDOR) or m.kind == REPLY_KIND]

    def platform_message(self, message_id: str, author_id: str, body: str, kind: str, now: datetime,
                         attachments: list[dict] | None = None) -> list[Alert]:
        """The platform's support writes on an escalated ticket (TKT-3): seen like an agent's
        message, but the provider's targets stay the provider's to meet."""
        if self.status == CLOSED:
            raise TransitionNotAllowed("A closed ticket takes no more messages.")
        message = Message(message_id, author_id, PLATFORM, kind, body, now, attachments or [])
        self.messages.append(message)
        self.updated_at = now
        if kind != REPLY_KIND:
            return []
        return [Alert("agent_reply", ("customer",), "ticket.reply",
                      {"ticket_id": self.id, "title": self.title, "body": body,
                       "attachments": len(message.attachments)}, False, f"ticket:{self.id}:reply:{message_id}")]

    def hand_back(self, note: str, by: str, message_id: str, now: datetime) -> list[Alert]:
        """TKT-3: the platform's support returns an escalated ticket to the provider, with a note."""
        if not note or not note.strip():
            raise NoteRequired("Handing back needs a note: what the platform did and what is left.",
                               {"note": ["required to hand back"]})
        if not self.escalated:
            raise TransitionNotAllowed("This ticket is not escalated.")
        self.escalated = False
        self.messages.append(Message(message_id, by, PLATFORM, NOTE_KIND, note.strip(), now))
        self.updated_at = now
        self.log.append(LogEntry(now, "handed_back", by))
        return [Alert("handed_back", ("assignee", "provider_admins") if self.assignee_id is None else ("assignee",),
                      "ticket.transferred", {"ticket_id": self.id, "title": self.title, "note": note.strip()},
                      False, f"ticket:{self.id}:handed_back:{len(self.log)}")]

    # ---- conversation -------------------------------------------------------------------

    def customer_message(self, message_id: str, author_id: str, body: str, now: datetime, clock: Clock,
                         abusive_words: tuple[str, ...] = complaints.DEFAULT_ABUSIVE_WORDS,
                         attachments: list[dict] | None = None) -> list[Alert]:
        if self.status == CLOSED:
            raise TransitionNotAllowed("A closed ticket takes no more messages; open a new one.")
        alerts = []
        if self.status in (AWAITING_FEEDBACK, AWAITING_CONFIRMATION, RESOLVED):
            # the customer answered: the clocks run again (TKT-5) and the auto rules stop (TKT-6)
            self._move(PROCESSING, CUSTOMER, author_id, now, clock, "customer replied")
        reply = self.timers[TimerName.REPLY]
        if not reply.active:
            reply.restart(now)
        alerts += self._customer_message(message_id, author_id, body, now, attachments or [], abusive_words)
        return alerts

    def _customer_message(self, message_id: str, author_id: str, body: str, now: datetime,
                          attachments: list[dict],
                          words: tuple[str, ...] = complaints.DEFAULT_ABUSIVE_WORDS) -> list[Alert]:
        earlier = [complaints.CustomerMessage(m.body, m.at) for m in self.messages if m.side == CUSTOMER]
        masked, had_secret = mask_secrets(body)
        reminded = any(m.side == SYSTEM and m.id.endswith("-secret") for m in self.messages)
        self.messages.append(Message(message_id, author_id, CUSTOMER, REPLY_KIND, masked, now, attachments))
        self.updated_at = now
        alerts = []
        if had_secret and not reminded:     # once per ticket: a second reminder says nothing new
            self.messages.append(Message(f"{message_id}-secret", "system", SYSTEM, REPLY_KIND, SECRET_WARNING, now))
            alerts.append(Alert("secret_masked", ("customer",), "ticket.secret_masked",
                                {"ticket_id": self.id, "title": self.title}, False,
                                f"ticket:{self.id}:secret"))
        new = [r for r in complaints.detect(complaints.CustomerMessage(masked, now), earlier, words)
               if r not in self.suspected]
        if new:
            self.suspected.extend(new)
            self.log.append(LogEntry(now, "suspected_complaint", "system", ", ".join(new)))
            for reason in new:
                alerts.append(Alert("suspected_complaint", ("provider_admins", "assignee"),
                                    "ticket.suspected_complaint",
                                    {"ticket_id": self.id, "title": self.title, "reason": reason}, True,
                                    f"ticket:{self.id}:suspected:{reason}"))
        return alerts

    def agent_message(self, message_id: str, author_id: str, body: str, kind: str, now: datetime, clock: Clock,
                      *, plan: bool = False, attachments: list[dict] | None = None,
                      abusive_words: tuple[str, ...] = complaints.DEFAULT_ABUSIVE_WORDS) -> list[Alert]:
        """A reply (seen by the customer, meets the response timers) or an internal note.

        A reply after a target records the breach now, at the reply, whether or not the breach
        deadline has fired yet (the deadline worker may be minutes behind in a busy hour)."""
        if self.status == CLOSED:
            raise TransitionNotAllowed("A closed ticket takes no more messages.")
        if kind == REPLY_KIND and complaints.abusive(body, abusive_words):
            self.messages.append(Message(message_id, author_id, AGENT, HELD_KIND, body, now, attachments or []))
            self.log.append(LogEntry(now, "reply_held", "system", message_id))
            return [Alert("reply_held", ("provider_admins",), "ticket.reply_held",
                          {"ticket_id": self.id, "title": self.title, "agent_id": author_id}, True,
                          f"ticket:{self.id}:held:{message_id}")]
        message = Message(message_id, author_id, AGENT, kind, body, now, attachments or [])
        self.messages.append(message)
        self.updated_at = now
        if kind != REPLY_KIND:
            return []
        return self._replied(clock, now, plan, message)

    def review_reply(self, message_id: str, release: bool, reviewer_id: str, now: datetime, clock: Clock,
                     body: str | None = None, plan: bool = False) -> list[Alert]:
        """The lead releases a held reply (perhaps reworded: ``body``), which reaches the customer
        and meets the timers now, or rejects it: it stays as an internal note and its author is told."""
        message = next((m for m in self.messages if m.id == message_id and m.kind == HELD_KIND), None)
        if message is None:
            raise TransitionNotAllowed("No reply of this ticket is held for review with this id.",
                                       {"message_id": ["not a held reply"]})
        self.edited.add(message.id)
        if not release:
            message.kind = NOTE_KIND
            self.log.append(LogEntry(now, "reply_rejected", reviewer_id, message_id))
            return [Alert("reply_rejected", (f"user:{message.author_id}",), "ticket.reply_rejected",
                          {"ticket_id": self.id, "title": self.title}, False,
                          f"ticket:{self.id}:rejected:{message_id}")]
        if self.status == CLOSED:
            raise TransitionNotAllowed("A closed ticket takes no more messages.")
        if body is not None and body.strip():
            message.body = body.strip()
        message.kind, message.at = REPLY_KIND, now
        self.updated_at = now
        self.log.append(LogEntry(now, "reply_released", reviewer_id, message_id))
        return self._replied(clock, now, plan, message)

    def _replied(self, clock: Clock, now: datetime, plan: bool, message: Message) -> list[Alert]:
        """A public agent reply reached the customer: the reply targets are met now, and the customer
        gets it by e-mail too (TKT-10)."""
        sent = Alert("agent_reply", ("customer",), "ticket.reply",
                     {"ticket_id": self.id, "title": self.title, "body": message.body,
                      "attachments": len(message.attachments)}, False, f"ticket:{self.id}:reply:{message.id}")
        took, alerts = self._meet(TimerName.FIRST_RESPONSE, clock, now)
        if took is not None:
            self.first_response_seconds = int(took.total_seconds())
        alerts += self._meet(TimerName.REPLY, clock, now)[1]
        if plan:
            alerts += self._meet(TimerName.PLAN, clock, now)[1]
        return [sent, *alerts]

    def _meet(self, name: str, clock: Clock, now: datetime) -> tuple[timedelta | None, list[Alert]]:
        """Meet a timer; met after its target, it is breached now unless already recorded."""
        timer = self.timers.get(name)
        if timer is None:
            return None, []
        took = timer.meet(clock.calendar, self.hours(clock), now)
        if took is None or timer.target is None or took <= timer.target or timer.breached_at is not None:
            return took, []
        return took, self._breach(timer, now)

    def _breach(self, timer: Timer, now: datetime) -> list[Alert]:
        timer.breached_at = now
        if timer.name not in self.breached:
            self.breached.append(str(timer.name))
        self.log.append(LogEntry(now, "sla_breached", "system", timer.name))
        return [Alert("sla_breach", ("assignee", "provider_admins"), "ticket.sla_breach",
                      {"ticket_id": self.id, "title": self.title, "timer": str(timer.name)}, True,
                      f"ticket:{self.id}:{timer.name}:{timer.cycle}:breach")]

    @property
    def answered(self) -> bool:
        """An agent replied publicly after the customer's last message."""
        for message in reversed(self.messages):
            if message.kind != REPLY_KIND or message.side == SYSTEM:
                continue
            return message.side in (AGENT, PLATFORM)
        return False

    def complain(self, author_id: str, note: str, now: datetime) -> None:
        """TKT-4: the customer pressed *complain*."""
        if self.complaint:
            return
        self.complaint, self.complaint_note = True, note
        self.log.append(LogEntry(now, "complained", author_id, note))

    def rate(self, author_id: str, score: int, comment: str, now: datetime) -> None:
        """TKT-7: a satisfaction rating at the end (1..5), once."""
        if self.status not in (RESOLVED, CLOSED):
            raise TransitionNotAllowed("A ticket is rated once it is resolved or closed.")
        if self.rating is not None:
            raise TransitionNotAllowed("This ticket has been rated already.")
        self.rating, self.rating_comment = score, comment
        self.log.append(LogEntry(now, "rated", author_id, str(score)))

    def reprioritise(self, tier: str | None, category: str, actor_id: str, now: datetime, clock: Clock) -> bool:
        """An agent corrects the severity tier or the category (TKT-4, TKT-8); returns whether
        anything changed.

        Targets change with them (a P0 response is 15 minutes 7x24, P2's two hours in service
        hours), and so may the clock they run on: each running timer first folds the time it used
        on the old clock into ``used``, then runs on from now on the new one. What was met, warned
        or breached stays recorded. Becoming business-stopping starts a same-day target counted
        from now; ceasing to be one drops that target (kept for the record, without a deadline).
        """
        if tier is not None and tier not in TIERS:
            raise TransitionNotAllowed(f"Unknown tier {tier}.", {"tier": ["one of P0, P1, P2, P3 or null"]})
        if category not in CATEGORIES:
            raise TransitionNotAllowed(f"Unknown category {category}.", {"category": ["not a category"]})
        if not self.is_open:
            raise TransitionNotAllowed(f"A {self.status} ticket is not re-prioritised.")
        if tier == self.tier and category == self.category:
            if self.requested_tier is None:
                return False
            # confirming the contract's tier answers the customer's request for a higher one: declined
            self.log.append(LogEntry(now, "tier_request_declined", actor_id, self.requested_tier))
            self.requested_tier, self.updated_at = None, now
            return True
        running = [t for t in self.timers.values() if t.running]
        self._pause(clock, now)
        before = f"{self.tier or '-'}/{self.category}"
        if self.requested_tier is not None:
            granted = rank(tier) <= rank(self.requested_tier)
            self.log.append(LogEntry(now, "tier_granted" if granted else "tier_request_declined", actor_id,
                                     self.requested_tier))
            self.requested_tier = None
        self.tier, self.category = tier, category
        response = TIERS[tier].response if tier else FIRST_RESPONSE
        self.timers[TimerName.FIRST_RESPONSE].target = response
        self.timers[TimerName.PLAN].target = max(PLAN, response)
        self.timers[TimerName.RESOLUTION].target = TIERS[tier].resolution if tier else None
        same_day = self.timers.get(TimerName.SAME_DAY)
        if self.business_stopping and (same_day is None or same_day.target is None):
            # a new cycle, so that a deadline of an earlier same-day target can never fire it
            cycle = same_day.cycle + 1 if same_day is not None else 1
            same_day = Timer(TimerName.SAME_DAY, same_day_target(clock.calendar, self.hours(clock), now, response),
                             cycle=cycle)
            self.timers[TimerName.SAME_DAY] = same_day
            if self.status == PROCESSING:
                running.append(same_day)
        elif not self.business_stopping and same_day is not None:
            same_day.target = None
        for timer in running:
            timer.start(now)
        self.updated_at = now
        self.log.append(LogEntry(now, "reprioritised", actor_id, f"{before} -> {tier or '-'}/{category}"))
        return True

    # ---- status -------------------------------------------------------------------------

    def change_status(self, to: str, side: str, actor_id: str, now: datetime, clock: Clock,
                      note: str = "") -> list[Alert]:
        return self._move(to, side, actor_id, now, clock, note)

    def _move(self, to: str, side: str, actor_id: str, now: datetime, clock: Clock, note: str = "") -> list[Alert]:
        allowed = TRANSITIONS.get((self.status, to))
        if allowed is None:
            raise TransitionNotAllowed(f"A ticket cannot go from {self.status} to {to}.",
                                       {"status": [f"not allowed from {self.status}"]})
        if side not in allowed:
            raise TransitionNotAllowed(f"The {side} may not move a ticket from {self.status} to {to}.",
                                       {"status": [f"not allowed to the {side}"]})
        if side == AGENT and to in NEEDS_REPLY and not self.answered:
            raise ReplyRequired("Reply to the customer first: the customer must hear what is asked of them "
                                "or that it is solved.", {"status": ["a public reply to the customer comes first"]})
        before, self.status = self.status, to
        self.updated_at = now
        self.log.append(LogEntry(now, f"{before}->{to}", actor_id, note))
        alerts: list[Alert] = []
        if to == PROCESSING:
            self.waiting_since = None
            if before in (AWAITING_CONFIRMATION, RESOLVED):
                self._reopen(side, actor_id, now, restart=before == RESOLVED)
            for timer in self.timers.values():
                timer.start(now)
        elif to == AWAITING_FEEDBACK:
            self._pause(clock, now, keep=REPLY_TARGETS)
            self.waiting_since, self.reminded = now, False
            self.waiting_round += 1
        elif to == AWAITING_CONFIRMATION:
            alerts += self._resolved_by_provider(clock, now, keep=REPLY_TARGETS)
            self.waiting_since = now
            self.waiting_round += 1
            if side == SYSTEM:
                alerts.append(Alert("moved_to_confirmation", ("customer",), "ticket.awaiting_confirmation",
                                    {"ticket_id": self.id, "title": self.title}, False,
                                    f"ticket:{self.id}:confirmation:{self.waiting_round}"))
        elif to == RESOLVED:
            alerts += self._resolved_by_provider(clock, now)
            self.resolved_at, self.waiting_since = now, None
        elif to == CLOSED:
            self._pause(clock, now)
            self.closed_at, self.waiting_since = now, None
        return alerts

    def _pause(self, clock: Clock, now: datetime, keep: tuple[str, ...] = ()) -> None:
        hours = self.hours(clock)
        for name, timer in self.timers.items():
            if name not in keep:
                timer.pause(clock.calendar, hours, now)

    def _resolved_by_provider(self, clock: Clock, now: datetime, keep: tuple[str, ...] = ()) -> list[Alert]:
        alerts = []
        for name in (TimerName.RESOLUTION, TimerName.SAME_DAY):
            took, late = self._meet(name, clock, now)
            alerts += late
            if name == TimerName.RESOLUTION and took is not None:
                self.resolution_seconds = int(took.total_seconds())
        self._pause(clock, now, keep)
        return alerts

    def _reopen(self, side: str, actor_id: str, now: datetime, restart: bool = False) -> None:
        """Not solved after all (seed 001 section 5: only the customer's confirmation makes it solved).

        A ticket the customer had confirmed solved (``restart``) comes back as a problem of its own:
        the resolution target starts afresh, a new cycle. Otherwise the resolution clocks resume
        with the service time used until the provider said it was
        solved: the time spent awaiting confirmation was waiting for the customer and does not
        count (TKT-5), and restarting from zero would reward a premature "solved". A warning or
        breach already recorded stays recorded and is not alerted again. When the customer
        reopens, that is a customer message to answer: the 4-hour reply timer starts a new cycle
        (seed 001 section 8: never more than 4 service hours without a reply).
        """
        for name in (TimerName.RESOLUTION, TimerName.SAME_DAY):
            timer = self.timers.get(name)
            if timer is not None:
                if restart and name == TimerName.RESOLUTION:
                    timer.restart(now)
                else:
                    timer.resume(now)
        self.resolution_seconds = self.resolved_at = None
        self.log.append(LogEntry(now, "reopened", actor_id, side))
        reply = self.timers[TimerName.REPLY]
        if side == CUSTOMER and not reply.active:
            reply.restart(now)

    # ---- auto rules (TKT-6) -------------------------------------------------------------

    def next_auto_rule(self, calendar: WorkCalendar) -> tuple[str, datetime] | None:
        """The next automatic step and when it is due, counted in working days."""
        if self.waiting_since is None:
            return None
        if self.status == AWAITING_FEEDBACK:
            if not self.reminded:
                return "remind", calendar.add_working_days(self.waiting_since, AUTO_REMIND_DAYS)
            return "to_confirmation", calendar.add_working_days(self.waiting_since, AUTO_CONFIRMATION_DAYS)
        if self.status == AWAITING_CONFIRMATION:
            return "confirm", calendar.add_working_days(self.waiting_since, AUTO_RESOLVE_DAYS)
        return None

    def apply_auto_rule(self, rule: str, waiting_round: int, now: datetime, clock: Clock) -> list[Alert]:
        """Fire an auto rule; a rule of an earlier waiting period (stale deadline) does nothing."""
        due = self.next_auto_rule(clock.calendar)
        if due is None or due[0] != rule or waiting_round != self.waiting_round:
            return []
        if rule == "remind":
            self.reminded = True
            self.log.append(LogEntry(now, "reminded", "system"))
            return [Alert("feedback_reminder", ("customer",), "ticket.feedback_reminder",
                          {"ticket_id": self.id, "title": self.title}, False,
                          f"ticket:{self.id}:remind:{self.waiting_round}")]
        if rule == "to_confirmation":
            return self._move(AWAITING_CONFIRMATION, SYSTEM, "system", now, clock, "no feedback for 7 working days")
        return self._move(RESOLVED, SYSTEM, "system", now, clock, "confirmed automatically after 3 working days")

    # ---- timers ---------------------------------------------------------------------------

    def timer_deadlines(self, clock: Clock) -> dict[str, tuple[datetime | None, datetime | None, int]]:
        """Per timer: (warn at, breach at, cycle); None where nothing is due."""
        hours = self.hours(clock)
        out = {}
        for name, timer in self.timers.items():
            if timer.target is None or not self.is_open:
                out[name] = (None, None, timer.cycle)
            else:
                out[name] = (timer.warn_at(clock.calendar, hours), timer.due_at(clock.calendar, hours), timer.cycle)
        return out

    def timer_fired(self, name: str, stage: str, cycle: int, now: datetime, clock: Clock) -> list[Alert]:
        """A warning or breach deadline fired; recorded and alerted once each (TKT-5)."""
        timer = self.timers.get(name)
        if timer is None or timer.cycle != cycle or not timer.running or not self.is_open:
            return []
        hours = self.hours(clock)
        if stage == "warning":
            if timer.warned_at is not None:
                return []
            timer.warned_at = now
            self.log.append(LogEntry(now, "sla_warning", "system", name))
            return [Alert("sla_warning", ("assignee", "provider_admins"), "ticket.sla_warning",
                          {"ticket_id": self.id, "title": self.title, "timer": name,
                           "due_at": _iso(timer.due_at(clock.calendar, hours))}, False,
                          f"ticket:{self.id}:{name}:{cycle}:warning")]
        if timer.breached_at is not None:
            return []
        return self._breach(timer, now)

    # ---- people ---------------------------------------------------------------------------

    def assign(self, agent_id: str, now: datetime, actor: str = "system") -> None:
        self.assignee_id = agent_id
        self.updated_at = now
        self.log.append(LogEntry(now, "assigned", actor, agent_id))

    def unassign(self, now: datetime, actor: str) -> None:
        self.assignee_id = None
        self.log.append(LogEntry(now, "returned_to_queue", actor))

    def transfer(self, to_agent: str, note: str, by: str, message_id: str, now: datetime) -> None:
        """TKT-3: the note says what was found and what the next person should do."""
        if not note or not note.strip():
            raise NoteRequired("A transfer needs a note: what you found and what the next agent should do.",
                               {"note": ["required for a transfer"]})
        if not self.is_open:
            raise TransitionNotAllowed(f"A {self.status} ticket cannot be transferred.")
        self.messages.append(Message(message_id, by, AGENT, NOTE_KIND, note.strip(), now))
        self.assignee_id = to_agent
        self.updated_at = now
        self.log.append(LogEntry(now, "transferred", by, to_agent))

    def escalate(self, note: str, by: str, message_id: str, now: datetime) -> list[Alert]:
        """TKT-3: to the platform's own support (the operator's queue), with a note."""
        if not note or not note.strip():
            raise NoteRequired("An escalation needs a note: what the platform's support should solve.",
                               {"note": ["required for an escalation"]})
        if not self.is_open:
            raise TransitionNotAllowed(f"A {self.status} ticket cannot be escalated.")
        if self.escalated:
            raise TransitionNotAllowed("This ticket is escalated already.")
        self.escalated = True
        self.messages.append(Message(message_id, by, AGENT, NOTE_KIND, note.strip(), now))
        self.updated_at = now
        self.log.append(LogEntry(now, "escalated", by))
        return [Alert("escalated", ("operators",), "ticket.escalated",
                      {"ticket_id": self.id, "title": self.title, "note": note.strip()}, False,
                      f"ticket:{self.id}:escalated")]


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def service_seconds(delta: timedelta | None) -> int | None:
    return None if delta is None else int(delta.total_seconds())
