"""TKT-7, ORG-7: a customer's ticket, list row and export carry only what a customer may see, and
the staff's filters are the staff's (the gateway's customer shapes, without a stack)."""
import pytest

from gateway.api.tickets import STAFF_FIELDS, CustomerTicketSummaryView, CustomerTicketView
from gateway.routes.tickets import CUSTOMER_EXPORT_COLUMNS, as_customer_row, customer_row, shaped_ticket, staff_query
from platform_contracts.actor import Actor
from platform_kit.exceptions import ValidationFailed

CUSTOMER = Actor("c-user", "cust-org", "customer", ("customer",))
AGENT = Actor("agent", "prov-org", "isv", ("support_agent",))
OPERATOR = Actor("op", "platform", "operator", ("platform_operator",))
ROW = {"id": "t1", "title": "down", "status": "processing", "customer_org_id": "cust-org", "provider_id": "prov-org",
       "customer_user_id": "c-user", "assignee_id": "agent", "assignee_name": "Li", "escalated": False,
       "suspected": ["repeated_question"], "breached": ["first_response"], "priority_rank": 3,
       "first_response_seconds": 60, "resolution_seconds": None, "next_due_at": None, "timers": [],
       "internal_flag_added_later": True}


def test_TKT7_the_customer_shapes_name_no_staff_field():
    for schema in (CustomerTicketSummaryView(), CustomerTicketView()):
        assert not set(schema.fields) & set(STAFF_FIELDS)
    assert not set(CUSTOMER_EXPORT_COLUMNS) & set(STAFF_FIELDS) and "id" in CUSTOMER_EXPORT_COLUMNS


def test_TKT7_a_customers_row_and_ticket_keep_only_the_customers_fields_whatever_the_service_adds():
    # ticket_svc names each row's side for its reader (side_of, its one rule); the gateway shapes by it
    assert customer_row({**ROW, "your_side": "customer"}) and not customer_row({**ROW, "your_side": "agent"}) \
        and not customer_row({**ROW, "your_side": "observer"})
    row = as_customer_row(ROW)
    assert row["id"] == "t1" and not set(row) & {*STAFF_FIELDS, "internal_flag_added_later"}
    ticket = shaped_ticket({**ROW, "your_side": "customer", "log": [{"actor": "agent"}],
                            "messages": [{"author_id": "c-user", "body": "hi"}],
                            "people": {"c-user": "Buyer", "agent": "Li", "other-agent": "Wang"}})
    assert not set(ticket) & {*STAFF_FIELDS, "internal_flag_added_later"}
    assert ticket["people"] == {"c-user": "Buyer"} and ticket["messages"][0]["body"] == "hi"
    assert shaped_ticket({**ROW, "your_side": "agent"})["suspected"] == ["repeated_question"]


@pytest.mark.parametrize("flag", ["suspected", "breached", "escalated", "unassigned", "assignee_id"])
def test_TKT4_the_staffs_filters_answer_400_naming_the_field_for_a_customer(flag):
    with pytest.raises(ValidationFailed) as refused:
        staff_query(CUSTOMER, {flag: True, "sort": "priority"})
    assert set(refused.value.fields) == {flag}
    assert staff_query(AGENT, {flag: True})["provider_id"] == "prov-org", "an agent reads its own queue"
    assert "provider_id" not in staff_query(OPERATOR, {flag: True})


def test_TKT4_a_customers_list_is_never_ordered_by_the_staffs_priority():
    assert staff_query(CUSTOMER, {"sort": "priority"})["sort"] == "-opened_at"
    assert staff_query(CUSTOMER, {"sort": "opened_at"})["sort"] == "opened_at"
    assert staff_query(AGENT, {"sort": "priority"})["sort"] == "priority"
