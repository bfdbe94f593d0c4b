"""PRJ-7: an upload is judged by its bytes against the type its sender declared."""
import io
import zipfile

import pytest

from project_svc.domain.files import content_problem
from project_svc.domain.requirements import require_uploaded_files
from project_svc.exceptions import RequirementsInvalid

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"


def docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


@pytest.mark.parametrize("declared, head", [
    ("application/pdf", PDF), ("image/png", PNG), ("text/plain", "交付说明\n".encode()),
    ("text/csv", b"a,b\n1,2\n"), ("application/zip", docx()),
    ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", docx()),
])
def test_PRJ7_a_file_that_is_what_it_claims_is_accepted(declared, head):
    assert content_problem(declared, head) is None


@pytest.mark.parametrize("declared, head, said", [
    ("application/pdf", b"MZ\x90\x00\x03\x00\x00\x00", "program"),       # a Windows executable
    ("text/plain", b"\x7fELF\x02\x01\x01" + b"\x00" * 40, "program"),
    ("application/pdf", PNG, "image/png"),
    ("image/png", PDF, "application/pdf"),
    ("text/plain", PNG, "not text"),
    ("text/csv", b"a,b\x00c", "not text"),
    ("image/jpeg", b"just words", "no recognised type"),
])
def test_PRJ7_a_file_whose_bytes_say_otherwise_is_refused_saying_what_it_is(declared, head, said):
    assert said in content_problem(declared, head)


FORM = {"fields": [{"key": "drawings", "type": "file"}, {"key": "site", "type": "text"}]}


def test_TPL6_a_file_field_takes_only_ids_of_files_uploaded_to_the_project():
    assert require_uploaded_files(FORM, {"drawings": ["f1"], "site": "x"}, {"f1", "f2"})["drawings"] == ["f1"]
    with pytest.raises(RequirementsInvalid) as refused:
        require_uploaded_files(FORM, {"drawings": ["f1", "https://evil.example/x.exe"]}, {"f1"})
    assert list(refused.value.fields) == ["drawings"]
