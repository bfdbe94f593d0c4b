"""Use cases of template_svc: each takes a command, the caller and a unit of work.

Handlers load aggregates through ``uow.templates``, ``uow.forms``, ``uow.products`` and
``uow.message_templates``, let the aggregates decide, emit what they return and commit.
"""
from __future__ import annotations

import uuid

from platform_contracts import nodes as N
from platform_contracts.actor import Actor
from platform_contracts.roles import ROLES, VENDOR_ADMIN
from platform_kit.clock import utcnow
from template_svc.domain.flow import Catalogue, Violation
from template_svc.domain.model import (
    FormTemplate,
    Product,
    Template,
    check_draft,
    refuse_malformed,
    require_editor,
)
from template_svc.exceptions import (
    FormNotFound,
    MissingVendor,
    NotYours,
    ProductNotFound,
    TemplateNotFound,
)


def catalogue(uow) -> Catalogue:
    """What flows may name now: preset roles, our forms, notify's message templates (local copy)."""
    return Catalogue(roles=frozenset(ROLES), forms=uow.forms.snapshots(),
                     message_templates=frozenset(uow.message_templates.names()))


def _emit(uow, events) -> None:
    for event_type, data in events:
        uow.emit(event_type, data)


def _visible(template_id: str, actor: Actor, uow, *, for_update: bool = False) -> Template:
    template = uow.templates.get(template_id, for_update=for_update)
    if template is None or not template.visible_to(actor):
        raise TemplateNotFound(f"Template {template_id} was not found.", {"template_id": ["not found"]})
    return template


def _without_snapshots(nodes: list[dict]) -> list[dict]:
    out = []
    for node in nodes:
        node = {**node, "settings": {k: v for k, v in (node.get("settings") or {}).items() if k != "form"}}
        if node.get("children"):
            node["children"] = _without_snapshots(node["children"])
        out.append(node)
    return out


# --- templates -----------------------------------------------------------------------------------

def _require_author(actor: Actor) -> None:
    """Vendor project managers read templates and products; vendor admins and the operator change them."""
    if not (actor.is_operator or actor.has_role(VENDOR_ADMIN)):
        raise NotYours("Only a vendor admin or the platform operator changes templates and products.")


def refuse_malformed_draft(readable: list[dict], raw_nodes, schema_fields: dict[str, list[str]], uow) -> None:
    """The draft failed the request schema: refuse it with every other problem of its flow too
    (``readable``: its nodes as far as they can be read)."""
    refuse_malformed(readable, raw_nodes, schema_fields, catalogue(uow))


def create_template(cmd: dict, actor: Actor, uow) -> tuple[Template, list[Violation]]:
    """A new draft; the operator's templates are public (TPL-2), a vendor's are its own."""
    _require_author(actor)
    warnings = check_draft(cmd["nodes"], catalogue(uow))
    owner = None if actor.is_operator else actor.org_id
    template = Template.create(str(uuid.uuid4()), owner, cmd["name"], cmd["nodes"], utcnow())
    uow.templates.add(template)
    uow.commit()
    return template, warnings


def copy_template(template_id: str, actor: Actor, uow) -> Template:
    """TPL-2: a vendor copies a public template's approved version into its own draft; later
    edits of the public template do not touch the copy."""
    _require_author(actor)
    source = _visible(template_id, actor, uow)
    version = source.approved or source.latest
    owner = None if actor.is_operator else actor.org_id
    template = Template.create(str(uuid.uuid4()), owner, version.name, _without_snapshots(version.nodes),
                               utcnow(), copied_from=source.id)
    uow.templates.add(template)
    uow.commit()
    return template


def update_template(template_id: str, cmd: dict, actor: Actor, uow) -> tuple[Template, list[Violation]]:
    """Save a draft (TPL-1): blocking problems refuse it, the rest come back as warnings."""
    template = _visible(template_id, actor, uow, for_update=True)
    require_editor(template, actor)
    warnings = check_draft(cmd["nodes"], catalogue(uow))
    template.save_draft(cmd["name"], cmd["nodes"], utcnow())
    uow.templates.save(template)
    uow.commit()
    return template, warnings


def publish_template(template_id: str, actor: Actor, uow) -> Template:
    """Freeze the draft (TPL-1, TPL-11); a public template's products switch to it at once."""
    template = _visible(template_id, actor, uow, for_update=True)
    require_editor(template, actor)
    events = template.publish(catalogue(uow), actor, utcnow())
    uow.templates.save(template)
    _emit(uow, events)
    if template.approved and template.approved.number == template.latest.number:
        _rebind_products(template, uow)
    uow.commit()
    return template


def approve_version(template_id: str, number: int, actor: Actor, uow, note: str = "") -> Template:
    """The operator approves, with an optional note to the vendor; every product bound to the
    template moves to this version."""
    _operator_only(actor)
    template = _visible(template_id, actor, uow, for_update=True)
    events = template.approve(number, catalogue(uow), actor, utcnow(), note)
    uow.templates.save(template)
    _emit(uow, events)
    _rebind_products(template, uow)
    uow.commit()
    return template


def reject_version(template_id: str, number: int, reason: str, actor: Actor, uow) -> Template:
    _operator_only(actor)
    template = _visible(template_id, actor, uow, for_update=True)
    events = template.reject(number, reason, actor, utcnow())
    uow.templates.save(template)
    _emit(uow, events)
    uow.commit()
    return template


def _rebind_products(template: Template, uow) -> None:
    """New projects of these products run on the approved version; running ones keep theirs."""
    now = utcnow()
    for product in uow.products.bound_to(template.id):
        events = product.bind(template, now)
        uow.products.save(product)
        _emit(uow, events)


def _operator_only(actor: Actor) -> None:
    if not actor.is_operator:
        raise NotYours("Only the platform operator approves template versions.")


def get_template(template_id: str, actor: Actor, uow) -> Template:
    return _visible(template_id, actor, uow)


def get_version(template_id: str, number: int, actor: Actor, uow) -> tuple[Template, int, list[dict]]:
    template = _visible(template_id, actor, uow)
    return template, number, template.changes(number)


def list_templates(query: dict, actor: Actor, uow) -> tuple[list[Template], int]:
    return uow.templates.list(org_id=None if actor.is_operator else actor.org_id, **query)


# --- requirement forms (maintained by the operator, read by vendors) ------------------------------

def create_form(cmd: dict, actor: Actor, uow) -> FormTemplate:
    _operator_only_forms(actor)
    form = FormTemplate(id=str(uuid.uuid4()), name=cmd["name"], description=cmd.get("description", ""),
                        fields=cmd["fields"], updated_at=utcnow())
    uow.forms.add(form)
    uow.commit()
    return form


def update_form(form_id: str, cmd: dict, actor: Actor, uow) -> FormTemplate:
    """Published versions keep the snapshot they were approved with; new approvals take this."""
    _operator_only_forms(actor)
    if uow.forms.get(form_id) is None:
        raise FormNotFound(f"Requirement form {form_id} was not found.")
    form = FormTemplate(id=form_id, name=cmd["name"], description=cmd.get("description", ""),
                        fields=cmd["fields"], updated_at=utcnow())
    uow.forms.save(form)
    uow.commit()
    return form


def _operator_only_forms(actor: Actor) -> None:
    if not actor.is_operator:
        raise NotYours("Requirement forms are maintained by the platform operator.")


def get_form(form_id: str, uow) -> FormTemplate:
    form = uow.forms.get(form_id)
    if form is None:
        raise FormNotFound(f"Requirement form {form_id} was not found.", {"form_id": ["not found"]})
    return form


def list_forms(query: dict, uow) -> tuple[list[FormTemplate], int]:
    return uow.forms.list(**query)


# --- products (TPL-12) ---------------------------------------------------------------------------

def _product_of(product_id: str, actor: Actor, uow, *, for_update: bool = False) -> Product:
    product = uow.products.get(product_id, for_update=for_update)
    if product is None or not (actor.is_operator or product.vendor_id == actor.org_id):
        raise ProductNotFound(f"Product {product_id} was not found.", {"product_id": ["not found"]})
    return product


def save_product(cmd: dict, actor: Actor, uow) -> tuple[Product, bool]:
    """Create or update a vendor's product and bind its template (emits product_template_bound).

    The operator names the vendor; a vendor admin always acts for its own organisation."""
    _require_author(actor)
    vendor_id = cmd.get("vendor_id") if actor.is_operator else actor.org_id
    if not vendor_id:
        raise MissingVendor("Name the vendor the product belongs to.", {"vendor_id": ["required"]})
    template = _visible(cmd["template_id"], actor, uow)
    product = uow.products.get(cmd["product_id"], for_update=True)
    created = product is None
    if product is None:
        product = Product(product_id=cmd["product_id"], vendor_id=vendor_id, code=cmd["code"], name=cmd["name"])
    elif product.vendor_id != vendor_id and not actor.is_operator:
        raise ProductNotFound(f"Product {cmd['product_id']} was not found.", {"product_id": ["not found"]})
    events = product.update(cmd["code"], cmd["name"], template, utcnow())
    if created:
        uow.products.add(product)
    else:
        uow.products.save(product)
    _emit(uow, events)
    uow.commit()
    return product, created


def get_product(product_id: str, actor: Actor, uow) -> Product:
    return _product_of(product_id, actor, uow)


def list_products(query: dict, actor: Actor, uow) -> tuple[list[Product], int]:
    return uow.products.list(vendor_id=None if actor.is_operator else actor.org_id, **query)


def product_flow(product_id: str, uow) -> dict:
    """The approved version a new project of the product runs on (PRJ-1; TRANSITIONAL: replaced by
    project_svc's cache of product_template_bound)."""
    product = uow.products.get(product_id)
    if product is None or product.template_id is None:
        raise ProductNotFound(f"Product {product_id} has no service flow bound.", {"product_id": ["no bound template"]})
    template = uow.templates.get(product.template_id)
    version = template.version(product.template_version)
    return product.bound_event(version.nodes)


# --- internal (system) use: imports without a caller (tests, the demo loader) ---------------------

SYSTEM = Actor("system", "system", "operator", ("platform_operator",))


def import_public_template(cmd: dict, uow) -> Template:
    """TRANSITIONAL: create a public template and publish it at once (the old create_template RPC).
    A submit-requirements node without a form gets the platform's general requirement form."""
    from template_svc.seed import GENERAL_FORM_ID

    nodes = [_fill_form(n, GENERAL_FORM_ID) for n in cmd["nodes"]]
    template = Template.create(str(uuid.uuid4()), None, cmd["name"], nodes, utcnow())
    if cmd.get("publish", True):
        _emit(uow, template.publish(catalogue(uow), SYSTEM, utcnow()))
    uow.templates.add(template)
    uow.commit()
    return template


def _fill_form(node: dict, form_id: str) -> dict:
    if node["kind"] == N.SUBMIT_REQUIREMENTS and not node["settings"].get("form_template_id"):
        return {**node, "settings": {**node["settings"], "form_template_id": form_id}}
    return node


def system_bind_product(cmd: dict, uow) -> Product:
    """TRANSITIONAL: bind a product for the vendor named in the command (the old bind_product RPC)."""
    actor = Actor("system", cmd["vendor_id"], "operator", ("platform_operator",))
    product, _ = save_product({"product_id": cmd["product_id"], "vendor_id": cmd["vendor_id"],
                               "code": cmd["product_code"], "name": cmd["product_name"],
                               "template_id": cmd["template_id"]}, actor, uow)
    return product


# --- what other services tell us ------------------------------------------------------------------

def message_template_changed(event: dict, data: dict, uow) -> None:
    """notify_svc's message templates, kept by name to check reminder rules (TPL-10)."""
    if not uow.claim_event(event, "template.message_template_changed"):
        return
    uow.message_templates.put(data["name"], list(data.get("variables") or []), list(data.get("channels") or []),
                              bool(data.get("deleted")))
    uow.commit()


def product_providers_set(event: dict, data: dict, uow) -> None:
    """dispatch_svc's provider list of a product: the product list's configuration status."""
    if not uow.claim_event(event, "template.product_providers_set"):
        return
    uow.products.set_providers(data["product_id"], list(data.get("provider_ids") or []))
    uow.commit()

