"""What a ticket accepts as an attachment (TKT-7). Pure Python.

Files a customer or agent sends with a message: screenshots, PDFs, logs and text, archives and
Office documents, at most 20 MB. Anything a browser would run or render as a page (HTML, SVG,
scripts, executables) is refused, and a file that claims to be an image or a PDF must start like
one. Keys are made by the platform (``tickets/<ticket>/<uuid>``), never taken from the client.
"""
from __future__ import annotations

import re

MAX_BYTES = 20 * 1024 * 1024

ALLOWED_TYPES = frozenset({
    "image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp",
    "application/pdf", "text/plain", "text/csv", "application/json", "application/xml", "text/xml",
    "application/zip", "application/x-zip-compressed", "application/gzip", "application/x-gzip",
    "application/x-tar", "application/x-7z-compressed", "application/vnd.rar",
    "application/msword", "application/vnd.ms-excel", "application/vnd.ms-powerpoint",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/octet-stream",
})
# the first bytes a file of this type starts with
MAGIC: dict[str, tuple[bytes, ...]] = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "image/webp": (b"RIFF",),
    "image/bmp": (b"BM",),
    "application/pdf": (b"%PDF-",),
    "application/zip": (b"PK\x03\x04", b"PK\x05\x06"),
}
_EXECUTABLE_NAMES = re.compile(r"\.(exe|bat|cmd|com|scr|msi|ps1|vbs|js|jar|sh|html?|svg|xhtml|php|jsp)$",
                               re.IGNORECASE)
_KEY = re.compile(r"^tickets/(?P<ticket>[0-9a-f-]{36})/(?P<id>[0-9a-f]{32})$")


def refusal(name: str, content_type: str, size: int, head: bytes) -> dict[str, list[str]] | None:
    """The fields and reasons a file is refused for, or None when it is accepted."""
    base = content_type.split(";")[0].strip().lower()
    if size <= 0:
        return {"content_base64": ["the file is empty"]}
    if size > MAX_BYTES:
        return {"content_base64": ["larger than 20 MB"]}
    if base not in ALLOWED_TYPES:
        return {"content_type": [f"{base} is not accepted: images, PDF, text, logs, archives and Office files are"]}
    if _EXECUTABLE_NAMES.search(name):
        return {"name": ["pages, scripts and programs are not accepted"]}
    starts = MAGIC.get(base)
    if starts and not head.startswith(starts):
        return {"content_type": [f"the file is not a {base}"]}
    return None


def make_key(ticket_id: str, attachment_id: str) -> str:
    return f"tickets/{ticket_id}/{attachment_id}"


def parse_key(key: str) -> tuple[str, str] | None:
    """(ticket id, attachment id) of a key the platform made, None for anything else."""
    match = _KEY.match(key or "")
    return (match["ticket"], match["id"]) if match else None
