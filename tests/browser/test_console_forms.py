"""TPL-6 in the browser: the platform operator creates a requirement form in the console's
editor (field kinds, labels, required, options), sees each refusal of the API beside the field it
names (a missing label, a choice with one option, a key used twice), and changes the form later."""
import re
import uuid

import pytest
import requests

from platform_kit.testing import _wait_until as wait_until

pytestmark = pytest.mark.e2e


def form_of(e2e, form_id: str) -> dict:
    answer = requests.get(e2e.url(f"/api/v1/requirement-forms/{form_id}"), headers=e2e.auth("operator"), timeout=15)
    assert answer.status_code == 200, answer.text
    return answer.json()


def add_option(page, index: int, option: str) -> None:
    """Type an option into the tags select and pick it from its list (the typed value is offered
    there once the list has caught up with the typing; a pick that misses is tried again)."""
    select = f"[data-field='{index}'] [data-testid=field-options]"
    chosen = page.locator(f"{select} .ant-select-selection-item", has_text=option)
    offered = page.locator(".ant-select-dropdown:visible .ant-select-item-option", has_text=option)
    for attempt in range(3):
        page.click(f"{select} .ant-select-selector")
        page.fill(f"{select} input.ant-select-selection-search-input", option)   # replaces a missed try's text
        offered.first.click()
        try:
            chosen.wait_for(timeout=3_000)
            break
        except Exception:
            if attempt == 2:
                raise
            page.keyboard.press("Escape")
    page.keyboard.press("Escape")


def test_TPL6_the_operator_builds_a_requirement_form_with_errors_beside_its_fields_and_changes_it(e2e, console):
    name = f"Site survey {uuid.uuid4().hex[:6]}"
    operator = console("operator")
    operator.wait_signed_in()
    page = operator.page
    operator.open("/templates.requirement_forms")
    page.click("[data-testid=new-form]")
    page.fill("[data-testid=form-name]", name)
    page.fill("[data-field='0'] [data-testid=field-key]", "contact_phone")
    page.fill("[data-field='0'] [data-testid=field-label]", "Contact phone")
    operator.choose("[data-field='0'] [data-testid=field-type]", "Phone")

    page.click("[data-testid=field-add]")
    page.fill("[data-field='1'] [data-testid=field-key]", "plan")
    operator.choose("[data-field='1'] [data-testid=field-type]", "Single choice")
    add_option(page, 1, "Basic")
    page.click("[data-field='1'] [data-testid=field-required]")
    # the gateway refuses the missing label (400), named beside that field
    page.click("[data-testid=form-save]")
    page.locator("#fields_1_label_help").wait_for()
    operator.screenshot("form-editor-label-missing")
    page.fill("[data-field='1'] [data-testid=field-label]", "Plan")
    # the template service refuses a choice with one option (422), beside the options
    page.click("[data-testid=form-save]")
    page.locator("#fields_1_options_help", has_text="at least two options").wait_for()
    page.locator("#fields_1_label_help").wait_for(state="hidden")
    add_option(page, 1, "Premium")
    page.click("[data-testid=form-save]")
    page.wait_for_url(re.compile(r"/templates\.requirement_forms/[0-9a-f-]{36}$"))
    form_id = page.url.rsplit("/", 1)[-1]
    created = form_of(e2e, form_id)
    assert created["name"] == name
    assert [(f["key"], f["label"], f["type"], f["required"], f.get("options")) for f in created["fields"]] == [
        ("contact_phone", "Contact phone", "phone", True, []),
        ("plan", "Plan", "single_choice", True, ["Basic", "Premium"])]

    # change it: a key used twice is refused beside the second field, then the label change is kept
    page.locator("[data-field='0'] [data-testid=field-label]").wait_for()
    page.fill("[data-field='0'] [data-testid=field-label]", "Mobile phone")
    page.fill("[data-field='1'] [data-testid=field-key]", "contact_phone")
    page.click("[data-testid=form-save]")
    page.locator("#fields_1_key_help", has_text="used by another field").wait_for()
    operator.screenshot("form-editor-duplicate-key")
    assert form_of(e2e, form_id)["fields"][0]["label"] == "Contact phone"     # nothing stored
    page.fill("[data-field='1'] [data-testid=field-key]", "plan")
    page.click("[data-testid=form-save]")
    wait_until(lambda: form_of(e2e, form_id)["fields"][0]["label"] == "Mobile phone", timeout=15,
               message="the change saved")
    page.locator("#fields_1_key_help").wait_for(state="hidden")   # the answer took the message away
    changed = form_of(e2e, form_id)
    assert [f["label"] for f in changed["fields"]] == ["Mobile phone", "Plan"]
    assert changed["fields"][1]["options"] == ["Basic", "Premium"]

    # the list shows it with its fields, required ones marked
    operator.open("/templates.requirement_forms")
    search = page.locator("[data-testid=form-search]").locator("xpath=descendant-or-self::input").first
    search.fill(name)
    search.press("Enter")
    row = page.locator("[data-testid=form-table] tr", has_text=name)
    row.locator(".ant-tag", has_text="Mobile phone *").wait_for()
    operator.screenshot("requirement-forms")
