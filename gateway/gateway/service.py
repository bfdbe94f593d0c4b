"""The gateway: one HTTP API in front of every service (GW-1..GW-4).

Routes live in ``gateway.routes`` by area; each reads and validates its input with the schema
it declares, calls a service with the caller's identity in the context, and shapes the answer.
"""
from __future__ import annotations

from gateway.openapi import build_spec
from gateway.routes.billing import BillingRoutes
from gateway.routes.console import ConsoleRoutes
from gateway.routes.dispatch import DispatchRoutes
from gateway.routes.identity import IdentityRoutes
from gateway.routes.manual import ManualRoutes
from gateway.routes.notifications import NotificationRoutes
from gateway.routes.operations import OperationsRoutes
from gateway.routes.projects import ProjectRoutes
from gateway.routes.templates import TemplateRoutes
from gateway.routes.tickets import TicketRoutes
from platform_kit.calls import ClusterRpc
from platform_kit.logs import Correlation
from platform_kit.metrics import Metrics

API_VERSION = "1.0.0"
DESCRIPTION = (
    "One HTTP API for the after-sales delivery platform: purchases become delivery projects, "
    "dispatched to providers by capacity, with tickets, billing and notifications.\n\n"
    "Sign in with `POST /api/v1/auth/login` and send `Authorization: Bearer <access_token>`; an "
    "enterprise system sends its organisation's API key as `X-Api-Key: dpk_...` instead. "
    "Errors are JSON `{error, message, fields}`; every response carries `X-Request-ID`. "
    "Writes accept an `Idempotency-Key` header; requests are limited per client (429).\n\n"
    "Every request is bounded before any work: a body of at most 1 MB unless a route says more "
    "(`x-max-body-bytes`, 413), JSON at most 32 levels deep with at most 2,000 keys and 10,000 values, "
    "a request line of 8 KB (414) and headers of 32 KB (431). Text must be valid UTF-8 without NUL; "
    "ids, names and query values carry no control or bidirectional-override characters; integers fit "
    "64 bits; duplicate JSON keys and repeated query parameters are refused (400)."
)


class GatewayService(OperationsRoutes, IdentityRoutes, ProjectRoutes, TicketRoutes, TemplateRoutes, DispatchRoutes,
                     BillingRoutes, NotificationRoutes, ConsoleRoutes, ManualRoutes):
    name = "gateway"
    correlation = Correlation()
    metrics = Metrics()
    services = ClusterRpc()  # bounded by RPC_TIMEOUT_SECONDS and the request deadline
    _spec: dict | None = None

    @classmethod
    def openapi_document(cls) -> dict:
        if cls._spec is None:
            cls._spec = build_spec(cls, title="Delivery platform API", version=API_VERSION, description=DESCRIPTION)
        return cls._spec
