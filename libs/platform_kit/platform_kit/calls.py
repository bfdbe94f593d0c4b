"""Calls between services that never wait forever, and a deadline that travels with them.

nameko 3.0.0rc11's RPC client waits for a reply forever: with one service stopped, every worker
of its callers waited with it. Here every call has a time limit, and the instant at which the
*original* caller stops waiting (its deadline) travels in the context data of every call it
causes (header ``nameko.deadline``, Unix seconds):

- a call waits at most ``RPC_TIMEOUT_SECONDS`` (default 10) and never past the deadline it
  inherited; when that runs out it raises ``ServiceUnavailable`` naming the service, and the
  gateway answers 503 with ``Retry-After``;
- a service that receives a request whose deadline has passed does not start the work (the
  caller has given up): ``platform_kit.errors.PlatformRpc`` drops it, counted in
  ``platform_rpc_expired_total``.

``ClusterRpc`` (``self.services.orders.get_order(...)``) and ``ServiceRpc("stock")``
(``self.stock_rpc.reserve(...)``) are the dependency providers to use.
"""
from __future__ import annotations

import time

import eventlet
from nameko import config
from nameko.exceptions import RpcTimeout, UnknownService

from platform_kit import nameko_adapters
from platform_kit.exceptions import ServiceUnavailable

DEADLINE_KEY = "deadline"
DEFAULT_TIMEOUT_SECONDS = 10.0


def default_timeout() -> float:
    return float(config.get("RPC_TIMEOUT_SECONDS", DEFAULT_TIMEOUT_SECONDS))


def deadline_of(context_data: dict) -> float | None:
    value = context_data.get(DEADLINE_KEY)
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def has_expired(context_data: dict, now: float | None = None) -> bool:
    deadline = deadline_of(context_data)
    return deadline is not None and deadline <= (now if now is not None else time.time())


class Reply:
    def __init__(self, call, label: str, timeout: float):
        self._call, self._label, self._timeout = call, label, timeout

    def result(self):
        try:
            with eventlet.Timeout(self._timeout, RpcTimeout(self._label)):
                return self._call.result()
        except RpcTimeout:
            raise ServiceUnavailable(
                f"The {self._label.split('.')[0]} service did not answer within {self._timeout:g}s; "
                "please retry.") from None


class Method:
    def __init__(self, proxy, label: str, timeout: float):
        self._proxy, self._label, self._timeout = proxy, label, timeout

    def __call__(self, *args, **kwargs):
        return self.call_async(*args, **kwargs).result()

    def call_async(self, *args, **kwargs) -> Reply:
        context = self._proxy.context_data
        now = time.time()
        inherited = deadline_of(context)
        budget = self._timeout if inherited is None else min(self._timeout, inherited - now)
        service = self._label.split(".")[0]
        if budget <= 0:
            raise ServiceUnavailable(f"No time was left to call the {service} service; please retry.")
        context[DEADLINE_KEY] = now + budget
        try:
            return Reply(self._proxy.call_async(*args, **kwargs), self._label, budget)
        except UnknownService:
            raise ServiceUnavailable(f"The {service} service is not running.") from None
        finally:
            # the worker's own deadline stays what it inherited; this call's travelled in its headers
            if inherited is None:
                context.pop(DEADLINE_KEY, None)
            else:
                context[DEADLINE_KEY] = inherited


class Service:
    def __init__(self, proxy, name: str, timeout: float):
        self._proxy, self._name, self._timeout = proxy, name, timeout

    def __getattr__(self, method: str) -> Method:
        return Method(getattr(self._proxy, method), f"{self._name}.{method}", self._timeout)


class Services:
    def __init__(self, client, timeout: float):
        self._client, self._timeout = client, timeout

    def __getattr__(self, service: str) -> Service:
        return Service(getattr(self._client, service), service, self._timeout)


class ClusterRpc(nameko_adapters.ClusterRpc):
    """``self.services.<service>.<method>(...)``, bounded by RPC_TIMEOUT_SECONDS and the inherited deadline."""

    def get_dependency(self, worker_ctx) -> Services:
        return Services(super().get_dependency(worker_ctx), default_timeout())


class ServiceRpc(nameko_adapters.ClusterRpc):
    """``self.<name>.<method>(...)`` on one service, bounded like ``ClusterRpc``."""

    def __init__(self, target_service: str, **kwargs):
        self.target_service = target_service
        super().__init__(**kwargs)

    def get_dependency(self, worker_ctx) -> Service:
        client = super().get_dependency(worker_ctx)
        return Service(getattr(client, self.target_service), self.target_service, default_timeout())
