"""Use cases against the fake unit of work (TPL-1, TPL-2, TPL-10, TPL-12, ORG-7)."""
import copy
import uuid

import pytest

from platform_contracts import nodes as N
from platform_contracts.actor import Actor
from platform_contracts.roles import ISV, OPERATOR, PLATFORM_OPERATOR, VENDOR_ADMIN
from template_svc import handlers
from template_svc.exceptions import (
    FlowInvalid,
    NoApprovedVersion,
    NotEditable,
    NotYours,
    TemplateNotFound,
)
from template_svc.testing import MESSAGE, fake_uow, node, valid_flow

OPERATOR_ACTOR = Actor("op", "op-org", OPERATOR, (PLATFORM_OPERATOR,))


def vendor() -> Actor:
    return Actor(f"u-{uuid.uuid4().hex[:6]}", f"v-{uuid.uuid4().hex[:6]}", ISV, (VENDOR_ADMIN,))


def approved_template(uow, actor, nodes=None):
    template, _ = handlers.create_template({"name": "Flow", "nodes": nodes or valid_flow()}, actor, uow)
    handlers.publish_template(template.id, actor, uow)  # a first publish is approved at once (TPL-1)
    return uow.templates.get(template.id)


def bind(uow, actor, template_id, product_id=None):
    product_id = product_id or f"prod-{uuid.uuid4().hex[:6]}"
    product, _ = handlers.save_product({"product_id": product_id, "code": "C-" + product_id, "name": "N",
                                        "template_id": template_id}, actor, uow)
    return product


def test_TPL11_an_incomplete_draft_is_saved_with_warnings():
    uow, actor = fake_uow(), vendor()
    flow = valid_flow()[:-1]
    template, warnings = handlers.create_template({"name": "Draft", "nodes": flow}, actor, uow)
    assert [w.path for w in warnings] == ["nodes[3].kind"]
    assert uow.templates.get(template.id).latest.status == "draft"


def test_TPL11_a_blocking_problem_refuses_the_save_and_stores_nothing():
    uow, actor = fake_uow(), vendor()
    flow = valid_flow()
    flow[1]["reminders"] = [{"trigger": "node_reached", "receivers": ["customer"], "message_template": "unknown"}]
    with pytest.raises(FlowInvalid) as refused:
        handlers.create_template({"name": "Bad", "nodes": flow}, actor, uow)
    assert "nodes[1].reminders[0].message_template" in refused.value.fields
    assert uow.templates.items == {} and not uow.committed


def test_TPL11_publishing_an_incomplete_draft_lists_every_problem():
    uow, actor = fake_uow(), vendor()
    flow = valid_flow()[1:-1]
    template, _ = handlers.create_template({"name": "Draft", "nodes": flow}, actor, uow)
    with pytest.raises(FlowInvalid) as refused:
        handlers.publish_template(template.id, actor, uow)
    assert set(refused.value.fields) == {"nodes[0].kind", "nodes[2].kind"}
    assert uow.templates.get(template.id).latest.status == "draft"


def test_TPL1_a_first_publish_is_approved_at_once_and_products_use_it():
    uow, actor = fake_uow(), vendor()
    template, _ = handlers.create_template({"name": "Mine", "nodes": valid_flow()}, actor, uow)
    with pytest.raises(NoApprovedVersion):
        bind(uow, actor, template.id)
    handlers.publish_template(template.id, actor, uow)
    assert uow.templates.get(template.id).latest.status == "approved"
    product = bind(uow, actor, template.id)
    bound = uow.events_of("product_template_bound")[-1]
    assert bound["template_version"] == 1 and bound["product_id"] == product.product_id
    assert bound["nodes"][1]["settings"]["form"]["id"] == "form-basic", "the form travels with the flow (TPL-6)"
    assert uow.event_types()[:2] == ["template_version_submitted", "template_version_approved"]


def test_TPL1_an_edit_of_a_published_template_needs_the_operators_approval():
    uow, actor = fake_uow(), vendor()
    template = approved_template(uow, actor)
    handlers.update_template(template.id, {"name": "v2", "nodes": valid_flow()}, actor, uow)
    handlers.publish_template(template.id, actor, uow)
    assert uow.templates.get(template.id).latest.status == "pending_approval"
    with pytest.raises(NotYours):
        handlers.approve_version(template.id, 2, actor, uow)
    handlers.approve_version(template.id, 2, OPERATOR_ACTOR, uow)
    assert uow.templates.get(template.id).approved.number == 2


def test_TPL1_editing_a_published_template_opens_a_new_draft_and_products_switch_on_approval():
    uow, actor = fake_uow(), vendor()
    template = approved_template(uow, actor)
    product = bind(uow, actor, template.id)
    edited = valid_flow()
    edited[2]["name"] = "Dispatch to an engineer"
    template, _ = handlers.update_template(template.id, {"name": "Flow v2", "nodes": edited}, actor, uow)
    assert [v.status for v in template.versions] == ["approved", "draft"]
    assert uow.products.get(product.product_id).template_version == 1, "a draft changes nothing"
    handlers.publish_template(template.id, actor, uow)
    with pytest.raises(NotEditable):
        handlers.update_template(template.id, {"name": "again", "nodes": edited}, actor, uow)
    handlers.approve_version(template.id, 2, OPERATOR_ACTOR, uow)
    assert uow.products.get(product.product_id).template_version == 2
    assert uow.events_of("product_template_bound")[-1]["template_version"] == 2
    _, _, changes = handlers.get_version(template.id, 2, actor, uow)
    assert {"change": "changed", "key": "dispatch", "path": "nodes[2]", "name": "Dispatch to an engineer",
            "fields": ["name"]} in changes


def test_TPL1_the_operator_rejects_with_a_reason_and_products_stay():
    uow, actor = fake_uow(), vendor()
    template = approved_template(uow, actor)
    bind(uow, actor, template.id)
    handlers.update_template(template.id, {"name": "v2", "nodes": valid_flow()}, actor, uow)
    handlers.publish_template(template.id, actor, uow)
    template = handlers.reject_version(template.id, 2, "The confirm node needs a clearer label.", OPERATOR_ACTOR, uow)
    assert template.latest.status == "rejected" and template.latest.reason.startswith("The confirm")
    assert uow.events_of("template_version_rejected")[0]["reason"] == "The confirm node needs a clearer label."
    assert template.approved.number == 1
    template, _ = handlers.update_template(template.id, {"name": "v3", "nodes": valid_flow()}, actor, uow)
    assert template.latest.number == 3 and template.latest.status == "draft"


def test_TPL1_an_approval_may_carry_a_note_the_vendor_reads_in_the_versions():
    """The console: the operator's words with an approval, kept where a rejection keeps its reason."""
    uow, actor = fake_uow(), vendor()
    template = approved_template(uow, actor)
    assert template.version(1).reason is None                     # approved without a note
    handlers.update_template(template.id, {"name": "v2", "nodes": valid_flow()}, actor, uow)
    handlers.publish_template(template.id, actor, uow)
    template = handlers.approve_version(template.id, 2, OPERATOR_ACTOR, uow, "  Add a checklist next time. ")
    assert template.approved.number == 2 and template.version(2).reason == "Add a checklist next time."
    versions = handlers.get_template(template.id, actor, uow).versions
    assert [(v.number, v.status, v.reason) for v in versions] == [
        (1, "approved", None), (2, "approved", "Add a checklist next time.")]


def test_TPL2_a_copy_of_a_public_template_is_independent_of_later_public_edits():
    uow, actor = fake_uow(), vendor()
    public = approved_template(uow, OPERATOR_ACTOR)
    assert public.public and public.approved.number == 1, "the operator's templates are approved as published"
    mine = handlers.copy_template(public.id, actor, uow)
    assert mine.owner_id == actor.org_id and mine.copied_from == public.id and mine.latest.status == "draft"
    assert "form" not in mine.latest.nodes[1]["settings"]
    changed = valid_flow()
    changed[1]["name"] = "Public rename"
    handlers.update_template(public.id, {"name": "Public v2", "nodes": changed}, OPERATOR_ACTOR, uow)
    handlers.publish_template(public.id, OPERATOR_ACTOR, uow)
    assert uow.templates.get(mine.id).latest.nodes[1]["name"] == "requirements"
    with pytest.raises(NotYours):
        handlers.update_template(public.id, {"name": "x", "nodes": valid_flow()}, actor, uow)


def test_ORG7_another_vendors_template_answers_like_a_missing_one():
    uow, owner, other = fake_uow(), vendor(), vendor()
    template = approved_template(uow, owner)
    for call in (lambda: handlers.get_template(template.id, other, uow),
                 lambda: handlers.copy_template(template.id, other, uow),
                 lambda: bind(uow, other, template.id)):
        with pytest.raises(TemplateNotFound):
            call()
    items, total = handlers.list_templates({}, other, uow)
    assert total == 0 and items == []


def test_TPL10_notifys_message_templates_decide_which_reminders_are_valid():
    uow, actor = fake_uow(), vendor()
    flow = valid_flow()
    flow[2]["reminders"] = [{"trigger": "node_reached", "receivers": ["role:engineer"],
                             "message_template": "assign order – notify engineer"}]
    with pytest.raises(FlowInvalid):
        handlers.create_template({"name": "F", "nodes": flow}, actor, uow)
    event = {"event_id": str(uuid.uuid4())}
    data = {"name": "assign order – notify engineer", "variables": ["project"], "channels": ["sms"], "deleted": False}
    handlers.message_template_changed(event, data, uow)
    handlers.create_template({"name": "F", "nodes": flow}, actor, uow)
    handlers.message_template_changed({"event_id": str(uuid.uuid4())}, {**data, "deleted": True}, uow)
    with pytest.raises(FlowInvalid):
        handlers.create_template({"name": "F", "nodes": copy.deepcopy(flow)}, actor, uow)
    assert MESSAGE in uow.message_templates.names()


def test_TPL12_the_product_list_filters_by_code_name_template_and_provider_status():
    uow, actor = fake_uow(), vendor()
    template = approved_template(uow, actor)
    first, second = bind(uow, actor, template.id, "prod-alpha"), bind(uow, actor, template.id, "prod-beta")
    handlers.product_providers_set({"event_id": "e1"}, {"product_id": second.product_id, "vendor_id": actor.org_id,
                                                        "provider_ids": ["p1"]}, uow)
    assert handlers.list_products({"code": "alpha"}, actor, uow)[1] == 1
    assert handlers.list_products({"template_name": "flow"}, actor, uow)[1] == 2
    configured, total = handlers.list_products({"provider_status": "configured"}, actor, uow)
    assert total == 1 and configured[0].product_id == "prod-beta"
    assert handlers.list_products({"sort": "-code"}, actor, uow)[0][0].product_id == "prod-beta"
    assert handlers.list_products({}, vendor(), uow)[1] == 0
    assert first.template_name == "Flow"


def test_PRJ1_the_transitional_flow_lookup_returns_the_bound_version():
    uow, actor = fake_uow(), vendor()
    template = handlers.import_public_template({"name": "Thin", "nodes": [
        node("assign_provider", N.ASSIGN_PROVIDER), node("requirements", N.SUBMIT_REQUIREMENTS),
        node("complete", N.COMPLETE_PROJECT)]}, uow)
    handlers.system_bind_product({"product_id": "p", "vendor_id": actor.org_id, "product_code": "C",
                                  "product_name": "N", "template_id": template.id}, uow)
    flow = handlers.product_flow("p", uow)
    assert flow["vendor_id"] == actor.org_id and flow["template_version"] == 1
    assert flow["nodes"][1]["settings"]["form_template_id"] == "form-general"


def test_TPL12_a_vendor_project_manager_reads_but_does_not_change_templates_or_products():
    from platform_contracts.roles import VENDOR_PROJECT_MANAGER

    uow, admin = fake_uow(), vendor()
    template = approved_template(uow, admin)
    manager = Actor("pm", admin.org_id, ISV, (VENDOR_PROJECT_MANAGER,))
    assert handlers.get_template(template.id, manager, uow).id == template.id
    for call in (lambda: handlers.create_template({"name": "F", "nodes": valid_flow()}, manager, uow),
                 lambda: handlers.copy_template(template.id, manager, uow),
                 lambda: handlers.update_template(template.id, {"name": "F", "nodes": valid_flow()}, manager, uow),
                 lambda: bind(uow, manager, template.id)):
        with pytest.raises(NotYours):
            call()


def test_TPL12_renaming_a_product_tells_listeners_and_saving_it_unchanged_does_not():
    uow, actor = fake_uow(), vendor()
    template = approved_template(uow, actor)
    product = bind(uow, actor, template.id)
    before = len(uow.events_of("product_template_bound"))
    same = {"product_id": product.product_id, "code": product.code, "name": product.name, "template_id": template.id}
    handlers.save_product(same, actor, uow)
    assert len(uow.events_of("product_template_bound")) == before
    handlers.save_product({**same, "name": "Renamed"}, actor, uow)
    assert uow.events_of("product_template_bound")[-1]["product_name"] == "Renamed"


def test_TPL11_a_malformed_draft_is_refused_with_every_schema_and_rule_problem_in_one_answer():
    """Five problems of three kinds (malformed data, broken rules, unfinished parts) in one answer,
    each by its path for programs and its node's name for people."""
    from platform_kit.exceptions import ValidationFailed
    from template_svc.schemas import TemplateDraftSchema, lenient_nodes, load_flow

    uow, flow = fake_uow(), valid_flow()
    flow[0]["kind"] = "assign_providr"                           # schema: unknown kind (and so not first)
    flow[1]["settings"]["form_template_id"] = None               # unfinished: no form
    flow[2]["settings"]["role"] = "wizard"                       # rule: not a platform role
    flow[3]["children"][1]["settings"]["timeout_days"] = "soon"  # schema: not a number
    flow[3]["children"][1]["name"] = "客户验收"
    flow[4]["key"] = "dispatch"                                  # rule: duplicate key
    payload = {"name": "Flow", "nodes": flow}
    with pytest.raises(ValidationFailed) as schema_only:
        load_flow(TemplateDraftSchema(), payload)
    with pytest.raises(ValidationFailed) as refused:
        handlers.refuse_malformed_draft(lenient_nodes(flow), flow, schema_only.value.fields, uow)
    fields = refused.value.fields
    assert {"nodes[0].kind", "nodes[1].settings.form_template_id", "nodes[2].settings.role",
            "nodes[3].children[1].settings.timeout_days", "nodes[4].key"} <= set(fields)
    assert fields["nodes[3].children[1].settings.timeout_days"][0].startswith("「客户验收」")
    assert len(fields["nodes[0].kind"]) == 2, "the unknown kind and 'the first node must be assign provider'"
