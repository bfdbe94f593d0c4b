"""In-memory repositories for handler tests (the same methods as adapters/repository.py)."""
from __future__ import annotations

import copy

from platform_kit.testing import FakeUnitOfWork
from ticket_svc.domain.assignment import AgentLoad
from ticket_svc.domain.canned import DEFAULT_CANNED_REPLIES
from ticket_svc.domain.model import OPEN_STATUSES
from ticket_svc.domain.reports import TicketFigures


class FakeTickets:
    def __init__(self):
        self.rows = {}
        self.uploads = {}
        self.numbers = 0

    def next_number(self, year):
        self.numbers += 1
        return f"T-{year}-{self.numbers:06d}"

    def id_of_number(self, number):
        return next((t.id for t in self.rows.values() if t.number == number), None)

    def add(self, ticket):
        self.rows[ticket.id] = copy.deepcopy(ticket)

    def get(self, ticket_id, *, for_update=False, conversation=True):
        ticket = self.rows.get(ticket_id)
        return copy.deepcopy(ticket) if ticket else None

    def save(self, ticket):
        self.rows[ticket.id] = copy.deepcopy(ticket)

    def list(self, *, scope, escalated=None, status=None, limit=50, offset=0, dues_kind=None, **_):
        items = [t for t in self.rows.values()
                 if (scope.everything or t.provider_id == scope.provider_of or t.customer_org_id == scope.customer_of
                     or (scope.vendor_of is not None and t.vendor_id == scope.vendor_of))
                 and (escalated is None or t.escalated == escalated) and (status is None or t.status == status)]
        # the due instants of the ticket's deadlines of that kind, as the unit of work committed them
        scheduled = self.uow.deadlines if dues_kind else {}
        return [(copy.deepcopy(t), {key.split(":", 1)[1]: due for (kind, key), (due, _) in scheduled.items()
                                    if kind == dues_kind and key.startswith(f"{t.id}:")})
                for t in items[offset:offset + limit]], len(items)

    def add_upload(self, upload):
        self.uploads[upload["key"]] = dict(upload)

    def upload(self, key):
        return self.uploads.get(key)

    def attach_upload(self, key, message_id):
        self.uploads[key]["message_id"] = message_id

    def unassigned(self, provider_id):
        return sorted((copy.deepcopy(t) for t in self.rows.values()
                       if t.provider_id == provider_id and t.assignee_id is None and t.status in OPEN_STATUSES),
                      key=lambda t: (t.priority_rank, t.opened_at))

    def open_assigned_to(self, user_id, *, for_update=False):
        return [copy.deepcopy(t) for t in self.rows.values() if t.assignee_id == user_id and t.status in OPEN_STATUSES]

    def open_tickets(self, provider_id=None, *, due_from=None, kinds=()):
        # every open ticket: the handler itself leaves deadlines before ``due_from`` alone
        return [copy.deepcopy(t) for t in self.rows.values()
                if t.status in OPEN_STATUSES and provider_id in (None, t.provider_id)]

    def open_count_of(self, provider_id):
        return len(self.open_tickets(provider_id))

    def providers_with_open_tickets(self):
        return sorted({t.provider_id for t in self.rows.values() if t.status in OPEN_STATUSES})

    def open_count(self, user_id):
        return len(self.open_assigned_to(user_id))

    def figures(self, provider_id, opened_from, opened_to):
        return [TicketFigures(t.assignee_id, t.status in OPEN_STATUSES, t.first_response_seconds,
                              t.resolution_seconds, len(t.breached), t.rating, t.opened_at)
                for t in self.rows.values() if t.provider_id == provider_id]


class FakePeople:
    def __init__(self, tickets: FakeTickets):
        self.users, self.orgs, self.duty = {}, {}, {}
        self.tickets = tickets

    def upsert_user(self, data):
        self.users[data["user_id"]] = dict(data)

    def upsert_org(self, org_id, name, kind):
        self.orgs[org_id] = {"org_id": org_id, "name": name, "kind": kind}

    def user(self, user_id):
        return self.users.get(user_id)

    def user_by_email(self, email):
        return next((u for u in self.users.values() if (u.get("email") or "").lower() == email.lower()
                     and u["active"]), None)

    def operator_org_ids(self):
        return [o for o, row in self.orgs.items() if row["kind"] == "operator"]

    def set_duty(self, user_id, org_id, on, now):
        self.duty[user_id] = (org_id, on, now)

    def is_on_duty(self, user_id):
        return self.duty.get(user_id, (None, False, None))[1]

    def duty_of(self, provider_id):
        return [{"user_id": u, "on_duty": on, "since": since} for u, (org, on, since) in sorted(self.duty.items())
                if org == provider_id]

    def agents_of(self, provider_id):
        return sorted((u for u in self.users.values() if u["org_id"] == provider_id and u["active"]
                       and "support_agent" in u["roles"]), key=lambda u: u["user_id"])

    def agent_loads(self, provider_id):
        return [AgentLoad(u, on, since, self.tickets.open_count(u))
                for u, (org, on, since) in self.duty.items() if org == provider_id]


class FakeSubjects:
    def __init__(self):
        self.projects = {}

    def orders_of(self, customer_id):
        return sorted(p["order_id"] for p in self.projects.values() if p["customer_id"] == customer_id)

    def upsert_project(self, project_id, order_id, product_id, vendor_id, customer_id):
        self.projects.setdefault(project_id, {"project_id": project_id, "order_id": order_id, "product_id": product_id,
                                              "vendor_id": vendor_id, "customer_id": customer_id, "provider_id": None})

    def set_provider(self, project_id, provider_id, product_id):
        self.projects.setdefault(project_id, {"project_id": project_id, "order_id": None, "product_id": product_id,
                                              "vendor_id": None, "customer_id": None})["provider_id"] = provider_id

    def get(self, project_id):
        return self.projects.get(project_id)

    def by_order(self, order_id):
        return next((p for p in self.projects.values() if p["order_id"] == order_id), None)

    def vendor_of_product(self, product_id):
        return next((p["vendor_id"] for p in self.projects.values() if p["product_id"] == product_id), None)


class FakeSettings:
    def __init__(self):
        self.days, self.hours, self.words, self.canned = {}, {}, [], []
        self.contracts = {}

    def calendar_overrides(self):
        return list(self.days.values())

    def set_calendar_day(self, entry, day):
        if entry is None:
            self.days.pop(day, None)
        else:
            self.days[day] = entry

    def service_hours(self, provider_id):
        return self.hours.get(provider_id)

    def set_service_hours(self, provider_id, hours):
        self.hours[provider_id] = hours

    def abusive_words(self):
        return tuple(self.words)

    def set_abusive_words(self, words):
        self.words = list(words)

    def entitlements(self, provider_id):
        return [c for c in self.contracts.values() if c.provider_id == provider_id]

    def set_entitlement(self, contract):
        self.contracts[(contract.provider_id, contract.customer_org_id, contract.product_id)] = contract

    def remove_entitlement(self, provider_id, customer_org_id, product_id):
        self.contracts.pop((provider_id, customer_org_id, product_id), None)

    def canned_replies(self, provider_id):
        own = [r for r in self.canned if r["provider_id"] == provider_id]
        mine = {r["key"] for r in own}
        return [{"id": key, "provider_id": None, "key": key, "body": body} for key, body in DEFAULT_CANNED_REPLIES
                if key not in mine] + own

    def add_canned_reply(self, reply):
        self.canned.append(reply)

    def update_canned_reply(self, reply_id, provider_id, key, body):
        for reply in self.canned:
            if reply["id"] == reply_id and reply["provider_id"] == provider_id:
                reply.update(key=key, body=body)
                return dict(reply)
        return None

    def delete_canned_reply(self, reply_id, provider_id):
        before = len(self.canned)
        self.canned = [r for r in self.canned if not (r["id"] == reply_id and r["provider_id"] == provider_id)]
        return len(self.canned) < before


def fake_uow() -> FakeUnitOfWork:
    tickets = FakeTickets()
    uow = FakeUnitOfWork("ticket", tickets=tickets, people=FakePeople(tickets), subjects=FakeSubjects(),
                         settings=FakeSettings())
    tickets.uow = uow
    return uow
