"""BIL-9: the customer's callback URL kept in step with its notify_svc webhook endpoint."""
from __future__ import annotations

from billing_svc.adapters.callbacks import CALLBACK_DESCRIPTION, sync_callback_endpoint


class FakeNotify:
    """notify_svc's webhook RPCs for one organisation, in memory."""

    def __init__(self, *endpoints):
        self.endpoints = {e["id"]: e for e in endpoints}
        self.calls = []

    def list_webhook_endpoints(self):
        return {"items": list(self.endpoints.values())}

    def create_webhook_endpoint(self, payload):
        self.calls.append("create")
        endpoint = {"id": f"e{len(self.endpoints) + 1}", "enabled": True, **payload}
        self.endpoints[endpoint["id"]] = endpoint
        return {**endpoint, "secret": "whsec_new"}

    def update_webhook_endpoint(self, endpoint_id, payload):
        self.calls.append("update")
        self.endpoints[endpoint_id].update(payload)

    def delete_webhook_endpoint(self, endpoint_id):
        self.calls.append("delete")
        del self.endpoints[endpoint_id]


OWN = {"id": "mine", "url": "https://erp.example.com/all-events", "description": "", "enabled": True,
       "event_types": ["project_completed"]}


def test_BIL9_the_first_callback_url_creates_the_endpoint_and_only_that_answer_has_its_secret():
    notify = FakeNotify(OWN)
    assert sync_callback_endpoint(notify, "https://erp.example.com/cb") == "whsec_new"
    created = next(e for e in notify.endpoints.values() if e["description"] == CALLBACK_DESCRIPTION)
    assert (created["url"], created["event_types"]) == ("https://erp.example.com/cb", ["order_result_ready"])
    assert sync_callback_endpoint(notify, "https://erp.example.com/cb") is None and notify.calls == ["create"]


def test_BIL9_a_new_url_moves_the_endpoint_and_none_deletes_it_leaving_the_customers_own_endpoints():
    notify = FakeNotify(OWN)
    sync_callback_endpoint(notify, "https://erp.example.com/cb")
    assert sync_callback_endpoint(notify, "https://erp.example.com/cb2") is None
    assert [e["url"] for e in notify.endpoints.values() if e["description"] == CALLBACK_DESCRIPTION] == [
        "https://erp.example.com/cb2"]
    sync_callback_endpoint(notify, None)
    assert list(notify.endpoints) == ["mine"] and notify.calls == ["create", "update", "delete"]


def test_BIL9_two_callback_endpoints_made_by_concurrent_first_settings_become_one():
    twin = {"url": "https://erp.example.com/cb", "description": CALLBACK_DESCRIPTION, "enabled": True}
    notify = FakeNotify({"id": "a", **twin}, {"id": "b", **twin})
    sync_callback_endpoint(notify, "https://erp.example.com/cb")
    assert list(notify.endpoints) == ["a"]
