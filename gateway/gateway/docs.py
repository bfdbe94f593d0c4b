"""Browsable API docs (Swagger UI) served from the swagger-ui-bundle package: no CDN, works offline."""
from __future__ import annotations

import mimetypes
from pathlib import Path

from swagger_ui_bundle import swagger_ui_path

STATIC = Path(str(swagger_ui_path))
ALLOWED = {"swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "index.css",
           "favicon-32x32.png", "favicon-16x16.png"}

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Delivery platform API</title>
<link rel="stylesheet" href="/docs/static/swagger-ui.css"><link rel="icon" href="/docs/static/favicon-32x32.png">
</head><body><div id="swagger-ui"></div>
<script src="/docs/static/swagger-ui-bundle.js"></script>
<script src="/docs/static/swagger-ui-standalone-preset.js"></script>
<script>window.ui = SwaggerUIBundle({url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true,
presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset], layout: "StandaloneLayout"});</script>
</body></html>"""


def static_file(name: str) -> tuple[bytes, str] | None:
    if name not in ALLOWED:
        return None
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return (STATIC / name).read_bytes(), content_type
