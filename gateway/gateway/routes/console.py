"""The web console (docs/console.md): the single-page application built from console/ by Vite, served as
static files under /console. Public: the page itself holds no data; everything it shows comes
from the API with the user's token.

- Hashed files under assets/ never change, so browsers keep them a year; index.html is always
  revalidated, so a new build is picked up at the next load.
- Any other path under /console answers index.html (the console routes in the browser).
- Text assets are gzipped once per process and kept in memory when the browser accepts it.
"""
from __future__ import annotations

import gzip
import mimetypes
import os
from functools import lru_cache
from pathlib import Path

from werkzeug.wrappers import Response

from gateway.web import error_response, route

DIST = Path(os.environ.get("CONSOLE_DIST", Path(__file__).resolve().parents[3] / "console" / "dist"))
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
COMPRESSIBLE = ("text/", "application/javascript", "application/json", "image/svg+xml")
mimetypes.add_type("application/javascript", ".js")
mimetypes.add_type("text/css", ".css")


@lru_cache(maxsize=256)
def _load(path: str, mtime: float) -> tuple[bytes, bytes | None, str]:
    body = Path(path).read_bytes()
    content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
    zipped = gzip.compress(body, 6) if content_type.startswith(COMPRESSIBLE) and len(body) > 512 else None
    if content_type.startswith("text/") or content_type == "application/javascript":
        content_type += "; charset=utf-8"
    return body, zipped, content_type


def _file(name: str) -> Path | None:
    """The built file at ``name`` inside the output folder, never outside it."""
    return file_inside(DIST, name)


def file_inside(folder: Path, name: str) -> Path | None:
    """The file at ``name`` inside ``folder``, never outside it (no ``..``, no link out)."""
    root = folder.resolve()
    try:
        found = (root / name).resolve()
    except (OSError, ValueError):
        return None
    if root not in found.parents or not found.is_file():
        return None
    return found


def _serve(request, found: Path, cache: str) -> Response:
    body, zipped, content_type = _load(str(found), found.stat().st_mtime)
    headers = {"Cache-Control": cache, "X-Content-Type-Options": "nosniff", "Vary": "Accept-Encoding"}
    if zipped is not None and "gzip" in request.headers.get("Accept-Encoding", ""):
        body, headers["Content-Encoding"] = zipped, "gzip"
    return Response(body, content_type=content_type, headers=headers)


class ConsoleRoutes:
    def _console_index(self, request):
        index = _file("index.html")
        if index is None:
            return error_response(404, "not_found", "The console is not built: run `make console`.")
        return _serve(request, index, REVALIDATE)

    @route("GET", "/console", summary="The web console: redirects to /console/", tags=("console",), public=True,
           responses={308: "The console's address, /console/"})
    def console_redirect(self, request):
        return Response(status=308, headers={"Location": "/console/"})

    @route("GET", "/console/", summary="The web console (a single-page application)", tags=("console",),
           public=True, errors=(404,))
    def console(self, request):
        return self._console_index(request)

    @route("GET", "/console/<path:name>", summary="The web console's files; other paths answer its page",
           tags=("console",), public=True, errors=(404,), tenant_scoped=False)
    def console_file(self, request, name):
        found = _file(name)
        if found is not None:
            return _serve(request, found, IMMUTABLE if name.startswith("assets/") else REVALIDATE)
        if name.startswith("assets/"):
            return error_response(404, "not_found", f"No console file {name}.")
        return self._console_index(request)
