"""nameko dependencies handing each worker the outside-system clients (configured, not global)."""
from __future__ import annotations

import re

from nameko import config
from nameko.extensions import DependencyProvider

from billing_svc.adapters.outside import PaymentProvider, SupplierSystem
from billing_svc.domain.notices import DEFAULT_TOLERANCE_SECONDS
from billing_svc.domain.retries import RetryPolicy

_UNSET = re.compile(r"^(\$\{.*\}|PLACEHOLDER.*)$")


class Outside(DependencyProvider):
    """``self.outside.provider`` and ``self.outside.suppliers``; URL and time limit from config,
    and ``self.outside.policy``, the retry budgets of the steps toward them.

    ``notice_secret`` checks the provider's signed notices. It has no default: a process without
    PAYMENT_NOTICE_SECRET refuses to start rather than accept notices anybody could forge."""

    def setup(self) -> None:
        url = config.get("PAYMENT_PROVIDER_URL")
        if not url:
            raise RuntimeError("configuration key PAYMENT_PROVIDER_URL (the payment provider) is not set")
        secret = config.get("PAYMENT_NOTICE_SECRET")
        if not isinstance(secret, str) or not secret.strip() or _UNSET.match(secret.strip()):
            raise RuntimeError("configuration key PAYMENT_NOTICE_SECRET is not set: billing checks the payment "
                               "provider's signed notices with it and has no default (`make run` and the tests "
                               "generate one; see .env.example for Docker Compose)")
        self.notice_secret = secret
        self.notice_tolerance = int(config.get("PAYMENT_NOTICE_TOLERANCE_SECONDS") or DEFAULT_TOLERANCE_SECONDS)
        timeout = float(config.get("OUTSIDE_TIMEOUT_SECONDS", 5))
        self.provider = PaymentProvider(url, timeout)
        self.suppliers = SupplierSystem(timeout)
        self.policy = RetryPolicy.from_config(config)   # deadlines and retry budgets (BILLING_RETRY_*)

    def get_dependency(self, worker_ctx) -> Outside:
        return self


class SupportedCurrencies(DependencyProvider):
    """BIL-13: the ISO 4217 codes the platform moves money in (``BILLING_CURRENCIES``, e.g.
    ``CNY,USD``); a code that is not ISO 4217 stops the service at start."""

    def setup(self) -> None:
        from billing_svc.domain.currencies import parse_supported

        self.codes = parse_supported(config.get("BILLING_CURRENCIES"))

    def get_dependency(self, worker_ctx) -> tuple[str, ...]:
        return self.codes
