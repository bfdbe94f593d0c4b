"""The delivery project and how it walks its flow (PRJ-1..9). Pure Python.

A project holds a snapshot of the template version it started on, so a later edit of the
template never changes a running project (TPL-1). ``round`` counts flow restarts (a change of
provider restarts the flow, PRJ-5): replies from dispatch carry the round they answer, and a
reply to an earlier round is ignored.

Every transition returns the events it causes as ``(event_type, data)`` pairs; the handler
emits them. The node clock is ``due_at`` (when the current node times out, in working days
on the shared calendar); the handler keeps one durable deadline per project in step with it.
A pause stores the working time the node had left (``remaining_seconds``) and clears
``due_at``, so paused time never counts (PRJ-4); resume adds the rest from then.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from platform_contracts.nodes import (
    ASSIGN_ORDER,
    ASSIGN_PROVIDER,
    CLAIM_ORDER,
    COMPLETE_PROJECT,
    CONFIRM,
    CUSTOMER_SIDE,
    GENERIC,
    SUBMIT_REQUIREMENTS,
    reject_target,
)
from platform_contracts.roles import CUSTOMER_MANAGER
from platform_kit.workcal import ServiceHours, WorkCalendar
from project_svc.domain import flow
from project_svc.exceptions import (
    NodeNotActionable,
    NodeNotCurrent,
    NotYourTurn,
    ProjectNotOpen,
    ProviderChangeRefused,
    RatingRefused,
    RejectNotAllowed,
)

QUEUED, IN_PROGRESS, PAUSED, COMPLETED, CANCELLED = "queued", "in_progress", "paused", "completed", "cancelled"
STATUSES = (QUEUED, IN_PROGRESS, PAUSED, COMPLETED, CANCELLED)
OPEN = (QUEUED, IN_PROGRESS, PAUSED)
SYSTEM = "system"
# whole working days as a service-hours window: resuming adds the exact time a node had left
_WHOLE_DAYS = ServiceHours(start=time(0), end=time(0))

Events = list[tuple[str, dict]]


class ProjectStateError(Exception):
    """A flow that cannot be walked (a programming or template error, not a user's refusal)."""


@dataclass(frozen=True)
class Who:
    """The caller as this project sees it (built by ``access.who_for``)."""

    user_id: str
    as_customer: bool = False      # of the buying organisation (ORG-5 included)
    provider_admin: bool = False   # a provider admin of this project's provider
    provider_member: bool = False  # any user of this project's provider
    vendor: bool = False           # vendor admin / project manager of the product's vendor
    platform: bool = False         # the platform operator

    @property
    def ref(self) -> str:
        return self.user_id


@dataclass
class LogEntry:
    at: datetime
    action: str
    node_key: str | None
    actor: str
    note: str = ""
    round: int = 1


@dataclass
class Project:
    id: str
    order_id: str
    product_id: str
    vendor_id: str
    customer_id: str
    template_id: str
    template_version: int
    nodes: list[dict]
    product_code: str = ""
    product_name: str = ""
    customer_name: str = ""   # as known when bought, for search
    status: str = IN_PROGRESS
    current_index: int = 0
    round: int = 1
    provider_id: str | None = None
    operators: dict[str, str] = field(default_factory=dict)   # role -> user id (from dispatch)
    claimed_by: str | None = None
    claim_department_id: str | None = None
    due_at: datetime | None = None
    remaining_seconds: int | None = None
    late_side: str | None = None
    late_since: datetime | None = None
    submissions: dict[str, dict] = field(default_factory=dict)
    participants: set[str] = field(default_factory=set)
    rating: int | None = None
    rating_comment: str = ""
    created_at: datetime | None = None
    completed_at: datetime | None = None
    closed_reason: str = ""
    log: list[LogEntry] = field(default_factory=list)

    # ---- reading ---------------------------------------------------------------------------

    @property
    def steps(self) -> list[dict]:
        return flow.steps_of(self.nodes)

    @property
    def current_node(self) -> dict:
        return self.steps[self.current_index]

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    def operator_of(self, node: dict) -> str | None:
        """The user operating a provider-side node: the employee dispatch assigned for its role;
        None means the provider admin (no assign-order node, the seed's self-service case)."""
        if node["kind"] == CLAIM_ORDER:
            return None
        if flow.side_of(node) == CUSTOMER_SIDE:
            return None
        role = flow.role_of(node)
        return self.operators.get(role) if role else None

    def current_operator(self) -> tuple[str, str | None]:
        """(side, user id) of whoever the current node waits for, for lists and "waiting for me"."""
        if not self.is_open:
            return "", None
        node = self.current_node
        if node["kind"] in (ASSIGN_PROVIDER, ASSIGN_ORDER):
            return "dispatch", None
        return flow.side_of(node), self.operator_of(node)

    def node_reached(self) -> dict:
        node = self.current_node
        return {
            "project_id": self.id, "order_id": self.order_id, "product_id": self.product_id,
            "vendor_id": self.vendor_id, "customer_id": self.customer_id, "provider_id": self.provider_id,
            "node_key": node["key"], "node_kind": node["kind"], "node_name": node["name"],
            "node_index": self.current_index, "role": flow.role_of(node), "round": self.round,
            "settings": flow.settings_of(node),
            "self_served": not any(n["kind"] in (ASSIGN_ORDER, CLAIM_ORDER) for n in self.steps),
        }

    # ---- starting and dispatch's replies -----------------------------------------------------

    def start(self, now: datetime, cal: WorkCalendar) -> Events:
        """PRJ-1: a new project stands at 'assign provider'."""
        if not self.steps or self.steps[0]["kind"] != ASSIGN_PROVIDER:
            raise ProjectStateError("a flow must start with 'assign provider'")
        self.created_at = self.created_at or now
        self.log.append(LogEntry(now, "created", self.current_node["key"], "marketplace", round=self.round))
        return self._enter(now, cal)

    def is_waiting_at(self, kind: str, node_key: str, round_: int) -> bool:
        return (self.status in (IN_PROGRESS, QUEUED) and self.round == round_
                and self.current_node["key"] == node_key and self.current_node["kind"] == kind)

    def assign_provider(self, provider_id: str, node_key: str, round_: int, now: datetime,
                        cal: WorkCalendar) -> Events:
        """Dispatch chose the provider; a stale reply (other round, node passed) changes nothing."""
        if not self.is_waiting_at(ASSIGN_PROVIDER, node_key, round_):
            return []
        self.provider_id = provider_id
        self.status = IN_PROGRESS
        self.log.append(LogEntry(now, "provider_assigned", node_key, "dispatch", f"provider {provider_id}",
                                 self.round))
        return self._pass(now, cal, by="dispatch", log=False)

    def queue(self, node_key: str, round_: int, reason: str, now: datetime) -> bool:
        """DSP-3/DSP-5: no provider (or employee) has capacity; the project waits in the queue."""
        node = self.current_node
        if (self.status != IN_PROGRESS or self.round != round_ or node["key"] != node_key
                or node["kind"] not in (ASSIGN_PROVIDER, ASSIGN_ORDER)):
            return False
        self.status = QUEUED
        self.log.append(LogEntry(now, "queued", node_key, "dispatch", reason, self.round))
        return True

    def employee_assigned(self, user_id: str, role: str, node_key: str, round_: int, now: datetime,
                          cal: WorkCalendar, by: str | None = None, note: str = "") -> Events:
        """The employee operates the role's nodes from now on; at the assign-order node the flow
        moves on. A later assignment (change of operator, PRJ-6) only changes who operates, logged
        as whoever changed it (``by``, with its ``note``; dispatch when nobody did)."""
        if self.round != round_ or not self.is_open:
            return []
        previous = self.operators.get(role)
        self.operators[role] = user_id
        if self.is_waiting_at(ASSIGN_ORDER, node_key, round_):
            self.status = IN_PROGRESS
            self.log.append(LogEntry(now, "operator_assigned", node_key, "dispatch", f"{role}: {user_id}", self.round))
            return self._pass(now, cal, by="dispatch", log=False)
        if previous != user_id:
            change = f"{role}: {previous or '-'} -> {user_id}"
            self.log.append(LogEntry(now, "operator_changed", self.current_node["key"], by or "dispatch",
                                     f"{change} ({note})" if note else change, self.round))
        return []

    def order_claimed(self, user_id: str, department_id: str | None, node_key: str, round_: int,
                      now: datetime, cal: WorkCalendar) -> Events:
        """DSP-7: a customer manager claimed the order at the claim node."""
        if not self.is_waiting_at(CLAIM_ORDER, node_key, round_):
            return []
        self.claimed_by, self.claim_department_id = user_id, department_id
        # the claimer holds the project for its role: the customer manager's own steps (a handover
        # confirm) are theirs, so a department finishes what it claimed without the main account
        self.operators.setdefault(CUSTOMER_MANAGER, user_id)
        self.participants.add(user_id)
        self.log.append(LogEntry(now, "order_claimed", node_key, user_id, department_id or "", self.round))
        return self._pass(now, cal, by=user_id, log=False)

    # ---- people acting on the current node ---------------------------------------------------

    def may_operate(self, who: Who, node: dict) -> bool:
        if node["kind"] in flow.SYSTEM_KINDS:
            return False
        if flow.side_of(node) == CUSTOMER_SIDE:
            return who.as_customer
        operator = self.operator_of(node)
        if who.provider_admin:
            return True
        if operator is not None:
            return who.user_id == operator
        # a provider node without a role: any employee dispatch assigned to this project
        return flow.role_of(node) is None and who.user_id in self.operators.values()

    def _check_turn(self, who: Who, node_key: str, kinds: tuple[str, ...]) -> dict:
        if not self.is_open:
            raise ProjectNotOpen(f"The project is {self.status}.", {"status": [self.status]})
        if self.status == PAUSED:
            raise ProjectNotOpen("The project is paused; resume it first.", {"status": [self.status]})
        node = self.current_node
        if node["key"] != node_key:
            raise NodeNotCurrent(f"Node {node_key} is not the current node ({node['key']}).",
                                 {"node_key": [f"the current node is {node['key']}"]})
        if node["kind"] in flow.SYSTEM_KINDS:
            raise NodeNotActionable(f"Node {node_key} is passed by dispatch, not by hand.",
                                    {"node_key": [f"{node['kind']} is not operated here"]})
        if node["kind"] not in kinds:
            raise NodeNotActionable(f"This action does not apply to a {node['kind']} node.",
                                    {"node_key": [f"a {node['kind']} node"]})
        if not self.may_operate(who, node):
            raise NotYourTurn("You are not the operator of this node.", {"node_key": ["not your node"]})
        return node

    def submit_requirements(self, who: Who, node_key: str, data: dict, now: datetime, cal: WorkCalendar,
                            validate: Callable[[dict, dict], dict]) -> Events:
        """The node passes only with a submission valid against its form (``validate`` raises)."""
        node = self._check_turn(who, node_key, (SUBMIT_REQUIREMENTS,))
        form = flow.settings_of(node).get("form")
        cleaned = validate(form, data) if form else dict(data)
        self.submissions[node_key] = cleaned
        return self._pass(now, cal, by=who.ref, note="requirements submitted")

    def confirm(self, who: Who, node_key: str, now: datetime, cal: WorkCalendar, note: str = "") -> Events:
        """Confirm a confirm node, finish a generic node, or confirm completion (TPL-9)."""
        node = self._check_turn(who, node_key, (CONFIRM, GENERIC, COMPLETE_PROJECT))
        if node["kind"] == COMPLETE_PROJECT:
            return self._complete(now, cal, by=who.ref, note=note)
        return self._pass(now, cal, by=who.ref, note=note)

    def reject(self, who: Who, node_key: str, reason: str, now: datetime, cal: WorkCalendar) -> Events:
        """Back to the step just before (a person's step, across container boundaries too)."""
        node = self._check_turn(who, node_key, (CONFIRM, COMPLETE_PROJECT))
        if not flow.allows_reject(node):
            raise RejectNotAllowed("This node does not allow rejecting.", {"node_key": ["reject not allowed"]})
        target = reject_target(self.steps, self.current_index)
        if target is None:
            raise RejectNotAllowed("There is no earlier step to return to.",
                                   {"node_key": ["nothing to return to"]})
        self.participants.add(who.ref)
        events = self._reminders(node, "rejected", now, {"reason": reason})
        self.log.append(LogEntry(now, "rejected", node_key, who.ref, reason, self.round))
        self._leave()
        self.current_index = target
        # the step returned to is reached again, as every step passed to is
        self.log.append(LogEntry(now, "node_reached", self.current_node["key"], who.ref, "returned by a reject",
                                 self.round))
        return events + self._enter(now, cal)

    # ---- the clock ---------------------------------------------------------------------------

    def timeout(self, node_key: str, round_: int, now: datetime, cal: WorkCalendar) -> Events:
        """The node's deadline fired: mark the side that owes the step late, fire the timeout
        reminders, and advance or auto-confirm when the node says so (logged as the system)."""
        if (self.status not in (IN_PROGRESS, QUEUED) or self.round != round_ or self.due_at is None
                or self.current_node["key"] != node_key or now < self.due_at):
            return []
        node = self.current_node
        self.late_side, self.late_since = flow.side_of(node), self.due_at
        self.due_at = None
        self.log.append(LogEntry(now, "timed_out", node_key, SYSTEM, f"late on the {self.late_side} side",
                                 self.round))
        events = self._reminders(node, "timeout", now)
        settings = flow.settings_of(node)
        if node["kind"] == CONFIRM and settings.get("advance_on_timeout"):
            events += self._pass(now, cal, by=SYSTEM, note="advanced on timeout")
        elif node["kind"] == COMPLETE_PROJECT and settings.get("auto_confirm_on_timeout"):
            events += self._complete(now, cal, by=SYSTEM, note="confirmed on timeout")
        return events

    def pause(self, who: Who, note: str, now: datetime, cal: WorkCalendar) -> Events:
        """PRJ-8: the provider admin pauses; the node's clock stops with the time it had left."""
        self._require_provider_admin(who)
        if self.status != IN_PROGRESS:
            raise ProjectNotOpen(f"Only a project in progress can be paused (it is {self.status}).",
                                 {"status": [self.status]})
        if self.due_at is not None:
            self.remaining_seconds = int(cal.working_time_between(now, self.due_at, hours=_WHOLE_DAYS)
                                         .total_seconds())
            self.due_at = None
        self.status = PAUSED
        self.participants.add(who.ref)
        self.log.append(LogEntry(now, "paused", self.current_node["key"], who.ref, note, self.round))
        return [("project_paused", self._closed_data(note))]

    def resume(self, who: Who, note: str, now: datetime, cal: WorkCalendar) -> Events:
        self._require_provider_admin(who)
        if self.status != PAUSED:
            raise ProjectNotOpen(f"Only a paused project can be resumed (it is {self.status}).",
                                 {"status": [self.status]})
        self.status = IN_PROGRESS
        if self.remaining_seconds is not None:
            self.due_at = cal.add_service_time(now, timedelta(seconds=self.remaining_seconds), _WHOLE_DAYS)
            self.remaining_seconds = None
        self.participants.add(who.ref)
        self.log.append(LogEntry(now, "resumed", self.current_node["key"], who.ref, note, self.round))
        return [("project_resumed", self._closed_data(note))]

    # ---- changes -----------------------------------------------------------------------------

    def cancel(self, who: Who, reason: str, now: datetime) -> Events:
        if not (who.vendor or who.platform):
            raise NotYourTurn("Only the vendor or the platform operator cancels a project.",
                              {"project_id": ["vendor or operator only"]})
        self._require_open()
        self._leave()
        self.status, self.closed_reason, self.completed_at = CANCELLED, reason, now
        self.log.append(LogEntry(now, "cancelled", self.current_node["key"], who.ref, reason, self.round))
        return [("project_cancelled", self._closed_data(reason))]

    def change_provider(self, who: Who, note: str, provider_count: int, now: datetime, cal: WorkCalendar) -> Events:
        """PRJ-5: the flow restarts at 'assign provider' in a new round; the earlier log stays."""
        if not who.vendor:
            raise NotYourTurn("Only the vendor changes the provider.", {"project_id": ["vendor only"]})
        self._require_open()
        if provider_count < 2:
            raise ProviderChangeRefused("The product has only one provider.",
                                        {"provider_id": ["the product needs several providers"]})
        if self.current_node["kind"] == ASSIGN_PROVIDER and self.provider_id is None:
            raise ProviderChangeRefused("No provider is assigned yet.", {"provider_id": ["none assigned yet"]})
        old = self.provider_id
        self._leave()
        self.log.append(LogEntry(now, "provider_changed", self.current_node["key"], who.ref, note, self.round))
        self.round += 1
        self.current_index, self.provider_id, self.status = 0, None, IN_PROGRESS
        self.operators, self.claimed_by, self.claim_department_id = {}, None, None
        self.remaining_seconds = None
        events: Events = [("project_provider_changed", {"project_id": self.id, "product_id": self.product_id,
                                                        "old_provider_id": old, "round": self.round,
                                                        "note": note})]
        return events + self._enter(now, cal)

    def rate(self, who: Who, score: int, comment: str, now: datetime) -> Events:
        """PRJ-9: once completed, the customer rates once."""
        if not who.as_customer:
            raise NotYourTurn("Only the customer rates the service.", {"score": ["customer only"]})
        if self.status != COMPLETED:
            raise RatingRefused("Only a completed project can be rated.", {"status": [self.status]})
        if self.rating is not None:
            raise RatingRefused("The project is rated already.", {"score": ["rated already"]})
        self.rating, self.rating_comment = score, comment
        self.log.append(LogEntry(now, "rated", None, who.ref, f"{score}", self.round))
        return [("project_rated", {"project_id": self.id, "order_id": self.order_id, "product_id": self.product_id,
                                   "vendor_id": self.vendor_id, "provider_id": self.provider_id,
                                   "score": score, "comment": comment})]

    def require_open(self) -> None:
        """Messages and notes only while the project is open (PRJ-7)."""
        self._require_open()

    # ---- internals ---------------------------------------------------------------------------

    def _require_open(self) -> None:
        if not self.is_open:
            raise ProjectNotOpen(f"The project is {self.status}.", {"status": [self.status]})

    def _require_provider_admin(self, who: Who) -> None:
        if not who.provider_admin:
            raise NotYourTurn("Only the provider admin pauses and resumes a project.",
                              {"project_id": ["provider admin only"]})

    def _leave(self) -> None:
        """The current node stops: its clock and late mark go with it."""
        self.due_at, self.remaining_seconds, self.late_side, self.late_since = None, None, None, None

    def _enter(self, now: datetime, cal: WorkCalendar) -> Events:
        node = self.current_node
        days = flow.timeout_days(node)
        self.due_at = cal.add_working_days(now, days) if days is not None else None
        return [("node_reached", self.node_reached())] + self._reminders(node, "node_reached", now)

    def _done_here(self, now: datetime, *, by: str, note: str, log: bool) -> Events:
        node = self.current_node
        if by not in (SYSTEM, "dispatch"):
            self.participants.add(by)
        if log:
            self.log.append(LogEntry(now, "node_completed", node["key"], by, note, self.round))
        events: Events = [("node_completed", {
            "project_id": self.id, "order_id": self.order_id, "node_key": node["key"], "node_kind": node["kind"],
            "node_name": node["name"], "round": self.round, "by": by})]
        events += self._reminders(node, "completed", now)
        self._leave()
        return events

    def _pass(self, now: datetime, cal: WorkCalendar, *, by: str, note: str = "", log: bool = True) -> Events:
        events = self._done_here(now, by=by, note=note, log=log)
        if self.current_index + 1 >= len(self.steps):
            return events + self._finish(now, by)  # a flow without a complete-project node ends here
        self.current_index += 1
        self.log.append(LogEntry(now, "node_reached", self.current_node["key"], by, round=self.round))
        return events + self._enter(now, cal)

    def _complete(self, now: datetime, cal: WorkCalendar, *, by: str, note: str) -> Events:
        """TPL-9: confirming completion ends the project, wherever the node stands in the flow."""
        return self._done_here(now, by=by, note=note, log=True) + self._finish(now, by)

    def _finish(self, now: datetime, by: str) -> Events:
        self.status, self.completed_at = COMPLETED, now
        self.log.append(LogEntry(now, "completed", self.current_node["key"], by, round=self.round))
        return [("project_completed", self._closed_data(""))]

    def _closed_data(self, reason: str) -> dict:
        return {"project_id": self.id, "order_id": self.order_id, "product_id": self.product_id,
                "vendor_id": self.vendor_id, "customer_id": self.customer_id, "provider_id": self.provider_id,
                "round": self.round, "reason": reason}

    def _reminders(self, node: dict, trigger: str, now: datetime, extra: dict | None = None) -> Events:
        side, operator = flow.side_of(node), self.operator_of(node)
        return [("reminder_due", {
            "project_id": self.id, "order_id": self.order_id, "product_id": self.product_id,
            "vendor_id": self.vendor_id, "customer_id": self.customer_id, "provider_id": self.provider_id,
            "operator_user_id": operator, "node_key": node["key"], "node_name": node["name"],
            "trigger": trigger, "receivers": list(rule.get("receivers") or []),
            "message_template": rule.get("message_template") or "",
            "variables": {"order_id": self.order_id, "node_name": node["name"], "side": side,
                          "product_name": self.product_name, **(extra or {})},
        }) for rule in flow.reminders_of(node, trigger)]
