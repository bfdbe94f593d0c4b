"""Notifications: the in-site inbox (NTF-5), your channels, message templates (NTF-1), the
delivery log (NTF-4) and webhooks for enterprise systems (GW-5, BIL-9)."""
from __future__ import annotations

from gateway.api.notifications import (
    DeliveryPage,
    DeliveryQuery,
    DeliveryView,
    InboxMarked,
    InboxMessageView,
    InboxPage,
    InboxQuery,
    MessageTemplateBody,
    MessageTemplateChange,
    MessageTemplateDeleted,
    MessageTemplatePage,
    MessageTemplatePreview,
    MessageTemplatePreviewBody,
    MessageTemplateQuery,
    MessageTemplateView,
    NotificationPreferences,
    WebhookDeliveryPage,
    WebhookDeliveryQuery,
    WebhookDeliveryView,
    WebhookEndpointBody,
    WebhookEndpointChange,
    WebhookEndpointDeleted,
    WebhookEndpointList,
    WebhookEndpointView,
    WebhookEndpointWithSecret,
    WebhookEventTypes,
)
from gateway.web import json_response, read_json, read_query, route
from platform_contracts.roles import CUSTOMER_ROLE, PLATFORM_OPERATOR, PROVIDER_ADMIN, VENDOR_ADMIN

OPERATOR = (PLATFORM_OPERATOR,)
ORG_ADMINS = (PLATFORM_OPERATOR, VENDOR_ADMIN, PROVIDER_ADMIN, CUSTOMER_ROLE)
TAGS = ("notifications",)
HOOKS = ("webhooks",)


class NotificationRoutes:
    # --- the in-site inbox (NTF-5) ---------------------------------------------------------------

    @route("GET", "/api/v1/inbox", summary="Your in-site messages with the unread count", tags=TAGS,
           query=InboxQuery, response=InboxPage)
    def inbox(self, request):
        """NTF-5. Your own messages, plus your organisation's when you are its admin; newest first."""
        return json_response(self.services.notify.inbox(read_query(request, InboxQuery())))

    @route("POST", "/api/v1/inbox/<message_id>/read", summary="Mark an in-site message read", tags=TAGS,
           response=InboxMessageView, errors=(404,))
    def mark_read(self, request, message_id):
        return json_response(self.services.notify.mark_read(message_id))

    @route("POST", "/api/v1/inbox/read-all", summary="Mark all your in-site messages read", tags=TAGS,
           response=InboxMarked)
    def mark_all_read(self, request):
        return json_response(self.services.notify.mark_all_read())

    @route("GET", "/api/v1/notification-preferences", summary="Your notification channels, language and "
           "time zone", tags=TAGS, response=NotificationPreferences)
    def get_preferences(self, request):
        return json_response(self.services.notify.get_preferences())

    @route("PUT", "/api/v1/notification-preferences", summary="Choose your notification channels, language "
           "and time zone", tags=TAGS, body=NotificationPreferences, response=NotificationPreferences)
    def set_preferences(self, request):
        """NTF-3. Fields you leave out stay as they are."""
        return json_response(self.services.notify.set_preferences(read_json(request, NotificationPreferences())))

    # --- message templates (NTF-1) ------------------------------------------------------------------

    @route("GET", "/api/v1/message-templates", summary="Browse message templates, filter by name",
           tags=TAGS, query=MessageTemplateQuery, response=MessageTemplatePage)
    def list_message_templates(self, request):
        """NTF-1. Templates are named "node – notify recipient"; reminder rules of service flows name them."""
        return json_response(self.services.notify.list_templates(read_query(request, MessageTemplateQuery())))

    @route("POST", "/api/v1/message-templates", summary="Create a message template", tags=TAGS,
           body=MessageTemplateBody, response=MessageTemplateView, status=201, roles=OPERATOR, errors=(409,))
    def create_message_template(self, request):
        """NTF-1. A template using a variable it does not declare, or that does not parse, is refused (400)."""
        payload = read_json(request, MessageTemplateBody())
        return json_response(self.services.notify.create_template(payload), status=201)

    @route("GET", "/api/v1/message-templates/<message_template_id>", summary="One message template", tags=TAGS,
           response=MessageTemplateView, errors=(404,), tenant_scoped=False)
    def get_message_template(self, request, message_template_id):
        return json_response(self.services.notify.get_template(message_template_id))

    @route("PUT", "/api/v1/message-templates/<message_template_id>", summary="Change a message template", tags=TAGS,
           body=MessageTemplateChange, response=MessageTemplateView, roles=OPERATOR, errors=(404,),
           tenant_scoped=False)
    def update_message_template(self, request, message_template_id):
        payload = read_json(request, MessageTemplateChange())
        return json_response(self.services.notify.update_template(message_template_id, payload))

    @route("DELETE", "/api/v1/message-templates/<message_template_id>", summary="Delete a message template", tags=TAGS,
           response=MessageTemplateDeleted, roles=OPERATOR, errors=(404,), tenant_scoped=False)
    def delete_message_template(self, request, message_template_id):
        return json_response(self.services.notify.delete_template(message_template_id))

    @route("POST", "/api/v1/message-templates/<message_template_id>/preview", summary="Render a message template with "
           "sample data", tags=TAGS, body=MessageTemplatePreviewBody, response=MessageTemplatePreview,
           errors=(404,), tenant_scoped=False)
    def preview_message_template(self, request, message_template_id):
        payload = read_json(request, MessageTemplatePreviewBody())
        return json_response(self.services.notify.preview_template(message_template_id, payload))

    # --- the delivery log (NTF-4) -------------------------------------------------------------------

    @route("GET", "/api/v1/notification-deliveries", summary="The delivery log: every message per channel "
           "with its attempts", tags=TAGS, query=DeliveryQuery, response=DeliveryPage, roles=OPERATOR)
    def list_deliveries(self, request):
        """NTF-4. Filter `status=failed` for what needs a resend."""
        return json_response(self.services.notify.list_deliveries(read_query(request, DeliveryQuery())))

    @route("POST", "/api/v1/notification-deliveries/<delivery_id>/resend", summary="Send a failed or "
           "skipped message again", tags=TAGS, response=DeliveryView, roles=OPERATOR, errors=(404, 422),
           tenant_scoped=False)
    def resend_delivery(self, request, delivery_id):
        return json_response(self.services.notify.resend_delivery(delivery_id))

    # --- webhooks (GW-5) ----------------------------------------------------------------------------

    @route("GET", "/api/v1/webhook-event-types", summary="Event types a webhook can subscribe to", tags=HOOKS,
           response=WebhookEventTypes, roles=ORG_ADMINS)
    def webhook_event_types(self, request):
        """The event catalogue (docs/EVENTS.md) minus internal plumbing."""
        return json_response(self.services.notify.webhook_event_types())

    @route("GET", "/api/v1/webhooks", summary="Your organisation's webhook endpoints", tags=HOOKS,
           response=WebhookEndpointList, roles=ORG_ADMINS)
    def list_webhooks(self, request):
        return json_response(self.services.notify.list_webhook_endpoints())

    @route("POST", "/api/v1/webhooks", summary="Register a webhook endpoint", tags=HOOKS, body=WebhookEndpointBody,
           response=WebhookEndpointWithSecret, status=201, roles=ORG_ADMINS)
    def create_webhook(self, request):
        """GW-5. The answer carries the signing `secret`, shown this once. URLs that are not http(s), or
        whose host resolves to a loopback or private address, are refused (400)."""
        endpoint = self.services.notify.create_webhook_endpoint(read_json(request, WebhookEndpointBody()))
        return json_response(endpoint, status=201)

    @route("GET", "/api/v1/webhooks/<endpoint_id>", summary="One webhook endpoint", tags=HOOKS,
           response=WebhookEndpointView, roles=ORG_ADMINS, errors=(404,))
    def get_webhook(self, request, endpoint_id):
        return json_response(self.services.notify.get_webhook_endpoint(endpoint_id))

    @route("PATCH", "/api/v1/webhooks/<endpoint_id>", summary="Change or re-enable a webhook endpoint",
           tags=HOOKS, body=WebhookEndpointChange, response=WebhookEndpointView, roles=ORG_ADMINS, errors=(404,))
    def update_webhook(self, request, endpoint_id):
        payload = read_json(request, WebhookEndpointChange())
        return json_response(self.services.notify.update_webhook_endpoint(endpoint_id, payload))

    @route("DELETE", "/api/v1/webhooks/<endpoint_id>", summary="Remove a webhook endpoint", tags=HOOKS,
           response=WebhookEndpointDeleted, roles=ORG_ADMINS, errors=(404,))
    def delete_webhook(self, request, endpoint_id):
        return json_response(self.services.notify.delete_webhook_endpoint(endpoint_id))

    @route("POST", "/api/v1/webhooks/<endpoint_id>/rotate-secret", summary="Rotate a webhook's signing secret",
           tags=HOOKS, response=WebhookEndpointWithSecret, roles=ORG_ADMINS, errors=(404,))
    def rotate_webhook_secret(self, request, endpoint_id):
        """The new secret signs from now on; the previous one keeps signing as a second `v1` until
        `previous_secret_expires_at`, so you can switch without losing a delivery."""
        return json_response(self.services.notify.rotate_webhook_secret(endpoint_id))

    @route("GET", "/api/v1/webhook-deliveries", summary="Webhook deliveries with their attempts", tags=HOOKS,
           query=WebhookDeliveryQuery, response=WebhookDeliveryPage, roles=ORG_ADMINS)
    def list_webhook_deliveries(self, request):
        return json_response(self.services.notify.list_webhook_deliveries(read_query(request, WebhookDeliveryQuery())))

    @route("POST", "/api/v1/webhook-deliveries/<delivery_id>/replay", summary="Send a webhook delivery again",
           tags=HOOKS, response=WebhookDeliveryView, roles=ORG_ADMINS, errors=(404, 422))
    def replay_webhook_delivery(self, request, delivery_id):
        return json_response(self.services.notify.replay_webhook_delivery(delivery_id))
