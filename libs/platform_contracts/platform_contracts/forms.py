"""Requirement forms (TPL-6): the field types and the one check of a submission against a form.

template_svc owns the forms and embeds a snapshot of one into every submit-requirements node of a
published version (``settings["form"]``); project_svc validates a customer's submission with
``validate_submission`` against that snapshot, so both sides apply exactly the same rules. Pure
Python: no framework imports.

A form is ``{"id", "name", "fields": [field, ...]}``; a field is::

    {"key": "site_address", "label": "Site address", "type": "text", "required": true,
     "help_text": "", "options": [], "min_length": null, "max_length": null, "min": null,
     "max": null, "max_files": null}

``options`` are the choices of ``single_choice``/``multi_choice``; ``min_length``/``max_length``
bound text lengths (and the number of choices of a multi choice); ``min``/``max`` bound numbers
and dates (ISO dates); ``max_files`` bounds a file field, whose value is a list of file ids.
"""
from __future__ import annotations

import re
from datetime import date

TEXT, LONG_TEXT, NUMBER, DATE = "text", "long_text", "number", "date"
SINGLE_CHOICE, MULTI_CHOICE, FILE, PHONE, EMAIL = "single_choice", "multi_choice", "file", "phone", "email"
FIELD_TYPES = (TEXT, LONG_TEXT, NUMBER, DATE, SINGLE_CHOICE, MULTI_CHOICE, FILE, PHONE, EMAIL)
CHOICE_TYPES = (SINGLE_CHOICE, MULTI_CHOICE)
# without an explicit max_length a text holds one line, a long text a page or so
DEFAULT_MAX_LENGTH = {TEXT: 200, LONG_TEXT: 5000}
MAX_FIELDS = 100

_PHONE = re.compile(r"^\+?[0-9][0-9 \-]{5,19}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


def _blank(value) -> bool:
    return value is None or (isinstance(value, (str, list)) and len(value) == 0) or (
        isinstance(value, str) and not value.strip())


def _check_value(field: dict, value) -> list[str]:
    kind = field.get("type")
    if kind in (TEXT, LONG_TEXT, PHONE, EMAIL):
        if not isinstance(value, str):
            return ["Enter text."]
        if kind == PHONE and not _PHONE.match(value.strip()):
            return ["Enter a phone number (digits, optionally starting with +)."]
        if kind == EMAIL and not _EMAIL.match(value.strip()):
            return ["Enter an e-mail address such as name@example.com."]
        if kind in (TEXT, LONG_TEXT):
            longest = field.get("max_length") or DEFAULT_MAX_LENGTH[kind]
            if len(value) > longest:
                return [f"Enter at most {longest} characters."]
            if field.get("min_length") and len(value) < field["min_length"]:
                return [f"Enter at least {field['min_length']} characters."]
        return []
    if kind == NUMBER:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return ["Enter a number."]
        if field.get("min") is not None and value < field["min"]:
            return [f"Enter a number of at least {field['min']}."]
        if field.get("max") is not None and value > field["max"]:
            return [f"Enter a number of at most {field['max']}."]
        return []
    if kind == DATE:
        try:
            day = date.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            day = None
        if day is None:
            return ["Enter a date as YYYY-MM-DD."]
        if field.get("min") and day < date.fromisoformat(str(field["min"])):
            return [f"Choose a date on or after {field['min']}."]
        if field.get("max") and day > date.fromisoformat(str(field["max"])):
            return [f"Choose a date on or before {field['max']}."]
        return []
    if kind == SINGLE_CHOICE:
        return [] if value in (field.get("options") or []) else ["Choose one of the listed options."]
    if kind == MULTI_CHOICE:
        if not isinstance(value, list) or not all(v in (field.get("options") or []) for v in value):
            return ["Choose among the listed options."]
        if len(set(value)) != len(value):
            return ["Choose each option at most once."]
        if field.get("max_length") and len(value) > field["max_length"]:
            return [f"Choose at most {field['max_length']} options."]
        if field.get("min_length") and len(value) < field["min_length"]:
            return [f"Choose at least {field['min_length']} options."]
        return []
    if kind == FILE:
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            return ["Upload files (a list of file ids)."]
        if field.get("max_files") and len(value) > field["max_files"]:
            return [f"Upload at most {field['max_files']} files."]
        return []
    return [f"The form has a field of unknown type {kind!r}."]


def validate_submission(form: dict, values: dict) -> dict[str, list[str]]:
    """Every problem of ``values`` against ``form``, by field key; ``{}`` when it may be submitted.

    A required field must have a non-blank value; an optional blank field is not checked further;
    values for keys the form does not have are refused (they would be stored but never shown).
    """
    errors: dict[str, list[str]] = {}
    if not isinstance(values, dict):
        return {"_values": ["The submission must be an object of field values."]}
    known = set()
    for field in form.get("fields", []):
        key = field["key"]
        known.add(key)
        value = values.get(key)
        if _blank(value):
            if field.get("required"):
                errors[key] = ["This field is required."]
            continue
        problems = _check_value(field, value)
        if problems:
            errors[key] = problems
    for key in sorted(set(values) - known):
        errors[key] = ["The form has no such field."]
    return errors


def form_errors(fields: list[dict]) -> dict[str, list[str]]:
    """Problems of a form's own definition, by path (``fields[2].options``); ``{}`` when usable."""
    errors: dict[str, list[str]] = {}
    if not fields:
        errors["fields"] = ["A form needs at least one field."]
    if len(fields) > MAX_FIELDS:
        errors["fields"] = [f"A form has at most {MAX_FIELDS} fields."]
    seen: set[str] = set()
    for i, field in enumerate(fields):
        at = f"fields[{i}]"
        key = field.get("key", "")
        if not isinstance(key, str) or not _KEY.match(key):
            errors[f"{at}.key"] = ["Use lower-case letters, digits and _ (starting with a letter)."]
        elif key in seen:
            errors[f"{at}.key"] = [f"The key {key!r} is used by another field."]
        seen.add(key)
        if field.get("type") not in FIELD_TYPES:
            errors[f"{at}.type"] = [f"Choose one of: {', '.join(FIELD_TYPES)}."]
        options = field.get("options") or []
        if field.get("type") in CHOICE_TYPES and len(options) < 2:
            errors[f"{at}.options"] = ["A choice needs at least two options."]
        if len(set(options)) != len(options):
            errors[f"{at}.options"] = ["Each option may appear once."]
        for low, high in (("min_length", "max_length"), ("min", "max")):
            a, b = field.get(low), field.get(high)
            if a is None or b is None:
                continue
            if isinstance(a, str) != isinstance(b, str):  # a date and a number cannot be compared
                errors[f"{at}.{low}"] = [f"{low} and {high} must both be numbers or both dates."]
            elif a > b:
                errors[f"{at}.{low}"] = [f"{low} cannot be greater than {high}."]
    return errors
