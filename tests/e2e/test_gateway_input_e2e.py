"""GW-3 through the real gateway: the HTTP server's own answers, the limits and the
text rules on real routes, and that one huge request does not hold the others."""
import json
import socket
import threading
import time

import pytest

pytestmark = pytest.mark.e2e
JSON = {"Content-Type": "application/json"}


def raw(e2e, data: bytes) -> tuple[int, dict, dict]:
    with socket.create_connection(("127.0.0.1", e2e.stack.specs["gateway"].port), timeout=30) as sock:
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v for k, v in (line.split(": ", 1) for line in lines[1:])}
    return int(lines[0].split()[1]), headers, json.loads(body)


def test_GW3_the_http_servers_own_refusals_are_json_with_a_request_id(e2e):
    for request, status in ((b"GET /health?" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
                            (b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n", 431),
                            (b"GARBAGE\r\n\r\n", 400)):
        got, headers, body = raw(e2e, request)
        assert got == status and headers["content-type"] == "application/json" and headers["x-request-id"]
        assert set(body) == {"error", "message"}


def test_GW3_unknown_routes_and_wrong_methods_carry_the_request_id(e2e, http):
    missing = http.get(e2e.url("/api/v1/nothing-here"), headers={"X-Request-ID": "probe-12345678"})
    assert missing.status_code == 404 and missing.headers["X-Request-ID"] == "probe-12345678"
    wrong = http.delete(e2e.url("/api/v1/purchases"))
    assert wrong.status_code == 405 and wrong.headers["X-Request-ID"]


def test_GW3_NUL_huge_offsets_and_repeated_parameters_are_400_not_500(e2e, http):
    http.headers.update(e2e.auth("customer.admin"))
    assert http.get(e2e.url("/api/v1/projects/a%00b")).status_code == 400
    answer = http.get(e2e.url("/api/v1/projects"), params={"offset": str(2**63)})
    assert answer.status_code == 400, answer.text
    assert http.get(e2e.url("/api/v1/projects?limit=1&limit=2")).json()["fields"] == {
        "limit": ["given more than once"]}
    nul = http.post(e2e.url("/api/v1/purchases"), data=b'{"order_id": "A\\u0000"}', headers=JSON)
    assert nul.status_code == 400 and "order_id" in nul.json()["fields"]


def test_GW3_duplicate_keys_in_a_log_in_are_refused(e2e, http):
    body = b'{"login_name": "customer.admin", "login_name": "operator", "password": "x"}'
    answer = http.post(e2e.url("/api/v1/auth/login"), data=body, headers=JSON)
    assert answer.status_code == 400 and answer.json()["fields"] == {"login_name": ["given more than once"]}


def test_GW3_a_12_MB_body_is_refused_at_once_and_health_stays_fast(e2e, http):
    big = b'{"order_id": "' + b"x" * 12_000_000 + b'"}'
    outcome = {}

    def send():
        started = time.monotonic()
        try:
            with socket.create_connection(("127.0.0.1", e2e.stack.specs["gateway"].port), timeout=30) as sock:
                sock.sendall(b"POST /api/v1/purchases HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                             b"Content-Length: %d\r\n\r\n" % len(big))
                outcome["head"] = sock.recv(65536)
        finally:
            outcome["seconds"] = time.monotonic() - started

    sender = threading.Thread(target=send)
    sender.start()
    started = time.monotonic()
    assert http.get(e2e.url("/health")).status_code == 200
    assert time.monotonic() - started < 2
    sender.join(timeout=30)
    assert outcome["head"].startswith(b"HTTP/1.1 413") and outcome["seconds"] < 5
