"""Clients of the outside systems billing talks to over HTTP: the payment provider and the
suppliers' fulfilment systems. Small on purpose: one method per request, an idempotency key on
every request, a time limit on every call, and no retries here (retrying is the caller's
decision: a step whose answer never came is *queried*, see handlers.next_payment)."""
from __future__ import annotations

from dataclasses import dataclass

import requests

from billing_svc.domain.orders import PaymentRequest


class OutsideUnavailable(Exception):
    """No usable answer (time-out, connection refused, 5xx): the outcome is unknown."""


@dataclass(frozen=True)
class Answer:
    status: str                 # succeeded | failed | processing
    reference: str | None = None
    reason: str = ""

    @property
    def final(self) -> bool:
        return self.status in ("succeeded", "failed")


def _answer(response: requests.Response) -> Answer:
    if response.status_code >= 400:
        # a 4xx is no answer either: retried within the step's budget, then the operator decides
        raise OutsideUnavailable(f"{response.status_code} from {response.url}")
    try:
        body = response.json()
    except ValueError as err:
        raise OutsideUnavailable(f"no JSON answer from {response.url}") from err
    status = body.get("status") if isinstance(body, dict) else None
    if status not in ("succeeded", "failed", "processing"):
        raise OutsideUnavailable(f"unexpected status {status!r} from {response.url}")
    return Answer(status, body.get("reference"), body.get("reason", ""))


class PaymentProvider:
    def __init__(self, base_url: str, timeout: float = 5.0, session: requests.Session | None = None):
        self.base_url, self.timeout = base_url.rstrip("/"), timeout
        self.session = session or requests.Session()

    def pay(self, request: PaymentRequest) -> Answer:
        """Send one payment; the provider executes a key at most once."""
        try:
            response = self.session.post(
                f"{self.base_url}/payments", timeout=self.timeout, headers={"Idempotency-Key": request.key},
                json={"key": request.key, "kind": request.kind, "payer": request.payer, "payee": request.payee,
                      "amount": request.amount, "currency": request.currency, "order_id": request.order_id})
        except requests.RequestException as err:
            raise OutsideUnavailable(str(err)) from err
        return _answer(response)

    def query(self, key: str) -> Answer | None:
        """What became of a payment; None when the provider never received it."""
        try:
            response = self.session.get(f"{self.base_url}/payments/{key}", timeout=self.timeout,
                                        headers={"Idempotency-Key": key})
        except requests.RequestException as err:
            raise OutsideUnavailable(str(err)) from err
        if response.status_code == 404:
            return None
        return _answer(response)

    def settlement(self, day: str) -> list[dict]:
        """The provider's settlement file of a day (BIL-11): [{key, amount, status}]."""
        try:
            response = self.session.get(f"{self.base_url}/settlements/{day}", timeout=self.timeout,
                                        headers={"Idempotency-Key": f"settlement:{day}"})
        except requests.RequestException as err:
            raise OutsideUnavailable(str(err)) from err
        if response.status_code >= 500:
            raise OutsideUnavailable(f"{response.status_code} from {response.url}")
        response.raise_for_status()
        return response.json()["payments"]


class SupplierSystem:
    def __init__(self, timeout: float = 5.0, session: requests.Session | None = None):
        self.timeout = timeout
        self.session = session or requests.Session()

    def fulfil(self, url: str, order: dict) -> Answer:
        """Ask the supplier to deliver; it answers at once or ``processing`` and calls back later."""
        try:
            response = self.session.post(url, json=order, timeout=self.timeout,
                                         headers={"Idempotency-Key": f"fulfil:{order['order_id']}"})
        except requests.RequestException as err:
            raise OutsideUnavailable(str(err)) from err
        return _answer(response)

    def report(self, url: str, day: str) -> list[dict]:
        """The supplier's order report of a day (BIL-11): ``{"orders": [{order_id, status, amount}]}``."""
        try:
            response = self.session.get(url, params={"day": day}, timeout=self.timeout)
        except requests.RequestException as err:
            raise OutsideUnavailable(str(err)) from err
        if response.status_code != 200:
            raise OutsideUnavailable(f"{response.status_code} from {response.url}")
        try:
            orders = response.json()["orders"]
        except (ValueError, KeyError, TypeError) as err:
            raise OutsideUnavailable(f"no order list in the report from {response.url}") from err
        if not isinstance(orders, list):
            raise OutsideUnavailable(f"no order list in the report from {response.url}")
        return orders
