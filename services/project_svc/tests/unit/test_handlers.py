"""PRJ-1..9 use cases against a fake unit of work: events, deadlines, refusals that change nothing."""
import copy
import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from platform_contracts.actor import Actor
from platform_contracts.roles import CUSTOMER, ISV, PROVIDER_ADMIN, VENDOR_ADMIN
from platform_kit.exceptions import ValidationFailed
from platform_kit.testing import FakeUnitOfWork
from platform_kit.workcal import default_calendar
from project_svc import handlers
from project_svc.exceptions import (
    CustomerNotNamed,
    NotYourTurn,
    OrderIdConflict,
    ProjectNotFound,
    RequirementsInvalid,
    UnknownProduct,
)

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
FORM = {"id": "f", "name": "Needs", "fields": [{"key": "site", "label": "Site", "type": "text", "required": True},
                                                {"key": "users", "label": "Users", "type": "number"}]}
NODES = [
    {"key": "assign", "kind": "assign_provider", "name": "Assign provider"},
    {"key": "req", "kind": "submit_requirements", "name": "Requirements", "settings": {"form": FORM}},
    {"key": "work", "kind": "generic", "name": "Work", "settings": {"side": "provider", "upload_enabled": True}},
    {"key": "ok", "kind": "confirm", "name": "Confirm", "settings": {"side": "customer", "timeout_days": 2},
     "reminders": [{"trigger": "timeout", "receivers": ["customer"], "message_template": "late"}]},
    {"key": "done", "kind": "complete_project", "name": "Complete"},
]
VENDOR = Actor("vendor-user", "vendor-org", ISV, (VENDOR_ADMIN,))
PROVIDER = Actor("prov-admin", "prov-org", ISV, (PROVIDER_ADMIN,))
BUYER = Actor("cust-user", "cust-org", CUSTOMER, ("customer",))
STRANGER = Actor("x", "other-org", CUSTOMER, ("customer",))


class FakeProjects:
    def __init__(self):
        self.saved = {}
        self.claimed = set()

    def add_if_new(self, project):
        if any(p.order_id == project.order_id for p in self.saved.values()):
            return False
        self.saved[project.id] = copy.deepcopy(project)
        return True

    def get(self, project_id, *, for_update=False):
        project = self.saved.get(project_id)
        return copy.deepcopy(project) if project else None

    def claim_and_lock(self, event, handler, project_id):
        key = (event["event_id"], handler)
        if key in self.claimed:
            return False, None
        self.claimed.add(key)
        return True, self.get(project_id, for_update=True)

    def by_order(self, order_id):
        return next((copy.deepcopy(p) for p in self.saved.values() if p.order_id == order_id), None)

    def save(self, project):
        self.saved[project.id] = copy.deepcopy(project)


class FakeProducts:
    def __init__(self):
        self.flows = {}

    def upsert(self, data):
        self.flows[data["product_id"]] = dict(data)

    def get(self, product_id):
        return self.flows.get(product_id)


class FakeCalendar:
    def calendar(self):
        return default_calendar()

    def set_day(self, *args):
        pass


class FakeRecords:
    def __init__(self):
        self.items = []

    def add_record(self, **values):
        self.items.append(values)
        return values

    def records(self, project_id, kinds):
        return [r for r in self.items if r["project_id"] == project_id and r.get("kind") in kinds]

    def record(self, record_id):
        return next((r for r in self.items if r["id"] == record_id), None)

    def files(self, project_id):
        return [r for r in self.items if r["project_id"] == project_id and "kind" not in r]

    def add_file(self, **values):
        self.items.append(values)
        return values

    def file(self, project_id, file_id):
        return next((f for f in self.files(project_id) if f["id"] == file_id), None)


class FakeReads:
    """The read path over the fakes above: the project, its records and files."""

    def __init__(self, projects, records):
        self.projects, self.records = projects, records

    def project(self, project_id):
        project = self.projects.get(project_id)
        if project is None:
            return None
        return SimpleNamespace(project=project, records=self.records.records(project_id, ("message", "note")),
                               files=self.records.files(project_id))


class FakeSaturation:
    def provider_count(self, product_id):
        return 2


class FakeOrganisations(dict):
    def upsert(self, org_id, name):
        self[org_id] = name


def new_uow():
    projects, records = FakeProjects(), FakeRecords()
    return FakeUnitOfWork("project", projects=projects, products=FakeProducts(), calendar=FakeCalendar(),
                          records=records, saturation=FakeSaturation(), reads=FakeReads(projects, records),
                          organisations=FakeOrganisations())


def bound(uow, product_id="prod"):
    handlers.product_template_bound(
        {"event_id": str(uuid.uuid4())},
        {"product_id": product_id, "vendor_id": "vendor-org", "product_code": "ERP", "product_name": "ERP install",
         "template_id": "t", "template_name": "T", "template_version": 3, "nodes": NODES}, uow)


def purchased(uow):
    bound(uow)
    project, _ = handlers.create_from_purchase({"order_id": f"o-{uuid.uuid4()}", "product_id": "prod",
                                                "customer_id": "cust-org"}, uow, NOW)
    handlers.provider_assigned({"event_id": str(uuid.uuid4())},
                               {"project_id": project.id, "provider_id": "prov-org", "node_key": "assign", "round": 1},
                               uow)
    return project.id


def test_PRJ1_a_purchase_runs_on_the_bound_flow_kept_from_template_events_without_an_rpc():
    uow = new_uow()
    bound(uow)
    project, created = handlers.create_from_purchase({"order_id": "o1", "product_id": "prod",
                                                      "customer_id": "cust-org"}, uow, NOW)
    assert created and project.template_version == 3 and project.product_code == "ERP"
    assert uow.event_types() == ["project_created", "node_reached"]
    again, created = handlers.create_from_purchase({"order_id": "o1", "product_id": "prod",
                                                    "customer_id": "cust-org"}, uow, NOW)
    assert not created and again.id == project.id and uow.commits == 2


def test_PRJ1_the_same_order_id_with_another_product_or_customer_is_a_conflict_naming_it():
    uow = new_uow()
    bound(uow)
    bound(uow, "prod-2")
    handlers.create_from_purchase({"order_id": "o1", "product_id": "prod", "customer_id": "cust-org"}, uow, NOW)
    with pytest.raises(OrderIdConflict) as other_product:
        handlers.create_from_purchase({"order_id": "o1", "product_id": "prod-2", "customer_id": "cust-org"}, uow, NOW)
    assert other_product.value.status == 409 and other_product.value.fields == {
        "order_id": ["already used with another product"]}
    with pytest.raises(OrderIdConflict) as other_buyer:
        handlers.create_from_purchase({"order_id": "o1", "product_id": "prod", "customer_id": "else"}, uow, NOW)
    assert other_buyer.value.fields == {"order_id": ["already used with another customer"]}


@pytest.mark.parametrize("blank", [" ", "\u3000", "\t \u3000"])
def test_PRJ1_a_blank_order_id_is_refused_naming_the_field(blank):
    from platform_kit.validation import load
    from project_svc.schemas import PurchaseSchema
    with pytest.raises(ValidationFailed) as refused:
        load(PurchaseSchema(), {"order_id": blank, "product_id": "prod", "customer_id": "c"})
    assert "order_id" in refused.value.fields


@pytest.mark.parametrize("note", [None, "", "  \u3000"])
def test_PRJ5_PRJ8_pause_and_change_of_provider_need_a_note(note):
    from platform_kit.validation import load
    from project_svc.schemas import ProjectRequiredNoteSchema
    with pytest.raises(ValidationFailed) as refused:
        load(ProjectRequiredNoteSchema(), {} if note is None else {"note": note})
    assert "note" in refused.value.fields


def test_PRJ1_a_purchase_of_a_product_without_a_bound_flow_is_refused_clearly():
    with pytest.raises(UnknownProduct) as refused:
        handlers.create_from_purchase({"order_id": "o", "product_id": "nope", "customer_id": "c"}, new_uow(), NOW)
    assert "product_id" in refused.value.fields


def test_TPL6_a_submission_with_missing_and_mistyped_fields_names_each_and_commits_nothing():
    uow = new_uow()
    project_id = purchased(uow)
    committed = uow.commits
    with pytest.raises(RequirementsInvalid) as refused:
        handlers.act(project_id, "submit_requirements", {"node_key": "req", "data": {"users": "many"}}, BUYER, uow)
    assert set(refused.value.fields) == {"site", "users"} and uow.commits == committed
    assert uow.projects.saved[project_id].current_node["key"] == "req"
    handlers.act(project_id, "submit_requirements", {"node_key": "req", "data": {"site": "Beijing", "users": 10}},
                 BUYER, uow)
    assert uow.projects.saved[project_id].submissions["req"] == {"site": "Beijing", "users": 10}
    assert uow.events_of("node_completed")[-1]["by"] == "cust-user"


def test_ORG7_another_tenant_acting_gets_not_found_and_the_wrong_role_gets_forbidden():
    uow = new_uow()
    project_id = purchased(uow)
    with pytest.raises(ProjectNotFound):
        handlers.act(project_id, "submit_requirements", {"node_key": "req", "data": {"site": "x"}}, STRANGER, uow)
    with pytest.raises(NotYourTurn):
        handlers.act(project_id, "submit_requirements", {"node_key": "req", "data": {"site": "x"}}, PROVIDER, uow)


def test_PRJ4_reaching_a_timed_node_schedules_its_deadline_and_pause_resume_move_it():
    uow = new_uow()
    project_id = purchased(uow)
    handlers.act(project_id, "submit_requirements", {"node_key": "req", "data": {"site": "x"}}, BUYER, uow, NOW)
    handlers.act(project_id, "confirm", {"node_key": "work"}, PROVIDER, uow, NOW)
    due, payload = uow.deadlines[(handlers.NODE_TIMEOUT, project_id)]
    assert due == datetime(2026, 11, 25, 2, 0, tzinfo=UTC) and payload == {"node_key": "ok", "round": 1}
    handlers.act(project_id, "pause", {"note": "wait"}, PROVIDER, uow, NOW + timedelta(days=1))
    assert (handlers.NODE_TIMEOUT, project_id) not in uow.deadlines
    handlers.act(project_id, "resume", {"note": "go"}, PROVIDER, uow, datetime(2026, 11, 30, 2, 0, tzinfo=UTC))
    assert uow.deadlines[(handlers.NODE_TIMEOUT, project_id)][0] == datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    assert {"project_paused", "project_resumed"} <= set(uow.event_types())


def test_PRJ3_a_fired_deadline_marks_the_customer_side_late_and_sends_the_timeout_reminder_once():
    uow = new_uow()
    project_id = purchased(uow)
    handlers.act(project_id, "submit_requirements", {"node_key": "req", "data": {"site": "x"}}, BUYER, uow, NOW)
    handlers.act(project_id, "confirm", {"node_key": "work"}, PROVIDER, uow, NOW)
    due, payload = uow.deadlines[(handlers.NODE_TIMEOUT, project_id)]
    handlers.node_timeout(project_id, payload, uow, due)
    handlers.node_timeout(project_id, payload, uow, due + timedelta(minutes=1))
    project = uow.projects.saved[project_id]
    assert (project.late_side, project.late_since) == ("customer", due)
    assert [r["trigger"] for r in uow.events_of("reminder_due")] == ["timeout"]


def test_PRJ7_a_message_retried_under_its_operation_id_is_added_once():
    uow = new_uow()
    project_id = purchased(uow)
    first = handlers.add_record(project_id, "message", "hello", BUYER, uow, record_id="m-key-1")
    again = handlers.add_record(project_id, "message", "hello", BUYER, uow, record_id="m-key-1")
    assert again["id"] == first["id"] == "m-key-1"
    assert [m["body"] for m in handlers.list_records(project_id, "message", BUYER, uow)] == ["hello"]


def test_PRJ7_notes_are_never_listed_for_the_customer_and_messages_stop_when_the_project_closes():
    uow = new_uow()
    project_id = purchased(uow)
    handlers.add_record(project_id, "note", "internal", PROVIDER, uow)
    handlers.add_record(project_id, "message", "hello", BUYER, uow)
    with pytest.raises(NotYourTurn):
        handlers.add_record(project_id, "note", "x", BUYER, uow)
    with pytest.raises(ProjectNotFound):
        handlers.list_records(project_id, "note", BUYER, uow)
    view = handlers.get_project(project_id, BUYER, uow)
    assert view["notes"] == [] and [m["body"] for m in view["messages"]] == ["hello"]
    assert [n["body"] for n in handlers.get_project(project_id, VENDOR, uow)["notes"]] == ["internal"]
    handlers.act(project_id, "cancel", {"reason": "refund"}, VENDOR, uow)
    assert uow.events_of("project_cancelled")[0]["reason"] == "refund"
    with pytest.raises(Exception, match="cancelled"):
        handlers.add_record(project_id, "message", "late", BUYER, uow)


def test_PRJ5_change_of_provider_emits_the_change_and_a_new_assign_provider_round():
    uow = new_uow()
    project_id = purchased(uow)
    handlers.act(project_id, "change_provider", {"note": "slow"}, VENDOR, uow)
    changed = uow.events_of("project_provider_changed")[0]
    assert changed["old_provider_id"] == "prov-org" and changed["round"] == 2
    reached = uow.events_of("node_reached")[-1]
    assert reached["node_kind"] == "assign_provider" and reached["round"] == 2


def test_PRJ1_the_marketplace_names_the_customer_and_everyone_else_buys_for_itself():
    assert handlers.purchase_for(VENDOR, {"order_id": "o", "product_id": "p", "customer_id": "x"})["customer_id"] \
        == "vendor-org"
    assert handlers.purchase_for(VENDOR, {"order_id": "o", "product_id": "p", "customer_id": None})["customer_id"] \
        == "vendor-org"


def test_ORG5_PRJ2_purchased_services_and_my_projects_narrow_the_list_to_the_caller():
    engineer = Actor("eng-1", "prov-org", ISV, ("engineer",))
    scope, query = handlers.list_filters({"as_customer": True}, PROVIDER)
    assert scope.customer_of == "prov-org" and scope.provider_of is None and scope.vendor_of is None
    scope, query = handlers.list_filters({"mine": "waiting"}, engineer)
    assert scope.operator_user == "eng-1" and scope.provider_of is None
    assert query["me"] == {"user_id": "eng-1", "provider_admin_of": None, "customer_of": None}
    _, query = handlers.list_filters({"mine": "waiting"}, PROVIDER)
    assert query["me"]["provider_admin_of"] == "prov-org"


def test_ORG7_an_employee_sees_a_project_only_once_assigned_to_it_or_after_handling_it():
    from project_svc.domain.access import can_see

    uow = new_uow()
    project = uow.projects.saved[purchased(uow)]
    engineer = Actor("eng-1", "prov-org", ISV, ("engineer",))
    assert not can_see(engineer, project)
    project.operators["engineer"] = "eng-1"
    assert can_see(engineer, project)
    assert not can_see(Actor("eng-1", "other-org", ISV, ("engineer",)), project)


def test_PRJ1_the_marketplace_buying_without_naming_the_customer_is_a_business_refusal():
    with pytest.raises(CustomerNotNamed) as refused:
        handlers.purchase_for(None, {"order_id": "o", "product_id": "p"})
    assert refused.value.status == 422 and "customer_id" in refused.value.fields


def test_PRJ1_the_buyers_answer_for_a_new_project_reads_no_records_and_a_repeat_shows_them():
    uow = new_uow()
    bound(uow)
    project, created = handlers.create_from_purchase({"order_id": "o-view", "product_id": "prod",
                                                      "customer_id": "cust-org"}, uow, NOW)
    uow.records.records = None  # reading records for a project created just now would fail here
    view = handlers.purchase_view(project, created, BUYER, uow)
    assert view["messages"] == [] and view["notes"] == [] and view["files"] == []
    assert view["id"] == project.id and view["current_node"]["key"] == "assign"
    del uow.records.records
    again, created = handlers.create_from_purchase({"order_id": "o-view", "product_id": "prod",
                                                    "customer_id": "cust-org"}, uow, NOW)
    assert not created
    assert handlers.purchase_view(again, created, BUYER, uow) == handlers.project_view(again, BUYER, uow)


NEW_PROVIDER = Actor("new-admin", "new-prov-org", ISV, (PROVIDER_ADMIN,))


def changed_provider(uow, project_id):
    """The vendor moves the project from prov-org to new-prov-org (PRJ-5)."""
    handlers.act(project_id, "change_provider", {"note": "slow"}, VENDOR, uow)
    handlers.provider_assigned({"event_id": str(uuid.uuid4())}, {"project_id": project_id,
                               "provider_id": "new-prov-org", "node_key": "assign", "round": 2}, uow)


def test_ORG7_PRJ5_a_former_providers_employee_and_admin_see_nothing_of_the_project_after_a_change():
    from project_svc.domain.access import admits, can_see, scope_of

    uow = new_uow()
    project_id = purchased(uow)
    engineer = Actor("eng-1", "prov-org", ISV, ("engineer",))
    uow.projects.saved[project_id].participants.add("eng-1")  # it handled a node
    assert can_see(engineer, uow.projects.saved[project_id])
    changed_provider(uow, project_id)
    project = uow.projects.saved[project_id]
    assert "eng-1" in project.participants  # the log still names it, the rule does not admit it
    for former in (engineer, PROVIDER):
        assert not can_see(former, project) and not admits(scope_of(former), project)
        with pytest.raises(ProjectNotFound):
            handlers.get_project(project_id, former, uow)
    assert can_see(NEW_PROVIDER, project) and can_see(VENDOR, project) and can_see(BUYER, project)


def test_PRJ5_PRJ7_the_new_provider_reads_neither_the_former_providers_notes_nor_its_files():
    uow = new_uow()
    project_id = purchased(uow)
    handlers.add_record(project_id, "note", "old provider's own", PROVIDER, uow)
    handlers.add_record(project_id, "note", "the vendor's", VENDOR, uow)
    uow.records.add_file(id="f-old", project_id=project_id, node_key="work", name="old.pdf", uploaded_by="prov-admin",
                         author_org_id="prov-org")
    uow.records.add_file(id="f-cust", project_id=project_id, node_key="req", name="needs.pdf", uploaded_by="cust-user",
                         author_org_id="cust-org")
    changed_provider(uow, project_id)
    view = handlers.get_project(project_id, NEW_PROVIDER, uow)
    assert [n["body"] for n in view["notes"]] == ["the vendor's"]
    assert [f["id"] for f in view["files"]] == ["f-cust"]
    assert [n["body"] for n in handlers.list_records(project_id, "note", NEW_PROVIDER, uow)] == ["the vendor's"]
    assert [f["id"] for f in handlers.list_files(project_id, NEW_PROVIDER, uow)] == ["f-cust"]
    with pytest.raises(ProjectNotFound):
        handlers.file_of(project_id, "f-old", NEW_PROVIDER, uow)
    # the vendor and the operator keep everything; the customer keeps the files delivered to it
    assert len(handlers.get_project(project_id, VENDOR, uow)["notes"]) == 2
    assert {f["id"] for f in handlers.get_project(project_id, BUYER, uow)["files"]} == {"f-old", "f-cust"}
    assert handlers.file_of(project_id, "f-old", BUYER, uow)["name"] == "old.pdf"
