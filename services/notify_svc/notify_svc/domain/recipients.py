"""Who receives a message, and where (NTF-3): notify's own copy of identity's users.

Reminder rules name receivers by their part in a project ("customer", "provider_admin",
"node_operator", "vendor", "role:<role>"); other services name them as users, an organisation's
people by role (or its admins), or bare addresses. Both resolve here, against the directory,
to ``Recipient``s with the channels they chose and the addresses they have.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from platform_contracts.roles import CUSTOMER_ROLE, PLATFORM_OPERATOR, PROVIDER_ADMIN, VENDOR_ADMIN

DEFAULT_CHANNELS = ("inbox", "sms", "email")
ADMIN_ROLES = (PLATFORM_OPERATOR, VENDOR_ADMIN, PROVIDER_ADMIN, CUSTOMER_ROLE)


@dataclass
class Person:
    """A user as notify knows it (from identity's user events), with its notification preferences."""

    user_id: str
    org_id: str
    display_name: str = ""
    phone: str | None = None
    email: str | None = None
    roles: list[str] = field(default_factory=list)
    active: bool = True
    language: str = "zh-CN"
    timezone: str = "Asia/Shanghai"
    channels: list[str] = field(default_factory=lambda: list(DEFAULT_CHANNELS))


@dataclass(frozen=True)
class Recipient:
    """One receiver of one message: a person, or a bare address with no inbox."""

    key: str                      # what deduplication counts: user id, "email:..." or "phone:..."
    name: str
    user_id: str | None
    org_id: str | None
    phone: str | None
    email: str | None
    language: str
    timezone: str
    channels: tuple[str, ...]

    def address(self, channel: str) -> str | None:
        """Where this channel reaches the recipient; None means it cannot (logged as skipped)."""
        if channel == "inbox":
            return self.user_id
        if channel == "email":
            return self.email
        # SMS and the robots (which @-mention by mobile number) need a phone number
        return self.phone


def recipient_of(person: Person) -> Recipient:
    return Recipient(key=person.user_id, name=person.display_name or person.user_id, user_id=person.user_id,
                     org_id=person.org_id, phone=person.phone, email=person.email, language=person.language,
                     timezone=person.timezone, channels=tuple(person.channels))


def address_recipient(*, email: str | None = None, phone: str | None = None,
                      language: str = "zh-CN", timezone: str = "Asia/Shanghai") -> Recipient:
    key = f"email:{email.lower()}" if email else f"phone:{phone}"
    return Recipient(key=key, name=email or phone or "", user_id=None, org_id=None, phone=phone, email=email,
                     language=language, timezone=timezone, channels=("email",) if email else ("sms",))


class Directory(Protocol):
    def person(self, user_id: str) -> Person | None: ...

    def people_of(self, org_id: str, roles: tuple[str, ...] | None) -> list[Person]: ...


def reminder_receivers(receivers: list[str], *, customer_id: str, vendor_id: str, provider_id: str | None,
                       operator_user_id: str | None, directory: Directory) -> list[Recipient]:
    """The receivers of a node's reminder rule (TPL-10), each once, only active people."""
    people: list[Person] = []
    for receiver in receivers:
        if receiver == "customer":
            people += directory.people_of(customer_id, None)
        elif receiver == "provider_admin":
            people += directory.people_of(provider_id or vendor_id, (PROVIDER_ADMIN, VENDOR_ADMIN))
        elif receiver == "vendor":
            people += directory.people_of(vendor_id, (VENDOR_ADMIN,))
        elif receiver == "node_operator":
            person = directory.person(operator_user_id) if operator_user_id else None
            people += [person] if person else []
        elif receiver.startswith("role:"):
            people += directory.people_of(provider_id or vendor_id, (receiver.split(":", 1)[1],))
    return _unique([recipient_of(p) for p in people if p.active])


def requested_receivers(receivers: list[dict], directory: Directory) -> list[Recipient]:
    """Receivers of a NotificationRequest (platform_contracts.notify.Receiver)."""
    found: list[Recipient] = []
    for receiver in receivers:
        if receiver.get("user_id"):
            person = directory.person(receiver["user_id"])
            found += [recipient_of(person)] if person and person.active else []
        elif receiver.get("org_id"):
            roles = (receiver["role"],) if receiver.get("role") else ADMIN_ROLES
            found += [recipient_of(p) for p in directory.people_of(receiver["org_id"], roles) if p.active]
        elif receiver.get("email") or receiver.get("phone"):
            found.append(address_recipient(email=receiver.get("email"), phone=receiver.get("phone")))
    return _unique(found)


def _unique(recipients: list[Recipient]) -> list[Recipient]:
    seen: dict[str, Recipient] = {}
    for r in recipients:
        seen.setdefault(r.key, r)
    return list(seen.values())
