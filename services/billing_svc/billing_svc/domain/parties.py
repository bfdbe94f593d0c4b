"""Enterprise customers: agreements, contact settings and blocking (BIL-2, BIL-7, BIL-9, BIL-10). Pure Python."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from billing_svc.exceptions import CustomerBlocked, NotOnboarded, WrongState

DEFAULT_BLOCK_THRESHOLD = 3


@dataclass
class Customer:
    id: str                              # the customer organisation's id
    platform_agreement_at: datetime | None = None
    withholding_agreement_at: datetime | None = None
    payment_account: str | None = None   # the enterprise payment account the withholding binds
    confirmed_at: datetime | None = None  # the operator's second check of the binding
    confirmed_by: str | None = None
    callback_url: str | None = None
    notice_email: str | None = None
    unpaid: int = 0                      # orders whose withholding failed and is not paid yet
    block_threshold: int = DEFAULT_BLOCK_THRESHOLD

    @property
    def onboarded(self) -> bool:
        return bool(self.platform_agreement_at and self.withholding_agreement_at and self.payment_account
                    and self.confirmed_at)

    @property
    def blocked(self) -> bool:
        return self.unpaid >= self.block_threshold

    def sign(self, at: datetime, payment_account: str, platform_agreement: bool, withholding_agreement: bool) -> None:
        """Signing again (another payment account) needs the operator's confirmation again."""
        if platform_agreement:
            self.platform_agreement_at = self.platform_agreement_at or at
        if withholding_agreement:
            if payment_account != self.payment_account:
                self.confirmed_at = self.confirmed_by = None
            self.withholding_agreement_at, self.payment_account = at, payment_account

    def confirm(self, at: datetime, operator_id: str) -> None:
        if not (self.platform_agreement_at and self.withholding_agreement_at and self.payment_account):
            raise WrongState("Both agreements must be signed and a payment account bound before confirming.")
        self.confirmed_at, self.confirmed_by = at, operator_id

    def check_may_order(self) -> None:
        """BIL-2 and BIL-7, with the reason the customer is told."""
        missing = [name for name, ok in (("platform agreement", self.platform_agreement_at),
                                         ("withholding agreement", self.withholding_agreement_at),
                                         ("operator confirmation of the payment account", self.confirmed_at))
                   if not ok]
        if missing:
            raise NotOnboarded("Orders are refused until the customer has: " + ", ".join(missing) + ".",
                               {"customer": [f"missing {m}" for m in missing]})
        if self.blocked:
            raise CustomerBlocked(
                f"Orders are refused: {self.unpaid} withholdings failed and are unpaid (threshold "
                f"{self.block_threshold}). Top up the payment account and retry them.",
                {"customer": ["blocked by unpaid withholdings"]})

    def count_unpaid(self, delta: int) -> tuple[bool, bool]:
        """Returns (became blocked, became unblocked)."""
        was = self.blocked
        self.unpaid = max(0, self.unpaid + delta)
        return (not was and self.blocked), (was and not self.blocked)
