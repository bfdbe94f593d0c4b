"""ORG-3 department tree, ORG-6 calendar overrides and the audit log, over the fake unit of work."""
from datetime import date

import pytest

from identity_svc.exceptions import Clash, DepartmentNotFound, NotAllowedNow, NotPermitted
from identity_svc.handlers import audit, calendar, departments, users


def test_ORG3_an_isv_admin_grows_renames_and_moves_its_tree_and_listeners_are_told(world, next_uow):
    admin = world.isv.actor
    uow = next_uow()
    sales = departments.create_department(admin, {"name": " Sales ", "parent_id": None}, uow)
    assert sales.name == "Sales" and sales.parent_id == world.isv.org.root_department_id
    assert uow.events_of("department_changed")[0]["change"] == "created"
    north = departments.create_department(admin, {"name": "North", "parent_id": sales.id}, next_uow())
    uow = next_uow()
    moved = departments.update_department(admin, north.id, {"name": "North-East",
                                                            "parent_id": world.isv.org.root_department_id}, uow)
    assert [e["change"] for e in uow.events_of("department_changed")] == ["renamed", "moved"]
    assert moved.name == "North-East" and moved.parent_id == world.isv.org.root_department_id
    tree = departments.list_departments(admin, None, next_uow())
    assert [c["name"] for c in tree["root"]["children"]] == ["North-East", "Sales"]
    assert tree["root"]["user_count"] == 1


def test_ORG3_sibling_names_clash_cycles_are_refused_and_only_empty_departments_go(world, next_uow, sessions):
    admin = world.isv.actor
    sales = departments.create_department(admin, {"name": "Sales", "parent_id": None}, next_uow())
    child = departments.create_department(admin, {"name": "Child", "parent_id": sales.id}, next_uow())
    with pytest.raises(Clash):
        departments.create_department(admin, {"name": "SALES", "parent_id": None}, next_uow())
    with pytest.raises(NotAllowedNow):
        departments.update_department(admin, sales.id, {"parent_id": child.id}, next_uow())
    with pytest.raises(NotAllowedNow):
        departments.delete_department(admin, sales.id, next_uow())
    with pytest.raises(NotAllowedNow):
        departments.delete_department(admin, world.isv.org.root_department_id, next_uow())
    uow = next_uow()
    assert departments.delete_department(admin, child.id, uow).id == child.id
    assert uow.events_of("department_changed")[0]["change"] == "deleted"


def test_ORG7_another_isvs_department_answers_not_found_and_employees_change_nothing(world, next_uow, sessions):
    with pytest.raises(DepartmentNotFound):
        departments.update_department(world.isv.actor, "someone-elses", {"name": "x"}, next_uow())
    account = users.create_user(world.isv.actor, {"login_name": "emp", "display_name": "e", "phone": None,
                                                  "email": None, "roles": ["engineer"]}, next_uow())
    from platform_contracts.actor import Actor
    employee = Actor(account.user.id, world.isv.org.id, "isv", ("engineer",), account.user.department_id)
    with pytest.raises(NotPermitted):
        departments.create_department(employee, {"name": "Mine", "parent_id": None}, next_uow())
    with pytest.raises(NotAllowedNow):
        departments.list_departments(world.customer.actor, None, next_uow())


def test_ORG6_the_operator_overrides_a_day_everyone_reads_it_and_removing_tells_listeners(world, next_uow):
    saturday = date(2150, 6, 7)
    uow = next_uow()
    saved = calendar.set_calendar_day(world.operator, {"day": saturday, "kind": "makeup_workday",
                                                       "name": " Bridge day "}, uow)
    assert saved.name == "Bridge day" and saved.updated_by == world.operator.user_id
    assert uow.events_of("calendar_changed") == [{"day": "2150-06-07", "kind": "makeup_workday", "name": "Bridge day"}]
    year = calendar.calendar(world.isv.actor, 2150, next_uow())
    assert [d for d in year["days"] if d["source"] == "override"] == [
        {"day": saturday, "kind": "makeup_workday", "name": "Bridge day", "working": True, "source": "override"}]
    assert year["covers"] is False and {d["source"] for d in year["days"]} == {"override", "festival"}
    uow = next_uow()
    assert calendar.remove_calendar_day(world.operator, saturday, uow) is True
    assert uow.events_of("calendar_changed")[0]["kind"] is None
    nothing = next_uow()
    assert calendar.remove_calendar_day(world.operator, saturday, nothing) is False and not nothing.committed


def test_ORG6_a_kind_that_does_not_fit_the_weekday_is_refused_and_only_the_operator_edits(world, next_uow):
    with pytest.raises(NotAllowedNow) as err:
        calendar.set_calendar_day(world.operator, {"day": date(2150, 6, 7), "kind": "workday", "name": ""},
                                  next_uow())
    assert "kind" in err.value.fields
    with pytest.raises(NotPermitted):
        calendar.set_calendar_day(world.isv.actor, {"day": date(2150, 6, 9), "kind": "holiday", "name": ""},
                                  next_uow())


def test_the_operator_reads_the_audit_log_newest_first_a_page_at_a_time(world, next_uow):
    query = {"actor_user_id": None, "action": None, "org_id": None, "since": None, "until": None, "limit": 2,
             "cursor": None}
    first = audit.audit_log(world.operator, query, next_uow())
    assert [e.action for e in first["items"]] == ["organisation_created", "user_created"]
    assert first["next_cursor"]
    second = audit.audit_log(world.operator, {**query, "cursor": first["next_cursor"]}, next_uow())
    assert second["items"][0].id < first["items"][-1].id
    with pytest.raises(NotPermitted):
        audit.audit_log(world.isv.actor, query, next_uow())


def test_BIL6_an_operators_retry_fail_or_void_of_a_stuck_money_step_is_audited_once(world, next_uow):
    event = {"event_id": "ev-resolved-1"}
    data = {"order_id": "ord-1", "customer_id": "org-c", "supplier_id": "org-s", "step_key": "payout:ord-1:9",
            "action": "void", "note": "", "operator_user_id": world.operator.user_id,
            "operator_org_id": world.operator.org_id}
    uow = next_uow()
    audit.billing_step_resolved(event, data, uow)
    audit.billing_step_resolved(event, data, uow)          # the event delivered again: no second entry
    query = {"actor_user_id": None, "action": "billing_step_resolved", "org_id": None, "since": None, "until": None,
             "limit": 10, "cursor": None}
    [entry] = audit.audit_log(world.operator, query, next_uow())["items"]
    assert (entry.actor_user_id, entry.org_id, entry.subject_type, entry.subject_id) == (
        world.operator.user_id, "org-c", "billing_order", "ord-1")
    assert entry.details == {"step_key": "payout:ord-1:9", "action": "void", "note": "", "supplier_id": "org-s"}
