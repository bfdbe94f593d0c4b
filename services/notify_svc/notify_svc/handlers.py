"""Use cases of notify_svc: fn(command..., uow, ...) -> result. They speak to the repositories
(uow.templates, uow.people, uow.deliveries, uow.inbox, uow.webhooks) and end with uow.commit().

Outside systems (channels, the webhook client) are passed in, so unit tests hand in fakes and
the interface tests real local peers.
"""
from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from notify_svc.domain import delivery as dl
from notify_svc.domain import webhooks as wh
from notify_svc.domain.defaults import default_templates
from notify_svc.domain.inbox import InboxEntry, readable_by
from notify_svc.domain.recipients import Person, Recipient, reminder_receivers, requested_receivers
from notify_svc.domain.templates import Content, MessageTemplate, TemplateFilter, Variable
from notify_svc.exceptions import (
    DeliveryNotFound,
    EndpointNotFound,
    MessageNotFound,
    OperatorOnly,
    TemplateExists,
    TemplateInvalid,
    TemplateNotFound,
    UnknownEventType,
    WebhookDeliveryNotFound,
)
from platform_contracts.actor import Actor

DELIVER, DIGEST, WEBHOOK = "notify.deliver", "notify.digest", "notify.webhook"
_MISSING_ADDRESS = {"sms": "no phone number", "dingtalk": "no phone number", "wechat_work": "no phone number",
                    "email": "no e-mail address", "inbox": "no user account"}


def new_id() -> str:
    return str(uuid.uuid4())


def require_operator(actor: Actor | None) -> Actor:
    if actor is None or not actor.is_operator:
        raise OperatorOnly("Only the platform operator may do this.")
    return actor


# --- message templates (NTF-1) ------------------------------------------------------------------

def _emit_template_changed(template: MessageTemplate, uow) -> None:
    uow.emit("message_template_changed", {"name": template.name, "variables": template.variable_names,
                                          "channels": list(template.channels), "deleted": template.deleted})


def seed_templates(uow) -> int:
    """Add the default templates that are missing (never overwrites an operator's edit)."""
    defaults = default_templates()
    for t in defaults:
        t.id = new_id()
    added = uow.templates.add_missing(defaults)
    for t in added:
        _emit_template_changed(t, uow)
    uow.commit()
    return len(added)


def _template_from(cmd: dict, name: str, template_id: str) -> MessageTemplate:
    return MessageTemplate(
        id=template_id, name=name, description=cmd.get("description", ""), node_kind=cmd.get("node_kind"),
        trigger=cmd.get("trigger"), recipient=cmd.get("recipient"),
        variables=[Variable(**v) for v in cmd["variables"]], contents=[Content(**c) for c in cmd["contents"]],
        channels=list(cmd["channels"]))


def create_template(cmd: dict, uow) -> MessageTemplate:
    if uow.templates.get(cmd["name"], include_deleted=True) is not None:
        raise TemplateExists(f"A message template named {cmd['name']!r} exists.", {"name": ["already exists"]})
    template = _template_from(cmd, cmd["name"], new_id())
    template.validate()
    uow.templates.save(template)
    _emit_template_changed(template, uow)
    uow.commit()
    return template


def update_template(ref: str, cmd: dict, uow) -> MessageTemplate:
    current = get_template(ref, uow)
    template = _template_from({**cmd, "name": current.name}, current.name, current.id)
    template.builtin = current.builtin
    template.validate()
    uow.templates.save(template)
    _emit_template_changed(template, uow)
    uow.commit()
    return template


def delete_template(ref: str, uow) -> MessageTemplate:
    template = get_template(ref, uow)
    template.deleted = True
    uow.templates.save(template)
    _emit_template_changed(template, uow)
    uow.commit()
    return template


def get_template(ref: str, uow) -> MessageTemplate:
    """By id (what the HTTP API uses: names hold spaces) or by name (what reminder rules use)."""
    template = uow.templates.get_by_id(ref) or uow.templates.get(ref)
    if template is None:
        raise TemplateNotFound(f"Message template {ref!r} was not found.")
    return template


def list_templates(query: dict, uow) -> tuple[list[MessageTemplate], int]:
    return uow.templates.list(TemplateFilter(**query))


def preview_template(ref: str, channel: str, language: str, values: dict, uow):
    return get_template(ref, uow).preview(channel, language, values)


# --- the directory: notify's copy of identity's users --------------------------------------------

def person_changed(event: dict, data: dict, uow) -> None:
    """user_created / user_updated: keep contact data and roles; preferences stay notify's own."""
    if not uow.claim_event(event, "notify.person_changed"):
        return
    person = uow.people.person(data["user_id"]) or Person(user_id=data["user_id"], org_id=data["org_id"])
    person.org_id, person.display_name = data["org_id"], data["display_name"]
    person.phone, person.email = data.get("phone"), data.get("email")
    person.roles, person.active = list(data["roles"]), data["active"]
    uow.people.save(person)
    uow.commit()


def get_preferences(actor: Actor, uow) -> Person:
    return uow.people.person(actor.user_id) or Person(user_id=actor.user_id, org_id=actor.org_id,
                                                      roles=list(actor.roles))


def set_preferences(actor: Actor, prefs: dict, uow) -> Person:
    person = get_preferences(actor, uow)
    for key in ("channels", "language", "timezone"):
        if prefs.get(key) is not None:
            setattr(person, key, prefs[key])
    uow.people.save(person)
    uow.commit()
    return person


# --- fan-out (NTF-3) -------------------------------------------------------------------------------

def reminder_due(event: dict, data: dict, uow, policy: dl.Policy, now: datetime, configured: set[str]) -> int:
    """A node's reminder rule fired (TPL-10): every receiver, every channel it chose, once."""
    if not uow.claim_event(event, "notify.reminder_due"):
        return 0
    recipients = reminder_receivers(
        data["receivers"], customer_id=data["customer_id"], vendor_id=data["vendor_id"],
        provider_id=data.get("provider_id"), operator_user_id=data.get("operator_user_id"), directory=uow.people)
    values = {"project_id": data["project_id"], "order_id": data["order_id"], "product_id": data["product_id"],
              "node_key": data["node_key"], "node_name": data["node_name"], "trigger": data["trigger"],
              **data.get("variables", {})}
    created = _fan_out(f"reminder:{event['event_id']}", recipients, data["message_template"], values,
                       urgent=False, only=None, link=f"/projects/{data['project_id']}",
                       source_event_id=event["event_id"], uow=uow, policy=policy, now=now, configured=configured)
    uow.commit()
    return created


def notification_requested(event: dict, data: dict, uow, policy: dl.Policy, now: datetime,
                           configured: set[str]) -> int:
    """Any service's NotificationRequest (ticket rules, payment reminders, overdue alerts)."""
    if not uow.claim_event(event, "notify.notification_requested"):
        return 0
    recipients = requested_receivers(data["receivers"], uow.people)
    created = _fan_out(f"{event['source']}:{data['dedupe_key']}", recipients, data["message_template"],
                       data.get("variables", {}), urgent=data.get("urgent", False), only=data.get("channels"),
                       link=data.get("link"), source_event_id=event["event_id"], uow=uow, policy=policy, now=now,
                       configured=configured)
    uow.commit()
    return created


def _fan_out(dedupe_key: str, recipients: list[Recipient], template_name: str, values: dict, *, urgent: bool,
             only: Iterable[str] | None, link: str | None, source_event_id: str | None, uow, policy: dl.Policy,
             now: datetime, configured: set[str]) -> int:
    """One delivery per recipient and channel; returns how many are new. Never commits."""
    template = uow.templates.get(template_name)
    created = 0
    for recipient in recipients:
        channels = [c for c in recipient.channels if only is None or c in only]
        if template is not None:
            channels = [c for c in channels if c in template.channels]
        for channel in channels:
            delivery = dl.Delivery(
                id=new_id(), dedupe_key=dedupe_key, recipient_key=recipient.key, channel=channel,
                template=template_name, subject="", body="", address=recipient.address(channel),
                recipient_user_id=recipient.user_id, urgent=urgent, link=link, created_at=now,
                source_event_id=source_event_id)
            _prepare(delivery, template, recipient, values, configured, policy, now, uow)
            if not uow.deliveries.add_if_new(delivery):
                continue        # this key already reached this recipient here (a redelivered event)
            created += 1
            _dispatch(delivery, uow, now, policy)
    return created


def _prepare(delivery: dl.Delivery, template: MessageTemplate | None, recipient: Recipient, values: dict,
             configured: set[str], policy: dl.Policy, now: datetime, uow) -> None:
    """Render and decide when it goes, or why it is skipped (logged, the other channels still go)."""
    if template is None:
        delivery.skip(f"no message template {delivery.template!r}")
        return
    try:
        rendered = template.render(delivery.channel, recipient.language, {"receiver_name": recipient.name, **values})
    except TemplateInvalid as exc:
        delivery.skip(str(exc))
        return
    delivery.subject, delivery.body = rendered.subject, rendered.body
    if not delivery.address:
        delivery.skip(_MISSING_ADDRESS[delivery.channel])
    elif delivery.channel != "inbox" and delivery.channel not in configured:
        delivery.skip(f"channel {delivery.channel} is not configured")
    elif delivery.channel == "email" and not delivery.urgent and policy.digest_seconds > 0:
        delivery.due_at = None          # waits for the recipient's digest
    else:
        delivery.due_at = dl.due_time(delivery.channel, delivery.urgent, now, recipient.timezone, policy)


def _dispatch(delivery: dl.Delivery, uow, now: datetime, policy: dl.Policy) -> None:
    if delivery.status != dl.PENDING:
        return
    if delivery.channel == "inbox":
        uow.inbox.add_if_new(InboxEntry(recipient_id=delivery.address, recipient_kind="user", title=delivery.subject,
                                        body=delivery.body, link=delivery.link, source_id=delivery.id))
        delivery.record(dl.SendResult(True, "inbox", "stored"), now, dl.Policy())
        uow.deliveries.save(delivery)
    elif delivery.due_at is None:
        pending = uow.deliveries.awaiting_digest(delivery.recipient_key)
        if len(pending) == 1:       # the first of a window opens it
            uow.schedule(DIGEST, delivery.recipient_key, now + timedelta(seconds=policy.digest_seconds))
    else:
        uow.schedule(DELIVER, delivery.id, delivery.due_at)


def deliver(delivery_id: str, uow, channels: dict, policy: dl.Policy, now: datetime) -> dl.Delivery | None:
    """Send one pending delivery once through its channel; log the attempt; retry with back-off (NTF-4)."""
    delivery = uow.deliveries.get(delivery_id, for_update=True)
    if delivery is None or delivery.status != dl.PENDING:
        return delivery
    channel = channels[delivery.channel]
    if not channel.configured:
        delivery.skip(f"channel {delivery.channel} is not configured")
    else:
        provider = dl.provider_for(delivery, channel.providers, policy.fallback_after)
        retry_at = delivery.record(channel.send(delivery, provider), now, policy)
        if retry_at is not None:
            delivery.due_at = retry_at
            uow.schedule(DELIVER, delivery.id, retry_at)
        elif delivery.status == dl.FAILED:
            uow.emit("notification_delivery_failed", {
                "delivery_id": delivery.id, "channel": delivery.channel, "message_template": delivery.template,
                "recipient_user_id": delivery.recipient_user_id, "attempts": delivery.attempt_count,
                "error": delivery.last_error or ""})
    uow.deliveries.save(delivery)
    uow.commit()
    return delivery


def send_digest(recipient_key: str, uow, now: datetime) -> dl.Delivery | None:
    """The digest window of one recipient closed: its waiting e-mails go as one (NTF-3)."""
    waiting = uow.deliveries.awaiting_digest(recipient_key, for_update=True)
    if not waiting:
        return None
    if len(waiting) == 1:
        combined = waiting[0]
        combined.due_at = now
        uow.deliveries.save(combined)
    else:
        combined = dl.digest(waiting, new_id(), now)
        uow.deliveries.add(combined)
        for d in waiting:
            uow.deliveries.save(d)
    uow.schedule(DELIVER, combined.id, now)
    uow.commit()
    return combined


def resend(delivery_id: str, uow, now: datetime) -> dl.Delivery:
    """NTF-4: an operator sends a failed or skipped message again, to the recipient's current address."""
    delivery = uow.deliveries.get(delivery_id, for_update=True)
    if delivery is None:
        raise DeliveryNotFound(f"Delivery {delivery_id} was not found.")
    delivery.resend(now)
    if delivery.recipient_user_id:
        person = uow.people.person(delivery.recipient_user_id)
        if person is not None:
            recipient_address = {"email": person.email, "inbox": person.user_id}.get(delivery.channel, person.phone)
            delivery.address = recipient_address or delivery.address
    uow.deliveries.save(delivery)
    if delivery.channel == "inbox":
        _dispatch(delivery, uow, now, dl.Policy())
    else:
        uow.schedule(DELIVER, delivery.id, now)
    uow.commit()
    return delivery


def list_deliveries(query: dict, uow) -> tuple[list[dl.Delivery], int]:
    return uow.deliveries.list(**query)


# --- the in-site inbox (NTF-5) ---------------------------------------------------------------------

def provider_assigned(event: dict, data: dict, uow) -> None:
    """Tell the chosen provider it has a new project (in-site message to the organisation)."""
    if not uow.claim_event(event, "notify.provider_assigned"):
        return
    uow.inbox.add_if_new(InboxEntry(
        recipient_id=data["provider_id"], recipient_kind="organisation", title="New delivery project assigned",
        body=f"Project {data['project_id']} of product {data['product_id']} was assigned to you.",
        link=f"/projects/{data['project_id']}", source_id=event["event_id"]))
    uow.commit()


def template_version_decided(event: dict, data: dict, uow) -> None:
    """TPL-1: the vendor reads the operator's decision on its template version, with the
    operator's note or reason (in-site message to the vendor organisation). Approvals at a first
    publish and public templates (no vendor) are nobody's news."""
    if data.get("owner_id") is None or not data.get("by_operator", True):
        return
    if not uow.claim_event(event, "notify.template_version_decided"):
        return
    name, number, words = data.get("template_name") or data["template_id"], data["template_version"], \
        (data.get("reason") or "").strip()
    if event["event_type"] == "template_version_approved":
        title = f"服务流程模板「{name}」第 {number} 版已审核通过"
        body = title + (f"。平台运营的备注：{words}" if words else "。新项目将使用此版本。")
    else:
        title = f"服务流程模板「{name}」第 {number} 版被驳回"
        body = title + (f"。驳回原因：{words}" if words else "。") + " 请修改后重新发布。"
    uow.inbox.add_if_new(InboxEntry(
        recipient_id=data["owner_id"], recipient_kind="organisation", title=title, body=body,
        link=f"/templates/{data['template_id']}", source_id=event["event_id"]))
    uow.commit()


def inbox(actor: Actor, query: dict, uow) -> dict:
    items, total, unread = uow.inbox.page(readable_by(actor), unread_only=query["unread_only"],
                                          limit=query["limit"], offset=query["offset"])
    return {"items": items, "total": total, "unread": unread, "limit": query["limit"], "offset": query["offset"]}


def mark_read(actor: Actor, message_id: str, uow, now: datetime) -> InboxEntry:
    """Another's message answers exactly like a missing one (ORG-7)."""
    recipients = readable_by(actor)
    message = uow.inbox.get(int(message_id)) if str(message_id).isdigit() else None
    if message is None or message.recipient_id not in recipients:
        raise MessageNotFound(f"Message {message_id} was not found.")
    if message.read_at is None:
        uow.inbox.mark_read(recipients, message.id, now)
        message.read_at = now
        uow.commit()
    return message


def mark_all_read(actor: Actor, uow, now: datetime) -> int:
    changed = uow.inbox.mark_read(readable_by(actor), None, now)
    uow.commit()
    return changed


# --- webhooks (GW-5, BIL-9) ------------------------------------------------------------------------

def _owner_of(actor: Actor, org_id: str | None) -> str:
    return org_id if actor.is_operator and org_id else actor.org_id


def _visible_endpoint(actor: Actor, endpoint_id: str, uow, *, for_update: bool = False) -> wh.Endpoint:
    endpoint = uow.webhooks.endpoint(endpoint_id, for_update=for_update)
    if endpoint is None or (not actor.is_operator and endpoint.org_id != actor.org_id):
        raise EndpointNotFound(f"Webhook endpoint {endpoint_id} was not found.")
    return endpoint


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def _check_event_types(event_types: list[str], known: set[str]) -> None:
    unknown = sorted(set(event_types) - known)
    if unknown:
        raise UnknownEventType(f"Not in the event catalogue: {', '.join(unknown)}.",
                               {"event_types": [f"unknown: {', '.join(unknown)}"]})


def create_endpoint(actor: Actor, cmd: dict, uow, *, resolve: Callable[[str], list[str]], policy: wh.WebhookPolicy,
                    known_events: set[str], now: datetime) -> wh.Endpoint:
    """Register an endpoint; the answer is the only time its secret is shown."""
    _check_event_types(cmd["event_types"], known_events)
    wh.check_url(cmd["url"], resolve(cmd["url"]), policy.allow_private)
    endpoint = wh.Endpoint(id=new_id(), org_id=_owner_of(actor, cmd.get("org_id")), url=cmd["url"],
                           event_types=sorted(set(cmd["event_types"])), secret=new_secret(),
                           description=cmd.get("description", ""), created_at=now)
    uow.webhooks.add_endpoint(endpoint)
    uow.commit()
    return endpoint


def update_endpoint(actor: Actor, endpoint_id: str, cmd: dict, uow, *, resolve, policy: wh.WebhookPolicy,
                    known_events: set[str]) -> wh.Endpoint:
    endpoint = _visible_endpoint(actor, endpoint_id, uow, for_update=True)
    if cmd.get("url") is not None:
        endpoint.url = wh.check_url(cmd["url"], resolve(cmd["url"]), policy.allow_private)
    if cmd.get("event_types") is not None:
        _check_event_types(cmd["event_types"], known_events)
        endpoint.event_types = sorted(set(cmd["event_types"]))
    if cmd.get("description") is not None:
        endpoint.description = cmd["description"]
    if cmd.get("enabled") is True:
        endpoint.enable()
    elif cmd.get("enabled") is False:
        endpoint.enabled, endpoint.disabled_reason = False, "disabled by hand"
    uow.webhooks.save_endpoint(endpoint)
    uow.commit()
    return endpoint


def rotate_secret(actor: Actor, endpoint_id: str, uow, policy: wh.WebhookPolicy, now: datetime) -> wh.Endpoint:
    endpoint = _visible_endpoint(actor, endpoint_id, uow, for_update=True)
    endpoint.rotate(new_secret(), now, policy.rotation_overlap)
    uow.webhooks.save_endpoint(endpoint)
    uow.commit()
    return endpoint


def delete_endpoint(actor: Actor, endpoint_id: str, uow) -> None:
    _visible_endpoint(actor, endpoint_id, uow)
    uow.webhooks.delete_endpoint(endpoint_id)
    uow.commit()


def get_endpoint(actor: Actor, endpoint_id: str, uow) -> wh.Endpoint:
    return _visible_endpoint(actor, endpoint_id, uow)


def list_endpoints(actor: Actor, uow) -> list[wh.Endpoint]:
    return uow.webhooks.endpoints(None if actor.is_operator else actor.org_id)


def event_for_webhooks(event: dict, uow, now: datetime, wanted: wh.SubscribedTypes | None = None) -> int:
    """One delivery per subscribed endpoint whose organisation is a party of the event (ORG-7).

    ``wanted`` (the process's snapshot of subscribed types) answers for events older than itself;
    for a newer one the types are read now (after the event was delivered, so every endpoint
    committed before it is seen) and kept for the next events. An event no endpoint subscribes to
    ends here, without reading endpoints or committing."""
    if wanted is not None:
        if wanted.covers(datetime.fromisoformat(event["occurred_at"])):
            types = wanted.types
        else:
            types = uow.webhooks.subscribed_types()
            wanted.refresh(types, now)  # ``now`` was taken before the query started
        if event["event_type"] not in types:
            return 0
    created = 0
    for endpoint in uow.webhooks.subscribed(event["event_type"]):
        payload = wh.visible_payload(endpoint.org_id, event["data"])
        if payload is None:
            continue
        hook = wh.WebhookDelivery(id=new_id(), endpoint_id=endpoint.id, org_id=endpoint.org_id,
                                  event_id=event["event_id"], event_type=event["event_type"], payload=payload,
                                  created_at=datetime.fromisoformat(event["occurred_at"]), next_attempt_at=now,
                                  window_start=now)
        if uow.webhooks.add_delivery_if_new(hook):     # unique per endpoint and event: redelivery adds nothing
            uow.schedule(WEBHOOK, hook.id, now)
            created += 1
    uow.commit()
    return created


def deliver_webhook(delivery_id: str, uow, *, client, policy: wh.WebhookPolicy,
                    now: datetime) -> wh.WebhookDelivery | None:
    hook = uow.webhooks.delivery(delivery_id, for_update=True)
    if hook is None or hook.status != wh.PENDING:
        return hook
    endpoint = uow.webhooks.endpoint(hook.endpoint_id)
    if endpoint is None or not endpoint.enabled:
        hook.record(False, None, "endpoint disabled or deleted", now, policy, endpoint_enabled=False)
        uow.webhooks.save_delivery(hook)
        uow.commit()
        return hook
    body = json.dumps(hook.body(), separators=(",", ":"), ensure_ascii=False).encode()
    try:
        # checked again at send time: a name may resolve elsewhere than when it was registered
        wh.check_url(endpoint.url, client.resolve(endpoint.url), policy.allow_private)
        timestamp = int(now.timestamp())
        ok, status, answer = client.post(endpoint.url, body, {
            wh.SIGNATURE_HEADER: wh.signature_header(endpoint.signing_secrets(now), timestamp, body),
            wh.EVENT_HEADER: hook.event_type, wh.DELIVERY_HEADER: hook.id})
    except Exception as exc:  # the refusal of check_url, or anything the client raised
        ok, status, answer = False, None, str(exc)
    endpoint = uow.webhooks.endpoint(hook.endpoint_id, for_update=True)
    disabled = False
    if ok:
        endpoint.succeeded()
    else:
        disabled = endpoint.failed(now, policy)
    retry_at = hook.record(ok, status, answer, now, policy, endpoint_enabled=endpoint.enabled)
    if retry_at is not None:
        uow.schedule(WEBHOOK, hook.id, retry_at)
    uow.webhooks.save_endpoint(endpoint)
    uow.webhooks.save_delivery(hook)
    if disabled:
        _endpoint_disabled(endpoint, uow, now)
    uow.commit()
    return hook


def _endpoint_disabled(endpoint: wh.Endpoint, uow, now: datetime) -> None:
    """GW-5: an endpoint failing for a day is disabled and its owner told (event + in-site message)."""
    uow.emit("webhook_endpoint_disabled", {"endpoint_id": endpoint.id, "org_id": endpoint.org_id,
                                           "url": endpoint.url, "failing_since": endpoint.failing_since.isoformat(),
                                           "reason": endpoint.disabled_reason or ""})
    uow.inbox.add_if_new(InboxEntry(
        recipient_id=endpoint.org_id, recipient_kind="organisation", title="Webhook endpoint disabled",
        body=f"Your webhook endpoint {endpoint.url} failed for a day and was disabled. Fix it, enable it again "
             f"and replay the failed deliveries.", link=f"/webhooks/{endpoint.id}", source_id=f"disabled:{endpoint.id}:"
                                                                                       f"{int(now.timestamp())}"))


def list_webhook_deliveries(actor: Actor, query: dict, uow) -> tuple[list[wh.WebhookDelivery], int]:
    org_id = None if actor.is_operator else actor.org_id
    return uow.webhooks.deliveries(org_id=org_id, **query)


def replay_webhook(actor: Actor, delivery_id: str, uow, now: datetime) -> wh.WebhookDelivery:
    """GW-5: send a delivery again by hand (after the endpoint is fixed)."""
    hook = uow.webhooks.delivery(delivery_id, for_update=True)
    if hook is None or (not actor.is_operator and hook.org_id != actor.org_id):
        raise WebhookDeliveryNotFound(f"Webhook delivery {delivery_id} was not found.")
    hook.replay(now)
    uow.webhooks.save_delivery(hook)
    uow.schedule(WEBHOOK, hook.id, now)
    uow.commit()
    return hook
