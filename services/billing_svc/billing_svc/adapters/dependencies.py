"""nameko dependencies handing each worker the outside-system clients (configured, not global)."""
from __future__ import annotations

from nameko import config
from nameko.extensions import DependencyProvider

from billing_svc.adapters.outside import PaymentProvider, SupplierSystem


class Outside(DependencyProvider):
    """``self.outside.provider`` and ``self.outside.suppliers``; URL and time limit from config."""

    def setup(self) -> None:
        url = config.get("PAYMENT_PROVIDER_URL")
        if not url:
            raise RuntimeError("configuration key PAYMENT_PROVIDER_URL (the payment provider) is not set")
        timeout = float(config.get("OUTSIDE_TIMEOUT_SECONDS", 5))
        self.provider = PaymentProvider(url, timeout)
        self.suppliers = SupplierSystem(timeout)

    def get_dependency(self, worker_ctx) -> Outside:
        return self
