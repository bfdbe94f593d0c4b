"""BIL-9: a customer's callback URL is a webhook endpoint of notify_svc's, kept in step with it.

notify_svc pushes ``order_result_ready`` to the customer's webhook endpoints, signed and retried
(its webhook mechanism, one for every event the platform pushes). Setting the callback URL in
billing's settings makes that endpoint: created the first time (its signing secret is in that
answer only), moved when the URL changes, deleted when it is cleared. The endpoint is the one of
the customer's organisation whose description is ``CALLBACK_DESCRIPTION``; endpoints the customer
registered itself are left alone. The calls run as the customer (its identity travels with the
call), so notify_svc applies its own rules (a public address, the owner's organisation).
"""
from __future__ import annotations

CALLBACK_DESCRIPTION = "billing callback (BIL-9): order results"
CALLBACK_EVENTS = ["order_result_ready"]


def sync_callback_endpoint(notify, url: str | None) -> str | None:
    """Create, move or delete the customer's callback endpoint; returns the signing secret when
    it was created now (None otherwise). ``notify`` is an RPC proxy of notify_svc."""
    ours = [e for e in notify.list_webhook_endpoints()["items"] if e.get("description") == CALLBACK_DESCRIPTION]
    if url is None:
        for endpoint in ours:
            notify.delete_webhook_endpoint(endpoint["id"])
        return None
    if ours:
        first, *extra = ours
        if first["url"] != url or not first["enabled"]:
            notify.update_webhook_endpoint(first["id"], {"url": url, "enabled": True})
        for endpoint in extra:     # two concurrent first settings: keep one
            notify.delete_webhook_endpoint(endpoint["id"])
        return None
    created = notify.create_webhook_endpoint({"url": url, "event_types": CALLBACK_EVENTS,
                                              "description": CALLBACK_DESCRIPTION})
    return created["secret"]
