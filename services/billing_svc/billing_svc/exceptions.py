"""billing_svc's refusals: pure classes (domain code raises them), sent over RPC as the platform
class they extend (``platform_kit.errors.rpc``)."""
from __future__ import annotations

from platform_kit.exceptions import Conflict, Forbidden, NotFound, Unauthenticated, Unprocessable, ValidationFailed


class LedgerRuleBroken(Unprocessable):
    """A transfer that would break a ledger rule (unbalanced, wrong currency, not positive)."""


class InsufficientCredit(Unprocessable):
    """BIL-5: the customer's available credit at the supplier does not cover the amount."""


class IdempotencyConflict(Conflict):
    """The same idempotency key was used before for a different effect."""


class ProductCodeTaken(Conflict):
    """BIL-3: a supplier's product codes are unique (orders name a product by its code)."""


class EmptyPeriod(Unprocessable):
    """BIL-8: a price lock that ends before it starts (each time is well formed; together they are not)."""


class HoldNotPending(Unprocessable):
    """A hold can be posted or voided once (it is pending → posted | voided)."""


class NotOnboarded(Unprocessable):
    """BIL-2: the platform agreement or the withholding agreement is missing or unconfirmed."""


class CustomerBlocked(Unprocessable):
    """BIL-7: too many failed withholdings are unpaid."""


class NotSubscribed(Unprocessable):
    """BIL-3: no approved subscription for this product code."""


class PriceLocked(Unprocessable):
    """BIL-8: the operator's price lock forbids this change now."""


class RefundTooLarge(Unprocessable):
    """BIL-6: a refund never exceeds what was paid and not yet refunded."""


class WrongState(Unprocessable):
    """The object's state does not allow this action now."""


class BillingNotFound(NotFound):
    pass


class NotAllowed(Forbidden):
    pass


class BadInput(ValidationFailed):
    pass


class BadSignature(Unauthenticated):
    """A provider notice whose signature does not match, is missing, or is outside the time window."""


class UnsupportedCurrency(Unprocessable):
    """BIL-13: an ISO 4217 currency the platform is not configured to move money in."""
