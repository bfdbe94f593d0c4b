"""A requirements submission checked against the node's form (TPL-5, TPL-6). Pure Python.

The one implementation is ``platform_contracts.forms.validate_submission`` (shared with
template_svc, so the form a template designer builds and the check a project runs never disagree).
"""
from __future__ import annotations

from platform_contracts.forms import validate_submission
from project_svc.exceptions import RequirementsInvalid


def validate_requirements(form: dict, data: dict) -> dict:
    """The submission as stored; refuses naming each missing or mistyped field."""
    errors = validate_submission(form, data)
    if errors:
        raise RequirementsInvalid("The requirements do not match the form.", errors)
    return dict(data)


def require_uploaded_files(form: dict, data: dict, uploaded: set[str]) -> dict:
    """A file field holds ids the platform gave to files uploaded to this project, nothing else."""
    errors = {}
    for field in form.get("fields") or []:
        if field.get("type") == "file" and field["key"] in data:
            strangers = [v for v in data[field["key"]] or [] if v not in uploaded]
            if strangers:
                errors[field["key"]] = [f"Not a file uploaded to this project: {', '.join(map(str, strangers[:5]))}."]
    if errors:
        raise RequirementsInvalid("The requirements name files that were not uploaded here.", errors)
    return data
