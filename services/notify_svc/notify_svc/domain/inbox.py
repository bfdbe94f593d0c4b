"""The in-site inbox (NTF-5): whose messages a caller reads."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from platform_contracts.actor import Actor
from platform_contracts.roles import CUSTOMER_ROLE, PROVIDER_ADMIN, VENDOR_ADMIN


@dataclass
class InboxEntry:
    recipient_id: str
    recipient_kind: str          # "user" or "organisation" (read by its admins)
    title: str
    body: str
    link: str | None
    source_id: str               # the event or delivery it came from: one message per source and recipient
    id: int | None = None
    created_at: datetime | None = None
    read_at: datetime | None = None


def readable_by(actor: Actor) -> list[str]:
    """A user reads its own messages; admins also read their organisation's (NTF-5, ORG-7)."""
    ids = [actor.user_id]
    if actor.is_operator or actor.has_role(VENDOR_ADMIN, PROVIDER_ADMIN, CUSTOMER_ROLE):
        ids.append(actor.org_id)
    return ids
