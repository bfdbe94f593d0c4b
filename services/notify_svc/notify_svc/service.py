from nameko.rpc import rpc

from notify_svc import handlers
from notify_svc.schemas import InboxMessageSchema, InboxPageSchema, InboxQuerySchema
from platform_kit.consumer import on_event
from platform_kit.contracts import load_data
from platform_kit.db import Database
from platform_kit.errors import EXPECTED, NotFound
from platform_kit.service import PlatformService
from platform_kit.validation import load


class NotifyService(PlatformService):
    name = "notify"
    db = Database("NOTIFY_DATABASE_URL")

    @on_event("dispatch", "provider_assigned")
    def handle_provider_assigned(self, event: dict) -> None:
        """Stores an in-site message for the provider."""
        with self.db.unit_of_work() as uow:
            handlers.provider_assigned(event, load_data(event), uow)

    @rpc(expected_exceptions=EXPECTED)
    def inbox(self, query: dict) -> dict:
        """query: InboxQuerySchema. Returns InboxPageSchema (with the unread count)."""
        q = load(InboxQuerySchema(), query)
        with self.db.read() as session:
            return InboxPageSchema().dump(handlers.inbox(session, q))

    @rpc(expected_exceptions=EXPECTED)
    def mark_read(self, recipient_id: str, message_id: str) -> dict:
        if not str(message_id).isdigit():
            raise NotFound(f"Message {message_id} was not found.")
        with self.db.unit_of_work() as uow:
            return InboxMessageSchema().dump(handlers.mark_read(uow, recipient_id, int(message_id)))
