"""TPL-6: the one check of a submission against a requirement form (platform_contracts.forms), used
by project_svc on the form snapshot of an approved version, and the check of a form's definition."""
from platform_contracts.forms import FIELD_TYPES, form_errors, validate_submission
from template_svc.seed import FORMS

FORM = {"id": "f", "name": "Every type", "fields": [
    {"key": "title", "label": "Title", "type": "text", "required": True, "max_length": 10},
    {"key": "story", "label": "Story", "type": "long_text", "min_length": 5},
    {"key": "pages", "label": "Pages", "type": "number", "min": 1, "max": 50},
    {"key": "due", "label": "Due", "type": "date", "min": "2026-01-01"},
    {"key": "kind", "label": "Kind", "type": "single_choice", "options": ["a", "b"]},
    {"key": "langs", "label": "Languages", "type": "multi_choice", "options": ["zh", "en", "ja"], "max_length": 2},
    {"key": "files", "label": "Files", "type": "file", "max_files": 1},
    {"key": "phone", "label": "Phone", "type": "phone", "required": True},
    {"key": "mail", "label": "E-mail", "type": "email"},
]}


def test_TPL6_a_complete_submission_has_no_error():
    values = {"title": "Site", "story": "Long enough", "pages": 3, "due": "2026-05-01", "kind": "a",
              "langs": ["zh", "en"], "files": ["file-1"], "phone": "+86 138 0000 0000", "mail": "a@b.cn"}
    assert validate_submission(FORM, values) == {}


def test_TPL6_every_field_type_reports_its_own_problem_by_field_key():
    values = {"title": "x" * 11, "story": "abc", "pages": 51, "due": "2025-12-31", "kind": "c",
              "langs": ["zh", "en", "ja"], "files": ["1", "2"], "phone": "call me", "mail": "nope", "extra": 1}
    errors = validate_submission(FORM, values)
    assert set(errors) == {"title", "story", "pages", "due", "kind", "langs", "files", "phone", "mail", "extra"}
    assert errors["title"] == ["Enter at most 10 characters."]
    assert errors["extra"] == ["The form has no such field."]


def test_TPL6_required_fields_must_be_filled_and_blank_optional_ones_pass():
    assert validate_submission(FORM, {"title": "  ", "mail": ""}) == {
        "title": ["This field is required."], "phone": ["This field is required."]}
    assert validate_submission(FORM, {"title": "ok", "phone": "13800000000", "pages": True}) == {
        "pages": ["Enter a number."]}


def test_TPL6_a_forms_definition_is_checked_and_the_seeded_forms_are_valid():
    assert all(form_errors(f["fields"]) == {} for f in FORMS)
    errors = form_errors([{"key": "A b", "type": "colour"}, {"key": "x", "type": "single_choice", "options": ["1"]},
                          {"key": "x", "type": "number", "min": 5, "max": 1}])
    assert set(errors) == {"fields[0].key", "fields[0].type", "fields[1].options", "fields[2].key", "fields[2].min"}
    assert len(FIELD_TYPES) == 9
