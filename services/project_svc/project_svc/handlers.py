"""Use cases of project_svc: fn(command..., uow) -> result; each ends with ``uow.commit()``."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from platform_contracts.actor import Actor
from platform_contracts.roles import PROVIDER_ADMIN
from platform_kit.clock import utcnow
from platform_kit.workcal import DEFAULT_TIME_ZONE
from project_svc.domain.access import Scope, can_see, record_visible, scope_of, sees_notes, who_for
from project_svc.domain.files import content_problem
from project_svc.domain.model import Events, Project
from project_svc.domain.requirements import require_uploaded_files, validate_requirements
from project_svc.exceptions import (
    CustomerNotNamed,
    FileRejected,
    NotYourTurn,
    OrderIdConflict,
    ProjectNotFound,
    UnknownProduct,
)

NODE_TIMEOUT = "project.node_timeout"
MAX_FILE_BYTES = 20 * 1024 * 1024
ALLOWED_TYPES = {
    "application/pdf", "image/png", "image/jpeg", "image/gif", "text/plain", "text/csv", "application/zip",
    "application/msword", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.ms-excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}


# ---- keeping copies of other services' facts ----------------------------------------------------

def product_template_bound(event: dict, data: dict, uow) -> None:
    """Keep the product's frozen flow: purchases use it without asking template_svc."""
    if not uow.claim_event(event, "project.product_template_bound"):
        return
    uow.products.upsert(data)
    uow.commit()


def organisation_created(event: dict, data: dict, uow) -> None:
    """Keep organisation names: a purchase records its customer's name, for search."""
    if not uow.claim_event(event, "project.organisation_created"):
        return
    uow.organisations.upsert(data["org_id"], data["name"])
    uow.commit()


def calendar_changed(event: dict, data: dict, uow) -> None:
    if not uow.claim_event(event, "project.calendar_changed"):
        return
    uow.calendar.set_day(data["day"], data["kind"], data["name"])
    uow.commit()


def saturation_changed(event: dict, data: dict, uow) -> None:
    """Keep dispatch's figures unless newer ones are kept (by the event's ``occurred_at``): applying
    an event again, or an older one late, changes nothing, so the event needs no claim. Every
    purchase moves these figures: one statement and the commit, no processed_events row."""
    occurred_at = event.get("occurred_at")
    uow.saturation.set(data, as_of=datetime.fromisoformat(occurred_at) if occurred_at else None)
    uow.commit()


# ---- the flow ------------------------------------------------------------------------------------

def _apply(project: Project, events: Events, uow, due_before: datetime | None) -> None:
    """Save, emit, and keep the project's one durable node deadline in step with its clock."""
    uow.projects.save(project)
    for event_type, data in events:
        uow.emit(event_type, data)
    if project.due_at != due_before:
        if project.due_at is None:
            uow.cancel_deadline(NODE_TIMEOUT, project.id)
        else:
            uow.schedule(NODE_TIMEOUT, project.id, project.due_at,
                         {"node_key": project.current_node["key"], "round": project.round})


def create_from_purchase(purchase: dict, uow, now: datetime | None = None) -> tuple[Project, bool]:
    """PRJ-1: the purchase becomes a project at 'assign provider' on the product's bound flow."""
    now = now or utcnow()
    flow = uow.products.get(purchase["product_id"])
    if flow is None or not flow["nodes"]:
        raise UnknownProduct(f"Product {purchase['product_id']} has no service flow bound.",
                             {"product_id": ["no service flow is bound to this product"]})
    project = Project(
        id=str(uuid.uuid4()), order_id=purchase["order_id"], product_id=purchase["product_id"],
        vendor_id=flow["vendor_id"], customer_id=purchase["customer_id"], template_id=flow["template_id"],
        template_version=flow["template_version"], nodes=flow["nodes"], product_code=flow.get("product_code") or "",
        product_name=flow.get("product_name") or "", created_at=now,
    )
    events = project.start(now, uow.calendar.calendar())
    if not uow.projects.add_if_new(project):
        existing = uow.projects.by_order(purchase["order_id"])
        clashes = [name for name in ("product_id", "customer_id") if getattr(existing, name) != purchase[name]]
        if clashes:
            # answering with the first project would show one buyer's project to another
            raise OrderIdConflict(f"Order {purchase['order_id']} was bought already, of another "
                                  f"{' and '.join(n.removesuffix('_id') for n in clashes)}.",
                                  {"order_id": [f"already used with another {n.removesuffix('_id')}"
                                                for n in clashes]})
        return existing, False
    _apply(project, [("project_created", {
        "project_id": project.id, "order_id": project.order_id, "product_id": project.product_id,
        "vendor_id": project.vendor_id, "customer_id": project.customer_id,
        "template_id": project.template_id, "template_version": project.template_version,
    }), *events], uow, None)
    uow.commit()
    return project, True


def _locked(uow, project_id: str) -> Project:
    project = uow.projects.get(project_id, for_update=True)
    if project is None:
        raise ProjectNotFound(f"Project {project_id} was not found.")
    return project


def _on_dispatch_reply(event: dict, name: str, project_id: str, uow, step) -> None:
    """Claim the event and lock the project (one statement), step, save (one statement), commit."""
    claimed, project = uow.projects.claim_and_lock(event, f"project.{name}", project_id)
    if not claimed:
        return
    if project is not None:
        due = project.due_at
        events = step(project, utcnow(), uow.calendar.calendar())
        _apply(project, events or [], uow, due)
    uow.commit()


def provider_assigned(event: dict, data: dict, uow) -> None:
    _on_dispatch_reply(event, "provider_assigned", data["project_id"], uow, lambda p, now, cal: p.assign_provider(
        data["provider_id"], data["node_key"], data["round"], now, cal))


def provider_queued(event: dict, data: dict, uow) -> None:
    _on_dispatch_reply(event, "provider_queued", data["project_id"], uow, lambda p, now, cal: (
        p.queue(data["node_key"], data["round"], data["reason"], now), [])[1])


def employee_assigned(event: dict, data: dict, uow) -> None:
    _on_dispatch_reply(event, "employee_assigned", data["project_id"], uow, lambda p, now, cal: p.employee_assigned(
        data["user_id"], data["role"], data["node_key"], data["round"], now, cal, by=data.get("by"),
        note=data.get("note") or ""))


def employee_queued(event: dict, data: dict, uow) -> None:
    _on_dispatch_reply(event, "employee_queued", data["project_id"], uow, lambda p, now, cal: (
        p.queue(data["node_key"], data["round"], data["reason"], now), [])[1])


def order_claimed(event: dict, data: dict, uow) -> None:
    _on_dispatch_reply(event, "order_claimed", data["project_id"], uow, lambda p, now, cal: p.order_claimed(
        data["user_id"], data.get("department_id"), data["node_key"], data["round"], now, cal))


def node_timeout(project_id: str, payload: dict, uow, now: datetime | None = None) -> None:
    """The durable deadline fired (once, on one replica); a stale one changes nothing."""
    project = uow.projects.get(project_id, for_update=True)
    if project is None:
        return
    due = project.due_at
    events = project.timeout(payload["node_key"], payload["round"], now or utcnow(), uow.calendar.calendar())
    if events or project.late_side:
        _apply(project, events, uow, due)
    uow.commit()


# ---- people acting -------------------------------------------------------------------------------

def visible_project(project_id: str, actor: Actor, uow, *, for_update: bool = False) -> Project:
    """Another tenant's project answers exactly like a missing one (ORG-7)."""
    project = uow.projects.get(project_id, for_update=for_update)
    if project is None or not can_see(actor, project):
        raise ProjectNotFound(f"Project {project_id} was not found.")
    return project


def act(project_id: str, action: str, command: dict, actor: Actor, uow, now: datetime | None = None) -> Project:
    """A person acts on the project: submit, confirm, reject, pause, resume, cancel, change provider, rate."""
    now = now or utcnow()
    project = visible_project(project_id, actor, uow, for_update=True)
    who, cal, due = who_for(actor, project), uow.calendar.calendar(), project.due_at
    node_key, note = command.get("node_key", ""), command.get("note") or command.get("reason") or ""
    if action == "submit_requirements":
        def validate(form: dict, data: dict) -> dict:
            cleaned = validate_requirements(form, data)
            uploaded = {f["id"] for f in uow.records.files(project.id)}
            return require_uploaded_files(form, cleaned, uploaded)

        events = project.submit_requirements(who, node_key, command.get("data") or {}, now, cal, validate)
    elif action == "confirm":
        events = project.confirm(who, node_key, now, cal, note)
    elif action == "reject":
        events = project.reject(who, node_key, note, now, cal)
    elif action == "pause":
        events = project.pause(who, note, now, cal)
    elif action == "resume":
        events = project.resume(who, note, now, cal)
    elif action == "cancel":
        events = project.cancel(who, note, now)
    elif action == "change_provider":
        events = project.change_provider(who, note, uow.saturation.provider_count(project.product_id), now, cal)
    elif action == "rate":
        events = project.rate(who, command["score"], command.get("comment") or "", now)
    else:  # pragma: no cover - the entrypoints name the actions
        raise ValueError(action)
    _apply(project, events, uow, due)
    uow.commit()
    return project


def _view(project: Project, actor: Actor, records: list[dict], files: list[dict]) -> dict:
    """The project as this caller may see it: notes only for the delivering and selling side."""
    view = {**vars(project), "current_node": project.current_node, "nodes": project.steps}
    side, operator = project.current_operator()
    view.update(current_side=side, current_operator_id=operator, participants=sorted(project.participants))
    records = [r for r in records if record_visible(actor, project, r)]
    view["messages"] = [r for r in records if r["kind"] == "message"]
    view["notes"] = [r for r in records if r["kind"] == "note"]
    view["files"] = [f for f in files if record_visible(actor, project, f)]
    return view


def project_view(project: Project, actor: Actor, uow) -> dict:
    return _view(project, actor, uow.records.records(project.id, ("message", "note")), uow.records.files(project.id))


def purchase_view(project: Project, created: bool, actor: Actor, uow) -> dict:
    """The buyer's answer: a project created just now has no messages, notes or files to read."""
    return _view(project, actor, [], []) if created else project_view(project, actor, uow)


def get_project(project_id: str, actor: Actor, uow) -> dict:
    """The read path: one load of the project with its records and files (``reads.project``)."""
    read = uow.reads.project(project_id)
    if read is None or not can_see(actor, read.project):
        raise ProjectNotFound(f"Project {project_id} was not found.")  # another tenant's: as if missing (ORG-7)
    return _view(read.project, actor, read.records, read.files)


def add_record(project_id: str, kind: str, body: str, actor: Actor, uow, now: datetime | None = None,
               record_id: str | None = None) -> dict:
    """PRJ-7: messages (everyone on the project) and notes (never the customer), only while open.
    ``record_id`` derives from the request's idempotency key: a retry adds nothing more."""
    project = visible_project(project_id, actor, uow)
    if kind == "note" and not sees_notes(actor, project):
        raise NotYourTurn("Notes are written by the vendor and the provider side only.", {"body": ["not allowed"]})
    added = uow.records.record(record_id) if record_id is not None else None
    if added is not None:
        return added
    project.require_open()
    record = uow.records.add_record(id=record_id or str(uuid.uuid4()), project_id=project.id, kind=kind,
                                    author_id=actor.user_id, author_org_id=actor.org_id,
                                    node_key=project.current_node["key"], body=body,
                                    at=now or utcnow())
    uow.commit()
    return record


def list_records(project_id: str, kind: str, actor: Actor, uow) -> list[dict]:
    project = visible_project(project_id, actor, uow)
    if kind == "note" and not sees_notes(actor, project):
        raise ProjectNotFound(f"Project {project_id} has no notes for you.")
    return [r for r in uow.records.records(project.id, (kind,)) if record_visible(actor, project, r)]


def check_upload(project_id: str, node_key: str, name: str, content_type: str, size: int, actor: Actor,
                 uow, head: bytes | None = None) -> Project:
    """PRJ-7: files at the current node, by its operator, when the node takes uploads; ``head``
    (the first bytes) must be a file of the declared type."""
    project = visible_project(project_id, actor, uow)
    project.require_open()
    node = project.current_node
    errors = {}
    if node["key"] != node_key:
        errors["node_key"] = [f"files go to the current node ({node['key']})"]
    elif node["kind"] == "generic" and not (node.get("settings") or {}).get("upload_enabled"):
        errors["node_key"] = ["this node does not take uploads"]
    elif node["kind"] not in ("generic", "submit_requirements", "confirm"):
        errors["node_key"] = [f"a {node['kind']} node does not take uploads"]
    if size <= 0:
        errors["file"] = ["the file is empty"]
    elif size > MAX_FILE_BYTES:
        errors["file"] = [f"at most {MAX_FILE_BYTES // (1024 * 1024)} MB"]
    if content_type not in ALLOWED_TYPES:
        errors["content_type"] = [f"{content_type} is not an allowed file type"]
    elif head is not None and size > 0 and (problem := content_problem(content_type, head)):
        errors["content_type"] = [problem]
    if not name or "/" in name or "\\" in name or len(name) > 255:
        errors["name"] = ["a plain file name of at most 255 characters"]
    if errors:
        raise FileRejected("The file is not accepted.", errors)
    if node["key"] == node_key and not project.may_operate(who_for(actor, project), node):
        raise NotYourTurn("You are not the operator of this node.", {"node_key": ["not your node"]})
    return project


def record_upload(project: Project, node_key: str, name: str, stored, actor: Actor, uow,
                  now: datetime | None = None) -> dict:
    file = uow.records.add_file(id=stored.key.rsplit("/", 1)[-1], project_id=project.id, node_key=node_key,
                                name=name, content_type=stored.content_type, size=stored.size, sha256=stored.sha256,
                                storage_key=stored.key, uploaded_by=actor.user_id, author_org_id=actor.org_id,
                                at=now or utcnow())
    uow.commit()
    return file


def list_files(project_id: str, actor: Actor, uow) -> list[dict]:
    project = visible_project(project_id, actor, uow)
    return [f for f in uow.records.files(project.id) if record_visible(actor, project, f)]


def file_of(project_id: str, file_id: str, actor: Actor, uow) -> dict:
    project = visible_project(project_id, actor, uow)
    file = uow.records.file(project_id, file_id)
    if file is None or not record_visible(actor, project, file):
        raise ProjectNotFound(f"File {file_id} was not found.")
    return file


# ---- lists, exports, dashboards ----------------------------------------------------------------

def list_filters(query: dict, actor: Actor) -> tuple[Scope, dict]:
    """The caller's scope plus "my projects" (waiting for me / handled by me, PRJ-2)."""
    scope = scope_of(actor)
    if query.get("mine"):
        query = {**query, "me": {
            "user_id": actor.user_id,
            "provider_admin_of": actor.org_id if actor.has_role(PROVIDER_ADMIN) else None,
            "customer_of": actor.org_id if query.get("as_customer") else None}}
    if query.get("as_customer"):  # 已购服务 (ORG-5): what my organisation bought
        scope = Scope(customer_of=actor.org_id)
    return scope, query


def list_projects(query: dict, actor: Actor, uow) -> dict:
    scope, query = list_filters(query, actor)
    return uow.projects.page(scope, query)


def export_rows(query: dict, actor: Actor, uow):
    scope, query = list_filters(query, actor)
    return uow.projects.stream(scope, query)


def _band(ratio: float) -> str:
    return "green" if ratio < 0.4 else "blue" if ratio <= 0.8 else "red"


# The figures of PRJ-11 that only depend on projects created or completed before 00:00 today
# cannot change during the day (created_at and completed_at are stamped when they happen), so each
# process computes them once per owner and day; a few minutes after midnight first, so that a
# transaction that stamped 23:59 and committed at 00:00 is in.
SETTLED_AFTER = timedelta(minutes=5)
SETTLED_KEPT = 10_000
_SETTLED: dict[tuple, tuple] = {}


def _settled_figures(repo, owner: dict, today, midnight: datetime, tz: str) -> tuple:
    """Average completion cycle (365 days), new projects per day (7) and per month (6 calendar months)."""
    zone = ZoneInfo(tz)
    cycle = repo.average_cycle_seconds(owner, midnight - timedelta(days=365), midnight)
    per_day = repo.created_per_local_day(owner, midnight - timedelta(days=7), midnight, tz)
    months = []
    year, month = today.year, today.month
    for _ in range(6):
        months.append((year, month))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    months.reverse()
    first = datetime(months[0][0], months[0][1], 1, tzinfo=zone)
    per_month = {f"{y}-{m:02d}": 0 for y, m in months}
    for day, count in repo.created_per_local_day(owner, first, midnight, tz).items():
        per_month[f"{day.year}-{day.month:02d}"] += count
    return cycle, per_day, per_month


def dashboard(actor: Actor, as_kind: str, uow, now: datetime | None = None, tz: str = DEFAULT_TIME_ZONE) -> dict:
    """PRJ-11: figures up to 00:00 today in the organisation's time zone (today excluded)."""
    zone = ZoneInfo(tz)
    today = (now or utcnow()).astimezone(zone).date()
    midnight = datetime(today.year, today.month, today.day, tzinfo=zone)
    owner = {"kind": as_kind, "org_id": actor.org_id}
    repo = uow.projects
    key = (as_kind, actor.org_id, tz, midnight)
    settled = _SETTLED.get(key)
    if settled is None:
        settled = _settled_figures(repo, owner, today, midnight, tz)
        if (now or utcnow()) - midnight > SETTLED_AFTER:
            _SETTLED[key] = settled
            while len(_SETTLED) > SETTLED_KEPT:
                _SETTLED.pop(next(iter(_SETTLED)))
    cycle, per_day, per_month = settled

    def breakdown(days: int) -> dict:
        raw = repo.status_breakdown(owner, midnight - timedelta(days=days), midnight)
        open_late = sum(n for k, n in raw.items() if k in ("in_progress:late", "queued:late"))
        return {"new": sum(raw.values()),
                "delivered": raw.get("completed", 0) + raw.get("completed:late", 0),
                "in_progress": raw.get("in_progress", 0) + raw.get("queued", 0),
                "late": open_late,
                "paused": raw.get("paused", 0) + raw.get("paused:late", 0),
                "cancelled": raw.get("cancelled", 0) + raw.get("cancelled:late", 0)}

    saturation = []
    for row in repo.saturation(owner):
        ratio = row["held"] / row["max_held"] if row["max_held"] else 1.0
        saturation.append({**row, "ratio": round(ratio, 4), "band": _band(ratio)})
    average = None if cycle is None else float(
        (Decimal(cycle) / Decimal(86_400)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))
    return {
        "as_of": midnight, "time_zone": tz, "as": as_kind,
        "average_completion_days": average,
        "new_per_day": [{"day": (today - timedelta(days=i)).isoformat(),
                         "count": per_day.get(today - timedelta(days=i), 0)} for i in range(7, 0, -1)],
        "new_per_month": [{"month": k, "count": v} for k, v in per_month.items()],
        "status_30_days": breakdown(30), "status_60_days": breakdown(60),
        "saturation": saturation,
    }


def purchase_for(actor: Actor | None, purchase: dict) -> dict:
    """Who the buyer is: the marketplace (operator) names the customer; anyone else buys for
    their own organisation, whatever ``customer_id`` they sent (never applied)."""
    if actor is None or actor.is_operator:
        if not purchase.get("customer_id"):
            raise CustomerNotNamed()
        return purchase
    return {**purchase, "customer_id": actor.org_id}
