"""Who delivers a project: providers of a product, employees of a provider, and one project's dispatch.

Pure Python. Three aggregates, each loaded and locked by the repository:

- ``ProductProviders``: the providers of one product with weight, maximum and held orders (DSP-1/2).
- ``Employee``: one provider employee's roles, capacity, open switch and held orders (DSP-4).
- ``ProjectDispatch``: what dispatch did for one project: its provider hold, its employee holds,
  its claim, and whether it waits in a queue (DSP-3/5/7/9). Its methods take the capacity
  aggregates they touch and return the events they cause, as ``(event_type, data)`` pairs.

Held orders may stay above a lowered maximum or capacity (nothing is taken away), but never
grow beyond it: ``kept_over`` remembers how many were held when the limit was lowered and
shrinks as they are released. The database checks ``held <= greatest(limit, kept_over)``, so
even a faulty code path cannot push a count past its limit (DSP-8).
"""
from __future__ import annotations

import random
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from dispatch_svc.domain.choice import (
    MAX_HELD_LIMIT,
    NOBODY_WITH_ROLE,
    ProviderSlot,
    choose_employee,
    choose_provider,
    department_and_below,
)
from dispatch_svc.exceptions import (
    ClaimNotAllowed,
    InvalidCapacity,
    InvalidProviderSettings,
    NotYourProduct,
    OperatorChangeRefused,
    OrderNotClaimable,
    OrderNotFound,
    ProviderListChangeRefused,
    ProviderStillHolds,
    UnknownProvider,
)
from platform_contracts.nodes import DEPARTMENT_FIRST
from platform_contracts.roles import CUSTOMER_MANAGER, PROVIDER_ADMIN

Event = tuple[str, dict]

MIN_MAX_HELD, MAX_WEIGHT = 1, 10000
MAX_CAPACITY = 50
# a new employee can take work at once; the provider admin tunes it on the capacity page
DEFAULT_CAPACITY = 5
NO_PROVIDER_CAPACITY = "every provider of the product is at its maximum of held orders"
PROVIDER_LEVEL, EMPLOYEE_LEVEL = "provider", "employee"
# a flow without assign-order (nor claim) node: the provider's main account delivers every
# project itself and holds each one against its own capacity, like any employee (seed 3.1.3/3.1.5)
SELF_SERVED = "self_served"


def _lowered(held: int, limit: int) -> int:
    """The new ``kept_over`` after a limit change: what is held above the new limit stays held."""
    return held if held > limit else 0


# --- providers of a product ----------------------------------------------------------------------

UNKNOWN_ISV = "没有这个服务商（ISV）组织 / no such ISV organisation (a missing or a customer organisation)"


@dataclass
class ProviderLink:
    provider_id: str
    weight: int
    max_held: int
    held: int = 0
    kept_over: int = 0

    @property
    def has_capacity(self) -> bool:
        return self.held < self.max_held


@dataclass
class ProductProviders:
    product_id: str
    vendor_id: str | None = None
    links: dict[str, ProviderLink] = field(default_factory=dict)
    # open projects of the product by the provider delivering them, whatever rule chose it (the
    # vendor delivering itself included): a provider added later starts from what it really holds
    open_by_provider: dict[str, int] = field(default_factory=dict)

    def saturation(self, link: ProviderLink) -> Event:
        return ("saturation_changed", {"product_id": self.product_id, "provider_id": link.provider_id,
                                       "vendor_id": self.vendor_id, "held": link.held, "max_held": link.max_held})

    def configure(self, vendor_id: str, entries: Sequence[dict], *, by_operator: bool,
                  isvs: Collection[str] | None = None) -> list[Event]:
        """DSP-1: the platform operator sets which providers deliver; the vendor sets weights and maxima.

        A maximum may go below what is held: nothing is taken away, nothing new is given until
        the provider is below it again. ``isvs``: the organisations among those named that dispatch
        knows as ISVs (from identity's events); a new provider, or a vendor, that is not one (missing,
        or a customer organisation) is refused, else its purchases would go to nobody who can operate
        them. None: a trusted system call (demo, bench) that names organisations it just created.
        """
        problems: dict[str, list[str]] = {}
        unknown: dict[str, list[str]] = {}
        seen: set[str] = set()
        if isvs is not None and self.vendor_id is None and vendor_id not in isvs:
            unknown["vendor_id"] = [UNKNOWN_ISV]
        for n, entry in enumerate(entries):
            if isvs is not None and entry["provider_id"] not in self.links and entry["provider_id"] not in isvs:
                unknown[f"providers[{n}].provider_id"] = [UNKNOWN_ISV]
            if not MIN_MAX_HELD <= entry["max_held"] <= MAX_HELD_LIMIT:
                problems[f"providers[{n}].max_held"] = [f"must be between {MIN_MAX_HELD} and {MAX_HELD_LIMIT}"]
            if not 1 <= entry["weight"] <= MAX_WEIGHT:
                problems[f"providers[{n}].weight"] = [f"must be between 1 and {MAX_WEIGHT}"]
            if entry["provider_id"] in seen:
                problems[f"providers[{n}].provider_id"] = ["appears twice"]
            seen.add(entry["provider_id"])
        if problems:
            raise InvalidProviderSettings("Some provider settings are out of range.", {**unknown, **problems})
        if unknown:
            raise UnknownProvider("只能关联平台上的服务商（ISV） / Only ISV organisations of the platform can deliver "
                                  "a product.", unknown)
        if self.vendor_id is not None and self.vendor_id != vendor_id:
            raise NotYourProduct(f"Product {self.product_id} was not found.")
        wanted = {e["provider_id"]: e for e in entries}
        if not by_operator and set(wanted) != set(self.links):
            raise ProviderListChangeRefused(
                "Only the platform operator adds or removes providers of a product; you set their "
                "weight and maximum.", {"providers": ["the same providers as configured, in any order"]})
        for provider_id, link in self.links.items():
            if provider_id not in wanted and link.held:
                raise ProviderStillHolds(
                    f"Provider {provider_id} still holds {link.held} open project(s) of this product.",
                    {"providers": [f"{provider_id} cannot be removed while it holds projects"]})
        list_changed = set(wanted) != set(self.links) or self.vendor_id is None
        self.vendor_id = vendor_id
        events: list[Event] = []
        for provider_id in [p for p in self.links if p not in wanted]:
            del self.links[provider_id]
        for provider_id, entry in wanted.items():
            link = self.links.get(provider_id)
            if link is None:
                held = self.open_by_provider.get(provider_id, 0)
                link = self.links[provider_id] = ProviderLink(provider_id, entry["weight"], entry["max_held"], held,
                                                              _lowered(held, entry["max_held"]))
                events.append(self.saturation(link))
            elif (link.weight, link.max_held) != (entry["weight"], entry["max_held"]):
                changed_max = link.max_held != entry["max_held"]
                link.weight, link.max_held = entry["weight"], entry["max_held"]
                link.kept_over = _lowered(link.held, link.max_held)
                if changed_max:
                    events.append(self.saturation(link))
        if list_changed:
            events.append(("product_providers_set", {"product_id": self.product_id, "vendor_id": vendor_id,
                                                     "provider_ids": sorted(self.links)}))
        return events

    def choose(self, rng: random.Random | None, exclude: str | None = None) -> ProviderLink | None:
        """DSP-2 weighted choice; ``exclude`` (the provider just changed away from) only when
        another provider has capacity."""
        slots = [ProviderSlot(k.provider_id, k.weight, k.max_held, k.held) for k in self.links.values()]
        others = [s for s in slots if s.provider_id != exclude]
        chosen = choose_provider(others, rng) or choose_provider(slots, rng)
        return self.links[chosen.provider_id] if chosen else None

    def hold(self, provider_id: str) -> Event:
        link = self.links[provider_id]
        if not link.has_capacity:
            raise AssertionError(f"provider {provider_id} is at its maximum")  # guarded by choose()
        link.held += 1
        return self.saturation(link)

    def release(self, provider_id: str) -> Event | None:
        link = self.links.get(provider_id)
        if link is None or link.held == 0:
            return None
        link.held -= 1
        link.kept_over = min(link.kept_over, link.held)
        return self.saturation(link)


# --- employees -----------------------------------------------------------------------------------

@dataclass
class Employee:
    """A provider's user as dispatch knows it: identity's facts plus dispatch's capacity and switch."""

    user_id: str
    org_id: str
    display_name: str = ""
    roles: tuple[str, ...] = ()
    department_id: str | None = None
    active: bool = True
    capacity: int = DEFAULT_CAPACITY
    open: bool = True
    held: int = 0
    kept_over: int = 0

    @classmethod
    def first_seen(cls, snapshot: dict) -> Employee:
        """A user dispatch meets for the first time. The main account (the provider admin) delivers
        self-served flows and starts at the largest capacity; its admin lowers it on the capacity page."""
        capacity = MAX_CAPACITY if PROVIDER_ADMIN in snapshot.get("roles", ()) else DEFAULT_CAPACITY
        return cls(snapshot["user_id"], snapshot["org_id"], capacity=capacity)

    def can_take(self, role: str) -> bool:
        return self.active and self.open and role in self.roles and self.held < self.capacity

    def set_capacity(self, capacity: int) -> None:
        """DSP-4: 0..50; lowering it below what is held is allowed (nothing new until below)."""
        if not 0 <= capacity <= MAX_CAPACITY:
            raise InvalidCapacity("The capacity is out of range.",
                                  {"capacity": [f"must be between 0 and {MAX_CAPACITY}"]})
        self.capacity = capacity
        self.kept_over = _lowered(self.held, capacity)

    def take(self) -> None:
        if self.held >= self.capacity:
            raise AssertionError(f"employee {self.user_id} is at capacity")  # guarded by choose_employee()
        self.held += 1

    def release(self) -> None:
        if self.held:
            self.held -= 1
            self.kept_over = min(self.kept_over, self.held)

    def learn(self, snapshot: dict) -> bool:
        """identity's current facts; True when this may let a waiting project move (new role, active)."""
        gained = bool(set(snapshot["roles"]) - set(self.roles)) or (snapshot["active"] and not self.active)
        moved = snapshot.get("department_id") != self.department_id
        self.org_id, self.display_name = snapshot["org_id"], snapshot["display_name"]
        self.roles, self.active = tuple(snapshot["roles"]), snapshot["active"]
        self.department_id = snapshot.get("department_id")
        return gained or moved


# --- one project's dispatch ----------------------------------------------------------------------

@dataclass
class EmployeeHold:
    node_key: str
    round: int
    user_id: str
    role: str
    rule: str
    released: bool = False


@dataclass
class QueueEntry:
    """DSP-3/DSP-5: the project waits at a node, at provider or employee level, with its reason."""

    level: str
    node_key: str
    round: int
    reason: str
    since: datetime
    provider_id: str | None = None     # employee level: whose employees
    role: str | None = None
    rule: str | None = None


@dataclass
class ProjectDispatch:
    project_id: str
    order_id: str
    product_id: str
    vendor_id: str
    customer_id: str
    round: int = 1
    provider_id: str | None = None
    provider_round: int | None = None
    provider_rule: str | None = None
    provider_held: bool = False         # counts against a product maximum (not when the vendor delivers)
    excluded_provider_id: str | None = None
    claim_node_key: str | None = None
    claim_round: int | None = None
    claimed_by: str | None = None
    claim_department_id: str | None = None
    claimed_at: datetime | None = None
    closed: bool = False
    holds: list[EmployeeHold] = field(default_factory=list)
    waiting: QueueEntry | None = None

    def _stale(self, round_: int) -> bool:
        return self.closed or round_ < self.round

    def _wait(self, entry: QueueEntry) -> bool:
        """Queue the project; True when this is news (a new wait, or a new reason)."""
        old = self.waiting
        if old and (old.level, old.node_key, old.round, old.reason) == (entry.level, entry.node_key, entry.round,
                                                                          entry.reason):
            return False
        if old and (old.level, old.node_key, old.round) == (entry.level, entry.node_key, entry.round):
            entry.since = old.since  # the wait goes on, for another reason
        self.waiting = entry
        return True

    def assign_provider(self, node_key: str, round_: int, product: ProductProviders, rng: random.Random | None,
                        now: datetime, staff_of: Callable[[str], Sequence[Employee]] | None = None) -> list[Event]:
        """DSP-1/2/3: hold one order of a provider chosen by weight, or wait for capacity.

        ``staff_of`` (the employees of a provider) is given for a self-served flow: the chosen
        provider's main account must then also have room, or the project waits for it."""
        if self._stale(round_) or self.provider_round == round_:
            return []
        self.round = round_
        early: list[Event] = []
        if self.provider_held and (self.provider_round or 0) < round_:
            # the new round's node arrived before the provider-change event: free the old hold now
            saturation = product.release(self.provider_id)
            early = [saturation] if saturation else []
            self.provider_held, self.excluded_provider_id = False, self.provider_id
        if not product.links:
            provider_id, rule, events = self.vendor_id, "vendor_self", early
        else:
            link = product.choose(rng, exclude=self.excluded_provider_id)
            if link is None:
                news = self._wait(QueueEntry(PROVIDER_LEVEL, node_key, round_, NO_PROVIDER_CAPACITY, now,
                                         rule=SELF_SERVED if staff_of is not None else None))
                return early + ([("provider_queued", {"project_id": self.project_id, "product_id": self.product_id,
                                                      "node_key": node_key, "round": round_,
                                                      "reason": NO_PROVIDER_CAPACITY})] if news else [])
            provider_id, rule, events = link.provider_id, "weighted", []
        if staff_of is not None:
            waits = self._hold_main_account(node_key, round_, provider_id, staff_of(provider_id), rng, now)
            if waits is not None:
                return early + waits
        if rule == "weighted":
            events = [*early, product.hold(provider_id)]
        self.provider_id, self.provider_round, self.provider_rule = provider_id, round_, rule
        self.provider_held = rule == "weighted"
        self.excluded_provider_id = None
        self.waiting = None
        return [("provider_assigned", {"project_id": self.project_id, "provider_id": provider_id,
                                       "product_id": self.product_id, "node_key": node_key, "round": round_,
                                       "rule": rule}), *events]

    def _hold_main_account(self, node_key: str, round_: int, provider_id: str, staff: Sequence[Employee],
                           rng: random.Random | None, now: datetime) -> list[Event] | None:
        """Seed 3.1.5: past the main account's capacity (or with its switch closed) the project
        queues, at employee level of that provider, until the main account has room. None: held,
        or no main account known here (a provider dispatch has no copy of users for, e.g. restored
        from before the copy existed: nothing to count against, the project is not held up)."""
        employee, reason = choose_employee(staff, PROVIDER_ADMIN, rng)
        if employee is None and reason == NOBODY_WITH_ROLE:
            return None
        if employee is None:
            news = self._wait(QueueEntry(EMPLOYEE_LEVEL, node_key, round_, reason, now, provider_id=provider_id,
                                         role=PROVIDER_ADMIN, rule=SELF_SERVED))
            return [("employee_queued", {"project_id": self.project_id, "provider_id": provider_id,
                                         "node_key": node_key, "round": round_, "reason": reason})] if news else []
        employee.take()
        self.holds.append(EmployeeHold(node_key, round_, employee.user_id, PROVIDER_ADMIN, SELF_SERVED))
        return None

    def adopt_provider(self, provider_id: str | None, round_: int) -> None:
        """The provider as project_svc knows it, for a project whose provider dispatch did not choose
        here (assigned before this copy existed)."""
        if self.provider_id is None and provider_id and not self._stale(round_):
            self.provider_id, self.provider_round, self.round = provider_id, round_, round_

    def active_hold(self, node_key: str | None = None) -> EmployeeHold | None:
        live = [h for h in self.holds if not h.released and h.round == self.round
                and (node_key is None or h.node_key == node_key)]
        return live[-1] if live else None

    def needs_departments(self, rule: str) -> bool:
        """Whether choosing an employee looks at the provider's departments (the claiming
        department and those below it come first); otherwise they need not be read."""
        return rule == DEPARTMENT_FIRST and bool(self.claim_department_id)

    def assign_employee(self, node_key: str, round_: int, role: str, rule: str, staff: Sequence[Employee],
                        departments: Mapping[str, str | None], rng: random.Random | None,
                        now: datetime) -> list[Event]:
        """DSP-5/6: the least-loaded open employee of the role holds the project, or it waits.

        ``staff``: the employees of the project's provider."""
        if self._stale(round_) or self.provider_id is None:
            return []
        self.round = round_
        if self.active_hold(node_key) is not None:
            return []
        inside = None
        if self.needs_departments(rule):
            inside = department_and_below(departments, self.claim_department_id)
        employee, reason = choose_employee(staff, role, rng, inside)
        if employee is None:
            news = self._wait(QueueEntry(EMPLOYEE_LEVEL, node_key, round_, reason, now,
                                         provider_id=self.provider_id, role=role, rule=rule))
            return [("employee_queued", {"project_id": self.project_id, "provider_id": self.provider_id,
                                         "node_key": node_key, "round": round_, "reason": reason})] if news else []
        employee.take()
        used = "department_first" if inside is not None else "least_loaded"
        self.holds.append(EmployeeHold(node_key, round_, employee.user_id, role, used))
        self.waiting = None
        return [self._employee_assigned(node_key, employee.user_id, role, used)]

    def _employee_assigned(self, node_key: str, user_id: str, role: str, rule: str) -> Event:
        return ("employee_assigned", {"project_id": self.project_id, "provider_id": self.provider_id,
                                      "node_key": node_key, "round": self.round, "user_id": user_id,
                                      "role": role, "rule": rule})

    def await_claim(self, node_key: str, round_: int) -> None:
        """DSP-7: the flow stands at a claim node; the order may be claimed from now on."""
        if self._stale(round_):
            return
        self.round = round_
        if self.claimed_by is None:
            self.claim_node_key, self.claim_round = node_key, round_

    def claim(self, claimer: Employee, now: datetime) -> Event:
        """DSP-7: a customer manager of the order's provider claims it, once, at its claim node."""
        if self.closed or claimer.org_id != self.provider_id:
            raise OrderNotFound(f"Order {self.order_id} was not found.")
        if CUSTOMER_MANAGER not in claimer.roles or not claimer.active:
            raise ClaimNotAllowed("Only a customer manager of the provider claims orders.")
        if self.claimed_by is not None:
            raise OrderNotClaimable(f"Order {self.order_id} was claimed already.",
                                    {"order_id": ["claimed already"]})
        if self.claim_node_key is None or self.claim_round != self.round:
            raise OrderNotClaimable(f"Order {self.order_id} is not waiting to be claimed.",
                                    {"order_id": ["the project is not at a claim node"]})
        self.claimed_by, self.claim_department_id, self.claimed_at = claimer.user_id, claimer.department_id, now
        return ("order_claimed", {"project_id": self.project_id, "order_id": self.order_id,
                                  "provider_id": self.provider_id, "node_key": self.claim_node_key,
                                  "round": self.round, "user_id": claimer.user_id,
                                  "department_id": claimer.department_id})

    def _release_holds(self, product: ProductProviders | None, staff: Mapping[str, Employee],
                       before_round: int | None = None) -> list[Event]:
        """Free the provider's and employees' held orders (of rounds before ``before_round``, if given)."""
        def due(round_: int | None) -> bool:
            return before_round is None or (round_ or 0) < before_round

        events: list[Event] = []
        if self.provider_held and due(self.provider_round):
            saturation = product.release(self.provider_id) if product is not None else None
            if saturation:
                events.append(saturation)
            self.provider_held = False
        for hold in self.holds:
            if not hold.released and due(hold.round):
                hold.released = True
                if hold.user_id in staff:
                    staff[hold.user_id].release()
        if self.waiting and due(self.waiting.round):
            self.waiting = None
        return events

    def held_user_ids(self) -> list[str]:
        return sorted({h.user_id for h in self.holds if not h.released})

    def close(self, product: ProductProviders | None, staff: Mapping[str, Employee]) -> list[Event]:
        """DSP-9: a completed or cancelled project frees its held orders at once."""
        if self.closed:
            return []
        events = self._release_holds(product, staff)
        self.closed = True
        self.claim_node_key = None
        return events

    def change_provider(self, new_round: int, product: ProductProviders | None,
                        staff: Mapping[str, Employee]) -> list[Event]:
        """DSP-9/PRJ-5: the old provider's and employees' holds (rounds before ``new_round``) go; the
        next 'assign provider' avoids the old provider when another has capacity."""
        if self.closed:
            return []
        old_provider = self.provider_id if (self.provider_round or 0) < new_round else None
        events = self._release_holds(product, staff, before_round=new_round)
        if old_provider is not None:
            self.excluded_provider_id = old_provider
            self.provider_id = self.provider_round = self.provider_rule = None
        if self.round < new_round:
            self.round = new_round
            self.claim_node_key = self.claim_round = self.claimed_by = self.claim_department_id = None
            self.claimed_at = None
        return events

    def reassign_from(self, user_id: str, staff: Sequence[Employee], departments: Mapping[str, str | None],
                      rng: random.Random | None) -> list[Event]:
        """The employee left (deactivated): each node it operates goes to another employee of the
        role by the rule that chose it (least loaded, inside the claiming department first).
        A hold nobody can take stays; the provider admin changes it by hand (PRJ-6)."""
        if self.closed:
            return []
        leaving = next((e for e in staff if e.user_id == user_id), None)
        others = [e for e in staff if e.user_id != user_id]
        events: list[Event] = []
        for hold in self.holds:
            if hold.released or hold.user_id != user_id or hold.round != self.round or hold.rule == SELF_SERVED:
                continue
            inside = None
            if hold.rule == "department_first" and self.claim_department_id:
                inside = department_and_below(departments, self.claim_department_id)
            employee, _ = choose_employee(others, hold.role, rng, inside)
            if employee is None and inside is not None:
                employee, _ = choose_employee(others, hold.role, rng)
            if employee is None:
                continue
            if leaving is not None:
                leaving.release()
            employee.take()
            hold.user_id, hold.rule = employee.user_id, "reassigned"
            events.append(self._employee_assigned(hold.node_key, employee.user_id, hold.role, "reassigned"))
        return events

    def change_operator(self, new: Employee, old: Employee | None, node_key: str | None) -> Event:
        """PRJ-6: the provider admin hands the node to a user of the same role with spare capacity."""
        hold = self.active_hold(node_key)
        if self.closed or hold is None:
            raise OperatorChangeRefused("The project has no operator chosen by dispatch to change.",
                                        {"node_key": ["no assigned operator at this node"]})
        if new.org_id != self.provider_id:
            raise OperatorChangeRefused("The new operator must work for the project's provider.",
                                        {"user_id": ["not an employee of the provider"]})
        if new.user_id == hold.user_id:
            raise OperatorChangeRefused("That user is the operator already.", {"user_id": ["already the operator"]})
        if not new.can_take(hold.role):
            raise OperatorChangeRefused(
                "The new operator must hold the node's role, be open for work and have spare capacity.",
                {"user_id": [f"needs role {hold.role}, an open switch and held below capacity"]})
        if old is not None:
            old.release()
        new.take()
        hold.user_id, hold.rule = new.user_id, "manual"
        return self._employee_assigned(hold.node_key, new.user_id, hold.role, "manual")
