"""What an uploaded file is, judged by its bytes, not by the type its sender declared (PRJ-7).

``filetype`` reads the leading signature ("magic number") of a file. A declared binary type must be
what the bytes say (a PDF starts ``%PDF``, a PNG ``\\x89PNG``...); a declared text file may not be a
binary of any known kind nor hold NUL bytes; an executable is refused whatever it claims to be.
"""
from __future__ import annotations

import filetype

# enough for every signature filetype knows (OOXML is told apart inside the ZIP's first entries)
SNIFF_BYTES = 8192
OOXML = {"application/vnd.openxmlformats-officedocument.wordprocessingml.document",
         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
         "application/vnd.openxmlformats-officedocument.presentationml.presentation"}
# the old Office formats share one container (OLE2): any of them may be sniffed for another
OLE2 = {"application/msword", "application/vnd.ms-excel", "application/vnd.ms-powerpoint",
        "application/x-ole-storage"}
TEXT = {"text/plain", "text/csv"}
EXECUTABLE = {"application/x-msdownload", "application/x-executable", "application/x-mach-binary",
              "application/x-elf", "application/x-sharedlib", "application/vnd.microsoft.portable-executable",
              "application/x-dosexec"}


def _sniffed(head: bytes) -> str | None:
    # executables whatever follows their first bytes (filetype wants a whole header for ELF)
    if head[:2] == b"MZ":
        return "application/x-msdownload"
    if head[:4] == b"\x7fELF":
        return "application/x-executable"
    kind = filetype.guess(head)
    return kind.mime if kind is not None else None


def content_problem(declared: str, head: bytes) -> str | None:
    """Why the bytes (their first ``SNIFF_BYTES``) are not a file of the ``declared`` type; None if they are."""
    found = _sniffed(head)
    if found in EXECUTABLE:
        return "the content is a program, which is never accepted"
    if declared in TEXT:
        if found is not None or b"\x00" in head:
            return f"the content is not text ({found or 'binary data'})"
        return None
    if declared in OOXML:
        ok = found in (declared, "application/zip")
    elif declared == "application/zip":
        ok = found == declared or found in OOXML  # an Office document is a ZIP archive too
    elif declared in OLE2:
        ok = found in OLE2
    else:
        ok = found == declared
    return None if ok else f"the content is {found or 'of no recognised type'}, not {declared}"
