"""TKT-7: an attachment is downloaded as a file: its Chinese name intact (RFC 6266 ``filename*``),
never sniffed or rendered by the browser."""
import base64
from types import SimpleNamespace
from urllib.parse import unquote

from gateway.routes.tickets import TicketRoutes
from gateway.web import content_disposition


class FakeTickets:
    def download_attachment(self, ticket_id, attachment_id):
        return {"id": attachment_id, "name": "报错 截图\"1\".png", "content_type": "image/png",
                "content_base64": base64.b64encode(b"\x89PNG\r\n\x1a\nDATA").decode()}


def test_TKT7_content_disposition_carries_the_chinese_name_and_an_ascii_fallback():
    header = content_disposition("报错截图.png")
    assert header.startswith('attachment; filename="download.png"; ')
    assert unquote(header.split("filename*=UTF-8''")[1]) == "报错截图.png"
    assert '"' not in content_disposition('a"b.txt').split('filename="')[1].split('";')[0]


def test_TKT7_the_download_answers_the_file_as_an_attachment_with_nosniff():
    routes = TicketRoutes.__new__(TicketRoutes)
    routes.services = SimpleNamespace(ticket=FakeTickets())
    handler = getattr(TicketRoutes.download_ticket_attachment, "__wrapped__", TicketRoutes.download_ticket_attachment)
    response = handler(routes, None, "t1", "a1")
    assert response.get_data() == b"\x89PNG\r\n\x1a\nDATA" and response.mimetype == "image/png"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert unquote(response.headers["Content-Disposition"].split("filename*=UTF-8''")[1]) == '报错 截图"1".png'
