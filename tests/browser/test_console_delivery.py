"""Seed 000 §3.1 in the browser: the customer submits the requirements form (a field error shown
beside its field first), the provider confirms and delivers, the customer confirms, completes and rates;
the main pages of each side are photographed on the way."""
import importlib.util
import uuid
from pathlib import Path

import pytest
import requests

from platform_kit.testing import _wait_until as wait_until

pytestmark = pytest.mark.e2e

# the seed's self-service flow and its binding, as the API-level test of the same scenario uses them
_spec = importlib.util.spec_from_file_location(
    "projects_e2e_flows", Path(__file__).resolve().parents[1] / "e2e" / "test_projects_e2e.py")
flows = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(flows)


def project_of(e2e, headers: dict, project_id: str) -> dict:
    return requests.get(e2e.url(f"/api/v1/projects/{project_id}"), headers=headers, timeout=15).json()


def test_seed_3_1_PRJ5_PRJ9_customer_submits_provider_confirms_customer_completes_and_rates_in_the_console(
        e2e, console):
    isv, buyer = e2e.new_organisation("isv"), e2e.new_organisation("customer")
    product_id = f"prod-console-{uuid.uuid4().hex[:8]}"
    flows.bind(e2e, product_id, isv["org"]["id"], flows.SELF_SERVICE)
    order_id = f"ORD-C-{uuid.uuid4().hex[:8]}"
    bought = requests.post(e2e.url("/api/v1/purchases"), headers=buyer["headers"], timeout=15,
                           json={"order_id": order_id, "product_id": product_id})
    assert bought.status_code == 201, bought.text
    project_id = bought.json()["project"]["id"]
    wait_until(lambda: project_of(e2e, buyer["headers"], project_id)["current_node"]["key"] == "req",
               timeout=30, message="the vendor assigned to itself")

    customer = console(buyer["login"])
    customer.wait_signed_in()
    customer.open("/projects.mine")
    customer.page.click(f"text={order_id}")
    customer.page.wait_for_selector("[data-testid=requirements-form]")
    customer.screenshot("project-detail-requirements")
    # the required number of users left out: the API's message appears under that field
    customer.page.fill("[data-testid=requirements-form] #site_address", "Beijing, Haidian")
    customer.page.click("[data-testid=requirements-form] button[type=submit]")
    error = customer.page.wait_for_selector("[data-testid=requirements-form] .ant-form-item-has-error")
    assert error.query_selector("#users") is not None, "the error is shown beside the users field"
    assert customer.page.inner_text("[data-testid=requirements-form] #users_help")
    customer.screenshot("form-error-beside-field")
    assert project_of(e2e, buyer["headers"], project_id)["current_node"]["key"] == "req"
    customer.page.fill("[data-testid=requirements-form] #users", "20")
    customer.page.click("[data-testid=requirements-form] button[type=submit]")
    customer.page.wait_for_selector("text=Waiting for the other side")

    provider = console(isv["login"])
    provider.wait_signed_in()
    provider.open("/projects.manage")
    provider.page.wait_for_selector(f"text={order_id}")
    provider.screenshot("project-list")
    provider.page.click(f"text={order_id}")
    for node in ("req_ok", "design"):
        wait_until(lambda node=node: project_of(e2e, isv["headers"], project_id)["current_node"]["key"] == node,
                   timeout=15, message=node)
        provider.page.click("[data-action=confirm]")
        provider.page.wait_for_selector("text=Done")
        provider.page.wait_for_selector(".ant-message-notice", state="detached")
    assert project_of(e2e, isv["headers"], project_id)["current_node"]["key"] == "design_ok"
    provider.page.click("text=Flow log")
    provider.screenshot("project-detail-provider")

    customer.page.reload()
    for node in ("design_ok", "done"):
        customer.page.wait_for_selector("[data-action=confirm]")
        assert project_of(e2e, buyer["headers"], project_id)["current_node"]["key"] == node
        customer.page.click("[data-action=confirm]")
        customer.page.wait_for_selector(".ant-message-notice")
        customer.page.wait_for_selector(".ant-message-notice", state="detached")
    customer.page.wait_for_selector("[data-testid=rating]")
    assert project_of(e2e, buyer["headers"], project_id)["status"] == "completed"
    customer.page.fill("[data-testid=rating] textarea", "fast and tidy")
    customer.page.click("[data-testid=rating] button")
    wait_until(lambda: project_of(e2e, buyer["headers"], project_id)["rating"] == 5, timeout=15, message="rated")
    assert project_of(e2e, buyer["headers"], project_id)["rating_comment"] == "fast and tidy"
    customer.screenshot("project-detail-rated")

    # the list's completed tab counts it
    customer.open("/projects.mine")
    customer.page.click("[data-tab=completed]")
    customer.page.wait_for_selector(f"text={order_id}")


def test_DSP_the_vendor_sees_dashboards_queue_products_and_the_provider_its_capacity(e2e, console):
    vendor = console("vendor.admin")
    vendor.wait_signed_in()
    vendor.open("/projects.dashboard")
    vendor.page.wait_for_selector("[data-testid=chart-day] canvas")
    vendor.screenshot("dashboard")
    vendor.open("/projects.queue")
    vendor.page.wait_for_selector("[data-testid=queue-table]")
    vendor.screenshot("queue")
    vendor.open("/products.catalogue")
    vendor.page.wait_for_selector("text=ERP installation")
    vendor.page.click("[data-testid=product-table] tr:has-text('ERP installation') >> text=Providers")
    vendor.page.wait_for_selector(".ant-drawer .ant-input-number")
    vendor.screenshot("product-providers")

    provider = console("provider-a.admin")
    provider.wait_signed_in()
    provider.open("/settings.capacity")
    provider.page.wait_for_selector("[data-testid=capacity-table] .ant-switch")
    provider.screenshot("capacity")

    operator = console("operator")
    operator.wait_signed_in()
    operator.open("/templates.public")
    operator.page.wait_for_selector("[data-testid=template-table]")
    operator.screenshot("templates")
