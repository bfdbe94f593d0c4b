"""notify_svc's entrypoints: load input, open a unit of work, call a handler, dump output.

Consumes: dispatch.provider_assigned (in-site message to the provider), project.reminder_due
(TPL-10 reminders), identity.user_created / user_updated (the directory), every event registered
with ``platform_contracts.notify.NotificationRequest`` (NOTIFICATION_REQUESTS below: ticket rules,
payment reminders, overdue alerts) and every catalogue event an organisation may subscribe its
webhooks to (WEBHOOK_EVENTS). Emits message_template_changed, notification_delivery_failed,
webhook_endpoint_disabled.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta

from nameko import config

from notify_svc import handlers
from notify_svc.adapters.channels import WebhookClient, channels_from_config
from notify_svc.adapters.repository import (
    DeliveryRepository,
    InboxRepository,
    PeopleRepository,
    TemplateRepository,
    WebhookRepository,
)
from notify_svc.adapters.startup import on_start
from notify_svc.domain.delivery import Policy
from notify_svc.domain.webhooks import SubscribedTypes, WebhookPolicy
from notify_svc.schemas import (
    DeliveryFilterSchema,
    DeliveryPageSchema,
    DeliverySchema,
    EndpointCreateSchema,
    EndpointListSchema,
    EndpointSchema,
    EndpointUpdateSchema,
    EndpointWithSecretSchema,
    EventTypesSchema,
    InboxMessageSchema,
    InboxPageSchema,
    InboxQuerySchema,
    MarkedSchema,
    PreferencesSchema,
    PreviewSchema,
    RenderedSchema,
    TemplateCreateSchema,
    TemplateFieldsSchema,
    TemplateFilterSchema,
    TemplatePageSchema,
    TemplateSchema,
    WebhookDeliveryFilterSchema,
    WebhookDeliveryPageSchema,
    WebhookDeliverySchema,
)
from platform_contracts.notify import NotificationRequest
from platform_kit.auth import Caller, require_actor
from platform_kit.clock import utcnow
from platform_kit.consumer import on_event
from platform_kit.contracts import all_contracts, load_data
from platform_kit.db import Database
from platform_kit.errors import rpc
from platform_kit.scheduling import on_deadline
from platform_kit.service import PlatformService
from platform_kit.validation import load

# Every event registered with the NotificationRequest schema is consumed the same way: the one
# place a service's "<x>_notification_requested" is listed is its own registration.
NOTIFICATION_REQUESTS = tuple((c.source, c.event_type) for c in all_contracts()
                              if issubclass(c.schema, NotificationRequest))
# What an organisation may subscribe its webhooks to (GW-5): the catalogue, minus requests to
# notify and the reminders (internal plumbing), minus notify's own events
_INTERNAL = {"reminder_due"} | {t for _, t in NOTIFICATION_REQUESTS}
WEBHOOK_EVENTS = tuple((c.source, c.event_type) for c in all_contracts()
                       if c.source != "notify" and c.event_type not in _INTERNAL)
KNOWN_WEBHOOK_EVENTS = {t for _, t in WEBHOOK_EVENTS}


# this process's snapshot of the event types endpoints subscribe to (domain.webhooks.SubscribedTypes:
# valid across replicas without invalidation messages)
SUBSCRIBED_TYPES = SubscribedTypes()


def _flag(key: str) -> bool:
    return str(config.get(key) or "false").lower() in ("1", "true", "yes", "on")


def _number(key: str, default: float) -> float:
    value = config.get(key)
    return default if value in (None, "") else float(value)


def _clock(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def delivery_policy() -> Policy:
    start, end = str(config.get("NOTIFY_QUIET_HOURS") or "22:00-08:00").split("-")
    return Policy(max_attempts=int(_number("NOTIFY_MAX_ATTEMPTS", 6)),
                  backoff_seconds=_number("NOTIFY_BACKOFF_SECONDS", 30),
                  max_backoff_seconds=_number("NOTIFY_MAX_BACKOFF_SECONDS", 3600), quiet_start=_clock(start),
                  quiet_end=_clock(end), digest_seconds=_number("NOTIFY_DIGEST_SECONDS", 0),
                  fallback_after=int(_number("NOTIFY_FALLBACK_AFTER", 1)))


def webhook_policy() -> WebhookPolicy:
    return WebhookPolicy(
        allow_private=_flag("ALLOW_PRIVATE_WEBHOOK_ADDRESSES"),
        backoff_seconds=_number("WEBHOOK_BACKOFF_SECONDS", 30),
        max_backoff_seconds=_number("WEBHOOK_MAX_BACKOFF_SECONDS", 3600),
        give_up_after=timedelta(seconds=_number("WEBHOOK_GIVE_UP_SECONDS", 72 * 3600)),
        disable_after=timedelta(seconds=_number("WEBHOOK_DISABLE_AFTER_SECONDS", 24 * 3600)),
        rotation_overlap=timedelta(seconds=_number("WEBHOOK_ROTATION_OVERLAP_SECONDS", 24 * 3600)),
        timeout_seconds=_number("WEBHOOK_TIMEOUT_SECONDS", 10))


def configured_channels() -> set[str]:
    return {name for name, channel in channels_from_config(config).items() if channel.configured}


class NotifyService(PlatformService):
    name = "notify"
    db = Database("NOTIFY_DATABASE_URL", repositories={
        "templates": TemplateRepository, "people": PeopleRepository, "deliveries": DeliveryRepository,
        "inbox": InboxRepository, "webhooks": WebhookRepository})
    caller = Caller()

    @on_start
    def seed_default_templates(self) -> None:
        """Adds the default message templates that are missing; emits message_template_changed for each."""
        with self.db.unit_of_work() as uow:
            handlers.seed_templates(uow)

    # --- events in --------------------------------------------------------------------------------

    @on_event("dispatch", "provider_assigned")
    def handle_provider_assigned(self, event: dict) -> None:
        """Stores an in-site message for the provider."""
        with self.db.unit_of_work() as uow:
            handlers.provider_assigned(event, load_data(event), uow)

    @on_event("template", "template_version_approved")
    def handle_template_version_approved(self, event: dict) -> None:
        """Tells the vendor its template version was approved, with the operator's note (TPL-1)."""
        with self.db.unit_of_work() as uow:
            handlers.template_version_decided(event, load_data(event), uow)

    @on_event("template", "template_version_rejected")
    def handle_template_version_rejected(self, event: dict) -> None:
        """Tells the vendor its template version was rejected, with the operator's reason (TPL-1)."""
        with self.db.unit_of_work() as uow:
            handlers.template_version_decided(event, load_data(event), uow)

    @on_event("project", "reminder_due")
    def handle_reminder_due(self, event: dict) -> None:
        """Fans a node's reminder out to its receivers on their channels (TPL-10, NTF-3)."""
        with self.db.unit_of_work() as uow:
            handlers.reminder_due(event, load_data(event), uow, delivery_policy(), utcnow(), configured_channels())

    @on_event("identity", "user_created")
    def handle_user_created(self, event: dict) -> None:
        with self.db.unit_of_work() as uow:
            handlers.person_changed(event, load_data(event), uow)

    @on_event("identity", "user_updated")
    def handle_user_updated(self, event: dict) -> None:
        with self.db.unit_of_work() as uow:
            handlers.person_changed(event, load_data(event), uow)

    def _notification_requested(self, event: dict) -> None:
        with self.db.unit_of_work() as uow:
            handlers.notification_requested(event, load_data(event), uow, delivery_policy(), utcnow(),
                                            configured_channels())

    def _to_webhooks(self, event: dict) -> None:
        # the envelope and its data are checked against the contract, as every consumer does: an
        # invalid one is retried, then dead-lettered (never forwarded to a customer's endpoint)
        load_data(event)
        now = utcnow()
        if SUBSCRIBED_TYPES.unwanted(event["event_type"], datetime.fromisoformat(event["occurred_at"])):
            return  # no endpoint wants it: no unit of work at all (most events of the flow)
        with self.db.unit_of_work() as uow:
            handlers.event_for_webhooks(event, uow, now, SUBSCRIBED_TYPES)

    # --- durable deadlines ------------------------------------------------------------------------

    @on_deadline(handlers.DELIVER)
    def deliver(self, delivery_id: str, payload: dict) -> None:
        """Sends one message on its channel; a failure is retried with back-off (NTF-4)."""
        with self.db.unit_of_work() as uow:
            handlers.deliver(delivery_id, uow, channels_from_config(config), delivery_policy(), utcnow())

    @on_deadline(handlers.DIGEST)
    def send_digest(self, recipient_key: str, payload: dict) -> None:
        with self.db.unit_of_work() as uow:
            handlers.send_digest(recipient_key, uow, utcnow())

    @on_deadline(handlers.WEBHOOK)
    def deliver_webhook(self, delivery_id: str, payload: dict) -> None:
        """POSTs one signed event to an endpoint; retried with back-off for hours (GW-5)."""
        policy = webhook_policy()
        with self.db.unit_of_work() as uow:
            handlers.deliver_webhook(delivery_id, uow, client=WebhookClient(policy.timeout_seconds), policy=policy,
                                     now=utcnow())

    # --- inbox (NTF-5) ------------------------------------------------------------------------------

    @rpc
    def inbox(self, query: dict) -> dict:
        """The caller's in-site messages. query: InboxQuerySchema. Returns InboxPageSchema."""
        q = load(InboxQuerySchema(), query)
        with self.db.unit_of_work() as uow:
            return InboxPageSchema().dump(handlers.inbox(require_actor(self.caller), q, uow))

    @rpc
    def mark_read(self, message_id: str) -> dict:
        """Mark one of the caller's messages read; another's answers NotFound."""
        with self.db.unit_of_work() as uow:
            return InboxMessageSchema().dump(handlers.mark_read(require_actor(self.caller), message_id, uow, utcnow()))

    @rpc
    def mark_all_read(self) -> dict:
        with self.db.unit_of_work() as uow:
            return MarkedSchema().dump({"marked": handlers.mark_all_read(require_actor(self.caller), uow, utcnow())})

    @rpc
    def get_preferences(self) -> dict:
        with self.db.unit_of_work() as uow:
            return PreferencesSchema().dump(handlers.get_preferences(require_actor(self.caller), uow))

    @rpc
    def set_preferences(self, payload: dict) -> dict:
        """payload: PreferencesSchema (channels, language, timezone); absent fields stay."""
        prefs = load(PreferencesSchema(), payload)
        with self.db.unit_of_work() as uow:
            return PreferencesSchema().dump(handlers.set_preferences(require_actor(self.caller), prefs, uow))

    # --- message templates (NTF-1) ------------------------------------------------------------------

    @rpc
    def list_templates(self, filters: dict) -> dict:
        """filters: TemplateFilterSchema. Returns TemplatePageSchema. Anyone signed in may browse."""
        query = load(TemplateFilterSchema(), filters)
        query["name_contains"] = query.pop("name")
        require_actor(self.caller)
        with self.db.unit_of_work() as uow:
            items, total = handlers.list_templates(query, uow)
        return TemplatePageSchema().dump({"items": items, "total": total, "limit": query["limit"],
                                          "offset": query["offset"]})

    @rpc
    def get_template(self, ref: str) -> dict:
        """ref: the template's id or its name."""
        require_actor(self.caller)
        with self.db.unit_of_work() as uow:
            return TemplateSchema().dump(handlers.get_template(ref, uow))

    @rpc
    def create_template(self, payload: dict) -> dict:
        """payload: TemplateCreateSchema. Emits message_template_changed."""
        cmd = load(TemplateCreateSchema(), payload)
        handlers.require_operator(self.caller)
        with self.db.unit_of_work() as uow:
            return TemplateSchema().dump(handlers.create_template(cmd, uow))

    @rpc
    def update_template(self, ref: str, payload: dict) -> dict:
        """payload: TemplateFieldsSchema (everything but the name). Emits message_template_changed."""
        cmd = load(TemplateFieldsSchema(), payload)
        handlers.require_operator(self.caller)
        with self.db.unit_of_work() as uow:
            return TemplateSchema().dump(handlers.update_template(ref, cmd, uow))

    @rpc
    def delete_template(self, ref: str) -> dict:
        """Emits message_template_changed with deleted: true."""
        handlers.require_operator(self.caller)
        with self.db.unit_of_work() as uow:
            template = handlers.delete_template(ref, uow)
        return {"id": template.id, "name": template.name, "deleted": True}

    @rpc
    def preview_template(self, ref: str, payload: dict) -> dict:
        """payload: PreviewSchema. Renders with sample values for what is not given."""
        cmd = load(PreviewSchema(), payload)
        require_actor(self.caller)
        with self.db.unit_of_work() as uow:
            rendered = handlers.preview_template(ref, cmd["channel"], cmd["language"], cmd["variables"], uow)
        return RenderedSchema().dump(rendered)

    # --- the delivery log (NTF-4) -------------------------------------------------------------------

    @rpc
    def list_deliveries(self, filters: dict) -> dict:
        """filters: DeliveryFilterSchema. Platform operator only."""
        query = load(DeliveryFilterSchema(), filters)
        handlers.require_operator(self.caller)
        with self.db.unit_of_work() as uow:
            items, total = handlers.list_deliveries(query, uow)
        return DeliveryPageSchema().dump({"items": items, "total": total, "limit": query["limit"],
                                          "offset": query["offset"]})

    @rpc
    def resend_delivery(self, delivery_id: str) -> dict:
        handlers.require_operator(self.caller)
        with self.db.unit_of_work() as uow:
            return DeliverySchema().dump(handlers.resend(delivery_id, uow, utcnow()))

    # --- webhooks (GW-5) ------------------------------------------------------------------------------

    @rpc
    def webhook_event_types(self) -> dict:
        return EventTypesSchema().dump({"items": sorted(KNOWN_WEBHOOK_EVENTS)})

    @rpc
    def list_webhook_endpoints(self) -> dict:
        with self.db.unit_of_work() as uow:
            items = handlers.list_endpoints(require_actor(self.caller), uow)
        return EndpointListSchema().dump({"items": items, "total": len(items)})

    @rpc
    def create_webhook_endpoint(self, payload: dict) -> dict:
        """payload: EndpointCreateSchema. Returns EndpointWithSecretSchema (the only time the secret shows)."""
        cmd = load(EndpointCreateSchema(), payload)
        policy = webhook_policy()
        with self.db.unit_of_work() as uow:
            endpoint = handlers.create_endpoint(require_actor(self.caller), cmd, uow, resolve=WebhookClient().resolve,
                                                policy=policy, known_events=KNOWN_WEBHOOK_EVENTS, now=utcnow())
        return EndpointWithSecretSchema().dump(endpoint)

    @rpc
    def get_webhook_endpoint(self, endpoint_id: str) -> dict:
        with self.db.unit_of_work() as uow:
            return EndpointSchema().dump(handlers.get_endpoint(require_actor(self.caller), endpoint_id, uow))

    @rpc
    def update_webhook_endpoint(self, endpoint_id: str, payload: dict) -> dict:
        cmd = load(EndpointUpdateSchema(), payload)
        with self.db.unit_of_work() as uow:
            endpoint = handlers.update_endpoint(require_actor(self.caller), endpoint_id, cmd, uow,
                                                resolve=WebhookClient().resolve, policy=webhook_policy(),
                                                known_events=KNOWN_WEBHOOK_EVENTS)
        return EndpointSchema().dump(endpoint)

    @rpc
    def delete_webhook_endpoint(self, endpoint_id: str) -> dict:
        with self.db.unit_of_work() as uow:
            handlers.delete_endpoint(require_actor(self.caller), endpoint_id, uow)
        return {"id": endpoint_id, "deleted": True}

    @rpc
    def rotate_webhook_secret(self, endpoint_id: str) -> dict:
        """A new secret; the previous one keeps signing (a second v1) during the overlap."""
        with self.db.unit_of_work() as uow:
            endpoint = handlers.rotate_secret(require_actor(self.caller), endpoint_id, uow, webhook_policy(), utcnow())
        return EndpointWithSecretSchema().dump(endpoint)

    @rpc
    def list_webhook_deliveries(self, filters: dict) -> dict:
        query = load(WebhookDeliveryFilterSchema(), filters)
        with self.db.unit_of_work() as uow:
            items, total = handlers.list_webhook_deliveries(require_actor(self.caller), query, uow)
        return WebhookDeliveryPageSchema().dump({"items": items, "total": total, "limit": query["limit"],
                                                 "offset": query["offset"]})

    @rpc
    def replay_webhook_delivery(self, delivery_id: str) -> dict:
        with self.db.unit_of_work() as uow:
            hook = handlers.replay_webhook(require_actor(self.caller), delivery_id, uow, utcnow())
        return WebhookDeliverySchema().dump(hook)


def _consumer(method, source: str, event_type: str, prefix: str):
    def handle(self, event: dict) -> None:
        method(self, event)

    handle.__name__ = handle.__qualname__ = f"{prefix}_{event_type}"
    return on_event(source, event_type)(handle)


# one consumer per event type (nameko binds a queue to one source and type)
for _source, _type in NOTIFICATION_REQUESTS:
    setattr(NotifyService, f"request_{_type}",
            _consumer(NotifyService._notification_requested, _source, _type, "request"))
for _source, _type in WEBHOOK_EVENTS:
    setattr(NotifyService, f"webhook_{_type}", _consumer(NotifyService._to_webhooks, _source, _type, "webhook"))
