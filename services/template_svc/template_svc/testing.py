"""Test support of template_svc: flows shaped as the schemas shape them, and in-memory repositories."""
from __future__ import annotations

import copy

from platform_contracts import nodes as N
from platform_contracts.roles import ROLES
from template_svc.domain.flow import Catalogue

FORM = {"id": "form-basic", "name": "Basic requirements", "fields": [
    {"key": "contact", "label": "Contact", "type": "text", "required": True},
    {"key": "phone", "label": "Phone", "type": "phone", "required": True}]}
MESSAGE = "confirm – notify customer"
CATALOGUE = Catalogue(roles=frozenset(ROLES), forms={FORM["id"]: FORM}, message_templates=frozenset({MESSAGE}))


def node(key: str, kind: str, name: str | None = None, *, children: list | None = None,
         reminders: list | None = None, **settings) -> dict:
    out = {"key": key, "kind": kind, "name": name or key, "settings": {**copy.deepcopy(N.DEFAULT_SETTINGS[kind]),
                                                                        **settings},
           "reminders": reminders or []}
    if kind == N.CONTAINER:
        out["children"] = children or []
    return out


def valid_flow() -> list[dict]:
    return [
        node("assign_provider", N.ASSIGN_PROVIDER),
        node("requirements", N.SUBMIT_REQUIREMENTS, form_template_id=FORM["id"]),
        node("dispatch", N.ASSIGN_ORDER, role="engineer"),
        node("work", N.CONTAINER, children=[
            node("deliver", N.GENERIC, side="provider", role="engineer", upload_enabled=True),
            node("check", N.CONFIRM, side="customer", allow_reject=True, timeout_days=1.5,
                 reminders=[{"trigger": "timeout", "receivers": ["customer"], "message_template": MESSAGE}]),
        ]),
        node("complete", N.COMPLETE_PROJECT, allow_reject=True),
    ]
