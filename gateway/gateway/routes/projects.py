"""Purchases and projects (the in-site inbox is in routes/notifications.py)."""
from __future__ import annotations

import base64
import csv
import io
import tempfile

from werkzeug.wrappers import Response

from gateway.api import projects as api
from gateway.names import add_names, people_of
from gateway.web import attachment_response, content_disposition, json_response, read_json, read_query, route
from platform_contracts.roles import (
    PLATFORM_OPERATOR,
    PROVIDER_ADMIN,
    VENDOR_ADMIN,
    VENDOR_PROJECT_MANAGER,
)
from platform_kit.errors import ValidationFailed

VENDORS = (VENDOR_ADMIN, VENDOR_PROJECT_MANAGER)
MAX_UPLOAD = 20 * 1024 * 1024
EXPORT_COLUMNS = ("order_id", "product_code", "product_name", "customer_id", "customer_name", "provider_id",
                  "provider_name", "status", "current_node_name", "current_side", "current_operator_id",
                  "current_operator_name", "late_side", "late_since", "created_at", "completed_at", "rating")


def _export_batches(services, filters: dict):
    """Every row of the tab in keyset batches: the first fetched before answering (so a refusal is
    a proper 4xx), the others while the body streams; no batch is kept after it is written."""
    first = services.project.export_page(filters)
    yield add_names(services, first["items"])
    cursor = first["next_cursor"]
    while cursor:
        page = services.project.export_page({**filters, "cursor": cursor})
        yield add_names(services, page["items"])
        cursor = page["next_cursor"]


def _csv_stream(batches):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")  # Excel opens UTF-8 CSV with Chinese names correctly only with a BOM
    writer.writerow(EXPORT_COLUMNS)
    for items in batches:
        for item in items:
            writer.writerow(["" if item.get(c) is None else item.get(c) for c in EXPORT_COLUMNS])
        yield buffer.getvalue().encode("utf-8")
        buffer.seek(0)
        buffer.truncate()


def _xlsx_stream(batches):
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)  # rows go to a temporary file, not into memory
    sheet = workbook.create_sheet("projects")
    sheet.append(list(EXPORT_COLUMNS))
    for items in batches:
        for item in items:
            sheet.append(["" if item.get(c) is None else item.get(c) for c in EXPORT_COLUMNS])
    with tempfile.TemporaryFile() as out:
        workbook.save(out)
        out.seek(0)
        while chunk := out.read(65536):
            yield chunk


class ProjectRoutes:
    @route("POST", "/api/v1/purchases", summary="Turn a marketplace purchase into a delivery project",
           tags=("projects",), body=api.PurchaseBody, response=api.PurchaseResult, status=201,
           responses={200: "Already bought: the existing project"}, errors=(404, 422, 503))
    def create_purchase(self, request):
        """PRJ-1. Posting the same `order_id` again answers 200 with the existing project and creates
        nothing. The project starts at *assign provider* on the flow bound to the product (404 when
        none is); dispatch picks the provider asynchronously (watch `status`, `provider_id` and
        `current_node`). The marketplace (a platform operator account) names the `customer_id` (422
        without it); anyone else buys for their own organisation (ORG-5) and leaves it out."""
        purchase = read_json(request, api.PurchaseBody())
        result = self.services.project.create_from_purchase(purchase)
        people_of(self.services, result["project"])
        return json_response(result, status=201 if result["created"] else 200)

    @route("GET", "/api/v1/projects", summary="List the delivery projects you may see, by status tab",
           tags=("projects",), query=api.ProjectQuery, response=api.ProjectPage, errors=(422,))
    def list_projects(self, request):
        """PRJ-2, PRJ-3, PRJ-10. A vendor sees its products' projects, a provider admin its own, an
        employee those given to it (`mine=waiting|handled`), a customer what it bought
        (`as_customer=true` for an ISV's purchased services, ORG-5), the platform operator all
        (ORG-7). `counts` has every tab under the same filters; pass `next_cursor` back as `cursor`
        for the next page (a cursor this list did not give answers 422)."""
        filters = api.ProjectQuery().dump(read_query(request, api.ProjectQuery()))
        page = self.services.project.list_projects(filters)
        add_names(self.services, page["items"])
        return json_response(page)

    @route("GET", "/api/v1/projects/export", summary="Export the current tab as CSV or XLSX",
           tags=("projects",), query=api.ProjectExportQuery)
    def export_projects(self, request):
        """PRJ-10. The same filters as the list, every row, streamed (a 100k-row export is never held
        in memory). Notes are never exported."""
        filters = api.ProjectExportQuery().dump(read_query(request, api.ProjectExportQuery()))
        fmt = filters.pop("format")
        batches = _export_batches(self.services, filters)
        first = next(batches)

        def all_batches():
            yield first
            yield from batches

        if fmt == "xlsx":
            return Response(_xlsx_stream(all_batches()), mimetype=(
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
                headers={"Content-Disposition": content_disposition("projects.xlsx")})
        return Response(_csv_stream(all_batches()), mimetype="text/csv",
                        headers={"Content-Disposition": content_disposition("projects.csv")})

    @route("GET", "/api/v1/projects/dashboard", summary="Vendor or provider dashboard figures",
           tags=("projects",), query=api.ProjectDashboardQuery, response=api.ProjectDashboard,
           roles=(*VENDORS, PROVIDER_ADMIN))
    def dashboard(self, request):
        """PRJ-11: average completion cycle (365 days, one decimal), new projects per day (7) and month
        (6), the 30/60-day status breakdown and provider saturation per product with its colour band,
        all up to 00:00 today in the time zone."""
        query = read_query(request, api.ProjectDashboardQuery())
        figures = self.services.project.dashboard(query)
        add_names(self.services, figures.get("saturation") or [], users={})
        return json_response(figures)

    @route("GET", "/api/v1/projects/<project_id>", summary="One delivery project with its flow log",
           tags=("projects",), response=api.Project, errors=(404,))
    def get_project(self, request, project_id):
        """Steps, current node and operator, late mark, flow log, messages, files; notes only for the
        vendor and the provider side (never the customer)."""
        return json_response(people_of(self.services, self.services.project.get_project(project_id)))

    def _act(self, request, project_id, action, schema):
        project = self.services.project.act(project_id, action, read_json(request, schema))
        return json_response(people_of(self.services, project))

    @route("POST", "/api/v1/projects/<project_id>/requirements", summary="Submit the requirements form",
           tags=("projects",), body=api.ProjectRequirementsBody, response=api.Project, errors=(403, 404, 422))
    def submit_requirements(self, request, project_id):
        """The customer, at the current submit-requirements node; every missing or mistyped field is
        named (400) and the node does not pass."""
        return self._act(request, project_id, "submit_requirements", api.ProjectRequirementsBody())

    @route("POST", "/api/v1/projects/<project_id>/confirm", summary="Confirm or finish the current node",
           tags=("projects",), body=api.ProjectConfirmBody, response=api.Project, errors=(403, 404, 422))
    def confirm(self, request, project_id):
        """The node's operator only (the customer on the customer side; the assigned employee or the
        provider admin on the provider side), on the current node only (422 otherwise)."""
        return self._act(request, project_id, "confirm", api.ProjectConfirmBody())

    @route("POST", "/api/v1/projects/<project_id>/reject", summary="Reject the current node back",
           tags=("projects",), body=api.ProjectRejectBody, response=api.Project, errors=(403, 404, 422))
    def reject(self, request, project_id):
        return self._act(request, project_id, "reject", api.ProjectRejectBody())

    @route("POST", "/api/v1/projects/<project_id>/pause", summary="Pause the project (clock frozen)",
           tags=("projects",), body=api.ProjectRequiredNoteBody, response=api.Project, roles=(PROVIDER_ADMIN,),
           errors=(403, 404, 422))
    def pause(self, request, project_id):
        """PRJ-8, provider admin, with a note saying why (kept in the log). The current node's clock
        stops with the working time it had left."""
        return self._act(request, project_id, "pause", api.ProjectRequiredNoteBody())

    @route("POST", "/api/v1/projects/<project_id>/resume", summary="Resume a paused project",
           tags=("projects",), body=api.ProjectNoteBody, response=api.Project, roles=(PROVIDER_ADMIN,),
           errors=(403, 404, 422))
    def resume(self, request, project_id):
        return self._act(request, project_id, "resume", api.ProjectNoteBody())

    @route("POST", "/api/v1/projects/<project_id>/cancel", summary="Cancel the project with a reason",
           tags=("projects",), body=api.ProjectReasonBody, response=api.Project, roles=(*VENDORS, PLATFORM_OPERATOR),
           errors=(403, 404, 422))
    def cancel(self, request, project_id):
        """The vendor or the platform operator; dispatch releases everything held."""
        return self._act(request, project_id, "cancel", api.ProjectReasonBody())

    @route("POST", "/api/v1/projects/<project_id>/change-provider", summary="Change the provider (flow restarts)",
           tags=("projects",), body=api.ProjectRequiredNoteBody, response=api.Project, roles=VENDORS,
           errors=(403, 404, 422))
    def change_provider(self, request, project_id):
        """PRJ-5, the vendor, while open and when the product has several providers: the flow restarts
        at assign provider in a new round with the note (required); the earlier log stays readable."""
        return self._act(request, project_id, "change_provider", api.ProjectRequiredNoteBody())

    @route("POST", "/api/v1/projects/<project_id>/rating", summary="Rate the completed service",
           tags=("projects",), body=api.ProjectRatingBody, response=api.Project, errors=(403, 404, 422))
    def rate(self, request, project_id):
        return self._act(request, project_id, "rate", api.ProjectRatingBody())

    @route("GET", "/api/v1/projects/<project_id>/messages", summary="Messages of a project",
           tags=("projects",), response=api.ProjectRecord, many=True, errors=(404,))
    def list_messages(self, request, project_id):
        return json_response(self.services.project.list_records(project_id, "message"))

    @route("POST", "/api/v1/projects/<project_id>/messages", summary="Add a message (seen by everyone on it)",
           tags=("projects",), body=api.ProjectRecordBody, response=api.ProjectRecord, status=201, errors=(404, 422))
    def add_message(self, request, project_id):
        body = read_json(request, api.ProjectRecordBody())
        return json_response(self.services.project.add_record(project_id, "message", body), status=201)

    @route("GET", "/api/v1/projects/<project_id>/notes", summary="Notes of a project (never the customer's)",
           tags=("projects",), response=api.ProjectRecord, many=True, errors=(404,))
    def list_notes(self, request, project_id):
        return json_response(self.services.project.list_records(project_id, "note"))

    @route("POST", "/api/v1/projects/<project_id>/notes", summary="Add a note (never shown to the customer)",
           tags=("projects",), body=api.ProjectRecordBody, response=api.ProjectRecord, status=201,
           errors=(403, 404, 422))
    def add_note(self, request, project_id):
        body = read_json(request, api.ProjectRecordBody())
        return json_response(self.services.project.add_record(project_id, "note", body), status=201)

    @route("GET", "/api/v1/projects/<project_id>/files", summary="Files uploaded at the project's nodes",
           tags=("projects",), response=api.ProjectFile, many=True, errors=(404,))
    def list_files(self, request, project_id):
        return json_response(self.services.project.list_files(project_id))

    @route("POST", "/api/v1/projects/<project_id>/files", summary="Upload a file at the current node",
           tags=("projects",), query=api.ProjectUploadQuery, response=api.ProjectFile, status=201,
           errors=(403, 404, 422), max_body=MAX_UPLOAD)
    def upload_file(self, request, project_id):
        """The raw file is the body (at least one byte), its type the Content-Type (PDF, images, Office,
        text, CSV, ZIP); at most 20 MB. Only the current node's operator, at a node that takes uploads."""
        query = read_query(request, api.ProjectUploadQuery())
        content = request.get_data(cache=True)
        if not content:
            raise ValidationFailed("The body is the file and it is empty.", {"file": ["the file is empty"]})
        payload = {**query, "content_type": request.mimetype or "application/octet-stream",
                   "content_base64": base64.b64encode(content).decode()}
        return json_response(self.services.project.upload_file(project_id, payload), status=201)

    @route("GET", "/api/v1/projects/<project_id>/files/<file_id>", summary="Download a file", tags=("projects",),
           errors=(404,))
    def download_file(self, request, project_id, file_id):
        file = self.services.project.download_file(project_id, file_id)
        return attachment_response(base64.b64decode(file["content_base64"]), file["content_type"], file["name"])


