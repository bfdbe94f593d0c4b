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


# --- in-memory repositories for handler tests ------------------------------------------------------

def _page(items: list, sort: str, limit: int, offset: int, keys: dict) -> tuple[list, int]:
    name = sort.lstrip("-")
    items = sorted(items, key=lambda i: (keys[name](i) is None, keys[name](i) or ""), reverse=sort.startswith("-"))
    return items[offset:offset + limit], len(items)


class FakeTemplateRepository:
    def __init__(self, *templates):
        self.items = {t.id: copy.deepcopy(t) for t in templates}

    def get(self, template_id, *, for_update=False):
        found = self.items.get(template_id)
        return copy.deepcopy(found) if found else None

    def add(self, template):
        self.items[template.id] = copy.deepcopy(template)

    save = add

    def list(self, *, org_id=None, name=None, owner=None, status=None, sort="name", limit=50, offset=0):
        items = [t for t in self.items.values() if org_id is None or t.public or t.owner_id == org_id]
        if name:
            items = [t for t in items if name.lower() in t.name.lower()]
        if owner == "public":
            items = [t for t in items if t.public]
        elif owner == "own":
            items = [t for t in items if not t.public]
        if status:
            items = [t for t in items if t.latest.status == status]
        return _page(items, sort, limit, offset, {"name": lambda t: t.name, "created_at": lambda t: t.created_at,
                                                  "updated_at": lambda t: t.latest.created_at})


class FakeFormRepository:
    def __init__(self, *forms):
        self.items = {f.id: copy.deepcopy(f) for f in forms}

    def get(self, form_id):
        return copy.deepcopy(self.items.get(form_id))

    def add(self, form):
        self.items[form.id] = copy.deepcopy(form)

    save = add

    def snapshots(self):
        return {f.id: f.snapshot() for f in self.items.values()}

    def list(self, *, name=None, sort="name", limit=50, offset=0):
        items = [f for f in self.items.values() if not name or name.lower() in f.name.lower()]
        return _page(items, sort, limit, offset, {"name": lambda f: f.name, "updated_at": lambda f: f.updated_at})


class FakeProductRepository:
    def __init__(self):
        self.items: dict = {}
        self.providers: dict[str, list[str]] = {}

    def get(self, product_id, *, for_update=False):
        found = copy.deepcopy(self.items.get(product_id))
        if found is not None:
            found.provider_ids = list(self.providers.get(product_id, []))
        return found

    def add(self, product):
        self.items[product.product_id] = copy.deepcopy(product)

    save = add

    def bound_to(self, template_id):
        return [self.get(p) for p, v in self.items.items() if v.template_id == template_id]

    def set_providers(self, product_id, provider_ids):
        self.providers[product_id] = provider_ids

    def list(self, *, vendor_id=None, code=None, name=None, template_name=None, provider_status=None,
             sort="code", limit=50, offset=0):
        items = [self.get(p) for p in self.items]
        items = [p for p in items if vendor_id is None or p.vendor_id == vendor_id]
        for attr, value in (("code", code), ("name", name), ("template_name", template_name)):
            if value:
                items = [p for p in items if value.lower() in getattr(p, attr).lower()]
        if provider_status:
            items = [p for p in items if p.providers_configured == (provider_status == "configured")]
        return _page(items, sort, limit, offset, {k: (lambda p, k=k: getattr(p, k)) for k in
                                                  ("code", "name", "template_name", "updated_at")})


class FakeMessageTemplateRepository:
    def __init__(self, *names):
        self.items = {n: {"variables": [], "channels": [], "deleted": False} for n in names}

    def names(self):
        return {n for n, v in self.items.items() if not v["deleted"]}

    def put(self, name, variables, channels, deleted):
        self.items[name] = {"variables": variables, "channels": channels, "deleted": deleted}


def fake_uow(*names):
    """A FakeUnitOfWork of template_svc with the seeded forms and the message templates ``names``."""
    from platform_kit.testing import FakeUnitOfWork
    from template_svc.domain.model import FormTemplate
    from template_svc.seed import FORMS

    forms = [FormTemplate(id=f["id"], name=f["name"], description="", fields=f["fields"]) for f in (FORM, *FORMS)]
    return FakeUnitOfWork("template", templates=FakeTemplateRepository(), forms=FakeFormRepository(*forms),
                          products=FakeProductRepository(),
                          message_templates=FakeMessageTemplateRepository(MESSAGE, *names))
