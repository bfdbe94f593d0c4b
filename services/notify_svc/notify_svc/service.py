from nameko.rpc import rpc

from notify_svc import handlers
from notify_svc.schemas import InboxMessageSchema, InboxPageSchema, InboxQuerySchema
from platform_kit.auth import Caller, require_actor
from platform_kit.consumer import on_event
from platform_kit.contracts import load_data
from platform_kit.db import Database
from platform_kit.errors import EXPECTED, NotFound
from platform_kit.service import PlatformService
from platform_kit.validation import load


class NotifyService(PlatformService):
    name = "notify"
    db = Database("NOTIFY_DATABASE_URL", commit_on_exit=True)
    caller = Caller()

    @on_event("dispatch", "provider_assigned")
    def handle_provider_assigned(self, event: dict) -> None:
        """Stores an in-site message for the provider."""
        with self.db.unit_of_work() as uow:
            handlers.provider_assigned(event, load_data(event), uow)

    @rpc(expected_exceptions=EXPECTED)
    def inbox(self, query: dict) -> dict:
        """The caller's in-site messages. query: InboxQuerySchema. Returns InboxPageSchema."""
        q = load(InboxQuerySchema(), query)
        recipients = handlers.recipients_of(require_actor(self.caller))
        with self.db.read() as session:
            return InboxPageSchema().dump(handlers.inbox(session, recipients, q))

    @rpc(expected_exceptions=EXPECTED)
    def mark_read(self, message_id: str) -> dict:
        """Mark one of the caller's messages read; another's answers NotFound."""
        recipients = handlers.recipients_of(require_actor(self.caller))
        if not str(message_id).isdigit():
            raise NotFound(f"Message {message_id} was not found.")
        with self.db.unit_of_work() as uow:
            return InboxMessageSchema().dump(handlers.mark_read(uow, recipients, int(message_id)))
