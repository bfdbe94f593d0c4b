"""TPL-3..11: the rules of a flow, every violation reported at once with the node's path."""
from platform_contracts import nodes as N
from template_svc.domain.flow import diff, validate_flow, with_form_snapshots
from template_svc.testing import CATALOGUE, FORM, MESSAGE, node, valid_flow


def paths(nodes):
    return {v.path: v for v in validate_flow(nodes, CATALOGUE)}


def test_TPL11_a_complete_flow_has_no_violation():
    assert validate_flow(valid_flow(), CATALOGUE) == []


def test_TPL3_the_first_node_must_be_assign_provider():
    flow = valid_flow()[1:]
    assert "The first node must be 'assign provider'." in paths(flow)["nodes[0].kind"].message


def test_TPL3_the_last_node_must_be_complete_project():
    flow = valid_flow()[:-1]
    assert paths(flow)["nodes[3].kind"].message == "The last node must be 'complete project'."


def test_TPL3_assign_provider_only_first_and_complete_project_only_last():
    flow = valid_flow()
    flow.insert(2, node("again", N.ASSIGN_PROVIDER))
    flow.insert(3, node("early_end", N.COMPLETE_PROJECT))
    found = paths(flow)
    assert "only be the first" in found["nodes[2].kind"].message
    assert "only be the last" in found["nodes[3].kind"].message


def test_TPL11_an_unknown_role_is_blocking_and_a_missing_role_is_a_warning():
    flow = valid_flow()
    flow[2]["settings"]["role"] = None
    flow[3]["children"][0]["settings"]["role"] = "wizard"
    found = paths(flow)
    assert not found["nodes[2].settings.role"].blocking
    assert found["nodes[3].children[0].settings.role"].blocking
    assert "'wizard' is not one of the platform's roles." == found["nodes[3].children[0].settings.role"].message


def test_TPL6_a_missing_form_is_a_warning_and_an_unknown_form_blocks():
    flow = valid_flow()
    flow[1]["settings"]["form_template_id"] = None
    assert not paths(flow)["nodes[1].settings.form_template_id"].blocking
    flow[1]["settings"]["form_template_id"] = "no-such-form"
    assert paths(flow)["nodes[1].settings.form_template_id"].blocking


def test_TPL7_a_timeout_is_positive_with_one_decimal():
    for bad in (0, -1, 1.55):
        flow = valid_flow()
        flow[3]["children"][1]["settings"]["timeout_days"] = bad
        assert paths(flow)["nodes[3].children[1].settings.timeout_days"].blocking
    flow = valid_flow()
    flow[3]["children"][1]["settings"]["timeout_days"] = 2.5
    assert validate_flow(flow, CATALOGUE) == []


def test_TPL7_rejecting_is_not_allowed_before_any_step_a_person_does():
    flow = valid_flow()
    flow[1] = node("check_first", N.CONFIRM, side="customer", allow_reject=True)
    assert "step just before" in paths(flow)["nodes[1].settings.allow_reject"].message


def test_TPL7_a_flow_the_check_accepts_can_reject_at_run_time_dispatch_steps_are_no_step_to_return_to():
    """The check and the engine share one definition (platform_contracts.nodes.reject_target): before
    it, a confirm after 'assign order' passed the check (dispatch counted as work) and refused every
    reject at run time."""
    flow = [node("assign_provider", N.ASSIGN_PROVIDER), node("dispatch", N.ASSIGN_ORDER, role="engineer"),
            node("check", N.CONFIRM, side="customer", allow_reject=True), node("complete", N.COMPLETE_PROJECT)]
    assert "nodes[2].settings.allow_reject" in paths(flow)
    steps = N.leaf_steps(valid_flow())
    assert [s["key"] for s in steps] == ["assign_provider", "requirements", "dispatch", "deliver", "check", "complete"]
    assert steps[N.reject_target(steps, 5)]["key"] == "check"  # completion returns to the step just before
    assert steps[N.reject_target(steps, 3)]["key"] == "requirements"  # across dispatch and the container


def test_TPL11_advice_comes_with_the_save_and_never_refuses_a_publish():
    flow = valid_flow()
    flow[3]["children"][1]["settings"].update(timeout_days=None, advance_on_timeout=True)  # no timeout to act on
    flow[3]["children"][1]["settings"]["role"] = "engineer"                                # customer side: no role
    flow.insert(4, node("handover", N.CONFIRM, side="provider", role="designer"))           # nobody dispatched to it
    found = paths(flow)
    assert {"nodes[3].children[1].settings.timeout_days", "nodes[3].children[1].settings.role",
            "nodes[4].settings.role"} <= set(found)
    assert all(found[p].advice and not found[p].blocking for p in (
        "nodes[3].children[1].settings.timeout_days", "nodes[3].children[1].settings.role", "nodes[4].settings.role"))
    assert "only the provider's main account" in found["nodes[4].settings.role"].message


def test_TPL11_a_self_delivered_flow_gets_no_advice_for_roles_the_main_account_operates():
    flow = [node("assign_provider", N.ASSIGN_PROVIDER),
            node("deliver", N.GENERIC, side="provider", role="designer"), node("complete", N.COMPLETE_PROJECT)]
    assert validate_flow(flow, CATALOGUE) == []


def test_DSP7_a_claim_dispatches_the_customer_managers_own_steps_to_the_claimer():
    flow = valid_flow()
    flow.insert(2, node("claim", N.CLAIM_ORDER))
    flow.insert(5, node("handover", N.CONFIRM, side="provider", role="customer_manager"))
    assert validate_flow(flow, CATALOGUE) == []


def test_TPL5_department_first_needs_a_claim_order_node_before_it():
    flow = valid_flow()
    flow[2]["settings"]["rule"] = N.DEPARTMENT_FIRST
    assert "claim order" in paths(flow)["nodes[2].settings.rule"].message
    flow.insert(2, node("claim", N.CLAIM_ORDER, timeout_days=1))
    assert validate_flow(flow, CATALOGUE) == []


def test_TPL3_an_empty_container_is_reported():
    flow = valid_flow()
    flow[3]["children"] = []
    assert paths(flow)["nodes[3].children"].message == "A container must hold at least one node."


def test_TPL3_a_container_cannot_contain_itself_nor_nest_too_deep():
    flow = valid_flow()
    flow[3]["children"].append(node("work", N.CONTAINER, children=[node("x", N.GENERIC, side="customer")]))
    assert paths(flow)["nodes[3].children[2].key"].blocking
    deep = node("c3", N.CONTAINER, children=[node("leaf", N.GENERIC, side="customer")])
    flow = valid_flow()
    flow[3]["children"].append(node("c2", N.CONTAINER, children=[deep]))
    assert paths(flow)["nodes[3].children[2].children[0].children"].blocking


def test_TPL11_duplicate_keys_are_refused_wherever_they_are():
    flow = valid_flow()
    flow[3]["children"][0]["key"] = "requirements"
    assert "already used by nodes[1]" in paths(flow)["nodes[3].children[0].key"].message


def test_TPL10_a_reminder_naming_an_unknown_message_template_or_receiver_is_refused():
    flow = valid_flow()
    flow[1]["reminders"] = [{"trigger": "node_reached", "receivers": ["customer", "role:wizard", "boss"],
                             "message_template": "no such template"}]
    found = paths(flow)
    assert found["nodes[1].reminders[0].message_template"].blocking
    assert found["nodes[1].reminders[0].receivers[1]"].blocking
    assert found["nodes[1].reminders[0].receivers[2]"].blocking


def test_TPL11_too_many_nodes_is_one_refusal_not_ten_thousand():
    flow = [node(f"n{i}", N.GENERIC, side="customer") for i in range(10_000)]
    found = validate_flow(flow, CATALOGUE)
    assert len(found) == 1 and found[0].path == "nodes" and found[0].blocking


def test_TPL11_ten_and_more_violations_are_reported_at_once_each_with_its_path():
    flow = [
        node("approve", N.CONFIRM, side="provider", role="wizard", allow_reject=True),      # 1 first, 2 role, 3 reject
        node("requirements", N.SUBMIT_REQUIREMENTS),                                         # 4 form
        node("dispatch", N.ASSIGN_ORDER, rule=N.DEPARTMENT_FIRST),                          # 5 role, 6 no claim
        node("group", N.CONTAINER),                                                          # 7 empty
        node("wait", N.CLAIM_ORDER, timeout_days=0.25,                                      # 8 timeout
             reminders=[{"trigger": "timeout", "receivers": ["vendor"], "message_template": "nope"}]),  # 9
        node("approve", N.GENERIC, side="customer"),                                         # 10 duplicate, 11 last
    ]
    found = validate_flow(flow, CATALOGUE)
    assert [v.path for v in found] == [
        "nodes[0].kind", "nodes[0].settings.allow_reject", "nodes[0].settings.role",
        "nodes[1].settings.form_template_id",
        "nodes[2].settings.role", "nodes[2].settings.rule",
        "nodes[3].children",
        "nodes[4].reminders[0].message_template", "nodes[4].settings.timeout_days",
        "nodes[5].key", "nodes[5].kind",
    ]
    assert len(found) == 11 and all(v.message.endswith(".") for v in found)


def test_TPL6_an_approved_flow_carries_a_snapshot_of_its_forms():
    frozen = with_form_snapshots(valid_flow(), {FORM["id"]: FORM})
    assert frozen[1]["settings"]["form"] == {"id": FORM["id"], "name": FORM["name"], "fields": FORM["fields"]}
    assert "form" not in valid_flow()[1]["settings"]


def test_TPL1_versions_compare_node_by_node():
    before = valid_flow()
    after = valid_flow()
    after[2]["name"] = "Dispatch to an engineer"
    after[3]["children"].append(node("extra", N.CONFIRM, side="customer"))
    del after[1]
    changes = {(c["change"], c["key"]) for c in diff(before, after)}
    assert {("changed", "dispatch"), ("added", "extra"), ("removed", "requirements"),
            ("moved", "dispatch")} <= changes
    assert MESSAGE
