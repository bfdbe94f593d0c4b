"""Dispatch: providers of a product, employee capacity and switch, claims, queues, saturation and
change of operator (DSP-1..9, PRJ-6). The gateway checks the role; dispatch_svc checks the object."""
from __future__ import annotations

from gateway.api import dispatch as api
from gateway.names import add_names
from gateway.web import json_response, read_json, read_query, route
from platform_contracts.roles import (
    CUSTOMER_MANAGER,
    PLATFORM_OPERATOR,
    PROVIDER_ADMIN,
    VENDOR_ADMIN,
    VENDOR_PROJECT_MANAGER,
)

QUEUE_READERS = (PLATFORM_OPERATOR, VENDOR_ADMIN, VENDOR_PROJECT_MANAGER, PROVIDER_ADMIN)


class DispatchRoutes:
    @route("PUT", "/api/v1/product-providers", summary="Set the providers of a product with weights and maxima",
           tags=("dispatch",), body=api.ProductProvidersBody, response=api.ProductProviderList,
           roles=(PLATFORM_OPERATOR, VENDOR_ADMIN), errors=(400, 403, 404, 422))
    def set_product_providers(self, request):
        """DSP-1. The platform operator adds and removes providers (a provider holding projects of
        the product cannot be removed); the vendor admin changes weights (1..10000) and maxima of
        held orders (1..2000) of the same providers. A maximum lowered below what is held keeps the
        held orders; nothing new is given until below. A raised maximum lets the queue move at once.
        The operator names `vendor_id` (422 without it); a vendor admin's own organisation is the vendor."""
        body = read_json(request, api.ProductProvidersBody())
        items = self.services.dispatch.set_product_providers(body)
        return json_response({"items": items, "total": len(items)})

    @route("GET", "/api/v1/product-providers", summary="The providers of a product", tags=("dispatch",),
           query=api.ProductProvidersQuery, response=api.ProductProviderList,
           roles=(PLATFORM_OPERATOR, VENDOR_ADMIN, VENDOR_PROJECT_MANAGER, PROVIDER_ADMIN))
    def get_product_providers(self, request):
        """The vendor sees every provider of its product; a provider only its own row."""
        query = read_query(request, api.ProductProvidersQuery())
        items = add_names(self.services, self.services.dispatch.get_product_providers(query["product_id"]), users={})
        return json_response({"items": items, "total": len(items)})

    @route("GET", "/api/v1/dispatch/saturation", summary="Held ÷ maximum per product and provider",
           tags=("dispatch",), query=api.DispatchSaturationQuery, response=api.DispatchSaturationList,
           roles=(PLATFORM_OPERATOR, VENDOR_ADMIN, VENDOR_PROJECT_MANAGER, PROVIDER_ADMIN))
    def saturation(self, request):
        """PRJ-11 saturation of the products your organisation sells or delivers."""
        items = add_names(self.services, self.services.dispatch.saturation(
            read_query(request, api.DispatchSaturationQuery())), users={})
        return json_response({"items": items, "total": len(items)})

    @route("GET", "/api/v1/dispatch/queue", summary="Projects waiting for a provider or an employee",
           tags=("dispatch",), query=api.QueueQuery, response=api.QueuePage, roles=QUEUE_READERS)
    def queue(self, request):
        """DSP-3/DSP-5. A vendor sees its projects waiting for a provider, a provider admin its
        projects waiting for an employee; each row with its reason and how long it has waited."""
        return json_response(self.services.dispatch.queue(read_query(request, api.QueueQuery())))

    @route("POST", "/api/v1/dispatch/queue/dispatch-now", summary="Retry your queue at once",
           tags=("dispatch",), response=api.DispatchNowResult, roles=(PLATFORM_OPERATOR, VENDOR_ADMIN,
                                                                      PROVIDER_ADMIN))
    def dispatch_now(self, request):
        """'Dispatch now' after raising a maximum or a capacity (the queue also moves by itself when
        capacity appears, and every hour)."""
        return json_response(self.services.dispatch.dispatch_now())

    @route("GET", "/api/v1/dispatch/employees", summary="The capacity page: your employees",
           tags=("dispatch",), query=api.EmployeeQuery, response=api.EmployeePage,
           roles=(PLATFORM_OPERATOR, PROVIDER_ADMIN))
    def list_employees(self, request):
        """DSP-4. Capacity, open switch and held orders of every employee of your organisation."""
        return json_response(self.services.dispatch.list_employees(read_query(request, api.EmployeeQuery())))

    @route("GET", "/api/v1/dispatch/employees/<user_id>", summary="An employee's capacity, switch and held orders",
           tags=("dispatch",), response=api.Employee, errors=(404,))
    def get_employee(self, request, user_id):
        """Your own (any employee), or any of your organisation's (provider admin)."""
        return json_response(self.services.dispatch.get_employee(user_id))

    @route("PATCH", "/api/v1/dispatch/employees/<user_id>", summary="Set an employee's capacity or switch",
           tags=("dispatch",), body=api.EmployeeSettingsBody, response=api.Employee, errors=(400, 403, 404))
    def set_employee(self, request, user_id):
        """DSP-4. The provider admin sets `capacity` (0..50) and `open`; an employee switches its own
        `open`. Closed or full employees get nothing new; opening or raising lets the queue move."""
        body = read_json(request, api.EmployeeSettingsBody())
        return json_response(self.services.dispatch.set_employee_settings(user_id, body))

    @route("POST", "/api/v1/claims", summary="Claim an order by its marketplace order id",
           tags=("dispatch",), body=api.ClaimBody, response=api.Claim, status=201,
           roles=(CUSTOMER_MANAGER,), errors=(403, 404, 422))
    def claim_order(self, request):
        """DSP-7. A customer manager of the order's provider, once, while the project stands at a
        claim node. A later department-first assign-order node dispatches inside your department."""
        body = read_json(request, api.ClaimBody())
        return json_response(self.services.dispatch.claim_order(body), status=201)

    @route("POST", "/api/v1/projects/<project_id>/operator", summary="Change the operator of an assigned node",
           tags=("dispatch",), body=api.OperatorBody, response=api.OperatorChange,
           roles=(PROVIDER_ADMIN,), errors=(404, 422))
    def change_operator(self, request, project_id):
        """PRJ-6. The provider admin of the project's provider hands the node to a user with the
        same role, switched open and below capacity; the old operator's held order is released."""
        body = read_json(request, api.OperatorBody())
        return json_response(self.services.dispatch.change_operator({**body, "project_id": project_id}))
