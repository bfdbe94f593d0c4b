"""Templates with their versions, requirement forms and products (TPL-1, TPL-2, TPL-6, TPL-12).

Pure Python. Aggregates change themselves and return the events they cause (as ``(type, data)``);
handlers emit them through the unit of work.

A template's versions move draft -> pending_approval -> approved | rejected. Publishing freezes a
draft: a vendor's version then waits for the platform operator; the operator's own (public)
templates are approved as they are published. Only the newest approved version is the one
products use; an edit of a frozen version opens a new draft (version n+1), so every version
stays readable.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime

from platform_contracts import forms as F
from platform_contracts.actor import Actor
from platform_contracts.roles import PLATFORM_OPERATOR, VENDOR_ADMIN
from platform_kit.exceptions import ValidationFailed
from template_svc.domain.flow import (
    Catalogue,
    Violation,
    as_fields,
    diff,
    merge_fields,
    node_name_at,
    validate_flow,
    with_form_snapshots,
)
from template_svc.exceptions import (
    FlowInvalid,
    FormInvalid,
    NoApprovedVersion,
    NotAwaitingApproval,
    NotEditable,
    NothingToPublish,
    NotYours,
    TemplateNotFound,
    VersionNotFound,
)

DRAFT, PENDING, APPROVED, REJECTED = "draft", "pending_approval", "approved", "rejected"
VERSION_STATUSES = (DRAFT, PENDING, APPROVED, REJECTED)
Event = tuple[str, dict]


@dataclass
class Version:
    number: int
    name: str
    nodes: list[dict]
    status: str = DRAFT
    created_at: datetime | None = None
    submitted_at: datetime | None = None
    decided_at: datetime | None = None
    decided_by: str | None = None
    reason: str | None = None

    @property
    def frozen(self) -> bool:
        return self.status != DRAFT


@dataclass
class Template:
    id: str
    owner_id: str | None          # the vendor; None for the platform's public templates (TPL-2)
    versions: list[Version] = field(default_factory=list)
    copied_from: str | None = None
    created_at: datetime | None = None

    # --- reading --------------------------------------------------------------------------------
    @property
    def public(self) -> bool:
        return self.owner_id is None

    @property
    def latest(self) -> Version:
        return self.versions[-1]

    @property
    def name(self) -> str:
        return self.latest.name

    @property
    def approved(self) -> Version | None:
        """The version products use: the newest approved one."""
        return next((v for v in reversed(self.versions) if v.status == APPROVED), None)

    def version(self, number: int) -> Version:
        found = next((v for v in self.versions if v.number == number), None)
        if found is None:
            raise VersionNotFound(f"Template {self.id} has no version {number}.")
        return found

    def visible_to(self, actor: Actor) -> bool:
        """ORG-7: a vendor sees its own templates and the public ones; the operator sees all."""
        return actor.is_operator or self.public or self.owner_id == actor.org_id

    def editable_by(self, actor: Actor) -> bool:
        if self.public:
            return actor.has_role(PLATFORM_OPERATOR)
        return actor.org_id == self.owner_id and actor.has_role(VENDOR_ADMIN)

    def changes(self, number: int) -> list[dict]:
        """Node-level diff of version ``number`` against the one before it (empty for version 1)."""
        current = self.version(number)
        if number == 1:
            return diff([], current.nodes)
        return diff(self.version(number - 1).nodes, current.nodes)

    # --- changing -------------------------------------------------------------------------------
    @classmethod
    def create(cls, template_id: str, owner_id: str | None, name: str, nodes: list[dict], now: datetime,
               copied_from: str | None = None) -> Template:
        return cls(id=template_id, owner_id=owner_id, copied_from=copied_from, created_at=now,
                   versions=[Version(1, name, copy.deepcopy(nodes), DRAFT, created_at=now)])

    def save_draft(self, name: str, nodes: list[dict], now: datetime) -> Version:
        """TPL-1: edit the open draft, or open version n+1 when the newest is frozen."""
        if self.latest.status == PENDING:
            raise NotEditable(f"Version {self.latest.number} is waiting for the platform's approval; it can be "
                              "edited after the decision.", {"template_id": ["awaiting approval"]})
        if self.latest.frozen:
            self.versions.append(Version(self.latest.number + 1, name, copy.deepcopy(nodes), DRAFT, created_at=now))
        else:
            self.latest.name, self.latest.nodes = name, copy.deepcopy(nodes)
        return self.latest

    def publish(self, catalogue: Catalogue, actor: Actor, now: datetime) -> list[Event]:
        """Freeze the draft after the full check (TPL-11). TPL-1 asks the operator's approval for
        edits of a published template only: a template with no approved version yet (its first
        publish) and a public template (the operator's) are approved at once; later versions of a
        vendor's template await the operator."""
        draft = self.latest
        if draft.frozen:
            raise NothingToPublish(f"Version {draft.number} is already published ({draft.status}); "
                                   "edit the template to open a new draft.")
        violations = [v for v in validate_flow(draft.nodes, catalogue) if not v.advice]
        if violations:
            raise FlowInvalid(f"The flow cannot be published: {len(violations)} problem(s) to fix.",
                              as_fields(violations, draft.nodes))
        draft.status, draft.submitted_at = PENDING, now
        events: list[Event] = [("template_version_submitted", self._event(draft))]
        if self.public or self.approved is None:
            events += self.approve(draft.number, catalogue, actor, now, first_publish=True)
        return events

    def approve(self, number: int, catalogue: Catalogue, actor: Actor, now: datetime, note: str = "",
                *, first_publish: bool = False) -> list[Event]:
        """The operator approves: the forms named by the flow are embedded as they are now (TPL-6)
        and this version becomes the one products use. ``note``: the operator's optional words to
        the vendor, kept where a rejection keeps its reason."""
        version = self.version(number)
        if version.status != PENDING:
            raise NotAwaitingApproval(f"Version {number} is {version.status}, not waiting for approval.")
        violations = [v for v in validate_flow(version.nodes, catalogue) if "form_template_id" in v.path]
        if violations:
            raise FlowInvalid("A requirement form of this version no longer exists.", as_fields(violations))
        version.nodes = with_form_snapshots(version.nodes, catalogue.forms)
        version.status, version.decided_at, version.decided_by = APPROVED, now, actor.user_id
        version.reason = note.strip() or None
        return [("template_version_approved", {**self._event(version), "reason": version.reason,
                                               "by_operator": actor.is_operator and not first_publish})]

    def reject(self, number: int, reason: str, actor: Actor, now: datetime) -> list[Event]:
        version = self.version(number)
        if version.status != PENDING:
            raise NotAwaitingApproval(f"Version {number} is {version.status}, not waiting for approval.")
        version.status, version.decided_at, version.decided_by, version.reason = REJECTED, now, actor.user_id, reason
        return [("template_version_rejected", {**self._event(version), "reason": reason})]

    def _event(self, version: Version) -> dict:
        return {"template_id": self.id, "template_version": version.number, "owner_id": self.owner_id,
                "template_name": version.name, "status": version.status}


def check_draft(nodes: list[dict], catalogue: Catalogue) -> list[Violation]:
    """Save-time check: blocking violations refuse the save, the rest come back as warnings. A
    refusal names everything publishing would refuse too, so the vendor fixes it all at once."""
    violations = validate_flow(nodes, catalogue)
    blocking = [v for v in violations if v.blocking]
    if blocking:
        problems = [v for v in violations if not v.advice]
        more = len(problems) - len(blocking)
        raise FlowInvalid(f"The flow cannot be saved: {len(blocking)} problem(s) to fix"
                          + (f" ({more} more before publishing)." if more else "."), as_fields(problems, nodes))
    return violations


def refuse_malformed(nodes: list[dict], raw_nodes, schema_fields: dict[str, list[str]],
                     catalogue: Catalogue) -> None:
    """A payload that failed the request schema: its schema errors and every rule the flow breaks
    besides (``nodes``: the payload's nodes as far as they can be read), in one refusal (TPL-11)."""
    problems = [v for v in validate_flow(nodes, catalogue) if not v.advice]
    raw = raw_nodes if isinstance(raw_nodes, list) else []
    named = {path: [f"「{n}」{m}" if (n := node_name_at(raw, path)) else m for m in messages]
             for path, messages in schema_fields.items()}
    fields = merge_fields(named, as_fields(problems, raw))
    raise ValidationFailed(f"Some fields are not valid: {sum(len(m) for m in fields.values())} problem(s) "
                           "to fix.", fields)


@dataclass
class FormTemplate:
    """A requirement-form template, maintained by the platform operator (TPL-6)."""

    id: str
    name: str
    description: str
    fields: list[dict]
    updated_at: datetime | None = None

    def __post_init__(self) -> None:
        problems = F.form_errors(self.fields)
        if problems:
            raise FormInvalid("The form is not valid.", problems)

    def snapshot(self) -> dict:
        return {"id": self.id, "name": self.name, "fields": copy.deepcopy(self.fields)}


@dataclass
class Product:
    """A vendor's product in the product centre (TPL-12, seed 000 §2.1.1.2)."""

    product_id: str
    vendor_id: str
    code: str
    name: str
    template_id: str | None = None
    template_name: str = ""
    template_version: int | None = None
    provider_ids: list[str] = field(default_factory=list)
    updated_at: datetime | None = None

    @property
    def providers_configured(self) -> bool:
        return bool(self.provider_ids)

    def update(self, code: str, name: str, template: Template, now: datetime) -> list[Event]:
        """Rename and (re)bind; listeners hear of any change, since they keep code and name too."""
        renamed = (self.code, self.name) != (code, name)
        self.code, self.name = code, name
        events = self.bind(template, now)
        if renamed and not events:
            events = [("product_template_bound", self.bound_event(template.version(self.template_version).nodes))]
        return events

    def bind(self, template: Template, now: datetime) -> list[Event]:
        """Bind the template's approved version, which must be the vendor's own or public."""
        if not (template.public or template.owner_id == self.vendor_id):
            raise TemplateNotFound(f"Template {template.id} was not found.", {"template_id": ["not found"]})
        approved = template.approved
        if approved is None:
            raise NoApprovedVersion("Only a published, approved template can be bound to a product.",
                                    {"template_id": ["no approved version yet"]})
        changed = (self.template_id, self.template_version, self.template_name) != (
            template.id, approved.number, approved.name)
        self.template_id, self.template_version, self.template_name = template.id, approved.number, approved.name
        self.updated_at = now
        return [("product_template_bound", self.bound_event(approved.nodes))] if changed else []

    def bound_event(self, nodes: list[dict]) -> dict:
        return {"product_id": self.product_id, "vendor_id": self.vendor_id, "product_code": self.code,
                "product_name": self.name, "template_id": self.template_id, "template_name": self.template_name,
                "template_version": self.template_version, "nodes": nodes}


def require_editor(template: Template, actor: Actor) -> None:
    if not template.visible_to(actor):
        raise TemplateNotFound(f"Template {template.id} was not found.")
    if not template.editable_by(actor):
        raise NotYours("Only the template's owner may change it; copy a public template to adjust it.")
