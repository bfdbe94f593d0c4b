"""Purchases, projects and the in-site inbox."""
from __future__ import annotations

from gateway.web import json_response, read_json, read_query, route
from notify_svc.schemas import InboxMessageSchema, InboxPageSchema, InboxQuerySchema
from project_svc.schemas import (
    ProjectFilterSchema,
    ProjectPageSchema,
    ProjectSchema,
    PurchaseResultSchema,
    PurchaseSchema,
)


class ProjectRoutes:
    @route("POST", "/api/v1/purchases", summary="Turn a marketplace purchase into a delivery project",
           tags=("projects",), body=PurchaseSchema, response=PurchaseResultSchema, status=201,
           errors=(404, 422, 503))
    def create_purchase(self, request):
        """PRJ-1. Posting the same `order_id` again answers 200 with the existing project and creates
        nothing. The project starts at *assign provider*; dispatch picks the provider asynchronously
        (watch `status`, `provider_id` and `current_node`). The marketplace (a platform operator
        account) names the `customer_id`; anyone else buys for their own organisation (ORG-5) and a
        `customer_id` they send is ignored."""
        purchase = read_json(request, PurchaseSchema())
        result = self.services.project.create_from_purchase(purchase)
        return json_response(result, status=201 if result["created"] else 200)

    @route("GET", "/api/v1/projects", summary="List the delivery projects you may see", tags=("projects",),
           query=ProjectFilterSchema, response=ProjectPageSchema)
    def list_projects(self, request):
        """A vendor sees its products' projects, a provider its own, a customer what it bought,
        the platform operator all (ORG-7)."""
        filters = read_query(request, ProjectFilterSchema())
        return json_response(self.services.project.list_projects(filters))

    @route("GET", "/api/v1/projects/<project_id>", summary="One delivery project with its flow log",
           tags=("projects",), response=ProjectSchema, errors=(404,))
    def get_project(self, request, project_id):
        return json_response(self.services.project.get_project(project_id))

    @route("GET", "/api/v1/inbox", summary="Your in-site messages with the unread count", tags=("notifications",),
           query=InboxQuerySchema, response=InboxPageSchema)
    def inbox(self, request):
        """NTF-5. Your own messages, plus your organisation's when you are its admin."""
        query = read_query(request, InboxQuerySchema())
        return json_response(self.services.notify.inbox(query))

    @route("POST", "/api/v1/inbox/<message_id>/read", summary="Mark an in-site message read",
           tags=("notifications",), response=InboxMessageSchema, errors=(404,))
    def mark_read(self, request, message_id):
        return json_response(self.services.notify.mark_read(message_id))


