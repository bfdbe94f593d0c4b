"""In the browser, the three delivery scenarios of seed 000 §3 clicked through from the
project list to the customer's rating: 3.1 the main account serves itself (with uploads, a refused
file type, a download, pause and resume), 3.2 dispatch to sub-accounts (with a change of provider by
the vendor and a change of operator by the provider admin), 3.3 outsourcing through departments
(the customer manager claims the order). The API is used only to set the scene (organisations,
users, the bound flow) and to check what the clicks did."""
import importlib.util
import uuid
from pathlib import Path

import pytest
import requests

from platform_kit.testing import _wait_until as wait_until

pytestmark = pytest.mark.e2e

_spec = importlib.util.spec_from_file_location(
    "projects_e2e_flows", Path(__file__).resolve().parents[1] / "e2e" / "test_projects_e2e.py")
flows = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(flows)


def project_of(e2e, headers: dict, project_id: str) -> dict:
    answer = requests.get(e2e.url(f"/api/v1/projects/{project_id}"), headers=headers, timeout=15)
    return answer.json() if answer.status_code == 200 else {}


def node_of(e2e, headers, project_id) -> str | None:
    return (project_of(e2e, headers, project_id).get("current_node") or {}).get("key")


def buy(e2e, buyer: dict, product_id: str) -> tuple[str, str]:
    order_id = f"ORD-B-{uuid.uuid4().hex[:8]}"
    bought = requests.post(e2e.url("/api/v1/purchases"), headers=buyer["headers"], timeout=15,
                           json={"order_id": order_id, "product_id": product_id})
    assert bought.status_code == 201, bought.text
    return bought.json()["project"]["id"], order_id


def self_served_product(e2e, tag: str) -> tuple[dict, dict, str]:
    """A new ISV selling a product it delivers itself (seed 000 §3.1's flow) and a new customer."""
    isv, buyer = e2e.new_organisation("isv"), e2e.new_organisation("customer")
    product_id = f"prod-{tag}-{uuid.uuid4().hex[:8]}"
    flows.bind(e2e, product_id, isv["org"]["id"], flows.SELF_SERVICE)
    return isv, buyer, product_id


def open_project(tab, menu: str, order_id: str) -> None:
    """From the list: filter by the order id, then open the row."""
    tab.open(f"/{menu}")
    tab.page.fill("#f_order_id", order_id)
    tab.page.click("[data-testid=project-search]")
    tab.page.click(f"[data-order='{order_id}']")
    tab.page.wait_for_selector("[data-testid=flow]")


def shows(tab, selector: str) -> None:
    """Wait for the selector; when it never shows, fail with what the page said instead."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        tab.page.wait_for_selector(selector)
    except PlaywrightTimeout:
        tab.screenshot(f"failed-{uuid.uuid4().hex[:6]}")
        raise AssertionError(f"{selector} not shown; the page says: {tab.page.inner_text('body')[:2000]}") from None


def click_and_wait_done(tab, selector: str) -> None:
    tab.page.click(selector)
    tab.page.wait_for_selector(".ant-message-notice")
    tab.page.wait_for_selector(".ant-message-notice", state="detached")


def reload_until(tab, selector: str, timeout: float = 30) -> None:
    """The project moves on asynchronously (dispatch): reload the detail until the selector shows."""
    def shown():
        tab.page.click("[data-testid=reload]")
        tab.page.wait_for_load_state("networkidle")
        return tab.page.query_selector(selector) is not None
    wait_until(shown, timeout=timeout, interval=0.5, message=selector)


def ask(tab, action: str, field: str, text: str) -> None:
    """A project action asked with a note or reason in its dialog."""
    tab.page.click(f"[data-action={action}]")
    tab.page.fill(f"#{action}-{field}", text)
    tab.page.click(f"[data-testid={action}] .ant-btn-primary")
    tab.page.wait_for_selector(f"[data-testid={action}]", state="detached")


def rate(tab, comment: str) -> None:
    tab.page.wait_for_selector("[data-testid=rating]")
    tab.page.fill("[data-testid=rating] textarea", comment)
    tab.page.click("[data-testid=rating] button")
    tab.page.wait_for_selector("[data-testid=rated]")


def test_seed_3_1_PRJ3_PRJ8_the_main_account_serves_itself_uploads_pauses_resumes_and_the_customer_rates(
        e2e, console, tmp_path):
    isv, buyer, product_id = self_served_product(e2e, "b31")
    project_id, order_id = buy(e2e, buyer, product_id)
    wait_until(lambda: node_of(e2e, buyer["headers"], project_id) == "req", timeout=30, message="self-assigned")

    customer = console(buyer["login"])
    customer.wait_signed_in()
    open_project(customer, "projects.mine", order_id)
    customer.page.fill("[data-testid=requirements-form] #site_address", "Beijing, Haidian")
    customer.page.fill("[data-testid=requirements-form] #users", "12")
    customer.page.click("[data-testid=requirements-form] button[type=submit]")
    customer.page.wait_for_selector("text=Waiting for the other side")
    assert customer.page.query_selector("[data-tab=notes]") is None, "the customer never sees notes"

    provider = console(isv["login"])
    provider.wait_signed_in()
    provider.open("/projects.manage")
    provider.page.fill("#f_order_id", order_id)
    provider.page.click("[data-testid=project-search]")
    row = provider.page.wait_for_selector(f"[data-testid=project-table] tr:has([data-order='{order_id}'])")
    # PRJ-3: provider and customer by name, not by id
    assert isv["org"]["name"] in row.inner_text() and buyer["org"]["name"] in row.inner_text()
    assert isv["org"]["id"] not in row.inner_text()
    provider.screenshot("projects-list-filtered")
    # PRJ-10: the export takes the list's filters (here the order id) and names beside ids
    with provider.page.expect_download() as exported:
        provider.page.click("[data-testid=export-csv]")
    lines = Path(exported.value.path()).read_text(encoding="utf-8-sig").splitlines()
    assert len(lines) == 2 and "provider_name" in lines[0] and order_id in lines[1]
    assert isv["org"]["name"] in lines[1] and buyer["org"]["name"] in lines[1]
    with provider.page.expect_download() as exported:
        provider.page.click("[data-testid=export-xlsx]")
    assert exported.value.suggested_filename == "projects.xlsx"
    assert Path(exported.value.path()).read_bytes()[:2] == b"PK"
    provider.page.click(f"[data-order='{order_id}']")
    provider.page.wait_for_selector("[data-current=true][data-node=req_ok]")
    click_and_wait_done(provider, "[data-action=confirm]")
    provider.page.wait_for_selector("[data-current=true][data-node=design]")

    # an upload the API refuses (its type) is shown with the API's reason; a PDF goes through
    bad = tmp_path / "tool.exe"
    bad.write_bytes(b"MZ\x90\x00binary")
    provider.page.set_input_files("[data-testid=upload-input]", str(bad))
    error = provider.page.wait_for_selector("[data-testid=upload-error]")
    assert "tool.exe" in error.inner_text()
    good = tmp_path / "design.pdf"
    good.write_bytes(b"%PDF-1.4 site design")
    provider.page.set_input_files("[data-testid=upload-input]", str(good))
    provider.page.wait_for_selector("[data-tab=files]:has-text('(1)')")
    provider.page.click("[data-tab=files]")
    with provider.page.expect_download() as downloaded:
        provider.page.click("[data-download='design.pdf']")
    assert Path(downloaded.value.path()).read_bytes() == b"%PDF-1.4 site design"
    provider.page.click("[data-tab=notes]")
    provider.page.fill("[data-testid=notes-input]", "customer prefers mornings")
    provider.page.click("[data-testid=notes-send]")
    provider.page.wait_for_selector("text=customer prefers mornings")

    # PRJ-8: pause with a note (the clock stops), resume with a note
    ask(provider, "pause", "note", "waiting for the site to open")
    provider.page.wait_for_selector("[data-testid=project-status][data-status=paused]")
    provider.page.wait_for_selector("[data-testid=paused]")
    assert project_of(e2e, isv["headers"], project_id)["status"] == "paused"
    provider.screenshot("project-paused")
    ask(provider, "resume", "note", "site open")
    provider.page.wait_for_selector("[data-testid=project-status][data-status=in_progress]")
    click_and_wait_done(provider, "[data-action=confirm]")
    assert node_of(e2e, isv["headers"], project_id) == "design_ok"
    provider.page.click("[data-tab=log]")
    log = provider.page.inner_text("[data-testid=flow-log]")
    assert "paused" in log and "waiting for the site to open" in log and "resumed" in log

    customer.page.click("[data-testid=reload]")
    for node in ("design_ok", "done"):
        customer.page.wait_for_selector(f"[data-current=true][data-node={node}]")
        click_and_wait_done(customer, "[data-action=confirm]")
    rate(customer, "fast and tidy")
    seen = project_of(e2e, buyer["headers"], project_id)
    assert seen["status"] == "completed" and seen["rating"] == 5 and seen["notes"] == []
    customer.screenshot("project-rated-3-1")


def test_seed_3_2_PRJ5_PRJ6_the_vendor_changes_provider_the_admin_changes_operator_the_engineer_delivers(
        e2e, console, http, tmp_path):
    vendor, first, second, buyer = (e2e.new_organisation("isv"), e2e.new_organisation("isv"),
                                    e2e.new_organisation("isv"), e2e.new_organisation("customer"))
    product_id = f"prod-b32-{uuid.uuid4().hex[:8]}"
    flows.bind(e2e, product_id, vendor["org"]["id"], flows.SUB_ACCOUNT)
    providers_url = e2e.url("/api/v1/product-providers")

    def providers(*orgs):
        answer = http.put(providers_url, headers=e2e.auth("operator"), json={
            "product_id": product_id, "vendor_id": vendor["org"]["id"],
            "providers": [{"provider_id": o["org"]["id"], "weight": 10, "max_held": 10} for o in orgs]})
        assert answer.status_code == 200, answer.text

    providers(first)  # the first provider gets the order; then a second one joins
    engineers = [flows.new_user(e2e, http, second["headers"], ["engineer"]) for _ in range(2)]
    for user, _ in engineers:
        flows.open_for_orders(e2e, http, second["headers"], user["id"])
    project_id, order_id = buy(e2e, buyer, product_id)
    wait_until(lambda: project_of(e2e, buyer["headers"], project_id).get("provider_id") == first["org"]["id"],
               timeout=30, message="the first provider assigned")
    providers(first, second)

    def project_knows_two_providers():
        board = http.get(e2e.url("/api/v1/projects/dashboard"), headers=vendor["headers"],
                         params={"view": "vendor"}).json()
        return len([s for s in board.get("saturation", []) if s["product_id"] == product_id]) == 2
    wait_until(project_knows_two_providers, timeout=30, message="project_svc to know both providers")

    # PRJ-5: the vendor changes the provider with a note; the flow restarts and the other one takes it
    seller = console(vendor["login"])
    seller.wait_signed_in()
    open_project(seller, "projects.manage", order_id)
    assert seller.page.inner_text("[data-testid=provider-name]") == first["org"]["name"]
    ask(seller, "change-provider", "note", "first provider is overbooked")
    reload_until(seller, f"[data-testid=provider-name]:has-text('{second['org']['name']}')")
    seller.screenshot("project-provider-changed")

    customer = console(buyer["login"])
    customer.wait_signed_in()
    open_project(customer, "projects.mine", order_id)
    customer.page.fill("[data-testid=requirements-form] #site_address", "Shanghai")
    customer.page.fill("[data-testid=requirements-form] #users", "5")
    customer.page.click("[data-testid=requirements-form] button[type=submit]")
    customer.page.wait_for_selector("text=Waiting for the other side")
    assigned = wait_until(lambda: project_of(e2e, second["headers"], project_id).get("current_operator_id"),
                          timeout=30, message="dispatch to assign an engineer")
    (mine, mine_headers), (other, other_headers) = sorted(engineers, key=lambda e: e[0]["id"] != assigned)

    # PRJ-6: the provider admin hands the node to the other engineer (same role, spare capacity)
    admin = console(second["login"])
    admin.wait_signed_in()
    open_project(admin, "projects.manage", order_id)
    assert admin.page.inner_text("[data-testid=operator-name]") == mine["display_name"]
    admin.page.click("[data-action=change-operator]")
    admin.page.click("[data-testid=operator-dialog] .ant-select")
    admin.page.click(f".ant-select-dropdown .ant-select-item-option:has-text('{other['display_name']}')")
    admin.page.click("[data-testid=operator-dialog] .ant-btn-primary")
    admin.page.wait_for_selector("[data-testid=operator-dialog]", state="detached")
    reload_until(admin, f"[data-testid=operator-name]:has-text('{other['display_name']}')")
    admin.screenshot("project-operator-changed")

    engineer = console(other["login_name"])
    engineer.wait_signed_in()
    engineer.open("/projects.mine")
    engineer.page.click("[data-tab=waiting]")
    engineer.page.click(f"[data-order='{order_id}']")
    engineer.page.wait_for_selector("[data-current=true][data-node=deploy]")
    report = tmp_path / "runbook.txt"
    report.write_text("steps done")
    engineer.page.set_input_files("[data-testid=upload-input]", str(report))
    engineer.page.wait_for_selector("[data-tab=files]:has-text('(1)')")
    click_and_wait_done(engineer, "[data-action=confirm]")
    engineer.open("/projects.mine")
    engineer.page.click("[data-tab=handled]")
    engineer.page.wait_for_selector(f"[data-order='{order_id}']")

    customer.page.click("[data-testid=reload]")
    customer.page.wait_for_selector("[data-current=true][data-node=done]")
    click_and_wait_done(customer, "[data-action=confirm]")
    rate(customer, "good engineers")
    seen = project_of(e2e, buyer["headers"], project_id)
    assert seen["status"] == "completed" and seen["provider_id"] == second["org"]["id"]
    actions = [e["action"] for e in seen["log"]]
    assert "provider_changed" in actions and "operator_changed" in actions


def test_seed_3_3_DSP7_the_customer_manager_claims_the_order_and_its_department_delivers(e2e, console, http):
    isv, buyer = e2e.new_organisation("isv"), e2e.new_organisation("customer")
    department = http.post(e2e.url("/api/v1/departments"), headers=isv["headers"],
                           json={"name": f"East {uuid.uuid4().hex[:6]}"})
    assert department.status_code == 201, department.text
    department_id = department.json()["id"]
    manager, _ = flows.new_user(e2e, http, isv["headers"], ["customer_manager"], department_id=department_id)
    engineer, _ = flows.new_user(e2e, http, isv["headers"], ["engineer"], department_id=department_id)
    for user in (manager, engineer):
        flows.open_for_orders(e2e, http, isv["headers"], user["id"])
    product_id = f"prod-b33-{uuid.uuid4().hex[:8]}"
    flows.bind(e2e, product_id, isv["org"]["id"], flows.OUTSOURCED)
    project_id, order_id = buy(e2e, buyer, product_id)
    wait_until(lambda: node_of(e2e, isv["headers"], project_id) == "claim", timeout=30, message="at the claim node")

    claimer = console(manager["login_name"])
    claimer.wait_signed_in()
    claimer.open("/projects.claim")
    claimer.page.fill("#claim_order_id", "ORD-NO-SUCH")
    claimer.page.click("[data-testid=claim-form] button[type=submit]")
    claimer.page.wait_for_selector("[data-testid=claim-form] .ant-form-item-has-error, .ant-alert-error")
    claimer.page.fill("#claim_order_id", order_id)
    claimer.page.click("[data-testid=claim-form] button[type=submit]")
    shows(claimer, "[data-testid=flow]")
    wait_until(lambda: project_of(e2e, buyer["headers"], project_id).get("claimed_by") == manager["id"],
               timeout=20, message="the claim")
    claimer.screenshot("project-claimed")

    customer = console(buyer["login"])
    customer.wait_signed_in()
    open_project(customer, "projects.mine", order_id)
    customer.page.fill("[data-testid=requirements-form] #site_address", "Hangzhou")
    customer.page.fill("[data-testid=requirements-form] #users", "3")
    customer.page.click("[data-testid=requirements-form] button[type=submit]")
    customer.page.wait_for_selector("text=Waiting for the other side")
    wait_until(lambda: node_of(e2e, isv["headers"], project_id) == "build", timeout=30,
               message="dispatch inside the claimer's department")

    worker = console(engineer["login_name"])
    worker.wait_signed_in()
    worker.open("/projects.mine")
    worker.page.click(f"[data-order='{order_id}']")
    worker.page.wait_for_selector("[data-current=true][data-node=build]")
    worker.page.click("[data-tab=messages]")
    worker.page.fill("[data-testid=messages-input]", "arriving at 10:00")
    worker.page.click("[data-testid=messages-send]")
    worker.page.wait_for_selector("text=arriving at 10:00")
    click_and_wait_done(worker, "[data-action=confirm]")

    customer.page.click("[data-testid=reload]")
    customer.page.wait_for_selector("text=arriving at 10:00")
    for node in ("accept", "done"):
        customer.page.wait_for_selector(f"[data-current=true][data-node={node}]")
        click_and_wait_done(customer, "[data-action=confirm]")
    rate(customer, "claimed and delivered")
    seen = project_of(e2e, buyer["headers"], project_id)
    assert seen["status"] == "completed" and seen["claimed_by"] == manager["id"]
    customer.screenshot("project-rated-3-3")


def test_TPL12_DSP1_DSP4_PRJ11_product_centre_capacity_switch_and_saturation_bands(e2e, console, http):
    vendor = console("vendor.admin")
    vendor.wait_signed_in()
    # TPL-12: a new product bound to an approved (public) template, from the product centre
    vendor.open("/products.catalogue")
    vendor.page.click("[data-testid=new-product]")
    code = f"B16-{uuid.uuid4().hex[:6]}"
    vendor.page.fill("#product_id", f"prod-{code.lower()}")
    vendor.page.fill("#product_code", code)
    vendor.page.fill("#product_name", f"Console product {code}")
    vendor.page.click("[data-testid=product-dialog] .ant-select")
    vendor.page.click(".ant-select-dropdown .ant-select-item-option >> nth=0")
    vendor.page.click("[data-testid=product-dialog] .ant-btn-primary")
    vendor.page.wait_for_selector("[data-testid=product-dialog]", state="detached")
    products = http.get(e2e.url("/api/v1/products"), headers=e2e.auth("vendor.admin"), params={"code": code}).json()
    assert [p["code"] for p in products["items"]] == [code] and products["items"][0]["template_id"]

    # DSP-1: the providers of a product by name, with their weights
    vendor.page.click("[data-providers='ERP-INST']")
    vendor.page.wait_for_selector(".ant-drawer :text('Demo Provider A')")
    vendor.page.keyboard.press("Escape")

    # PRJ-11: saturation per product and provider as bars in their colour bands
    vendor.open("/projects.dashboard")
    vendor.page.wait_for_selector("[data-testid=chart-day] canvas")
    bars = vendor.page.query_selector_all("[data-testid=saturation-bar]")
    assert bars and all(b.get_attribute("data-band") in ("green", "blue", "red") for b in bars)
    colours = {"green": "rgb(82, 196, 26)", "blue": "rgb(22, 119, 255)", "red": "rgb(245, 34, 45)"}
    for bar in bars:
        drawn = bar.eval_on_selector(".ant-progress-bg", "e => getComputedStyle(e).backgroundColor")
        assert drawn == colours[bar.get_attribute("data-band")], drawn
    assert "Demo Provider A" in vendor.page.inner_text("body")
    vendor.screenshot("dashboard-saturation")

    # DSP-4: the provider admin switches an employee closed on the capacity page
    isv = e2e.new_organisation("isv")
    engineer, _ = flows.new_user(e2e, http, isv["headers"], ["engineer"])
    flows.open_for_orders(e2e, http, isv["headers"], engineer["id"])
    admin = console(isv["login"])
    admin.wait_signed_in()
    admin.open("/settings.capacity")
    admin.page.click(f"[data-open='{engineer['id']}']")
    wait_until(lambda: http.get(e2e.url(f"/api/v1/dispatch/employees/{engineer['id']}"),
                                headers=isv["headers"]).json()["open"] is False, timeout=15, message="closed")
    admin.screenshot("capacity-switch")


def test_PRJ5_DSP9_a_sole_provider_is_not_changed_and_the_vendor_cancels_with_a_reason(e2e, console):
    isv, buyer, product_id = self_served_product(e2e, "b16c")
    project_id, order_id = buy(e2e, buyer, product_id)
    wait_until(lambda: node_of(e2e, buyer["headers"], project_id) == "req", timeout=30, message="self-assigned")
    seller = console(isv["login"])
    seller.wait_signed_in()
    open_project(seller, "projects.manage", order_id)
    assert seller.page.query_selector("[data-action=change-provider]") is None, "one provider: nothing to change to"
    seller.page.click("[data-action=cancel]")
    seller.page.click("[data-testid=cancel] .ant-btn-primary")
    assert seller.page.wait_for_selector("[data-testid=cancel] .ant-form-item-has-error #cancel-reason")
    seller.page.fill("#cancel-reason", "customer withdrew")
    seller.page.click("[data-testid=cancel] .ant-btn-primary")
    seller.page.wait_for_selector("[data-testid=project-status][data-status=cancelled]")
    assert "customer withdrew" in seller.page.inner_text("[data-testid=project-facts]")
    seen = project_of(e2e, buyer["headers"], project_id)
    assert seen["status"] == "cancelled" and seen["closed_reason"] == "customer withdrew"


def test_PRJ10_the_vendor_filters_its_list_by_creation_dates_and_exports_what_it_shows(e2e, console):
    """The list's filters reach the server (a created range picked in the calendar, which loads only
    when reached for) and the export carries exactly the filtered tab."""
    isv, buyer, product_id = self_served_product(e2e, "b16r")
    orders = [buy(e2e, buyer, product_id)[1] for _ in range(2)]
    seller = console(isv["login"])
    seller.wait_signed_in()
    seller.open("/projects.manage")
    page = seller.page
    for order_id in orders:
        page.wait_for_selector(f"[data-order='{order_id}']")
    assert page.query_selector(".ant-picker") is None, "the calendar is not loaded with the list"

    def pick_range(previous_month: bool) -> None:
        # the stand-in the first time, the picker it became after that
        page.click("[data-testid=project-filters] :is([data-range-stand-in], .ant-picker-range) >> nth=0")
        calendar = ".ant-picker-dropdown:visible"
        page.wait_for_selector(calendar)
        if previous_month:
            page.click(f"{calendar} .ant-picker-header-prev-btn >> nth=0")
            days = f"{calendar} .ant-picker-panel >> nth=0 >> .ant-picker-cell-in-view"
            page.click(f"{days} >> nth=0")
            page.click(f"{days} >> nth=1")
        else:
            page.click(f"{calendar} .ant-picker-cell-today >> nth=0")
            page.click(f"{calendar} .ant-picker-cell-today >> nth=0")
        with page.expect_response(lambda r: "/api/v1/projects?" in r.url and "created_from=" in r.url) as asked:
            page.click("[data-testid=project-search]")
        assert asked.value.status == 200

    pick_range(previous_month=False)
    page.wait_for_selector("[data-testid=project-table] .ant-spin-spinning", state="detached")
    shown = {o for o in orders if page.query_selector(f"[data-order='{o}']")}
    assert shown == set(orders), "both orders were created today"
    with page.expect_download() as exported:
        page.click("[data-testid=export-csv]")
    csv = Path(exported.value.path()).read_text(encoding="utf-8-sig")
    assert all(o in csv for o in orders) and len(csv.strip().splitlines()) == 3, csv[:500]
    seller.screenshot("projects-filtered-by-dates")

    # the customer filter offers the names of the customers in the rows and sends the id
    page.click("[data-testid=project-filters] button:has-text('Reset')")
    seller.choose("[data-testid=project-filters] .ant-form-item:has([data-filter=customer_id])", buyer["org"]["name"])
    with page.expect_response(lambda r: "/api/v1/projects?" in r.url and "customer_id=" in r.url) as asked:
        page.click("[data-testid=project-search]")
    assert f"customer_id={buyer['org']['id']}" in asked.value.url and "created_from" not in asked.value.url
    page.click("[data-testid=project-filters] button:has-text('Reset')")
    pick_range(previous_month=True)
    page.wait_for_selector("[data-testid=project-table] .ant-table-placeholder")
    assert not any(page.query_selector(f"[data-order='{o}']") for o in orders), "nothing was created last month"
