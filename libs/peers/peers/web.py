"""The small HTTP side every peer shares: a threaded server, JSON in and out, and a plain HTML page.

A peer subclasses :class:`Peer` and answers ``handle(method, path, query, headers, body)`` with a
:class:`Reply`; ``/_peer/...`` is its control API (what tests and the page's buttons call) and ``/``
its page. No framework: the standard library's ``http.server`` is enough for a local peer.
"""
from __future__ import annotations

import html
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class DropAnswer(Exception):
    """Raised by a peer to close the connection without answering (a lost answer)."""


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict = field(default_factory=dict)

    @classmethod
    def json(cls, value, status: int = 200) -> Reply:
        return cls(status, json.dumps(value, ensure_ascii=False, default=str).encode(), "application/json")

    @classmethod
    def html(cls, text: str, status: int = 200) -> Reply:
        return cls(status, text.encode(), "text/html; charset=utf-8")

    @classmethod
    def redirect(cls, location: str) -> Reply:
        return cls(303, b"", "text/plain", {"Location": location})


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def json(self):
        if not self.body:
            return {}
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        """A submitted HTML form (the page's buttons) or a JSON body."""
        if self.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            return {k: v[-1] for k, v in parse_qs(self.body.decode()).items()}
        return self.json()


class Peer:
    """A local stand-in for an outside system, served over HTTP on ``host:port``."""

    title = "peer"

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self.lock = threading.Lock()
        self.httpd = ThreadingHTTPServer((host, port), self._handler())
        self.httpd.daemon_threads = True
        # a short poll: stopping (SIGTERM) waits for the loop to notice at most this long
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.1},
                                       name=self.title, daemon=True)

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    @property
    def url(self) -> str:
        host = self.httpd.server_address[0]
        return f"http://{'127.0.0.1' if host in ('0.0.0.0', '') else host}:{self.port}"

    def start(self) -> Peer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def handle(self, request: Request) -> Reply:
        raise NotImplementedError

    def _handler(self):
        peer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _serve(self):
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                request = Request(self.command, parts.path, {k: v[-1] for k, v in parse_qs(parts.query).items()},
                                  {k.lower(): v for k, v in self.headers.items()}, self.rfile.read(length))
                try:
                    reply = peer.handle(request)
                except DropAnswer:
                    self.close_connection = True
                    return
                except (ValueError, KeyError, TypeError) as err:
                    reply = Reply.json({"error": "bad_request", "message": str(err)}, 400)
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(reply.body)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(reply.body)

            do_GET = do_POST = do_PUT = do_DELETE = _serve

        return Handler


def page(title: str, *sections: str, refresh: int = 5) -> str:
    """A plain page that reloads itself every ``refresh`` seconds (new messages show up)."""
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta http-equiv="refresh" content="{refresh}">
<title>{esc(title)}</title>
<style>
body {{ font-family: system-ui, "Noto Sans CJK SC", "WenQuanYi Micro Hei", sans-serif; margin: 2em; color: #222 }}
table {{ border-collapse: collapse; margin: 1em 0 }} td, th {{ border: 1px solid #ccc; padding: 4px 8px;
text-align: left; vertical-align: top }} th {{ background: #f3f3f3 }} pre {{ white-space: pre-wrap; margin: 0 }}
form {{ display: inline-block; margin: 0 1em 0.5em 0 }} .note {{ color: #666 }}
</style></head><body><h1>{esc(title)}</h1>
{''.join(sections)}
</body></html>"""


def table(headings: list[str], rows: list[list[str]], empty: str = "（暂无）none yet") -> str:
    if not rows:
        return f"<p class='note'>{esc(empty)}</p>"
    head = "".join(f"<th>{esc(h)}</th>" for h in headings)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def button(action: str, label: str, **fields) -> str:
    hidden = "".join(f"<input type='hidden' name='{esc(k)}' value='{esc(str(v))}'>" for k, v in fields.items())
    return f"<form method='post' action='{esc(action)}'>{hidden}<button>{esc(label)}</button></form>"


def esc(text) -> str:
    return html.escape("" if text is None else str(text))
