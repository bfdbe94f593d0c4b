"""PRJ-1..9: the node state machine of a delivery project, without broker or database."""
from datetime import UTC, datetime, timedelta

import pytest

from platform_kit.workcal import default_calendar
from project_svc.domain.model import (
    CANCELLED,
    COMPLETED,
    IN_PROGRESS,
    PAUSED,
    QUEUED,
    SYSTEM,
    Project,
    ProjectStateError,
    Who,
)
from project_svc.exceptions import (
    NodeNotActionable,
    NodeNotCurrent,
    NotYourTurn,
    ProjectNotOpen,
    ProviderChangeRefused,
    RatingRefused,
    RejectNotAllowed,
    RequirementsInvalid,
)

CAL = default_calendar()
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai
CUSTOMER = Who("cust-user", as_customer=True)
ADMIN = Who("prov-admin", provider_admin=True, provider_member=True)
DESIGNER = Who("designer-1", provider_member=True)
OTHER_EMPLOYEE = Who("designer-2", provider_member=True)
VENDOR = Who("vendor-user", vendor=True)

FORM = {"id": "f1", "name": "Needs", "fields": [{"key": "site", "label": "Site", "type": "text", "required": True}]}


def reminders(*triggers):
    return [{"trigger": t, "receivers": ["customer"], "message_template": f"on_{t}"} for t in triggers]


# the seed's flow: assign provider, a container of requirements + confirm, assign order, design work
# (generic with uploads), the customer's confirmation (may reject), complete project (may reject)
FULL = [
    {"key": "assign", "kind": "assign_provider", "name": "Assign provider"},
    {"key": "stage1", "kind": "container", "name": "Requirements", "children": [
        {"key": "req", "kind": "submit_requirements", "name": "Submit requirements", "settings": {"form": FORM},
         "reminders": reminders("node_reached", "completed")},
        {"key": "req_ok", "kind": "confirm", "name": "Confirm requirements",
         "settings": {"side": "provider", "allow_reject": True}},
    ]},
    {"key": "dispatch", "kind": "assign_order", "name": "Assign order", "settings": {"role": "designer"}},
    {"key": "stage2", "kind": "container", "name": "Design", "children": [
        {"key": "design", "kind": "generic", "name": "Design", "settings": {"side": "provider", "role": "designer",
                                                                              "upload_enabled": True}},
        {"key": "design_ok", "kind": "confirm", "name": "Confirm design",
         "settings": {"side": "customer", "allow_reject": True, "timeout_days": 2, "advance_on_timeout": True},
         "reminders": reminders("timeout", "rejected")},
    ]},
    {"key": "done", "kind": "complete_project", "name": "Complete project",
     "settings": {"allow_reject": True, "timeout_days": 5, "auto_confirm_on_timeout": True}},
]


def validate(form, data):
    errors = {f["key"]: ["required"] for f in form["fields"] if f.get("required") and not data.get(f["key"])}
    errors.update({k: ["not a field of the form"] for k in data if k not in {f["key"] for f in form["fields"]}})
    if errors:
        raise RequirementsInvalid("The submission does not match the form.", errors)
    return dict(data)


def new_project(nodes=FULL) -> Project:
    return Project(id="p", order_id="o", product_id="prod", vendor_id="v", customer_id="c",
                   template_id="t", template_version=1, nodes=list(nodes))


def kinds(events):
    return [e[0] for e in events]


def at_node(key, nodes=FULL) -> Project:
    """A project walked (by the rules) to the node ``key``."""
    project = new_project(nodes)
    project.start(NOW, CAL)
    project.assign_provider("prov", "assign", 1, NOW, CAL)
    while project.current_node["key"] != key:
        node = project.current_node
        if node["kind"] == "submit_requirements":
            project.submit_requirements(CUSTOMER, node["key"], {"site": "Beijing"}, NOW, CAL, validate)
        elif node["kind"] == "assign_order":
            project.employee_assigned("designer-1", "designer", node["key"], project.round, NOW, CAL)
        elif node["kind"] == "claim_order":
            project.order_claimed("cm-1", "dep-1", node["key"], project.round, NOW, CAL)
        else:
            project.confirm(CUSTOMER if node.get("settings", {}).get("side") == "customer" else ADMIN,
                            node["key"], NOW, CAL)
    return project


def test_PRJ1_a_new_project_stands_at_assign_provider():
    project = new_project()
    events = project.start(NOW, CAL)
    assert kinds(events) == ["node_reached"] and events[0][1]["node_kind"] == "assign_provider"
    assert project.status == IN_PROGRESS and project.log[0].action == "created"


def test_PRJ1_a_flow_that_does_not_start_with_assign_provider_is_refused():
    with pytest.raises(ProjectStateError):
        new_project(FULL[1:]).start(NOW, CAL)


def test_PRJ2_provider_assignment_enters_the_container_at_its_first_child_and_fires_its_reminder():
    project = new_project()
    project.start(NOW, CAL)
    events = project.assign_provider("prov", "assign", 1, NOW, CAL)
    assert kinds(events) == ["node_completed", "node_reached", "reminder_due"]
    assert events[1][1]["node_key"] == "req" and events[1][1]["settings"]["form"] == FORM
    assert [e.action for e in project.log] == ["created", "provider_assigned", "node_reached"]


def test_PRJ5_a_reply_for_another_round_or_a_passed_node_is_ignored():
    project = new_project()
    project.start(NOW, CAL)
    assert project.assign_provider("prov", "assign", 2, NOW, CAL) == []
    project.assign_provider("prov", "assign", 1, NOW, CAL)
    assert project.assign_provider("other", "assign", 1, NOW, CAL) == []
    assert project.provider_id == "prov"


def test_DSP3_a_queued_project_leaves_the_queue_when_a_provider_is_assigned():
    project = new_project()
    project.start(NOW, CAL)
    assert project.queue("assign", 1, "full", NOW) is True and project.status == QUEUED
    assert project.queue("assign", 1, "full", NOW) is False
    project.assign_provider("prov", "assign", 1, NOW, CAL)
    assert project.status == IN_PROGRESS


def test_TPL5_requirements_do_not_pass_without_a_valid_submission_and_each_field_is_named():
    project = at_node("req")
    with pytest.raises(RequirementsInvalid) as refused:
        project.submit_requirements(CUSTOMER, "req", {"colour": "red"}, NOW, CAL, validate)
    assert set(refused.value.fields) == {"site", "colour"}
    assert project.current_node["key"] == "req" and project.submissions == {}
    events = project.submit_requirements(CUSTOMER, "req", {"site": "Beijing"}, NOW, CAL, validate)
    assert kinds(events) == ["node_completed", "reminder_due", "node_reached"]
    assert project.submissions["req"] == {"site": "Beijing"} and project.current_node["key"] == "req_ok"


def test_PRJ2_only_the_customer_submits_requirements_and_only_the_provider_side_confirms_them():
    project = at_node("req")
    with pytest.raises(NotYourTurn):
        project.submit_requirements(ADMIN, "req", {"site": "x"}, NOW, CAL, validate)
    project.submit_requirements(CUSTOMER, "req", {"site": "x"}, NOW, CAL, validate)
    with pytest.raises(NotYourTurn):
        project.confirm(CUSTOMER, "req_ok", NOW, CAL)
    project.confirm(ADMIN, "req_ok", NOW, CAL)
    assert project.current_node["key"] == "dispatch"


def test_PRJ2_acting_on_a_node_that_is_not_current_is_refused_and_changes_nothing():
    project = at_node("req")
    with pytest.raises(NodeNotCurrent):
        project.confirm(ADMIN, "req_ok", NOW, CAL)
    with pytest.raises(NodeNotCurrent):
        project.confirm(CUSTOMER, "done", NOW, CAL)
    assert project.current_node["key"] == "req" and len(project.log) == 3


def test_DSP5_the_assign_order_node_passes_only_by_dispatch_and_its_employee_operates_the_role_from_then():
    project = at_node("dispatch")
    with pytest.raises(NodeNotActionable):
        project.confirm(ADMIN, "dispatch", NOW, CAL)
    assert project.queue("dispatch", 1, "no designer free", NOW) and project.status == QUEUED
    events = project.employee_assigned("designer-1", "designer", "dispatch", 1, NOW, CAL)
    assert project.status == IN_PROGRESS and project.current_node["key"] == "design"
    assert kinds(events) == ["node_completed", "node_reached"]
    with pytest.raises(NotYourTurn):
        project.confirm(OTHER_EMPLOYEE, "design", NOW, CAL)
    assert project.current_operator() == ("provider", "designer-1")
    project.confirm(DESIGNER, "design", NOW, CAL)
    assert "designer-1" in project.participants


def test_PRJ6_a_later_assignment_changes_the_operator_without_moving_the_flow():
    project = at_node("design")
    events = project.employee_assigned("designer-2", "designer", "dispatch", 1, NOW, CAL)
    assert events == [] and project.current_node["key"] == "design"
    assert project.log[-1].action == "operator_changed" and project.log[-1].actor == "dispatch"
    project.employee_assigned("designer-3", "designer", "dispatch", 1, NOW, CAL, by="prov-admin", note="休假")
    assert (project.log[-1].actor, project.log[-1].note) == ("prov-admin", "designer: designer-2 -> designer-3 (休假)")
    project.employee_assigned("designer-2", "designer", "dispatch", 1, NOW, CAL)
    with pytest.raises(NotYourTurn):
        project.confirm(DESIGNER, "design", NOW, CAL)
    project.confirm(OTHER_EMPLOYEE, "design", NOW, CAL)


def test_seed_self_service_without_an_assign_order_node_the_provider_admin_operates_provider_nodes():
    nodes = [FULL[0], FULL[1], {"key": "work", "kind": "generic", "name": "Work", "settings": {"role": "engineer"}},
             {"key": "done", "kind": "complete_project", "name": "Complete"}]
    project = at_node("work", nodes)
    with pytest.raises(NotYourTurn):
        project.confirm(DESIGNER, "work", NOW, CAL)
    project.confirm(ADMIN, "work", NOW, CAL)
    events = project.confirm(CUSTOMER, "done", NOW, CAL)
    assert project.status == COMPLETED and kinds(events)[-1] == "project_completed"


def test_DSP7_a_claim_node_passes_when_dispatch_reports_the_claim():
    nodes = [FULL[0], {"key": "claim", "kind": "claim_order", "name": "Claim"}, *FULL[1:]]
    project = at_node("claim", nodes)
    assert project.current_operator() == ("provider", None)
    with pytest.raises(NodeNotActionable):
        project.confirm(ADMIN, "claim", NOW, CAL)
    assert project.order_claimed("cm-1", "dep-1", "claim", 2, NOW, CAL) == []
    project.order_claimed("cm-1", "dep-1", "claim", 1, NOW, CAL)
    assert project.claimed_by == "cm-1" and project.current_node["key"] == "req"


def test_TPL6_rejecting_a_confirm_node_returns_to_the_previous_work_node_with_its_reminder():
    project = at_node("design_ok")
    events = project.reject(CUSTOMER, "design_ok", "colours are wrong", NOW, CAL)
    assert kinds(events) == ["reminder_due", "node_reached"] and events[0][1]["variables"]["reason"]
    assert project.current_node["key"] == "design"
    rejected, returned = project.log[-2:]
    assert (rejected.action, rejected.node_key, rejected.note) == ("rejected", "design_ok", "colours are wrong")
    assert (returned.action, returned.node_key, returned.actor) == ("node_reached", "design", CUSTOMER.ref), \
        "the log says where the reject returned to"


def test_TPL9_rejecting_completion_returns_to_the_step_just_before_not_past_it():
    """"驳回后流程自动跳转回上一步": the confirm before completion, not the work before that confirm."""
    project = at_node("done")
    project.reject(CUSTOMER, "done", "not finished", NOW, CAL)
    assert project.current_node["key"] == "design_ok" and project.current_node["parent"] == "stage2"


def test_TPL9_rejecting_goes_back_across_a_container_boundary_and_over_dispatch():
    project = at_node("design")
    project.confirm(DESIGNER, "design", NOW, CAL)
    project.reject(CUSTOMER, "design_ok", "colours", NOW, CAL)
    assert project.current_node["key"] == "design"
    nodes = [FULL[0], FULL[1], FULL[2], {"key": "ok", "kind": "confirm", "name": "OK",
                                          "settings": {"side": "customer", "allow_reject": True}}, FULL[-1]]
    project = at_node("ok", nodes)
    project.reject(CUSTOMER, "ok", "again", NOW, CAL)
    assert project.current_node["key"] == "req_ok"  # dispatch's step is not one to return to


def test_DSP7_the_claimer_operates_the_customer_managers_steps_without_the_main_account():
    nodes = [FULL[0], {"key": "claim", "kind": "claim_order", "name": "Claim"},
             {"key": "handover", "kind": "confirm", "name": "Handover",
              "settings": {"side": "provider", "role": "customer_manager"}}, FULL[-1]]
    project = at_node("handover", nodes)
    assert project.claimed_by == "cm-1"
    with pytest.raises(NotYourTurn):
        project.confirm(OTHER_EMPLOYEE, "handover", NOW, CAL)
    project.confirm(Who("cm-1", provider_member=True), "handover", NOW, CAL)
    assert project.current_node["key"] == "done"


def test_TPL6_a_confirm_node_without_reject_or_without_earlier_work_refuses_rejecting():
    nodes = [FULL[0], {"key": "ok", "kind": "confirm", "name": "OK", "settings": {"allow_reject": True}}, FULL[-1]]
    project = at_node("ok", nodes)
    with pytest.raises(RejectNotAllowed):
        project.reject(CUSTOMER, "ok", "no", NOW, CAL)
    project = at_node("req_ok")
    project.nodes[1]["children"][1]["settings"] = {"side": "provider"}
    with pytest.raises(RejectNotAllowed):
        project.reject(ADMIN, "req_ok", "no", NOW, CAL)


def test_PRJ4_a_node_timeout_counts_working_days_and_marks_the_side_that_owes_the_step():
    project = at_node("design_ok")
    # reached Monday 10:00 (Shanghai) with 2 working days: due Wednesday 10:00
    assert project.due_at == datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
    assert project.timeout("design_ok", 1, NOW + timedelta(days=1), CAL) == []  # early: a stale deadline
    events = project.timeout("design_ok", 1, project.due_at, CAL)
    assert project.log[-3].action == "timed_out" and "customer" in project.log[-3].note
    # advance on timeout: logged as done by the system
    assert kinds(events) == ["reminder_due", "node_completed", "node_reached"]
    assert events[1][1]["by"] == SYSTEM and project.current_node["key"] == "done"
    assert project.late_side is None, "the late mark belongs to the node that was late"


def test_PRJ3_a_late_node_without_auto_advance_stays_marked_late_since_its_due_time():
    project = at_node("design_ok")
    project.nodes[3]["children"][1]["settings"]["advance_on_timeout"] = False
    due = project.due_at
    project.timeout("design_ok", 1, due + timedelta(seconds=1), CAL)
    assert (project.late_side, project.late_since) == ("customer", due)
    assert project.current_node["key"] == "design_ok"
    project.confirm(CUSTOMER, "design_ok", NOW, CAL)
    assert project.late_side is None


def test_TPL9_complete_project_auto_confirms_on_timeout():
    project = at_node("done")
    events = project.timeout("done", 1, project.due_at, CAL)
    assert project.status == COMPLETED and kinds(events)[-1] == "project_completed"
    assert project.log[-1].actor == SYSTEM


def test_PRJ4_a_timeout_falling_inside_a_pause_does_not_fire_and_the_clock_continues_with_what_it_had_left():
    project = at_node("design_ok")          # due Wednesday 10:00
    pause_at = NOW + timedelta(days=1)       # Tuesday 10:00: one working day left
    project.pause(ADMIN, "waiting for the customer's VPN", pause_at, CAL)
    assert project.status == PAUSED and project.due_at is None and project.remaining_seconds == 86_400
    assert project.timeout("design_ok", 1, NOW + timedelta(days=2), CAL) == []  # the old deadline, mid-pause
    with pytest.raises(ProjectNotOpen):
        project.confirm(CUSTOMER, "design_ok", NOW, CAL)
    resume_at = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)  # next Monday 10:00
    project.resume(ADMIN, "VPN works", resume_at, CAL)
    assert project.due_at == datetime(2026, 12, 1, 2, 0, tzinfo=UTC) and project.status == IN_PROGRESS


def test_PRJ4_a_timeout_across_the_spring_festival_skips_the_holiday_and_counts_the_makeup_saturday():
    project = at_node("design_ok")
    friday = datetime(2026, 2, 13, 2, 0, tzinfo=UTC)  # Friday 13 Feb 2026 10:00; 14th is a make-up workday
    project.reject(CUSTOMER, "design_ok", "again", friday, CAL)
    project.confirm(DESIGNER, "design", friday, CAL)
    # 14 h of Friday + 24 h of the make-up Saturday, 15-23 Feb off: due Tuesday 24 Feb 10:00
    assert project.due_at == datetime(2026, 2, 24, 2, 0, tzinfo=UTC)


def test_PRJ8_only_the_provider_admin_pauses_and_resumes_and_only_in_the_right_state():
    project = at_node("design")
    for who in (DESIGNER, CUSTOMER, VENDOR):
        with pytest.raises(NotYourTurn):
            project.pause(who, "x", NOW, CAL)
    with pytest.raises(ProjectNotOpen):
        project.resume(ADMIN, "x", NOW, CAL)
    events = project.pause(ADMIN, "holiday", NOW, CAL)
    assert kinds(events) == ["project_paused"] and project.remaining_seconds is None
    with pytest.raises(ProjectNotOpen):
        project.pause(ADMIN, "again", NOW, CAL)


def test_PRJ5_changing_the_provider_restarts_the_flow_in_a_new_round_and_keeps_the_log():
    project = at_node("design")
    with pytest.raises(NotYourTurn):
        project.change_provider(ADMIN, "x", 2, NOW, CAL)
    with pytest.raises(ProviderChangeRefused):
        project.change_provider(VENDOR, "x", 1, NOW, CAL)
    before = len(project.log)
    events = project.change_provider(VENDOR, "provider unresponsive", 2, NOW, CAL)
    assert kinds(events) == ["project_provider_changed", "node_reached"]
    assert events[0][1] == {"project_id": "p", "product_id": "prod", "old_provider_id": "prov", "round": 2,
                            "note": "provider unresponsive"}
    assert project.round == 2 and project.provider_id is None and project.operators == {}
    assert project.current_node["key"] == "assign" and len(project.log) == before + 1
    assert project.assign_provider("late-reply", "assign", 1, NOW, CAL) == []


def test_PRJ5_cancel_releases_and_a_finished_project_refuses_every_action():
    project = at_node("design")
    with pytest.raises(NotYourTurn):
        project.cancel(ADMIN, "x", NOW)
    events = project.cancel(VENDOR, "customer refunded", NOW)
    assert kinds(events) == ["project_cancelled"] and project.status == CANCELLED
    assert events[0][1]["reason"] == "customer refunded"
    with pytest.raises(ProjectNotOpen):
        project.confirm(DESIGNER, "design", NOW, CAL)
    with pytest.raises(ProjectNotOpen):
        project.cancel(VENDOR, "again", NOW)
    with pytest.raises(ProjectNotOpen):
        project.require_open()
    assert project.employee_assigned("x", "designer", "dispatch", 1, NOW, CAL) == []


def test_PRJ9_the_customer_rates_a_completed_project_once():
    project = at_node("done")
    with pytest.raises(RatingRefused):
        project.rate(CUSTOMER, 5, "great", NOW)
    project.confirm(CUSTOMER, "done", NOW, CAL)
    with pytest.raises(NotYourTurn):
        project.rate(ADMIN, 5, "", NOW)
    events = project.rate(CUSTOMER, 4, "quick", NOW)
    assert kinds(events) == ["project_rated"] and project.rating == 4
    with pytest.raises(RatingRefused):
        project.rate(CUSTOMER, 5, "again", NOW)
    with pytest.raises(ProjectNotOpen):
        project.confirm(CUSTOMER, "done", NOW, CAL)


def test_PRJ2_the_whole_seed_flow_emits_node_completed_for_every_node_in_order():
    project = at_node("done")
    project.confirm(CUSTOMER, "done", NOW, CAL)
    completed = [entry.node_key for entry in project.log if entry.action in ("node_completed", "provider_assigned",
                                                                             "operator_assigned")]
    assert completed == ["assign", "req", "req_ok", "dispatch", "design", "design_ok", "done"]
    assert project.participants == {"cust-user", "prov-admin"} and project.operators == {"designer": "designer-1"}
