"""Service-flow templates, their versions and approval, requirement forms and products (TPL-1..12).

The gateway checks the caller's role; template_svc checks the object (tenant) again (ORG-7).
"""
from __future__ import annotations

from gateway.api.templates import (
    ApproveBody,
    FormBody,
    FormPage,
    FormQuery,
    PreviewBody,
    ProductBody,
    ProductPage,
    ProductQuery,
    ProductUpdateBody,
    RejectBody,
    SavedProduct,
    SavedTemplate,
    TemplateBody,
    TemplatePage,
    TemplateQuery,
    TemplateVersion,
    VersionPath,
)
from gateway.api.templates import Form as FormOut
from gateway.api.templates import Preview as PreviewOut
from gateway.api.templates import Product as ProductOut
from gateway.api.templates import Template as TemplateOut
from gateway.web import json_response, read_json, read_optional_json, read_query, route
from platform_contracts.roles import PLATFORM_OPERATOR, VENDOR_ADMIN, VENDOR_PROJECT_MANAGER

READERS = (PLATFORM_OPERATOR, VENDOR_ADMIN, VENDOR_PROJECT_MANAGER)
EDITORS = (PLATFORM_OPERATOR, VENDOR_ADMIN)
OPERATOR = (PLATFORM_OPERATOR,)
TAGS = ("service templates",)


class TemplateRoutes:
    # --- templates ------------------------------------------------------------------------------
    @route("GET", "/api/v1/service-templates", summary="List your templates and the public ones", tags=TAGS,
           query=TemplateQuery, response=TemplatePage, roles=READERS)
    def list_templates(self, request):
        """TPL-2. A vendor sees its own templates and the platform's public ones; the operator sees all
        (`status=pending_approval` is its approval queue). Filter by part of `name`, `owner=public|own`."""
        return json_response(self.services.template.list_templates(read_query(request, TemplateQuery())))

    @route("POST", "/api/v1/service-templates", summary="Save a new template as a draft", tags=TAGS,
           body=TemplateBody, response=SavedTemplate, status=201, roles=EDITORS)
    def create_template(self, request):
        """TPL-1, TPL-11. A draft may be incomplete: `warnings` lists what publishing would refuse,
        each with its node path. Wrong data (unknown kind, role, form or message template, a bad
        timeout, duplicate keys, a container inside itself) is refused with 400 naming every path.
        The platform operator's templates are public."""
        body = read_json(request, TemplateBody())
        return json_response(self.services.template.save_new_template(body), status=201)

    @route("GET", "/api/v1/service-templates/<template_id>", summary="One template with its newest flow",
           tags=TAGS, response=TemplateOut, roles=READERS, errors=(404,))
    def get_template(self, request, template_id):
        return json_response(self.services.template.get_template(template_id))

    @route("PUT", "/api/v1/service-templates/<template_id>", summary="Save the template's draft", tags=TAGS,
           body=TemplateBody, response=SavedTemplate, roles=EDITORS, errors=(404, 409))
    def update_template(self, request, template_id):
        """TPL-1. Editing a published template opens a new draft version; products keep using the
        approved one until the operator approves the new one. 409 while a version awaits approval."""
        body = read_json(request, TemplateBody())
        return json_response(self.services.template.update_template(template_id, body))

    @route("POST", "/api/v1/service-templates/<template_id>/copy", summary="Copy a template into your own draft",
           tags=TAGS, response=TemplateOut, status=201, roles=EDITORS, errors=(404,))
    def copy_template(self, request, template_id):
        """TPL-2. The copy is yours and independent: later edits of the source do not touch it."""
        return json_response(self.services.template.copy_template(template_id), status=201)

    @route("POST", "/api/v1/service-templates/<template_id>/publish", summary="Publish the draft for approval",
           tags=TAGS, response=TemplateOut, roles=EDITORS, errors=(404, 422))
    def publish_template(self, request, template_id):
        """TPL-1, TPL-11. Every rule is checked; all violations come back at once (400, by node path).
        A vendor's version then waits for the platform operator (`pending_approval`); a public
        template is approved at once."""
        return json_response(self.services.template.publish_template(template_id))

    @route("GET", "/api/v1/service-templates/<template_id>/versions/<version>",
           summary="One version, with its changes against the previous one", tags=TAGS, response=TemplateVersion,
           roles=READERS, errors=(404,), path=VersionPath)
    def get_version(self, request, template_id, version):
        return json_response(self.services.template.get_version(template_id, version))

    @route("POST", "/api/v1/service-templates/<template_id>/versions/<version>/approve",
           summary="Approve a published version (platform operator)", tags=TAGS, body=ApproveBody,
           body_required=False, response=TemplateOut, roles=OPERATOR, errors=(404, 422), path=VersionPath)
    def approve_version(self, request, template_id, version):
        """TPL-1. The version becomes the one the template's products use; running projects keep theirs.
        The body is optional: `note`, words to the vendor, kept as the version's `reason`."""
        body = read_optional_json(request, ApproveBody())
        return json_response(self.services.template.approve_version(template_id, version, body))

    @route("POST", "/api/v1/service-templates/<template_id>/versions/<version>/reject",
           summary="Reject a published version with a reason (platform operator)", tags=TAGS, body=RejectBody,
           response=TemplateOut, roles=OPERATOR, errors=(404, 422), path=VersionPath)
    def reject_version(self, request, template_id, version):
        body = read_json(request, RejectBody())
        return json_response(self.services.template.reject_version(template_id, version, body))

    # --- requirement forms ----------------------------------------------------------------------
    @route("GET", "/api/v1/requirement-forms", summary="List the requirement-form templates", tags=TAGS,
           query=FormQuery, response=FormPage, roles=READERS)
    def list_forms(self, request):
        return json_response(self.services.template.list_forms(read_query(request, FormQuery())))

    @route("POST", "/api/v1/requirement-forms", summary="Create a requirement-form template (platform operator)",
           tags=TAGS, body=FormBody, response=FormOut, status=201, roles=OPERATOR)
    def create_form(self, request):
        """TPL-6. Field types: text, long_text, number, date, single_choice, multi_choice, file, phone,
        email; each with `required`, limits and `help_text`."""
        return json_response(self.services.template.create_form(read_json(request, FormBody())), status=201)

    @route("GET", "/api/v1/requirement-forms/<form_id>", summary="One requirement-form template", tags=TAGS,
           response=FormOut, roles=READERS, errors=(404,), tenant_scoped=False)
    def get_form(self, request, form_id):
        return json_response(self.services.template.get_form(form_id))

    @route("PUT", "/api/v1/requirement-forms/<form_id>", summary="Change a requirement-form template "
           "(platform operator)", tags=TAGS, body=FormBody, response=FormOut, roles=OPERATOR, errors=(404,),
           tenant_scoped=False)
    def update_form(self, request, form_id):
        """Approved template versions keep the form as it was when they were approved."""
        return json_response(self.services.template.update_form(form_id, read_json(request, FormBody())))

    @route("POST", "/api/v1/requirement-forms/<form_id>/preview", summary="Preview a form and check sample answers",
           tags=TAGS, body=PreviewBody, response=PreviewOut, roles=READERS, errors=(404,), tenant_scoped=False)
    def preview_form(self, request, form_id):
        """TPL-6. The fields as the customer sees them; `errors` checks `values` exactly as a submission."""
        return json_response(self.services.template.preview_form(form_id, read_json(request, PreviewBody())))

    # --- products -------------------------------------------------------------------------------
    @route("GET", "/api/v1/products", summary="The product centre: your products and their flows", tags=TAGS,
           query=ProductQuery, response=ProductPage, roles=READERS)
    def list_products(self, request):
        """TPL-12. Filter by part of `code`, `name` or `template_name`, and by `provider_status`
        (configured in dispatch or not); sort by code, name, template_name or updated_at."""
        return json_response(self.services.template.list_products(read_query(request, ProductQuery())))

    @route("POST", "/api/v1/products", summary="Add a product bound to a published template", tags=TAGS,
           body=ProductBody, response=SavedProduct, status=201, roles=EDITORS, errors=(404, 422),
           responses={200: "The product code was saved before: the product, updated"})
    def create_product(self, request):
        """TPL-12. The template must be yours or public and have an approved version; the product
        follows the template's approved version from then on."""
        result = self.services.template.save_product(read_json(request, ProductBody()))
        return json_response(result, status=201 if result["created"] else 200)

    @route("GET", "/api/v1/products/<product_id>", summary="One product", tags=TAGS, response=ProductOut,
           roles=READERS, errors=(404,))
    def get_product(self, request, product_id):
        return json_response(self.services.template.get_product(product_id))

    @route("PUT", "/api/v1/products/<product_id>", summary="Rename a product or bind another template", tags=TAGS,
           body=ProductUpdateBody, response=SavedProduct, roles=EDITORS, errors=(404, 422))
    def update_product(self, request, product_id):
        self.services.template.get_product(product_id)
        body = read_json(request, ProductUpdateBody())
        return json_response(self.services.template.save_product({**body, "product_id": product_id}))

