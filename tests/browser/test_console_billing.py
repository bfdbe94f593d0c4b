"""BIL-2/3/5/11 in the browser: a supplier publishes a product (price typed in yuan, kept in
fen), a customer requests it, the supplier approves and the customer sees it approved; credit limits,
orders, statements and the operator's onboarding page."""
import uuid
from pathlib import Path

import pytest
import requests

from billing_svc.testing import FakeProvider
from platform_kit.testing import _wait_until as wait_until

pytestmark = pytest.mark.e2e

MODAL_OK = ".ant-modal-wrap:visible .ant-modal-footer .ant-btn-primary"


def tab_named(page, title: str) -> None:
    page.click(f".ant-tabs-tab:has-text('{title}')")


def test_BIL3_a_supplier_approves_a_subscription_and_the_customer_sees_it_approved(e2e, console):
    supplier, customer = e2e.new_organisation("isv"), e2e.new_organisation("customer")
    code = f"DATA-{uuid.uuid4().hex[:6].upper()}"

    seller = console(supplier["login"])
    seller.wait_signed_in()
    seller.open("/billing.catalogue")
    page = seller.page
    tab_named(page, "My products")
    page.click("[data-testid=publish-product]")
    page.fill("[data-testid=product-form] #code", code)
    page.fill("[data-testid=product-form] #name", "全国流量 1GB")
    page.fill("[data-testid=product-form] #face_value", "30")
    page.fill("[data-testid=product-form] #price", "28.50")
    # the customer is picked by name (a search of customer organisations), not typed as an id
    seller.choose("[data-testid=product-form] [data-testid=visible-to]", customer["org"]["name"], search=True)
    page.click("[data-testid=product-save]")
    page.wait_for_selector(f"[data-testid=product-table] >> text={code}")
    seller.screenshot("billing-supplier-catalogue")
    products = requests.get(e2e.url("/api/v1/billing/products"), headers=supplier["headers"], params={"code": code},
                            timeout=15).json()["items"]
    assert [(p["price"], p["face_value"], p["visible_to"]) for p in products] == [(2850, 3000, [customer["org"]["id"]])]

    buyer = console(customer["login"])
    buyer.wait_signed_in()
    buyer.open("/billing.catalogue")
    row = buyer.page.locator(f"[data-testid=product-table] tr:has-text('{code}')")
    row.wait_for()
    assert "28.50" in row.inner_text()
    row.locator("input[type=checkbox]").check()
    buyer.page.click("[data-testid=request-subscriptions]")
    tab_named(buyer.page, "My subscriptions")
    buyer.page.wait_for_selector(f"[data-testid=subscription-table] tr:has-text('{code}') >> text=Requested")
    buyer.screenshot("billing-customer-subscriptions")

    seller.open("/billing.orders")  # away and back: the requests tab asks the server again
    seller.open("/billing.catalogue")
    request_row = page.locator(f"[data-testid=subscription-table] tr:has-text('{code}')")
    assert customer["org"]["name"] in request_row.inner_text(), "the customer by name, not by id"
    request_row.locator("[data-testid=subscription-approve]").click()
    seller.screenshot("billing-subscription-requests")

    def approved() -> bool:
        buyer.page.reload()
        tab_named(buyer.page, "My subscriptions")
        try:
            buyer.page.wait_for_selector(f"[data-testid=subscription-table] tr:has-text('{code}') >> text=Approved",
                                         timeout=3000)
            return True
        except Exception:
            return False
    wait_until(approved, timeout=30, message="the customer sees the subscription approved")
    buyer.screenshot("billing-customer-approved")

    # BIL-5: the approval opened a credit account at 0; the supplier sets its limit in yuan
    seller.open("/billing.credit")
    credit_row = page.locator(f"[data-testid=credit-table] tr:has-text('{customer['org']['name']}')")
    credit_row.locator("[data-testid=credit-edit]").click()
    page.fill("[data-testid=credit-form] #limit", "500")
    page.click(MODAL_OK)

    def limit_set() -> bool:
        accounts = requests.get(e2e.url("/api/v1/billing/credit-accounts"), headers=customer["headers"],
                                timeout=15).json()["items"]
        return any(a["supplier_id"] == supplier["org"]["id"] and a["limit"] == 50000 for a in accounts)
    wait_until(limit_set, timeout=15, message="the credit limit of 500.00 (50000 minor units)")
    seller.screenshot("billing-credit")

    # a day's statement exports as CSV (UTF-8 with BOM, the documented columns)
    seller.open("/billing.statements")
    page.wait_for_selector("[data-testid=statement-summary]")
    with page.expect_download() as saved:
        page.click("[data-testid=statement-csv]")
    assert Path(saved.value.path()).read_text(encoding="utf-8-sig").startswith("order_id,created_at,customer_id")

    buyer.open("/billing.orders")
    buyer.page.wait_for_selector("[data-testid=order-table]")
    with buyer.page.expect_download() as saved:
        buyer.page.click("[data-testid=orders-csv]")
    assert Path(saved.value.path()).read_text(encoding="utf-8-sig").startswith("order_id,")

    for view in ("orders", "statements", "settings"):
        seller.open(f"/billing.{view}")
        seller.page.wait_for_selector(".ant-card")
        seller.screenshot(f"billing-supplier-{view}")
        buyer.open(f"/billing.{view}")
        buyer.page.wait_for_selector(".ant-card")
        buyer.screenshot(f"billing-customer-{view}")


@pytest.fixture
def payment_provider(e2e):
    """billing_svc reconciles against the payment provider's settlement file: a local fake, as the
    API fuzzer does (its URL is configuration, so billing restarts against it)."""
    with FakeProvider() as provider:
        e2e.stack.env["PAYMENT_PROVIDER_URL"] = provider.url
        e2e.stack.stop("billing")
        e2e.restart("billing")
        yield provider


def test_BIL2_BIL11_the_operator_confirms_a_signed_customer_and_reconciles_a_day(e2e, console, payment_provider):
    customer = e2e.new_organisation("customer")
    signed = requests.post(e2e.url("/api/v1/billing/agreements"), headers=customer["headers"], timeout=15, json={
        "platform_agreement": True, "withholding_agreement": True, "payment_account": "alipay-ent-2088000000000001"})
    assert signed.status_code == 200, signed.text

    operator = console("operator")
    operator.wait_signed_in()
    operator.open("/billing.settings")
    page = operator.page
    page.fill(".ant-card:has([data-testid=onboarding-table]) input.ant-input", customer["org"]["name"])
    page.keyboard.press("Enter")
    row = page.locator(f"[data-testid=onboarding-table] tr:has-text('{customer['org']['name']}')")
    row.locator("[data-testid=confirm-onboarding]").click()
    row.locator(".ant-tag-green").wait_for()
    state = requests.get(e2e.url(f"/api/v1/billing/customers/{customer['org']['id']}"), headers=customer["headers"],
                         timeout=15).json()
    assert state["confirmed_at"] and state["onboarded"], state
    operator.screenshot("billing-operator-onboarding")

    # a payment the provider settled that the platform's ledger does not know: a mismatch
    ghost = f"ghost-{uuid.uuid4().hex[:8]}"
    payment_provider.planted.append({"key": ghost, "amount": 100, "status": "succeeded"})
    operator.open("/billing.statements")
    page.wait_for_selector("[data-testid=statement-summary]")
    page.click("[data-testid=reconcile-run]")
    page.wait_for_selector("[data-testid=reconcile-result]")
    page.wait_for_selector(f"[data-testid=mismatch-table] >> text={ghost}")
    operator.screenshot("billing-operator-reconciliation")
    with page.expect_download() as saved:
        page.click("[data-testid=reconcile-csv]")
    assert ghost in Path(saved.value.path()).read_text(encoding="utf-8-sig")
