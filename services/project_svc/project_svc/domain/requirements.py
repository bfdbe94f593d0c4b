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
