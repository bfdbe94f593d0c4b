"""Files keep the names people gave them, in Chinese too (RFC 6266 / RFC 5987)."""
from urllib.parse import unquote

import pytest

from gateway.web import attachment_response, content_disposition


def _parts(header: str) -> dict:
    kind, *params = [p.strip() for p in header.split(";")]
    assert kind == "attachment"
    return dict(p.split("=", 1) for p in params)


@pytest.mark.parametrize("name, fallback", [
    ("设计稿v1.pdf", '"v1.pdf"'),
    ("验收报告.docx", '"download.docx"'),
    ("需求说明", '"download"'),
    ("report 2026.csv", '"report 2026.csv"'),
])
def test_a_chinese_file_name_travels_whole_in_filename_star_with_an_ascii_stand_in(name, fallback):
    parts = _parts(content_disposition(name))
    assert parts["filename"] == fallback
    assert parts["filename*"].startswith("UTF-8''")
    assert unquote(parts["filename*"][len("UTF-8''"):]) == name
    content_disposition(name).encode("latin-1")  # what the HTTP server writes: never a UnicodeEncodeError


def test_quotes_slashes_and_control_characters_cannot_break_the_header():
    parts = _parts(content_disposition('a"b\\c/d\r\ne.txt'))
    assert parts["filename"] == '"abcde.txt"'
    assert unquote(parts["filename*"][len("UTF-8''"):]) == 'a"b\\c/de.txt', "kept as given, encoded"


def test_a_download_is_never_sniffed_as_another_type():
    response = attachment_response(b"%PDF-1.4", "application/pdf", "设计稿v1.pdf")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.mimetype == "application/pdf"
