"""The manual: the static site MkDocs builds from docs/ (``make docs``, and ``make run``) into
var/site, served under /manual/. Public, like the console's page: it is the documentation in the
repository, with no data of anyone's. It loads nothing from another host (tested), so it works
offline.

The pages are not content-hashed, so every file is revalidated; text is gzipped as the console's
files are. A path that is not a file of the site answers the site's 404 page with status 404.
"""
from __future__ import annotations

import os
from pathlib import Path

from werkzeug.wrappers import Response

from gateway.routes.console import REVALIDATE, _serve, file_inside
from gateway.web import error_response, route

SITE = Path(os.environ.get("MANUAL_SITE", Path(__file__).resolve().parents[3] / "var" / "site"))


def _file(name: str) -> Path | None:
    """The built file at ``name`` inside the site, never outside it."""
    return file_inside(SITE, name)


class ManualRoutes:
    @route("GET", "/manual", summary="The manual: redirects to /manual/", tags=("manual",), public=True,
           responses={308: "The manual's address, /manual/"})
    def manual_redirect(self, request):
        return Response(status=308, headers={"Location": "/manual/"})

    @route("GET", "/manual/", summary="The manual (built from docs/ by `make docs`)", tags=("manual",),
           public=True, errors=(404,))
    def manual(self, request):
        return _page(request, "index.html")

    @route("GET", "/manual/<path:name>", summary="The manual's pages and files", tags=("manual",), public=True,
           errors=(404,), tenant_scoped=False)
    def manual_file(self, request, name):
        return _page(request, name)


def _page(request, name: str) -> Response:
    found = _file(name)
    if found is not None:
        return _serve(request, found, REVALIDATE)
    if _file("index.html") is None:
        return error_response(404, "not_found", "The manual is not built: run `make docs`.")
    missing = _file("404.html")
    if missing is None:
        return error_response(404, "not_found", f"No manual page {name}.")
    response = _serve(request, missing, REVALIDATE)
    response.status_code = 404
    return response
