"""The template centre in the browser: a vendor draws a flow in the designer (a container with
a step inside, a requirements node), the server's problem is shown on the node it names, the vendor
fixes it and submits the flow for approval; the operator rejects it with a reason, the vendor changes
it and submits again, the operator approves; the vendor binds a product to it and reads the first
version back, read only."""
import uuid

import pytest
import requests

from platform_kit.testing import _wait_until as wait_until

pytestmark = pytest.mark.e2e


def template_of(e2e, headers: dict, template_id: str) -> dict:
    answer = requests.get(e2e.url(f"/api/v1/service-templates/{template_id}"), headers=headers, timeout=15)
    assert answer.status_code == 200, answer.text
    return answer.json()


def add_node(page, opener: str, kind: str) -> None:
    """Open a '+' menu and pick a kind; a menu that closes while it animates open is opened again."""
    option = page.locator(f".ant-dropdown [data-add-kind={kind}] >> visible=true")
    for attempt in range(3):
        page.click(opener)
        try:
            option.click(timeout=5_000)
            return
        except Exception:
            if attempt == 2:
                raise


def test_TPL1_TPL11_a_vendor_designs_a_flow_sees_the_problem_on_its_node_fixes_it_and_the_operator_approves(
        e2e, console):
    isv = e2e.new_organisation("isv")
    name = f"Console flow {uuid.uuid4().hex[:6]}"
    vendor = console(isv["login"])
    vendor.wait_signed_in()
    vendor.open("/templates.flows")
    vendor.page.click("[data-testid=new-template]")
    page = vendor.page
    page.wait_for_selector("[data-testid=flow-designer]")
    page.fill("#template-name", name)

    # a requirements node (its form left out), then a container holding an engineer's upload step
    add_node(page, "[data-testid=add-node]", "submit_requirements")
    page.wait_for_selector("[data-node=submit_requirements_1]")
    page.fill("#node-name", "提交需求")
    add_node(page, "[data-testid=add-node]", "container")
    page.wait_for_selector("[data-node=container_1]")
    page.fill("#node-name", "交付")
    add_node(page, "[data-children=container_1] [data-testid^=add-in-]", "generic")
    page.wait_for_selector("[data-children=container_1] [data-node=generic_1]")
    page.fill("#node-name", "部署实施")
    vendor.choose("[data-testid=setting-role]", "Engineer")
    page.click("[data-setting=upload_enabled]")
    # the provider's acceptance inside the container, with a timeout in working days and a reminder
    add_node(page, "[data-children=container_1] [data-testid=add-after-generic_1]", "confirm")
    page.wait_for_selector("[data-children=container_1] [data-node=confirm_1]")
    page.fill("#setting-timeout", "1.5")
    page.click("[data-setting=advance_on_timeout]")
    page.click("[data-testid=add-reminder]")
    vendor.choose("[data-testid=reminder-trigger-0]", "Timeout")
    vendor.choose("[data-testid=reminder-template-0]", "confirm timeout – notify node operator", search=True)
    # a step moved into the container above it and out again, then removed
    add_node(page, "[data-testid=add-node]", "generic")
    page.click("[data-node=generic_2] [data-action=into]")
    page.wait_for_selector("[data-children=container_1] [data-node=generic_2]")
    page.click("[data-node=generic_2] [data-action=out]")
    page.wait_for_selector("[data-children=container_1] [data-node=generic_2]", state="detached")
    page.click("[data-node=generic_2] [data-action=remove]")
    page.wait_for_selector("[data-node=generic_2]", state="detached")
    order = page.eval_on_selector_all("[data-node]", "els => els.map(e => e.dataset.node)")
    assert order == ["assign_provider", "submit_requirements_1", "container_1", "generic_1", "confirm_1",
                     "complete_project"]

    # saving: the server's warning is shown on the requirements node, which names no form yet
    page.click("[data-testid=save-draft]")
    node = page.wait_for_selector("[data-node=submit_requirements_1][data-has-error=true]")
    assert "requirement form" in node.inner_text()
    assert page.get_attribute("[data-node=generic_1]", "data-has-error") == "false"
    template_id = page.evaluate("location.hash").split("/")[2]
    saved = template_of(e2e, isv["headers"], template_id)
    assert saved["status"] == "draft" and saved["name"] == name
    container = saved["nodes"][2]
    assert container["kind"] == "container"
    assert [c["key"] for c in container["children"]] == ["generic_1", "confirm_1"]
    assert container["children"][0]["settings"]["role"] == "engineer"
    assert container["children"][0]["settings"]["upload_enabled"] is True
    assert container["children"][1]["settings"]["timeout_days"] == 1.5
    assert container["children"][1]["settings"]["advance_on_timeout"] is True
    assert container["children"][1]["reminders"] == [{"trigger": "timeout", "receivers": ["node_operator"],
                                                      "message_template": "confirm timeout – notify node operator"}]
    vendor.screenshot("flow-designer-problem-on-node")

    # the vendor chooses the form on the node: the problem goes; the first publish is approved at
    # once (TPL-1 asks approval for edits of a published template only)
    page.click("[data-node=submit_requirements_1]")
    vendor.choose("[data-testid=setting-form]", "form-general")
    page.wait_for_selector("[data-node=submit_requirements_1][data-has-error=false]")
    page.click("[data-testid=publish]")
    page.wait_for_selector("[data-testid=template-status] >> text=Approved")
    assert template_of(e2e, isv["headers"], template_id)["approved_version"] == 1

    # an edit of the published template goes to the operator
    page.click("[data-node=confirm_1]")
    page.fill("#node-name", "验收")
    page.click("[data-testid=publish]")
    page.wait_for_selector("[data-testid=template-status] >> text=Pending approval")
    assert template_of(e2e, isv["headers"], template_id)["status"] == "pending_approval"
    assert page.is_disabled("#template-name"), "a version awaiting approval is not edited"
    vendor.screenshot("flow-designer-submitted")

    # the operator rejects version 2 with a reason, which the vendor reads in the versions
    operator = console("operator")
    operator.wait_signed_in()
    operator.open("/templates.approvals")
    operator.page.wait_for_selector("[data-testid=templates-approvals] .ant-table-row")
    operator.page.click(f"[data-template='{template_id}']")
    operator.page.wait_for_selector("[data-testid=approval-drawer] [data-node=container_1]")
    operator.page.fill("[data-testid=approval-note]", "Name the provider's acceptance step.")
    operator.screenshot("template-approval")
    operator.page.click("[data-testid=reject]")
    operator.page.wait_for_selector("[data-testid=approval-drawer]", state="detached")
    operator.page.wait_for_selector(f"[data-template='{template_id}']", state="detached")  # left the queue
    rejected = template_of(e2e, isv["headers"], template_id)
    first = next(v for v in rejected["versions"] if v["version"] == 2)
    assert rejected["status"] == "rejected" and first["reason"] == "Name the provider's acceptance step."

    page.reload()
    page.wait_for_selector("[data-testid=template-status] >> text=Rejected")
    assert "Name the provider's acceptance step." in page.inner_text("[data-testid=versions]")
    page.click("[data-node=confirm_1]")
    page.fill("#node-name", "服务商验收")
    page.click("[data-testid=publish]")
    page.wait_for_selector("[data-testid=template-status] >> text=Pending approval")
    assert template_of(e2e, isv["headers"], template_id)["latest_version"] == 3

    operator.page.reload()
    operator.page.click(f"[data-template='{template_id}']")
    operator.page.wait_for_selector("[data-testid=approval-drawer] >> text=服务商验收")
    # approving with a note (optional): the vendor reads it in the versions as it read the rejection's
    operator.page.fill("[data-testid=approval-note]", "Approved: keep the acceptance step named.")
    operator.page.click("[data-testid=approve]")
    wait_until(lambda: template_of(e2e, isv["headers"], template_id)["approved_version"] == 3, timeout=15,
               message="the operator approved version 3")
    operator.page.wait_for_selector(f"[data-template='{template_id}']", state="detached")
    second = next(v for v in template_of(e2e, isv["headers"], template_id)["versions"] if v["version"] == 3)
    assert second["status"] == "approved" and second["reason"] == "Approved: keep the acceptance step named."

    # the vendor binds a product to the approved template, then reads version 1 back, read only
    page.reload()
    page.wait_for_selector("[data-testid=template-status] >> text=Approved")
    assert "Approved: keep the acceptance step named." in page.inner_text("[data-testid=versions]")
    product_id = f"prod-{uuid.uuid4().hex[:8]}"
    page.click("[data-testid=bind-product]")
    page.fill("[data-testid=bind-form] #product_id", product_id)
    page.fill("[data-testid=bind-form] #code", product_id.upper())
    page.fill("[data-testid=bind-form] #name", "Console product")
    page.click("[data-testid=bind-ok]")
    page.wait_for_selector("[data-testid=bind-form]", state="detached")
    product = requests.get(e2e.url(f"/api/v1/products/{product_id}"), headers=isv["headers"], timeout=15).json()
    assert product["template_id"] == template_id
    page.click("[data-testid=versions] [data-version='1']")
    page.wait_for_selector("text=Read only: v1")
    page.wait_for_selector("[data-testid=changes]")
    assert page.query_selector("[data-testid=save-draft]") is None
    assert page.is_disabled("#template-name")
    vendor.screenshot("flow-designer-version-read-only")


def test_TPL11_a_blocking_problem_refuses_the_save_and_is_shown_on_its_node(e2e, console):
    """Two nodes with one key are wrong data: the save is refused (400) and both messages sit on the node."""
    isv = e2e.new_organisation("isv")
    vendor = console(isv["login"])
    vendor.wait_signed_in()
    vendor.open("/templates.flows/new")
    page = vendor.page
    page.wait_for_selector("[data-testid=flow-designer]")
    page.fill("#template-name", "Duplicate keys")
    add_node(page, "[data-testid=add-node]", "claim_order")
    page.fill("#node-key", "assign_provider")
    page.click("[data-testid=save-draft]")
    node = page.wait_for_selector("[data-kind=claim_order][data-has-error=true]")
    assert "already used" in node.inner_text()
    assert "#/templates.flows/new" in page.url, "nothing was saved"
    # the key's field in the settings shows it too, and editing the key takes the message away
    page.click("[data-kind=claim_order]")
    assert "already used" in page.inner_text("[data-testid=node-settings]")
    page.fill("#node-key", "claim")
    page.wait_for_selector("[data-kind=claim_order][data-has-error=false]")
    page.click("[data-testid=save-draft]")
    page.wait_for_selector("[data-testid=template-status] >> text=Draft")
    assert "#/templates.flows/new" not in page.url


def test_TPL2_the_public_templates_list_and_the_operator_publishes_a_public_flow_at_once(e2e, console):
    operator = console("operator")
    operator.wait_signed_in()
    operator.open("/templates.public")
    operator.page.wait_for_selector("[data-testid=templates-public] [data-template=tpl-public-self-service]")
    operator.screenshot("templates-public")
    operator.page.click("[data-template=tpl-public-department]")
    operator.page.wait_for_selector("[data-testid=flow-designer] [data-kind=claim_order]")
    operator.screenshot("flow-designer-public")
    # a public template of the operator's: publishing approves it at once (no approval step)
    page = operator.page
    page.click("text=Back")
    page.click("[data-testid=new-template]")
    page.fill("#template-name", f"Public flow {uuid.uuid4().hex[:6]}")
    add_node(page, "[data-testid=add-node]", "confirm")
    page.click("[data-testid=publish]")
    page.wait_for_selector("[data-testid=template-status] >> text=Approved")
    template_id = page.evaluate("location.hash").split("/")[2]
    published = template_of(e2e, e2e.auth("operator"), template_id)
    assert published["public"] is True and published["approved_version"] == 1


def test_TPL2_a_vendor_reads_a_public_template_read_only_and_copies_it_into_its_own_draft(e2e, console):
    isv = e2e.new_organisation("isv")
    vendor = console(isv["login"])
    vendor.wait_signed_in()
    vendor.open("/templates.flows")
    vendor.page.click("[data-template=tpl-public-sub-account]")
    page = vendor.page
    page.wait_for_selector("[data-testid=flow-designer] [data-kind=assign_order]")
    assert page.is_disabled("#template-name") and page.query_selector("[data-testid=save-draft]") is None
    page.click("[data-testid=copy]")
    page.wait_for_selector("[data-testid=save-draft]")
    copy_id = page.evaluate("location.hash").split("/")[2]
    assert copy_id != "tpl-public-sub-account"
    copy = template_of(e2e, isv["headers"], copy_id)
    assert copy["owner_id"] == isv["org"]["id"] and copy["status"] == "draft"
    assert [n["key"] for n in copy["nodes"]] == [
        n["key"] for n in template_of(e2e, isv["headers"], "tpl-public-sub-account")["nodes"]]
    assert page.is_enabled("#template-name")
