"""RPC to the services with a time limit.

nameko 3.0.0rc11's RPC client waits for a reply forever; a request to a stopped service would
hold an HTTP connection open until the service returns. Every call from the gateway therefore
runs under ``RPC_TIMEOUT_SECONDS`` and answers 503 when it runs out (the request stays queued
for the service, and writes are idempotent, so retrying is safe).
"""
from __future__ import annotations

import eventlet
from nameko import config
from nameko.exceptions import RpcTimeout, UnknownService

from platform_kit.errors import ServiceUnavailable
from platform_kit.nameko_adapters import ClusterRpc


class _Method:
    def __init__(self, proxy, label: str, timeout: float):
        self._proxy, self._label, self._timeout = proxy, label, timeout

    def __call__(self, *args, **kwargs):
        return self.call_async(*args, **kwargs).result()

    def call_async(self, *args, **kwargs) -> _Reply:
        try:
            return _Reply(self._proxy.call_async(*args, **kwargs), self._label, self._timeout)
        except UnknownService:
            raise ServiceUnavailable(f"The {self._label.split('.')[0]} service is not running.") from None


class _Reply:
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


class _Service:
    def __init__(self, proxy, name: str, timeout: float):
        self._proxy, self._name, self._timeout = proxy, name, timeout

    def __getattr__(self, method: str) -> _Method:
        return _Method(getattr(self._proxy, method), f"{self._name}.{method}", self._timeout)


class Services:
    def __init__(self, client, timeout: float):
        self._client, self._timeout = client, timeout

    def __getattr__(self, service: str) -> _Service:
        return _Service(getattr(self._client, service), service, self._timeout)


class TimedRpc(ClusterRpc):
    """``self.services.project.get_project(id)``, bounded by RPC_TIMEOUT_SECONDS."""

    def get_dependency(self, worker_ctx) -> Services:
        return Services(super().get_dependency(worker_ctx), float(config.get("RPC_TIMEOUT_SECONDS", 10)))
