"""After-sales tickets (TKT-1..9): customers open and follow tickets; agents go on and off duty,
reply, note, transfer and escalate; provider admins see queues and reports; the operator sees
escalations. ticket_svc checks every ticket's tenant again (ORG-7)."""
from __future__ import annotations

import base64
import csv
import io
from datetime import UTC, datetime

from werkzeug.wrappers import Response

from gateway.api.tickets import (
    STAFF_FIELDS,
    STAFF_FILTERS,
    AgentDutyBody,
    AttachmentUpload,
    AttachmentView,
    CannedReply,
    CannedReplyQuery,
    ComplaintBody,
    CustomerTicketSummaryView,
    CustomerTicketView,
    DutyView,
    EntitlementBody,
    EntitlementView,
    EscalateBody,
    ExportQuery,
    MessageBody,
    OffDutyBody,
    OpenTicketBody,
    PriorityBody,
    RatingBody,
    ReportExportQuery,
    ReportQuery,
    ReportView,
    ReviewReplyBody,
    RosterEntry,
    ServiceHoursBody,
    ServiceHoursView,
    StatusBody,
    TicketPage,
    TicketQuery,
    TicketView,
    TransferBody,
    WordList,
)
from gateway.names import add_names, lookup
from gateway.web import attachment_response, content_disposition, json_response, read_json, read_query, route
from platform_contracts.roles import CUSTOMER_ROLE, PLATFORM_OPERATOR, PROVIDER_ADMIN, SUPPORT_AGENT
from platform_contracts.ticket import CUSTOMER_SIDE
from platform_kit.exceptions import ValidationFailed

AGENTS = (SUPPORT_AGENT, PROVIDER_ADMIN)
EXPORT_COLUMNS = ("id", "title", "category", "tier", "status", "priority_rank", "customer_org_id", "provider_id",
                  "assignee_id", "order_id", "complaint", "suspected", "breached", "escalated",
                  "first_response_seconds", "resolution_seconds", "rating", "opened_at", "resolved_at", "closed_at")
CUSTOMER_EXPORT_COLUMNS = tuple(c for c in EXPORT_COLUMNS if c not in STAFF_FIELDS)
CUSTOMER_ROW_FIELDS = frozenset(CustomerTicketSummaryView().fields)
CUSTOMER_TICKET_FIELDS = frozenset(CustomerTicketView().fields)
REPORT_COLUMNS = ("agent_id", "agent_name", "tickets", "backlog", "backlog_oldest_seconds", "first_response_median",
                  "first_response_p90", "first_response_p95", "resolution_median", "resolution_p90", "resolution_p95",
                  "breaches", "breached_tickets", "sla_achievement", "satisfaction", "ratings")


def _cell(value):
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return "" if value is None else value


def table_response(name: str, columns: tuple[str, ...], rows: list[dict], fmt: str) -> Response:
    """CSV (UTF-8 with BOM, so that Excel shows Chinese) or XLSX of the rows."""
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    if fmt == "xlsx":
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet(name)
        sheet.append(list(columns))
        for row in rows:
            sheet.append([_cell(row.get(c)) for c in columns])
        out = io.BytesIO()
        book.save(out)
        mimetype, body = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", out.getvalue()
    else:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_cell(row.get(c)) for c in columns])
        mimetype, body = "text/csv", ("\ufeff" + out.getvalue()).encode("utf-8")
    return attachment_response(body, mimetype, f"{name}-{stamp}.{fmt}")


TICKET_ORGS = {"provider_id": "provider_name", "customer_org_id": "customer_org_name"}
TICKET_USERS = {"assignee_id": "assignee_name"}


def named_page(services, page: dict) -> dict:
    """A page of tickets with the assignee, provider and customer by name (one identity call)."""
    add_names(services, page["items"], TICKET_ORGS, TICKET_USERS)
    return page


def named_ticket(services, ticket: dict) -> dict:
    """A ticket with its names, and `people` for the authors and actors it shows (only ids it carries)."""
    user_ids = {ticket.get("assignee_id"), ticket.get("customer_user_id")}
    user_ids.update(m.get("author_id") for m in ticket.get("messages") or [])
    # a log entry's detail may be the agent it went to (assigned, transferred): looked up like an actor
    user_ids.update(v for e in ticket.get("log") or [] for v in (e.get("actor"), e.get("detail")))
    org_names, user_names = lookup(services, (ticket.get(f) for f in TICKET_ORGS), user_ids)
    for field, name in TICKET_ORGS.items():
        ticket[name] = org_names.get(ticket.get(field))
    ticket["assignee_name"] = user_names.get(ticket.get("assignee_id"))
    ticket["people"] = user_names
    return ticket


def is_staff(actor) -> bool:
    """The platform operator, or a provider's support agent or admin: who may filter by staff fields."""
    return actor is not None and (actor.is_operator or actor.has_role(*AGENTS))


def customer_row(row: dict) -> bool:
    """Whether the caller reads this row as its customer: ticket_svc's one rule says so per row."""
    return row.get("your_side") == CUSTOMER_SIDE


def as_customer_row(row: dict) -> dict:
    """A list or export row as a customer may read it: only CustomerTicketSummaryView's fields."""
    return {k: v for k, v in row.items() if k in CUSTOMER_ROW_FIELDS}


def shaped_ticket(ticket: dict) -> dict:
    """One ticket as its reader may see it: a customer gets CustomerTicketView's fields, and names
    only of the people in the conversation it reads."""
    if ticket.get("your_side") != CUSTOMER_SIDE:
        return ticket
    shown = {ticket.get("customer_user_id")} | {m.get("author_id") for m in ticket.get("messages") or []}
    shaped = {k: v for k, v in ticket.items() if k in CUSTOMER_TICKET_FIELDS}
    shaped["people"] = {k: v for k, v in (ticket.get("people") or {}).items() if k in shown}
    return shaped


def staff_query(actor, query: dict) -> dict:
    """A list's filters as the caller may use them: staff filters are the staff's (400 naming each
    for anyone else), and an agent's staff filter reads its own provider's queue only; a customer's
    list is never ordered by the staff's priority."""
    used = [f for f in STAFF_FILTERS if query.get(f) is not None]
    if used and not is_staff(actor):
        raise ValidationFailed("Only the provider's support staff filter by these fields.",
                               {f: ["仅客服人员可用 / staff only"] for f in used})
    if used and not actor.is_operator:
        query = {**query, "provider_id": actor.org_id}
    if not is_staff(actor) and (query.get("sort") or "").lstrip("-") == "priority":
        query = {**query, "sort": "-opened_at"}
    return query


class TicketRoutes:
    # --- tickets ------------------------------------------------------------------------------

    @route("POST", "/api/v1/tickets", summary="Open an after-sales ticket", tags=("tickets",), body=OpenTicketBody,
           response=TicketView, status=201, errors=(404, 422))
    def open_ticket(self, request):
        """TKT-1. About your order (or project, or product): it goes to the provider delivering it, or the
        vendor when there is none, and to its least-loaded on-duty agent (TKT-2). A business-stopping
        category sorts first and wants a same-day resolution (TKT-4). Passwords and keys you paste are
        masked (TKT-9). Someone else's order answers 422 like an unknown one. The platform operator (an
        enterprise system) opening a ticket on a customer's behalf names `customer_org_id` and
        `customer_user_id` (422 without them); anyone else leaves them out."""
        body = read_json(request, OpenTicketBody())
        ticket = self.services.ticket.open_ticket(body)
        return json_response(shaped_ticket(named_ticket(self.services, ticket)), status=201)

    @route("GET", "/api/v1/tickets", summary="List the tickets you may see", tags=("tickets",), query=TicketQuery,
           response=TicketPage)
    def list_tickets(self, request):
        """Customers see their own tickets; a provider's agents and admin the provider's queue (filter
        `assignee_id`, `unassigned=true`); the operator all. Filters: status, tier, complaint, suspected,
        breached, escalated, customer, dates; `q` searches titles and customer messages (Chinese
        substrings work); sort by priority (default), opened_at, updated_at, status. For agents (and the
        operator) each row carries its SLA `timers` (due instant, paused while awaiting the customer,
        met, breached) and `next_due_at`, the nearest due instant, so a queue counts down without
        reading each ticket; customers get none (TKT-7). A customer's rows carry only what a customer
        may see (CustomerTicketSummaryView: no assignee, escalation, complaint suspicion, breaches,
        priority rank or service-level figures), newest first; the staff's filters (`suspected`,
        `breached`, `escalated`, `unassigned`, `assignee_id`) answer 400 naming each for a customer."""
        query = staff_query(request.actor, TicketQuery().dump(read_query(request, TicketQuery())))
        page = named_page(self.services, self.services.ticket.list_tickets(query))
        page["items"] = [as_customer_row(r) if customer_row(r) else r for r in page["items"]]
        return json_response(page)

    @route("GET", "/api/v1/tickets/export", summary="Export the ticket list as CSV or XLSX", tags=("tickets",),
           query=ExportQuery)
    def export_tickets(self, request):
        """The same filters as the list, up to 10,000 rows; `format=csv` (default) or `xlsx`. Answers a
        file (text/csv or the XLSX media type), not JSON. A customer's export has the customer's
        columns only (those of CustomerTicketSummaryView)."""
        query = staff_query(request.actor, ExportQuery().dump(read_query(request, ExportQuery())))
        fmt = query.pop("format")
        rows = [as_customer_row(r) if customer_row(r) else r
                for r in self.services.ticket.export_tickets(query)]
        columns = EXPORT_COLUMNS if is_staff(request.actor) else CUSTOMER_EXPORT_COLUMNS
        return table_response("tickets", columns, rows, fmt)

    @route("GET", "/api/v1/tickets/<ticket_id>", summary="One ticket with its conversation", tags=("tickets",),
           response=TicketView, errors=(404,))
    def get_ticket(self, request, ticket_id):
        """Customers see replies only, in CustomerTicketView's fields (none of the staff's: assignee,
        escalation, complaint suspicion, breaches, priority rank, timers, log); agents also see internal
        notes, the timers and the log (TKT-7)."""
        ticket = self.services.ticket.get_ticket(ticket_id)
        return json_response(shaped_ticket(named_ticket(self.services, ticket)))

    @route("POST", "/api/v1/tickets/<ticket_id>/messages", summary="Reply, or add an internal note",
           tags=("tickets",), body=MessageBody, response=TicketView, status=201, errors=(403, 404, 422))
    def post_ticket_message(self, request, ticket_id):
        """TKT-7. An agent's first reply meets the 15-minute target, a reply with `plan: true` the
        30-minute one; a reply after its target records the breach at the reply; a customer's
        message restarts the 4-service-hour reply timer and is checked for
        complaint signals (TKT-4) and secrets (TKT-9)."""
        body = read_json(request, MessageBody())
        ticket = self.services.ticket.post_message(ticket_id, body)
        return json_response(shaped_ticket(named_ticket(self.services, ticket)), status=201)

    @route("POST", "/api/v1/tickets/<ticket_id>/messages/<message_id>/review",
           summary="Release or reject a held reply", tags=("tickets",), body=ReviewReplyBody, response=TicketView,
           roles=(PROVIDER_ADMIN,), errors=(403, 404, 422))
    def review_ticket_reply(self, request, ticket_id, message_id):
        """Seed 001 section 4 forbids insulting customers: an agent's reply with abusive words is held
        (`kind: held`, unseen by the customer, meeting no timer) and the provider's admin is alerted. The
        admin releases it (`release: true`, optionally reworded in `body`), which sends it and meets the
        reply targets now, or rejects it: it stays an internal note and the agent is told."""
        ticket = self.services.ticket.review_reply(ticket_id, message_id, read_json(request, ReviewReplyBody()))
        return json_response(named_ticket(self.services, ticket))

    @route("POST", "/api/v1/tickets/<ticket_id>/attachments", summary="Upload an attachment", tags=("tickets",),
           body=AttachmentUpload, response=AttachmentView, status=201, errors=(404, 422))
    def upload_ticket_attachment(self, request, ticket_id):
        """TKT-7. At most 20 MB; images, PDF, text and logs, archives and Office files (pages, scripts
        and programs are refused, and an image or PDF must be one). The platform makes the key; send
        it in a message's `attachments` to attach the file (only you, only to this ticket, once)."""
        body = read_json(request, AttachmentUpload())
        return json_response(self.services.ticket.upload_attachment(ticket_id, body), status=201)

    @route("GET", "/api/v1/tickets/<ticket_id>/attachments/<attachment_id>", summary="Download an attachment",
           tags=("tickets",), errors=(404,))
    def download_ticket_attachment(self, request, ticket_id, attachment_id):
        """TKT-7. Whoever may see the message may download its files: a customer never those of an
        internal note (404, like a file that does not exist). Answers the file itself, as an attachment
        (`filename*` carries a Chinese name), never rendered by the browser (`nosniff`)."""
        item = self.services.ticket.download_attachment(ticket_id, attachment_id)
        return Response(base64.b64decode(item["content_base64"]), mimetype=item["content_type"],
                        headers={"Content-Disposition": content_disposition(item["name"]),
                                 "X-Content-Type-Options": "nosniff",
                                 "Content-Security-Policy": "default-src 'none'; sandbox"})

    @route("POST", "/api/v1/tickets/<ticket_id>/status", summary="Change a ticket's status", tags=("tickets",),
           body=StatusBody, response=TicketView, errors=(403, 404, 422))
    def change_ticket_status(self, request, ticket_id):
        """TKT-1. Agents: processing → awaiting_feedback / awaiting_confirmation (solved) / resolved.
        Customers: confirm (awaiting_confirmation → resolved), reopen (→ processing), close. An agent
        hands the ticket to the customer only after a public reply since the customer's last message
        (422 otherwise): send it as `reply` with the change, or post it first. Awaiting feedback pauses
        the reply and resolution timers, never the first-response and plan targets, which only a reply
        meets; after 2 working days the customer is reminded, after 7 the ticket awaits confirmation, 3
        more and it is resolved (TKT-6). Reopening a resolved ticket restarts its resolution target."""
        body = read_json(request, StatusBody())
        ticket = self.services.ticket.change_status(ticket_id, body)
        return json_response(shaped_ticket(named_ticket(self.services, ticket)))

    @route("POST", "/api/v1/tickets/<ticket_id>/complaint", summary="Complain about a ticket (投诉)",
           tags=("tickets",), body=ComplaintBody, response=TicketView, roles=(CUSTOMER_ROLE,), errors=(403, 404))
    def complain_about_ticket(self, request, ticket_id):
        """TKT-4. The provider's admin is alerted at once; complaints sort right after business-stopping tickets."""
        ticket = self.services.ticket.complain(ticket_id, read_json(request, ComplaintBody()))
        return json_response(shaped_ticket(named_ticket(self.services, ticket)))

    @route("POST", "/api/v1/tickets/<ticket_id>/rating", summary="Rate the service", tags=("tickets",),
           body=RatingBody, response=TicketView, roles=(CUSTOMER_ROLE,), errors=(403, 404, 422))
    def rate_ticket(self, request, ticket_id):
        """TKT-7. Once, when the ticket is resolved or closed; 1..5."""
        ticket = self.services.ticket.rate(ticket_id, read_json(request, RatingBody()))
        return json_response(shaped_ticket(named_ticket(self.services, ticket)))

    @route("POST", "/api/v1/tickets/<ticket_id>/transfer", summary="Transfer to another agent", tags=("tickets",),
           body=TransferBody, response=TicketView, roles=AGENTS, errors=(404, 409, 422))
    def transfer_ticket(self, request, ticket_id):
        """TKT-3. The note says what you found and what the next agent should do. An off-duty agent
        needs `confirm_off_duty: true` (409 otherwise) and is told."""
        ticket = self.services.ticket.transfer(ticket_id, read_json(request, TransferBody()))
        return json_response(shaped_ticket(named_ticket(self.services, ticket)))

    @route("POST", "/api/v1/tickets/<ticket_id>/priority", summary="Re-prioritise: the tier or the category",
           tags=("tickets",), body=PriorityBody, response=TicketView, roles=AGENTS, errors=(404, 422))
    def reprioritise_ticket(self, request, ticket_id):
        """TKT-4, TKT-8. The provider's agent corrects the severity tier (P0..P3, or null) or the
        category; the response and resolution targets, the clock they run on (P0/P1 7x24) and their
        deadlines move with it, counting the service time already used. A business-stopping category
        starts a same-day target. A closed or resolved ticket answers 422."""
        ticket = self.services.ticket.reprioritise(ticket_id, read_json(request, PriorityBody()))
        return json_response(shaped_ticket(named_ticket(self.services, ticket)))

    @route("POST", "/api/v1/tickets/<ticket_id>/escalate", summary="Escalate to the platform's support",
           tags=("tickets",), body=EscalateBody, response=TicketView, roles=AGENTS, errors=(404, 422))
    def escalate_ticket(self, request, ticket_id):
        """TKT-3. With a note saying what the platform should solve; the ticket joins the operator's queue."""
        ticket = self.services.ticket.escalate(ticket_id, read_json(request, EscalateBody()))
        return json_response(shaped_ticket(named_ticket(self.services, ticket)))

    @route("POST", "/api/v1/tickets/<ticket_id>/hand-back", summary="Hand an escalation back to the provider",
           tags=("tickets",), body=EscalateBody, response=TicketView, roles=(PLATFORM_OPERATOR,), errors=(404, 422))
    def hand_back_ticket(self, request, ticket_id):
        """TKT-3. The platform's support returns an escalated ticket to the provider with a note (what it
        did, what is left); the provider's agent is told. The platform's replies on an escalated ticket
        reach the customer but are not the provider's: they meet none of the provider's targets."""
        ticket = self.services.ticket.hand_back(ticket_id, read_json(request, EscalateBody()))
        return json_response(named_ticket(self.services, ticket))

    @route("GET", "/api/v1/ticket-escalations", summary="The operator's queue of escalated tickets",
           tags=("tickets",), query=TicketQuery, response=TicketPage, roles=(PLATFORM_OPERATOR,))
    def ticket_escalations(self, request):
        query = TicketQuery().dump(read_query(request, TicketQuery()))
        return json_response(named_page(self.services, self.services.ticket.escalation_queue(query)))

    # --- agents ------------------------------------------------------------------------------

    @route("POST", "/api/v1/support-duty/on", summary="Go on duty", tags=("tickets",), response=DutyView,
           roles=AGENTS)
    def support_go_on_duty(self, request):
        """TKT-2. Your provider's unassigned tickets are handed out at once, least-loaded first."""
        return json_response(self.services.ticket.go_on_duty())

    @route("POST", "/api/v1/support-duty/off", summary="Go off duty", tags=("tickets",), body=OffDutyBody,
           response=DutyView, roles=AGENTS, errors=(409,))
    def support_go_off_duty(self, request):
        """TKT-2. With open tickets, hand them over (`handover_to` + `note`) or `return_to_queue`; 409 otherwise.
        A colleague who is off duty needs `confirm_off_duty: true` (409 otherwise) and is told (TKT-3)."""
        return json_response(self.services.ticket.go_off_duty(read_json(request, OffDutyBody())))

    @route("PUT", "/api/v1/support-duty/<user_id>", summary="Put an agent on or off duty", tags=("tickets",),
           body=AgentDutyBody, response=DutyView, roles=(PROVIDER_ADMIN,), errors=(400, 403, 422))
    def set_support_agent_duty(self, request, user_id):
        """TKT-2. The lead (your provider's admin) sets an agent's duty. On: your unassigned tickets are
        handed out. Off: the agent's open tickets go back to the queue (the other on-duty agents, else
        unassigned). Another organisation's user answers 400 naming `to_agent_id`."""
        return json_response(self.services.ticket.set_agent_duty(user_id, read_json(request, AgentDutyBody())))

    @route("GET", "/api/v1/support-duty", summary="Who of your provider is on duty", tags=("tickets",),
           response=RosterEntry, many=True, roles=AGENTS)
    def support_duty_roster(self, request):
        return json_response(add_names(self.services, self.services.ticket.duty_roster(), {}, {"user_id": "user_name"}))

    @route("GET", "/api/v1/support-entitlements", summary="Your customers' service tiers", tags=("tickets",),
           response=EntitlementView, many=True, roles=(PROVIDER_ADMIN,))
    def list_support_entitlements(self, request):
        """TKT-8. The tiers of your service contracts: per product, per customer, or a customer on a product."""
        return json_response(self.services.ticket.entitlements())

    @route("PUT", "/api/v1/support-entitlements", summary="Set a customer's or a product's service tier",
           tags=("tickets",), body=EntitlementBody, response=EntitlementView, roles=(PROVIDER_ADMIN,), errors=(422,))
    def set_support_entitlement(self, request):
        """TKT-8. A ticket gets the tier of the most specific contract (customer on product, then customer,
        then product); without one it is ordinary after-sales. `tier: null` removes the contract. A
        customer asking for a higher tier on a ticket is a request (`requested_tier`) that an agent
        grants or declines with `POST /tickets/{id}/priority`. Applies to tickets opened from now on."""
        return json_response(self.services.ticket.set_entitlement(read_json(request, EntitlementBody())))

    @route("GET", "/api/v1/service-hours", summary="Your provider's service hours", tags=("tickets",),
           response=ServiceHoursView, roles=AGENTS)
    def get_support_service_hours(self, request):
        return json_response(self.services.ticket.get_service_hours())

    @route("PUT", "/api/v1/service-hours", summary="Set your provider's service hours", tags=("tickets",),
           body=ServiceHoursBody, response=ServiceHoursView, roles=(PROVIDER_ADMIN,), errors=(422,))
    def set_support_service_hours(self, request):
        """TKT-2. At least 09:00-18:00 on working days; longer hours, `every_day`, or 00:00-00:00 every
        day for 7x24 (422 otherwise: an end before the start, or less than 09:00-18:00). Every open
        ticket's deadlines move with them, in the background within seconds (`rescheduled` counts them)."""
        return json_response(self.services.ticket.set_service_hours(
            ServiceHoursBody().dump(read_json(request, ServiceHoursBody()))))

    @route("GET", "/api/v1/canned-replies", summary="Canned replies", tags=("tickets",), response=CannedReply,
           many=True, roles=AGENTS, query=CannedReplyQuery, errors=(404,))
    def list_canned_replies(self, request):
        """TKT-7. The reply samples of the ticket guide (unless your provider has its own under the same
        key), then your provider's own. Bodies may use `{{ticket_number}}`, `{{title}}`,
        `{{customer_name}}` and `{{agent_name}}`; with `ticket_id` they come filled in for that ticket."""
        query = CannedReplyQuery().dump(read_query(request, CannedReplyQuery()))
        return json_response(self.services.ticket.canned_replies(query.get("ticket_id")))

    @route("PUT", "/api/v1/canned-replies/<reply_id>", summary="Edit a canned reply", tags=("tickets",),
           body=CannedReply, response=CannedReply, roles=AGENTS, errors=(404,))
    def update_canned_reply(self, request, reply_id):
        """TKT-7. Your provider's own replies; a guide sample is replaced by adding one under its key."""
        return json_response(self.services.ticket.update_canned_reply(reply_id, read_json(request, CannedReply())))

    @route("DELETE", "/api/v1/canned-replies/<reply_id>", summary="Delete a canned reply", tags=("tickets",),
           roles=AGENTS, errors=(404,))
    def delete_canned_reply(self, request, reply_id):
        return json_response(self.services.ticket.delete_canned_reply(reply_id))

    @route("POST", "/api/v1/canned-replies", summary="Add a canned reply", tags=("tickets",), body=CannedReply,
           response=CannedReply, status=201, roles=AGENTS)
    def add_canned_reply(self, request):
        return json_response(self.services.ticket.add_canned_reply(read_json(request, CannedReply())), status=201)

    @route("GET", "/api/v1/abusive-words", summary="The abusive-word list of complaint detection",
           tags=("tickets",), response=WordList, roles=(PLATFORM_OPERATOR,))
    def get_abusive_words(self, request):
        return json_response(self.services.ticket.abusive_words())

    @route("PUT", "/api/v1/abusive-words", summary="Replace the abusive-word list", tags=("tickets",),
           body=WordList, response=WordList, roles=(PLATFORM_OPERATOR,))
    def set_abusive_words(self, request):
        """TKT-4. Chinese and English; English words match whole words only."""
        return json_response(self.services.ticket.set_abusive_words(read_json(request, WordList())))

    # --- reports -----------------------------------------------------------------------------

    @route("GET", "/api/v1/ticket-reports", summary="Service figures of a provider", tags=("tickets",),
           query=ReportQuery, response=ReportView, roles=(PROVIDER_ADMIN, PLATFORM_OPERATOR), errors=(403, 422))
    def ticket_report(self, request):
        """TKT-5. Over tickets opened in the period: first-response and resolution times in service
        seconds (median, 90th percentile), breaches, satisfaction and backlog, in total and per agent.
        The operator names `provider_id` (422 without it)."""
        result = self.services.ticket.report(ReportQuery().dump(read_query(request, ReportQuery())))
        add_names(self.services, result["agents"], {}, {"agent_id": "agent_name"})
        return json_response(result)

    @route("GET", "/api/v1/ticket-reports/export", summary="Export the service figures as CSV or XLSX",
           tags=("tickets",), query=ReportExportQuery, roles=(PROVIDER_ADMIN, PLATFORM_OPERATOR), errors=(403, 422))
    def export_ticket_report(self, request):
        """One row per agent and a last row `total`; answers a file, not JSON. The operator names
        `provider_id` (422 without it)."""
        query = ReportExportQuery().dump(read_query(request, ReportExportQuery()))
        fmt = query.pop("format")
        result = self.services.ticket.report(query)
        add_names(self.services, result["agents"], {}, {"agent_id": "agent_name"})
        rows = [*result["agents"], {"agent_id": "total", **result["total"]}]
        return table_response("ticket-report", REPORT_COLUMNS, rows, fmt)
